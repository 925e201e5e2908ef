"""The driver side of vhost-user: a frontend that hands rings in a memfd to a crypto backend.

``Frontend`` implements the driver's ``Channel`` protocol, so ``CryptoDriver(frontend, features)``
runs every request of the driver API through a UNIX socket, a backend and rings in shared memory,
the way a guest's requests travel. It drives any vhost-user crypto backend in one of two ``Mode``s:

- ``Mode.FULL``: the backend is the whole device (config space by GET_CONFIG, device features and
  status, the control queue on the last vring), as a generic vhost-user frontend drives it;
- ``Mode.CRYPTODEV``: the backend is what QEMU's cryptodev-vhost-user expects
  (shared/facts/qemu-vhost-user-crypto.md): only data rings are handed over, SET_FEATURES carries
  bit 30 only, and this class plays QEMU's part for the rest: it builds QEMU's config space, parses
  the guest's control requests itself and forwards cipher sessions as messages 26/27.

Every wait is bounded by ``timeout``: a backend that does not answer raises ``TimeoutError``
(``QueueStopped`` when it signalled the ring's error eventfd), one that answers nonsense raises
``FrontendError``. Not thread-safe: one caller at a time.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import select
import socket
import time
from collections.abc import Sequence
from types import TracebackType

from ..device.errors import FeatureError
from ..spec import layout as L
from ..spec.buffers import Buffer, SegmentReader, Truncated
from ..spec.config import CONFIG_SIZE, CryptoConfig, mask
from ..spec.constants import (
    CREATE_SESSION_INPUT_SIZE,
    S_HW_READY,
    VIRTIO_F_EVENT_IDX,
    VIRTIO_F_INDIRECT_DESC,
    VIRTIO_F_RING_PACKED,
    VIRTIO_F_VERSION_1,
    AkcipherAlgo,
    CipherAlgo,
    HashAlgo,
    Service,
    Status,
)
from ..spec.params import AeadParams, AkcipherParams, ChainParams, HashParams, MacParams, SessionParams
from ..spec.requests import DESTROY_OPCODES, CreateSession, DecodeError, decode_ctrl, read_ctrl_header
from ..virtio.packed import FRESH_STATE
from ..virtio.packed_driver import PackedDriverQueue
from ..virtio.queue import DriverQueue, QueueError, Segment
from ..virtio.ram import GuestRam
from ..virtio.split_driver import SplitDriverQueue
from . import crypto_session as cs
from .protocol import (
    CONFIG_HEADER,
    DEVICE_FEATURE_MASK,
    F_PROTOCOL_FEATURES,
    HEADER,
    MAX_PAYLOAD,
    MEMORY_HEADER,
    MEMORY_REGION,
    NEED_REPLY,
    REPLY,
    U64,
    VERSION,
    VRING_ADDR,
    VRING_STATE,
    DeviceStatus,
    Mode,
    ProtocolFeature,
    Request,
    request_name,
)

log = logging.getLogger(__name__)

FULL_PROTOCOL = (
    ProtocolFeature.MQ
    | ProtocolFeature.REPLY_ACK
    | ProtocolFeature.CONFIG
    | ProtocolFeature.RESET_DEVICE
    | ProtocolFeature.STATUS
)
# What QEMU 7.2's cryptodev-vhost-user can use here (it strips CONFIG; the others it knows do not apply).
CRYPTODEV_PROTOCOL = ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION

# QEMU's limits for vhost-user sessions (VHOST_USER_MAX_*_KEY_LEN, VHOST_CRYPTO_ASYM_MAX_KEY_LEN).
QEMU_MAX_CIPHER_KEY = 64
QEMU_MAX_AUTH_KEY = 512
QEMU_MAX_ASYM_KEY = 1024
SESSION_LAYOUTS = (cs.SIZE_632, cs.SIZE_1072)
MAX_INDIRECT = 16


class FrontendError(Exception):
    """The backend broke the protocol, or refused something the frontend cannot do without."""


class QueueStopped(TimeoutError):
    """The backend signalled a ring's error eventfd: it stopped serving that ring."""


