"""One vhost-user connection: the message state machine and the rings it drives (sans-I/O).

``Backend.handle`` takes a decoded ``Message`` (its fds included) and returns the reply bytes, if
any; ``Backend.kick`` runs a ring after its kick eventfd fired. The socket and the poll loop live
in ``server.py``, so tests can drive this with plain messages.

Two modes (``protocol.Mode``):

- CRYPTODEV, what QEMU's cryptodev-vhost-user expects (shared/facts/qemu-vhost-user-crypto.md):
  replies only to the GET_* requests, to CREATE_CRYPTO_SESSION (always, at the received size) and,
  once REPLY_ACK is negotiated, a u64 ack to any other request that sets NEED_REPLY;
  CLOSE_CRYPTO_SESSION is never answered otherwise (QEMU reads nothing after it). SET_VRING_ENABLE
  never comes, so a ring runs as soon as it has memory, size, addresses and a kick fd. vring ``i``
  is data queue ``i``; the control queue stays in QEMU, which forwards sessions as messages 26/27.
- FULL, the whole device for a generic frontend (docs/interop/vhost-user.rst): the device's own
  feature bits, the config space (GET_CONFIG), the status byte (SET/GET_STATUS), device reset, and
  every queue: vring ``max_dataqueues`` is the control queue. Rings start disabled until
  SET_VRING_ENABLE when PROTOCOL_FEATURES is negotiated, as the rst says.

Where a ring runs is its ``RingHost``'s business (``rings.py``): in this process by default, or in
worker processes (``workers.py``, ``vcrypto serve --workers N``); the backend tells the host of every
device-wide change (memory table, driver features, sessions, reset) so copies of the device follow.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable

from ..device import CryptoDevice, DeviceError, FeatureError
from ..spec.constants import (
    VIRTIO_F_EVENT_IDX,
    VIRTIO_F_INDIRECT_DESC,
    VIRTIO_F_RING_PACKED,
    VIRTIO_F_VERSION_1,
    AkcipherAlgo,
    CipherAlgo,
    Direction,
    HashMode,
    Status,
)
from ..spec.params import AkcipherParams, ChainParams, CipherParams, SessionParams
from ..virtio.chain import Chain
from ..virtio.memory import GuestMemory, MemoryRegion
from ..virtio.packed import FRESH_STATE
from ..virtio.queue import QueueError
from . import crypto_session as cs
from .protocol import (
    CONFIG_F_MIGRATION,
    DEVICE_FEATURE_MASK,
    F_PROTOCOL_FEATURES,
    MAX_REGIONS,
    VRING_ADDR,
    VRING_IDX_MASK,
    VRING_NOFD,
    VRING_STATE,
    ConfigAccess,
    DeviceStatus,
    Message,
    Mode,
    ProtocolError,
    ProtocolFeature,
    Request,
    parse_config,
    parse_mem_table,
    reply,
    reply_u64,
    request_name,
)
from .rings import BAD_CHAIN_WARNINGS, LocalRings, RingHost, Vring, refuse_bad_chain

log = logging.getLogger(__name__)

# Transport bits offered in both modes. QEMU 7.2's cryptodev never sets RING_PACKED (nor forwards
# the guest's bits), so offering it changes nothing there; a frontend that sets it gets packed rings.
FEATURES = (
    F_PROTOCOL_FEATURES
    | VIRTIO_F_VERSION_1
    | VIRTIO_F_INDIRECT_DESC
    | VIRTIO_F_EVENT_IDX
    | VIRTIO_F_RING_PACKED
)
# Not CONFIG (QEMU 7.2.0 crashes on it), not INBAND_NOTIFICATIONS (eventfds only).
CRYPTODEV_PROTOCOL_FEATURES = ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION
# The whole device: config space and status here, sessions on the control queue (not 26/27).
FULL_PROTOCOL_FEATURES = (
    ProtocolFeature.MQ
    | ProtocolFeature.REPLY_ACK
    | ProtocolFeature.CONFIG
    | ProtocolFeature.RESET_DEVICE
    | ProtocolFeature.STATUS
)
PROTOCOL_FEATURES = CRYPTODEV_PROTOCOL_FEATURES  # the name the cryptodev backend grew up with

# Requests whose frontend waits for a reply of their own: one we cannot give ends the connection.
_OWN_REPLY = frozenset(
    {
        Request.GET_CONFIG,
        Request.GET_INFLIGHT_FD,
        Request.POSTCOPY_ADVISE,
        Request.GET_STATUS,
    }
)
_SPLIT_BASE_MASK = 0xFFFF  # a split ring's base is a 16-bit avail index; a packed ring's is 32 bits


class Backend:
    """The backend side of one vhost-user connection, serving one virtio-crypto device.

    ``queues`` is the number of data queues; in FULL mode it must be the device's
    ``max_dataqueues`` and the control queue is one more vring. ``rings`` builds the ring host from
    the in-process one (e.g. ``workers.WorkerRings``); without it every ring runs here.
    """

    def __init__(
        self,
        device: CryptoDevice,
        queues: int = 1,
        name: str = "vhost-user",
        mode: Mode = Mode.CRYPTODEV,
        rings: Callable[[LocalRings], RingHost] | None = None,
    ) -> None:
        self.device = device
        self.name = name
        self.mode = Mode(mode)
        self.full = self.mode is Mode.FULL
        if self.full and queues != device.config.max_dataqueues:
            raise ValueError(f"{queues} data queues, but the device has {device.config.max_dataqueues}")
        self.queues = queues
        self.vring_count = queues + 1 if self.full else queues
        self.offered = FEATURES | (int(device.device_features) if self.full else 0)
        self.offered_protocol = FULL_PROTOCOL_FEATURES if self.full else CRYPTODEV_PROTOCOL_FEATURES
        self.features = 0
        self.protocol_features = ProtocolFeature(0)
        self.status = DeviceStatus(0)
        self._features_refused = False  # the last SET_FEATURES was refused: FEATURES_OK cannot be kept
        self.memory = GuestMemory()
        local = LocalRings(name, self._answer)
        self.host: RingHost = rings(local) if rings is not None else local
        self.vrings = [Vring(i, self.host, self._initially_enabled) for i in range(self.vring_count)]
        self.sessions = 0
        self._session_ids: set[int] = set()  # the device's sessions as the host was told of them
        self._bad_chains = 0
        # A handler returns its reply, or for requests without one whether it succeeded (the
        # REPLY_ACK outcome).
        self._handlers: dict[int, Callable[[Message], bytes | bool]] = {
            Request.GET_FEATURES: lambda m: reply_u64(m.request, self.offered),
            Request.SET_FEATURES: self._set_features,
            Request.SET_OWNER: lambda m: True,
            Request.RESET_OWNER: self._reset,
            Request.SET_MEM_TABLE: self._set_mem_table,
            Request.SET_VRING_NUM: self._set_vring_num,
            Request.SET_VRING_ADDR: self._set_vring_addr,
            Request.SET_VRING_BASE: self._set_vring_base,
            Request.GET_VRING_BASE: self._get_vring_base,
            Request.SET_VRING_KICK: self._set_vring_kick,
            Request.SET_VRING_CALL: lambda m: self._set_vring_signal(m, "call"),
            Request.SET_VRING_ERR: lambda m: self._set_vring_signal(m, "err"),
            Request.GET_PROTOCOL_FEATURES: lambda m: reply_u64(m.request, self.offered_protocol),
            Request.SET_PROTOCOL_FEATURES: self._set_protocol_features,
            Request.GET_QUEUE_NUM: lambda m: reply_u64(m.request, self.vring_count),
            Request.SET_VRING_ENABLE: self._set_vring_enable,
            Request.CREATE_CRYPTO_SESSION: self._create_session,
            Request.CLOSE_CRYPTO_SESSION: self._close_session,
            Request.RESET_DEVICE: self._reset,
            Request.GET_MAX_MEM_SLOTS: lambda m: reply_u64(m.request, MAX_REGIONS),
        }
        if self.full:
            self._handlers |= {
                Request.GET_CONFIG: self._get_config,
                Request.SET_CONFIG: self._set_config,
                Request.SET_STATUS: self._set_status,
                Request.GET_STATUS: lambda m: reply_u64(m.request, self.status),
            }

    @property
    def _initially_enabled(self) -> bool:
        """Cryptodev rings run without SET_VRING_ENABLE (QEMU never sends it); full-mode rings wait
        for it once PROTOCOL_FEATURES is negotiated (the rst's rule; SET_FEATURES without that bit
        enables them all)."""
        return not self.full

    @property
    def packed(self) -> bool:
        return bool(self.features & VIRTIO_F_RING_PACKED)

    # --- messages ---------------------------------------------------------------------------------

    def handle(self, msg: Message) -> bytes | None:
        """Apply one message; returns the reply to send, if the frontend waits for one."""
        log.debug(
            "%s: %s flags=%#x size=%d fds=%d",
            self.name, request_name(msg.request), msg.flags, len(msg.payload), len(msg.fds),
        )  # fmt: skip
        try:
            handler = self._handlers.get(msg.request)
            if handler is None:
                if msg.request in _OWN_REPLY:
                    raise ProtocolError(f"{request_name(msg.request)} was not offered and cannot be answered")
                log.warning("%s: %s not supported, ignored", self.name, request_name(msg.request))
                outcome: bytes | bool = False
            else:
                outcome = handler(msg)
        finally:
            for fd in msg.fds:  # whatever a handler did not keep
                os.close(fd)
            msg.fds.clear()
        if isinstance(outcome, bytes):
            return outcome
        if msg.need_reply and self.protocol_features & ProtocolFeature.REPLY_ACK:
            return reply_u64(msg.request, 0 if outcome else 1)
        return None

    def _set_features(self, msg: Message) -> bool:
        features = msg.u64()
        if features & ~self.offered:
            log.warning("%s: features %#x were not offered", self.name, features & ~self.offered)
            self._features_refused = True
            return False
        if self.full:
            try:
                self.device.set_driver_features(features & DEVICE_FEATURE_MASK)
            except FeatureError as exc:
                log.warning("%s: features %#x refused: %s", self.name, features, exc)
                self._features_refused = True
                return False
            self.host.set_features(features & DEVICE_FEATURE_MASK)
        self.features = features
        self._features_refused = False
        log.info(
            "%s: features %#x negotiated: %s rings, event index %s, device bits %#x",
            self.name, features, "packed" if self.packed else "split",
            "on" if features & VIRTIO_F_EVENT_IDX else "off", features & DEVICE_FEATURE_MASK,
        )  # fmt: skip
        if self.full and not features & F_PROTOCOL_FEATURES:
            for vring in self.vrings:  # no SET_VRING_ENABLE will come: every ring is enabled now
                vring.enabled = True
                self.host.serve(vring)
        return True

    def _set_protocol_features(self, msg: Message) -> bool:
        features = msg.u64()
        if features & ~self.offered_protocol:
            log.warning("%s: frontend set protocol features %#x that were not offered", self.name, features)
        self.protocol_features = ProtocolFeature(features & self.offered_protocol)
        if not self.full and not self.protocol_features & ProtocolFeature.CRYPTO_SESSION:
            log.warning("%s: CRYPTO_SESSION not negotiated: the guest cannot create sessions", self.name)
        log.info("%s: protocol features negotiated: %s", self.name, _flags(self.protocol_features))
        return True

    def _set_mem_table(self, msg: Message) -> bool:
        regions: list[MemoryRegion] = []
        descs = parse_mem_table(msg)
        try:
            for desc, fd in zip(descs, msg.fds, strict=True):
                regions.append(MemoryRegion(fd, desc.guest_addr, desc.size, desc.user_addr, desc.mmap_offset))
            memory = GuestMemory(regions)
        except (OSError, ValueError) as exc:
            for region in regions:
                region.close()
            log.error("%s: memory table refused: %s", self.name, exc)
            return False
        running = [v for v in self.vrings if v.running]
        for vring in running:
            vring.stop()
        old, self.memory = self.memory, memory
        old.close()
        self.host.set_memory(descs, msg.fds)
        log.info(
            "%s: guest memory: %s", self.name,
            ", ".join(f"{r.guest_addr:#x}+{r.size:#x}" for r in memory.regions),
        )  # fmt: skip
        for vring in running:
            self._start(vring)
        return True

    def _vring(self, index: int) -> Vring:
        if not 0 <= index < self.vring_count:
            raise ProtocolError(f"vring {index} does not exist ({self.vring_count} vrings)")
        return self.vrings[index]

    def _set_vring_num(self, msg: Message) -> bool:
        index, num = msg.vring_state()
        self._vring(index).size = num
        return True

    def _set_vring_addr(self, msg: Message) -> bool:
        msg.expect_size(VRING_ADDR.size)
        index, _flags, desc, used, avail, _log = VRING_ADDR.unpack(msg.payload)
        vring = self._vring(index)
        vring.addr = (desc, avail, used)
        if vring.running:  # new addresses for a running ring: restart it there
            vring.stop()
            self._start(vring)
        return True

    def _set_vring_base(self, msg: Message) -> bool:
        index, num = msg.vring_state()
        vring = self._vring(index)
        running = vring.running
        vring.stop()
        # Split: the next avail index (16 bits). Packed: the ring's own 32-bit encoding of both
        # indices and wrap counters, which only the packed queue interprets.
        vring.base = num if self.packed else num & _SPLIT_BASE_MASK
        if running:
            self._start(vring)
        return True

    def _get_vring_base(self, msg: Message) -> bytes:
        index, _num = msg.vring_state()
        vring = self._vring(index)
        vring.stop()
        vring.replace_fd("kick", None)  # stopped until the frontend hands a kick fd again
        base = self._base(vring)
        log.info("%s: vring %d stopped at base %#x", self.name, index, base)
        return reply(msg.request, VRING_STATE.pack(index, base))

    def _set_vring_fd(self, msg: Message, which: str) -> tuple[Vring, int | None]:
        """SET_VRING_KICK/CALL/ERR: install the fd (None: the NOFD bit is set) on its ring."""
        value = msg.u64()
        vring = self._vring(value & VRING_IDX_MASK)
        fd = None
        if not value & VRING_NOFD:
            if len(msg.fds) != 1:
                raise ProtocolError(f"{request_name(msg.request)}: {len(msg.fds)} fds, expected 1")
            fd = msg.fds.pop()
        vring.replace_fd(which, fd)
        return vring, fd

    def _set_vring_signal(self, msg: Message, which: str) -> bool:
        """SET_VRING_CALL/ERR: the new eventfd, also where the ring runs now."""
        vring, _fd = self._set_vring_fd(msg, which)
        self.host.fds_changed(vring)
        return True

    def _set_vring_kick(self, msg: Message) -> bool:
        vring, fd = self._set_vring_fd(msg, "kick")
        vring.stop()
        if fd is None:
            log.warning("%s: vring %d without a kick fd (polling) is not supported", self.name, vring.index)
            return False
        self._start(vring)
        return True

    def _set_vring_enable(self, msg: Message) -> bool:
        index, num = msg.vring_state()
        vring = self._vring(index)
        vring.enabled = bool(num)
        log.info("%s: vring %d %s", self.name, index, "enabled" if vring.enabled else "disabled")
        self.host.serve(vring)
        return True

    def _reset(self, msg: Message) -> bool:
        if self.full:
            self._reset_device()
            return True
        for vring in self.vrings:
            vring.close()
        self.vrings = [Vring(i, self.host) for i in range(self.vring_count)]
        self._reset_sessions()
        log.info("%s: device reset", self.name)
        return True

    def _reset_device(self) -> None:
        """RESET_DEVICE or SET_STATUS 0 in full mode: every ring stopped, sessions and features gone."""
        for vring in self.vrings:
            vring.reset(self._initially_enabled)
        self._reset_sessions()
        self.features = 0
        self.status = DeviceStatus(0)
        self._features_refused = False
        log.info("%s: device reset", self.name)

    def _reset_sessions(self) -> None:
        self.device.reset()
        self._session_ids.clear()
        self.host.reset()

    # --- full mode: config space and status -------------------------------------------------------

    def _get_config(self, msg: Message) -> bytes:
        """The config bytes asked for; an empty payload is the rst's answer to a bad request."""
        try:
            access = parse_config(msg.payload)
            data = self._config_range(access)
        except ValueError as exc:
            log.warning("%s: GET_CONFIG refused: %s", self.name, exc)
            return reply(msg.request, b"")
        return reply(msg.request, ConfigAccess(access.offset, access.size, access.flags, data).encode())

    def _set_config(self, msg: Message) -> bool:
        """The crypto config space is read-only for the driver. A migration destination may only
        restore what it already holds."""
        try:
            access = parse_config(msg.payload)
            current = self._config_range(access)
        except ValueError as exc:
            log.warning("%s: SET_CONFIG refused: %s", self.name, exc)
            return False
        if access.flags == CONFIG_F_MIGRATION and access.data == current:
            return True
        log.warning(
            "%s: SET_CONFIG of %d bytes at %d refused: the config space is read-only",
            self.name, access.size, access.offset,
        )  # fmt: skip
        return False

    def _config_range(self, access: ConfigAccess) -> bytes:
        space = self.device.config_space()
        if not access.size or access.offset + access.size > len(space):
            raise ValueError(f"{access.size} bytes at {access.offset} of a {len(space)}-byte config space")
        return space[access.offset : access.offset + access.size]

    def _set_status(self, msg: Message) -> bool:
        value = msg.u64()
        if value > 0xFF:
            log.warning("%s: device status %#x is not a status byte", self.name, value)
            return False
        if not value:
            self._reset_device()
            return True
        status = DeviceStatus(value)
        if status & DeviceStatus.FEATURES_OK and self._features_refused:
            # Virtio's way of refusing: the bit is not kept, the driver reads the status back and gives
            # up. The write itself is applied, so REPLY_ACK says success (SET_FEATURES already failed).
            status &= ~DeviceStatus.FEATURES_OK
            log.warning("%s: FEATURES_OK not kept: the driver's features were refused", self.name)
        if status != self.status:
            log.info("%s: device status %s", self.name, _flags(status))
        self.status = status
        return True

    # --- sessions ---------------------------------------------------------------------------------

    def _create_session(self, msg: Message) -> bytes:
        if not cs.is_create_layout(len(msg.payload)):
            raise ProtocolError(f"CREATE_CRYPTO_SESSION of {len(msg.payload)} bytes: unknown layout")
        if self.full:  # sessions belong to the control queue; the refusal keeps the stream in step
            log.warning("%s: CREATE_CRYPTO_SESSION refused: full mode has the control queue", self.name)
            return reply(msg.request, cs.encode_create_reply(msg.payload, cs.refusal_id(Status.NOTSUPP)))
        try:
            params = cs.decode_create(msg.payload)
            session_id = self.device.create_session(params)
        except (cs.SessionRequestError, DeviceError) as exc:
            session_id = cs.refusal_id(exc.status)
            log.warning("%s: session refused (%s): %s", self.name, exc.status.name, exc)
        except Exception:  # a bug of ours must not cost QEMU its reply
            session_id = cs.refusal_id(Status.ERR)
            log.exception("%s: internal error while creating a session", self.name)
        else:
            self.sessions += 1
            self._session_ids.add(session_id)
            self.host.session_created(session_id, params)  # before the reply: the guest may use it at once
            log.info("%s: session %d created: %s", self.name, session_id, _describe(params))
        return reply(msg.request, cs.encode_create_reply(msg.payload, session_id))

    def _close_session(self, msg: Message) -> bool:
        session_id = msg.u64()
        if self.full:
            log.warning("%s: CLOSE_CRYPTO_SESSION refused: full mode has the control queue", self.name)
            return False
        status = self.device.destroy_session(session_id)
        if status == Status.OK:
            self._session_ids.discard(session_id)
            self.host.session_destroyed(session_id)
            log.info("%s: session %d closed", self.name, session_id)
        else:
            log.warning("%s: close of unknown session %d", self.name, session_id)
        return status == Status.OK

    # --- rings ------------------------------------------------------------------------------------

    def kick_fds(self) -> dict[int, int]:
        """Kick eventfd → vring index, for every ring that can run."""
        return {v.kick: v.index for v in self.vrings if v.queue is not None and v.kick is not None}

    def kick(self, index: int) -> None:
        """The kick eventfd of vring ``index`` fired: clear it and run the ring."""
        vring = self.vrings[index]
        if vring.kick is None:
            return
        with contextlib.suppress(BlockingIOError):
            os.read(vring.kick, 8)
        self.host.serve(vring)

    def _start(self, vring: Vring) -> None:
        """Run the ring once it has everything, then serve what is already there."""
        if vring.kick is None or vring.addr is None or not vring.size or not len(self.memory):
            return
        try:
            self.host.start(vring, self.memory, self.packed, self._base(vring))
        except QueueError as exc:
            log.error("%s: vring %d cannot start: %s", self.name, vring.index, exc)
            return
        log.info(
            "%s: vring %d started: %s ring of %d, base %#x%s",
            self.name, vring.index, "packed" if self.packed else "split", vring.size, self._base(vring),
            "" if vring.enabled else ", disabled until SET_VRING_ENABLE",
        )  # fmt: skip
        self.host.serve(vring)

    def _base(self, vring: Vring) -> int:
        """The ring's vring base; without SET_VRING_BASE, a fresh ring's (split: avail index 0;
        packed: position 0, wrap counters 1)."""
        if vring.base is not None:
            return vring.base
        return FRESH_STATE if self.packed else 0

    def _answer(self, index: int, chain: Chain) -> int | None:
        """The used length for one chain; None when it cannot be answered at all."""
        if chain.error is None:
            if index == self.queues and self.full:
                return self._control(index, chain)
            return self.device.process(index, chain.readable, chain.writable)
        self._bad_chains += 1
        level = logging.WARNING if self._bad_chains <= BAD_CHAIN_WARNINGS else logging.DEBUG
        log.log(level, "%s: vring %d: bad descriptor chain %d: %s", self.name, index, chain.head, chain.error)
        return refuse_bad_chain(chain)

    def _control(self, index: int, chain: Chain) -> int:
        """A control-queue chain: the device answers it. Sessions are seen from the table, the one
        place the backend sees them in full mode: logged, and handed to the ring host before the
        chain is completed (the guest may use a session the moment it sees it created)."""
        table = self.device.sessions
        before = len(table)
        used = self.device.process(index, chain.readable, chain.writable)
        after = len(table)
        if after > before:
            live = table.by_id
            for session_id in [i for i in reversed(live) if i not in self._session_ids][: after - before]:
                self._session_ids.add(session_id)
                self.host.session_created(session_id, live[session_id].params)
            self.sessions += after - before
            log.info("%s: session created on the control queue (%d open)", self.name, after)
        elif after < before:
            for session_id in self._session_ids - table.by_id.keys():
                self._session_ids.discard(session_id)
                self.host.session_destroyed(session_id)
            log.info("%s: session destroyed on the control queue (%d open)", self.name, after)
        return used

    def close(self) -> None:
        """Release every fd and mapping of the connection (the ring host first: workers stop)."""
        self.host.close()
        for vring in self.vrings:
            vring.close()
        self.memory.close()


def _flags(value: ProtocolFeature | DeviceStatus) -> str:
    return "|".join(flag.name or "" for flag in type(value) if flag in value) or "none"


def _name(enum: type, value: int) -> str:
    try:
        return enum(value).name
    except ValueError:
        return str(value)


def _describe(params: SessionParams) -> str:
    """A session for the log: algorithm and direction, never key material."""
    if isinstance(params, CipherParams):
        return f"{_name(CipherAlgo, params.algo)} {_name(Direction, params.op)}"
    if isinstance(params, ChainParams):
        return (
            f"{_describe(params.cipher)} chained with {_name(HashMode, params.hash_mode)} "
            f"algorithm {params.auth.algo}"
        )
    if isinstance(params, AkcipherParams):
        return f"{_name(AkcipherAlgo, params.algo)} key type {params.key_type}"
    return type(params).__name__