def qemu_config(data_queues: int, akcipher: bool = False) -> bytes:
    """The config space QEMU builds for a cryptodev-vhost-user device (the backend is never asked).

    QEMU 7.2's ``cryptodev_vhost_user_init``: CIPHER|HASH|MAC services, AES-CBC and SHA1 only,
    64/512-byte key limits, max_size UINT64_MAX. QEMU 8.1 forwards AKCIPHER sessions (the 1072-byte
    layout); advertising AKCIPHER/RSA in the config came with a later cryptodev-vhost-user patch,
    which ``akcipher`` models.
    """
    services = [Service.CIPHER, Service.HASH, Service.MAC] + ([Service.AKCIPHER] if akcipher else [])
    return CryptoConfig(
        status=S_HW_READY,
        max_dataqueues=data_queues,
        crypto_services=mask(services),
        cipher_algo=mask([CipherAlgo.AES_CBC]),
        hash_algo=mask([HashAlgo.SHA1]),
        mac_algo=0,
        aead_algo=0,
        max_cipher_key_len=QEMU_MAX_CIPHER_KEY,
        max_auth_key_len=QEMU_MAX_AUTH_KEY,
        akcipher_algo=mask([AkcipherAlgo.RSA]) if akcipher else 0,
        max_size=(1 << 64) - 1,
    ).encode()


class _Ring:
    """One vring as the frontend holds it: the driver queue and its three eventfds."""

    __slots__ = ("abandoned", "call", "err", "index", "kick", "poller", "queue", "stopped")

    def __init__(self, index: int, queue: DriverQueue) -> None:
        self.index = index
        self.queue = queue
        flags = os.EFD_CLOEXEC | os.EFD_NONBLOCK
        self.kick = os.eventfd(0, flags)
        self.call = os.eventfd(0, flags)
        self.err = os.eventfd(0, flags)
        self.poller = select.poll()
        self.poller.register(self.call, select.POLLIN)
        self.poller.register(self.err, select.POLLIN)
        self.abandoned: set[object] = set()  # tokens of timed-out requests, possibly still in flight
        self.stopped = False

    def notify(self) -> None:
        os.eventfd_write(self.kick, 1)

    def wait(self, seconds: float) -> bool:
        """Block until the backend signals the call eventfd (True) or ``seconds`` pass (False).
        An error-eventfd signal marks the ring ``stopped``."""
        events = self.poller.poll(max(0, math.ceil(seconds * 1000)))
        for fd, _mask in events:
            with contextlib.suppress(BlockingIOError):
                os.eventfd_read(fd)
            if fd == self.err:
                self.stopped = True
        return bool(events)

    def close(self) -> None:
        release = getattr(self.queue, "release", None)
        if release is not None:
            release()
        for fd in (self.kick, self.call, self.err):
            os.close(fd)


class Frontend:
    """A vhost-user frontend serving the driver API (``Channel``) over one backend connection."""

    def __init__(
        self,
        sock: socket.socket,
        mode: Mode = Mode.FULL,
        *,
        packed: bool = False,
        indirect: bool = False,
        event_idx: bool = True,
        queue_size: int = 256,
        ram_size: int = 16 << 20,
        timeout: float = 5.0,
        session_layout: int = cs.SIZE_632,
        queues: int = 1,
    ) -> None:
        """Use ``connect``; this takes an already connected socket."""
        if session_layout not in SESSION_LAYOUTS:
            raise ValueError(f"session_layout must be one of {SESSION_LAYOUTS}")
        self.sock = sock
        self.mode = Mode(mode)
        self.packed = packed
        self.indirect = indirect
        self.event_idx = event_idx
        self.queue_size = queue_size
        self.timeout = timeout
        self.session_layout = session_layout
        self.ram = GuestRam(ram_size)
        arena = ram_size // 2
        self._arena = self.ram.alloc(arena, 4096)
        self._arena_end = self._arena + arena
        self._arena_next = self._arena
        self._requested_queues = queues
        self.backend_features = 0
        self.protocol_features = ProtocolFeature(0)
        self.features = 0  # the SET_FEATURES word sent
        self.data_queues = 0
        self.vring_bases: dict[int, int] = {}  # GET_VRING_BASE answers at close
        self._rings: list[_Ring] = []
        self._started = False
        self._closed = False
        self._desynced = False  # a message exchange failed half-way: the stream cannot be trusted
        sock.settimeout(timeout)

    @classmethod
    def connect(
        cls,
        path: str,
        mode: Mode = Mode.FULL,
        *,
        packed: bool = False,
        indirect: bool = False,
        event_idx: bool = True,
        queue_size: int = 256,
        ram_size: int = 16 << 20,
        timeout: float = 5.0,
        session_layout: int = cs.SIZE_632,
        queues: int = 1,
    ) -> Frontend:
        """Connect to the backend at ``path`` and run the handshake.

        ``packed``/``indirect``/``event_idx`` choose the ring format and the driver's use of
        indirect tables and event suppression; ``session_layout`` the CREATE_CRYPTO_SESSION layout
        (632: QEMU 7.1-8.0, 1072: QEMU 8.1+); ``queues`` the data queues in cryptodev mode (QEMU's
        ``queues=N``; full mode takes max_dataqueues from the config space).
        """
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            frontend = cls(
                sock, mode, packed=packed, indirect=indirect, event_idx=event_idx, queue_size=queue_size,
                ram_size=ram_size, timeout=timeout, session_layout=session_layout, queues=queues,
            )  # fmt: skip
        except BaseException:
            sock.close()
            raise
        try:
            frontend._handshake()
        except BaseException:
            frontend.close()
            raise
        return frontend

    # --- Channel ----------------------------------------------------------------------------------

    @property
    def num_queues(self) -> int:
        """Data queues plus the control queue (the last one)."""
        return self.data_queues + 1

    @property
    def control_queue(self) -> int:
        return self.data_queues

    def negotiate(self, features: int) -> None:
        """Start the device as a vhost-user frontend does at DRIVER_OK, with the device-specific
        feature bits ``features`` (the transport bits are this frontend's own choice)."""
        if self._started:
            raise FrontendError("features are negotiated once per connection")
        if features & ~DEVICE_FEATURE_MASK:
            raise FeatureError(f"{features:#x}: only device-specific bits (0-23) are the driver's")
        if self.mode == Mode.FULL:
            self._negotiate_full(features)
        else:
            self._negotiate_cryptodev(features)
        self._started = True

    def read_config(self) -> bytes:
        if self.mode == Mode.FULL:
            return self._get_config()
        return qemu_config(self.data_queues, akcipher=self.session_layout == cs.SIZE_1072)

    def submit(
        self, queue: int, readable: Sequence[Buffer], writable_sizes: Sequence[int]
    ) -> tuple[bytes, int]:
        """Run one chain: lay it out in guest RAM, publish, kick, wait for the call eventfd.
        Returns the writable area's bytes (all segments, in order) and the used length."""
        ring = self._ring(queue)
        if ring is None:
            return self._control(readable, writable_sizes)
        segments, outputs = self._lay_out(readable, writable_sizes)
        token = object()
        use_indirect = self.indirect and 1 < len(segments) <= MAX_INDIRECT
        ring.queue.add(segments, token, use_indirect)
        if ring.queue.publish():
            ring.notify()
        used = self._complete(ring, token, self.timeout)
        return b"".join(self.ram.read(gpa, size) for gpa, size in outputs), used

    # --- tests and benchmarks ---------------------------------------------------------------------

    def submit_raw(
        self, queue: int, descs: Sequence[tuple[int, int, int, int]], timeout: float | None = None
    ) -> tuple[int, int] | None:
        """Publish (addr, len, flags, next) descriptors verbatim (``next`` relative to the first, see
        ``SplitDriverQueue.place_raw``) on a split ring and kick. Returns (id, used length) of the
        completion, or None if nothing completed within ``timeout`` (the backend may stop a queue
        on a chain it cannot answer)."""
        ring = self._ring(queue)
        if ring is None or not isinstance(ring.queue, SplitDriverQueue):
            raise ValueError("raw chains go to a data or control vring of a split-ring connection")
        token = object()
        head = ring.queue.place_raw(descs, token)
        if ring.queue.publish():
            ring.notify()
        try:
            used = self._complete(ring, token, self.timeout if timeout is None else timeout)
        except TimeoutError:
            return None
        return head, used

    def pipeline(
        self,
        queue: int,
        requests: Sequence[tuple[Sequence[Buffer], Sequence[int]]],
        indirect: bool | None = None,
    ) -> Pipeline:
        """Requests (readable buffers, writable sizes) placed in guest RAM once, to be kept in flight
        on ``queue`` by ``Pipeline.run``; see ``Pipeline``."""
        ring = self._ring(queue)
        if ring is None:
            raise ValueError("pipelines run on vrings, not on the emulated control queue")
        return Pipeline(self, ring, requests, self.indirect if indirect is None else indirect)

    # --- life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """GET_VRING_BASE for every ring (the backend stops them), then drop the connection."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._started and not self._desynced:
                for ring in self._rings:
                    body = self._call(Request.GET_VRING_BASE, VRING_STATE.pack(ring.index, 0))
                    if len(body) != VRING_STATE.size:
                        raise FrontendError(f"GET_VRING_BASE reply of {len(body)} bytes")
                    index, base = VRING_STATE.unpack(body)
                    self.vring_bases[index] = base
        except (OSError, FrontendError) as exc:
            log.warning("closing: rings not stopped cleanly: %s", exc)
        finally:
            self.sock.close()
            for ring in self._rings:
                ring.close()
            self._rings.clear()
            try:
                self.ram.close()
            except BufferError:  # a view a caller still holds: the mapping goes with it
                os.close(self.ram.fd)
                log.debug("guest RAM still referenced at close")

    def __enter__(self) -> Frontend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- handshake and device start ---------------------------------------------------------------

    def _handshake(self) -> None:
        self.backend_features = self._get_u64(Request.GET_FEATURES)
        if self.backend_features & F_PROTOCOL_FEATURES:
            offered = self._get_u64(Request.GET_PROTOCOL_FEATURES)
            wanted = FULL_PROTOCOL if self.mode == Mode.FULL else CRYPTODEV_PROTOCOL
            self.protocol_features = ProtocolFeature(offered & wanted)
            self._send(Request.SET_PROTOCOL_FEATURES, U64.pack(self.protocol_features))
        multiqueue = self.protocol_features & ProtocolFeature.MQ
        vrings = self._get_u64(Request.GET_QUEUE_NUM) if multiqueue else (2 if self.mode == Mode.FULL else 1)
        self._require(Request.SET_OWNER)
        if self.mode == Mode.FULL:
            if not self.protocol_features & ProtocolFeature.CONFIG:
                raise FrontendError("full mode needs the CONFIG protocol feature to read the config space")
            data_queues = CryptoConfig.decode(self._get_config()).max_dataqueues
            if not 1 <= data_queues < vrings:
                raise FrontendError(f"config says {data_queues} data queues, backend has {vrings} vrings")
        else:
            data_queues = self._requested_queues
            if not 1 <= data_queues <= vrings:
                raise FrontendError(f"{data_queues} data queues asked, the backend supports {vrings}")
        self.data_queues = data_queues
        log.info(
            "connected in %s mode: features %#x, protocol features %#x, %d data queues",
            self.mode, self.backend_features, int(self.protocol_features), data_queues,
        )  # fmt: skip

    def _transport_bits(self) -> tuple[int, bool]:
        """The transport feature bits to set, and whether the driver uses EVENT_IDX."""
        offered = self.backend_features
        bits = offered & F_PROTOCOL_FEATURES
        if self.packed:
            if not offered & VIRTIO_F_RING_PACKED:
                raise FrontendError("the backend does not offer VIRTIO_F_RING_PACKED")
            bits |= VIRTIO_F_RING_PACKED
        if self.mode == Mode.CRYPTODEV:  # QEMU's guest negotiates these with QEMU, not the backend
            return bits, self.event_idx
        if not offered & VIRTIO_F_VERSION_1:
            raise FrontendError("the backend does not offer VIRTIO_F_VERSION_1")
        bits |= VIRTIO_F_VERSION_1
        if self.indirect:
            if not offered & VIRTIO_F_INDIRECT_DESC:
                raise FrontendError("the backend does not offer VIRTIO_F_INDIRECT_DESC")
            bits |= VIRTIO_F_INDIRECT_DESC
        event_idx = self.event_idx and bool(offered & VIRTIO_F_EVENT_IDX)
        return bits | (VIRTIO_F_EVENT_IDX if event_idx else 0), event_idx

    def _negotiate_full(self, features: int) -> None:
        offered = self.backend_features & DEVICE_FEATURE_MASK
        if features & ~offered:
            raise FeatureError(f"device features {features & ~offered:#x} are not offered")
        bits, event_idx = self._transport_bits()
        status = self.protocol_features & ProtocolFeature.STATUS
        driver = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER
        if status:
            self._set_status(driver)
        accepted = self._set(Request.SET_FEATURES, U64.pack(bits | features))
        if status:
            self._set_status(driver | DeviceStatus.FEATURES_OK)
            accepted = accepted and bool(self._get_u64(Request.GET_STATUS) & DeviceStatus.FEATURES_OK)
        if not accepted:
            raise FeatureError(f"the backend refused device features {features:#x}")
        self.features = bits | features
        self._start_rings(self.data_queues + 1, event_idx)
        if status:
            self._set_status(driver | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK)

    def _negotiate_cryptodev(self, features: int) -> None:
        if features:
            raise FeatureError("QEMU's cryptodev-vhost-user device offers no device feature bits")
        bits, event_idx = self._transport_bits()
        if not self._set(Request.SET_FEATURES, U64.pack(bits)):
            raise FrontendError(f"the backend refused SET_FEATURES {bits:#x}")
        self.features = bits
        self._start_rings(self.data_queues, event_idx)

    def _start_rings(self, count: int, event_idx: bool) -> None:
        ram = self.ram
        region = MEMORY_REGION.pack(ram.guest_base, ram.size, ram.user_base, 0)
        self._require(Request.SET_MEM_TABLE, MEMORY_HEADER.pack(1, 0) + region, [ram.fd])
        for index in range(count):
            ring = _Ring(index, self._make_queue(event_idx))
            self._rings.append(ring)
            self._require(Request.SET_VRING_CALL, U64.pack(index), [ring.call])
            self._require(Request.SET_VRING_ERR, U64.pack(index), [ring.err])
            self._require(Request.SET_VRING_NUM, VRING_STATE.pack(index, self.queue_size))
            base = FRESH_STATE if self.packed else 0
            self._require(Request.SET_VRING_BASE, VRING_STATE.pack(index, base))
            desc, driver_area, device_area = ring.queue.addresses
            addr = VRING_ADDR.pack(index, 0, ram.user(desc), ram.user(device_area), ram.user(driver_area), 0)
            self._require(Request.SET_VRING_ADDR, addr)
            self._require(Request.SET_VRING_KICK, U64.pack(index), [ring.kick])
            if self.mode == Mode.FULL:
                self._require(Request.SET_VRING_ENABLE, VRING_STATE.pack(index, 1))
        log.info("%d %s rings of %d started", count, "packed" if self.packed else "split", self.queue_size)

    def _make_queue(self, event_idx: bool) -> DriverQueue:
        if self.packed:
            return PackedDriverQueue(self.ram, self.queue_size, MAX_INDIRECT)
        return SplitDriverQueue(self.ram, self.queue_size, MAX_INDIRECT, event_idx=event_idx)

    def _set_status(self, status: int) -> None:
        self._require(Request.SET_STATUS, U64.pack(status))

    def _get_config(self) -> bytes:
        body = self._call(Request.GET_CONFIG, CONFIG_HEADER.pack(0, CONFIG_SIZE, 0) + bytes(CONFIG_SIZE))
        if len(body) != CONFIG_HEADER.size + CONFIG_SIZE:  # an empty payload is the backend's failure
            raise FrontendError(f"GET_CONFIG answered with {len(body)} bytes")
        offset, size, _flags = CONFIG_HEADER.unpack_from(body)
        if (offset, size) != (0, CONFIG_SIZE):
            raise FrontendError(f"GET_CONFIG answered offset {offset} size {size}")
        return bytes(body[CONFIG_HEADER.size :])

    # --- rings ------------------------------------------------------------------------------------

    def _ring(self, queue: int) -> _Ring | None:
        """The vring of driver queue ``queue``; None for the control queue QEMU keeps (cryptodev)."""
        if not self._started:
            raise FrontendError("negotiate() first: the rings are not running")
        if self._closed:
            raise FrontendError("the frontend is closed")
        if not 0 <= queue < self.num_queues:
            raise ValueError(f"queue {queue} does not exist ({self.num_queues} queues)")
        if queue == self.control_queue and self.mode == Mode.CRYPTODEV:
            return None
        return self._rings[queue]

    def _lay_out(
        self, readable: Sequence[Buffer], writable_sizes: Sequence[int]
    ) -> tuple[list[Segment], list[tuple[int, int]]]:
        """Copy the readable buffers into the scratch area and reserve zeroed writable ones.

        The scratch area is reused from its start for each request unless a timed-out request may
        still write into it, then it moves on (and runs out eventually: ``MemoryError``).
        """
        if not any(ring.abandoned for ring in self._rings):
            self._arena_next = self._arena
        segments: list[Segment] = []
        outputs: list[tuple[int, int]] = []
        for buffer in readable:
            view = memoryview(buffer)
            if view.format != "B" or view.ndim != 1:
                view = view.cast("B")
            if view.nbytes:
                gpa = self._scratch(view.nbytes)
                self.ram.write(gpa, view)
                segments.append((gpa, view.nbytes, False))
        for size in writable_sizes:
            if size < 0:
                raise ValueError(f"writable size {size}")
            if size:
                gpa = self._scratch(size)
                self.ram.write(gpa, bytes(size))
                segments.append((gpa, size, True))
                outputs.append((gpa, size))
        if not segments:
            raise ValueError("an empty chain")
        return segments, outputs

    def _scratch(self, size: int) -> int:
        start = -(-self._arena_next // 16) * 16
        if start + size > self._arena_end:
            raise MemoryError(f"request of {size} bytes does not fit the scratch area")
        self._arena_next = start + size
        return start

    def _complete(self, ring: _Ring, token: object, timeout: float) -> int:
        """Wait for ``token``'s chain; its used length. Other completions of abandoned tokens are
        dropped. Raises ``TimeoutError`` (``QueueStopped``) and abandons the token."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                completed = ring.queue.take_used()
            except QueueError as exc:  # a used entry naming nothing in flight
                raise FrontendError(f"vring {ring.index}: {exc}") from None
            for done, length in completed:
                if done is token:
                    return length
                if done in ring.abandoned:
                    ring.abandoned.discard(done)
                else:
                    log.warning("vring %d: completion of a request nobody waits for", ring.index)
            remaining = deadline - time.monotonic()
            if ring.stopped or remaining <= 0:
                ring.abandoned.add(token)
                if ring.stopped:
                    raise QueueStopped(f"the backend stopped vring {ring.index}")
                raise TimeoutError(f"vring {ring.index}: no completion within {timeout} s")
            ring.wait(remaining)

    # --- the control queue QEMU keeps (cryptodev mode) --------------------------------------------

    def _control(self, readable: Sequence[Buffer], writable_sizes: Sequence[int]) -> tuple[bytes, int]:
        """Answer a control request as QEMU does for a cryptodev-vhost-user device: parse it here,
        forward cipher (and, in the 1072 layout, AKCIPHER) sessions, answer the rest itself."""
        out = bytearray(sum(writable_sizes))
        opcode = None
        try:
            opcode = read_ctrl_header(reader := SegmentReader(readable))
            request = decode_ctrl(opcode, reader, revision_1=False)
        except Truncated:
            status = Status.ERR
        except DecodeError as exc:
            status = exc.status
        else:
            if isinstance(request, CreateSession):
                status, session_id = self._create_session(request.params)
                return _session_input(out, session_id, status)
            self._close_session(request.session_id)
            return _inhdr(out, Status.OK)
        if opcode in DESTROY_OPCODES:
            return _inhdr(out, status)
        return _session_input(out, 0, status)

    def _create_session(self, params: SessionParams) -> tuple[Status, int]:
        if isinstance(params, HashParams | MacParams | AeadParams):
            return Status.NOTSUPP, 0  # QEMU's virtio-crypto refuses these itself
        if isinstance(params, AkcipherParams):
            if self.session_layout != cs.SIZE_1072:
                return Status.NOTSUPP, 0  # cryptodev-vhost-user before 8.1
            if len(params.key) > QEMU_MAX_ASYM_KEY:
                return Status.ERR, 0
        else:
            cipher = params.cipher if isinstance(params, ChainParams) else params
            if len(cipher.key) > QEMU_MAX_CIPHER_KEY:
                return Status.ERR, 0
            auth = params.auth if isinstance(params, ChainParams) else None
            if isinstance(auth, MacParams) and len(auth.key) > QEMU_MAX_AUTH_KEY:
                return Status.ERR, 0
        if not self.protocol_features & ProtocolFeature.CRYPTO_SESSION:
            return Status.ERR, 0
        payload = cs.encode_create(params, self.session_layout)
        body = self._call(Request.CREATE_CRYPTO_SESSION, payload)
        if len(body) != len(payload):
            self._desynced = True
            raise FrontendError(f"CREATE_CRYPTO_SESSION reply of {len(body)} bytes, sent {len(payload)}")
        session_id = cs.session_id_of(body)
        if session_id < 0:  # QEMU only looks at the sign: the guest gets ERR
            log.info("backend refused a session (%d)", session_id)
            return Status.ERR, 0
        return Status.OK, session_id

    def _close_session(self, session_id: int) -> None:
        """CLOSE_CRYPTO_SESSION has no reply; a GET_FEATURES round trip then makes sure the backend
        handled it before the next kick (QEMU leaves that race to the guest)."""
        self._send(Request.CLOSE_CRYPTO_SESSION, U64.pack(session_id))
        self._get_u64(Request.GET_FEATURES)

    # --- messages ---------------------------------------------------------------------------------

    def _send(
        self, request: int, payload: bytes = b"", fds: Sequence[int] = (), flags: int = VERSION
    ) -> None:
        data = HEADER.pack(request, flags, len(payload)) + payload
        try:
            sent = socket.send_fds(self.sock, [data], list(fds)) if fds else 0
            self.sock.sendall(data[sent:])
        except OSError:
            self._desynced = True
            raise

    def _exact(self, size: int) -> bytes:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        try:
            while got < size:
                n = self.sock.recv_into(view[got:])
                if not n:
                    raise FrontendError("the backend closed the connection")
                got += n
        except BaseException:
            self._desynced = True
            raise
        return bytes(buf)

    def _reply(self, request: int) -> bytes:
        code, flags, size = HEADER.unpack(self._exact(HEADER.size))
        if code != request or flags != VERSION | REPLY or size > MAX_PAYLOAD:
            self._desynced = True
            raise FrontendError(
                f"{request_name(request)}: reply {request_name(code)} flags {flags:#x} size {size}"
            )
        return self._exact(size)

    def _call(self, request: int, payload: bytes = b"", fds: Sequence[int] = ()) -> bytes:
        """A request with a reply of its own."""
        self._send(request, payload, fds)
        return self._reply(request)

    def _get_u64(self, request: int) -> int:
        body = self._call(request)
        if len(body) != U64.size:
            self._desynced = True
            raise FrontendError(f"{request_name(request)}: reply of {len(body)} bytes")
        return U64.unpack(body)[0]

    def _set(self, request: int, payload: bytes = b"", fds: Sequence[int] = ()) -> bool:
        """A request without a reply of its own: acknowledged (REPLY_ACK) when negotiated.
        Whether the backend accepted it (True without REPLY_ACK)."""
        if not self.protocol_features & ProtocolFeature.REPLY_ACK:
            self._send(request, payload, fds)
            return True
        self._send(request, payload, fds, VERSION | NEED_REPLY)
        body = self._reply(request)
        if len(body) != U64.size:
            self._desynced = True
            raise FrontendError(f"{request_name(request)}: ack of {len(body)} bytes")
        return U64.unpack(body)[0] == 0

    def _require(self, request: int, payload: bytes = b"", fds: Sequence[int] = ()) -> None:
        if not self._set(request, payload, fds):
            raise FrontendError(f"the backend refused {request_name(request)}")


def _session_input(out: bytearray, session_id: int, status: Status) -> tuple[bytes, int]:
    """virtio_crypto_session_input as QEMU writes it (what fits of its 16 bytes)."""
    data = L.CREATE_SESSION_INPUT.pack(session_id, status, 0)
    used = min(len(out), CREATE_SESSION_INPUT_SIZE)
    out[:used] = data[:used]
    return bytes(out), used


def _inhdr(out: bytearray, status: Status) -> tuple[bytes, int]:
    if not out:
        return b"", 0
    out[0] = status
    return bytes(out), 1


class Pipeline:
    """Requests placed in guest RAM once and kept ``depth`` deep in flight on one vring.

    For benchmarks of a backend: the per-request work here is a post (split rings: one avail entry,
    the chain's descriptors were written once by ``prepare``; packed rings: the descriptors are
    rewritten), a clock read and a list append; completions are collected a batch at a time after
    each call-eventfd wake-up and each completed request is re-posted at once. Usage::

        pipe = frontend.pipeline(0, [(readable, [dst_len, 1]), ...])   # one entry per slot
        latencies = pipe.run(count=100_000, depth=32)   # ns from post to seen-completed, per request
        pipe.output(0), pipe.used(0)                    # what slot 0 got on its last completion
        pipe.close()                                    # descriptors back to the free list

    ``depth`` is at most the number of requests given: a request is never in flight twice.
    """

    def __init__(
        self,
        frontend: Frontend,
        ring: _Ring,
        requests: Sequence[tuple[Sequence[Buffer], Sequence[int]]],
        indirect: bool,
    ) -> None:
        if not requests:
            raise ValueError("a pipeline needs at least one request")
        self._frontend = frontend
        self._ring = ring
        ram = frontend.ram
        self._segments: list[list[Segment]] = []
        self._outputs: list[list[tuple[int, int]]] = []
        for readable, writable_sizes in requests:
            segments: list[Segment] = []
            for buffer in readable:
                data = bytes(buffer)
                if data:
                    segments.append((ram.put(data), len(data), False))
            outputs = [(ram.alloc(size), size) for size in writable_sizes if size]
            segments += [(gpa, size, True) for gpa, size in outputs]
            self._segments.append(segments)
            self._outputs.append(outputs)
        self._indirect = [indirect and 1 < len(s) <= MAX_INDIRECT for s in self._segments]
        self._heads: list[int] | None = None
        if isinstance(ring.queue, SplitDriverQueue):
            queue = ring.queue
            self._heads = [queue.prepare(s, i) for s, i in zip(self._segments, self._indirect, strict=True)]
        self._used = [0] * len(requests)

    def run(self, count: int, depth: int, timeout: float | None = None) -> list[int]:
        """Complete ``count`` requests keeping ``depth`` in flight; the latency of each (ns), in
        completion order. ``TimeoutError`` if the backend completes nothing for ``timeout`` s."""
        slots = len(self._segments)
        if not 1 <= depth <= slots:
            raise ValueError(f"depth {depth} needs between 1 and {slots} prepared requests")
        ring = self._ring
        for done, _length in ring.queue.take_used():  # leftovers of timed-out requests
            ring.abandoned.discard(done)
        if ring.abandoned:
            raise FrontendError(f"vring {ring.index}: timed-out requests are still in flight")
        wait_s = self._frontend.timeout if timeout is None else timeout
        queue, notify, now = ring.queue, ring.notify, time.perf_counter_ns
        take, publish = queue.take_used, queue.publish
        if self._heads is not None and isinstance(queue, SplitDriverQueue):
            heads, post_split = self._heads, queue.post

            def post(i: int) -> None:
                post_split(heads[i], i)

        else:
            segments, indirect, add = self._segments, self._indirect, queue.add

            def post(i: int) -> None:
                add(segments[i], i, indirect[i])

        started = [0] * slots
        pending = bytearray(slots)  # 1 while a slot is in flight
        used = self._used
        latencies: list[int] = []
        record = latencies.append
        posted = min(depth, count)
        for i in range(posted):
            started[i] = now()
            pending[i] = 1
            post(i)
        if posted and publish():
            notify()
        deadline = time.monotonic() + wait_s
        while len(latencies) < count:
            completed: list[tuple[int, int]] = take()  # type: ignore[assignment]  # tokens are slots
            if not completed:
                remaining = deadline - time.monotonic()
                if ring.stopped or remaining <= 0:
                    ring.abandoned.update(i for i in range(slots) if pending[i])
                    if ring.stopped:
                        raise QueueStopped(f"the backend stopped vring {ring.index}")
                    raise TimeoutError(f"vring {ring.index}: no completion within {wait_s} s")
                ring.wait(remaining)
                continue
            t = now()
            for i, length in completed:
                record(t - started[i])
                used[i] = length
                if posted < count:
                    started[i] = t
                    post(i)
                    posted += 1
                else:
                    pending[i] = 0
            if publish():
                notify()
            deadline = time.monotonic() + wait_s
        return latencies

    def output(self, index: int) -> bytes:
        """The writable bytes of request ``index`` (all segments, in order)."""
        ram = self._frontend.ram
        return b"".join(ram.read(gpa, size) for gpa, size in self._outputs[index])

    def used(self, index: int) -> int:
        """The used length of request ``index``'s last completion."""
        return self._used[index]

    def close(self) -> None:
        """Return the prepared descriptors to the free list (the buffers' RAM stays allocated)."""
        if self._heads is not None and isinstance(self._ring.queue, SplitDriverQueue):
            for head in self._heads:
                with contextlib.suppress(ValueError, KeyError):
                    self._ring.queue.unprepare(head)
            self._heads = None
