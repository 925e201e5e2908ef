"""One vhost-user connection: the message state machine and the rings it drives (sans-I/O).

``Backend.handle`` takes a decoded ``Message`` (its fds included) and returns the reply bytes, if
any; ``Backend.kick`` runs a ring after its kick eventfd fired. The socket and the poll loop live
in ``server.py``, so tests can drive this with plain messages.

What QEMU's cryptodev-vhost-user expects (shared/facts/qemu-vhost-user-crypto.md):

- Replies only to the GET_* requests, to CREATE_CRYPTO_SESSION (always, at the received size) and,
  once REPLY_ACK is negotiated, a u64 ack to any other request that sets NEED_REPLY.
  CLOSE_CRYPTO_SESSION is never answered otherwise: QEMU reads nothing after it.
- SET_VRING_ENABLE never comes for crypto, so a ring runs as soon as it has memory, size,
  addresses and a kick fd, although PROTOCOL_FEATURES is negotiated.
- vring ``i`` is the device's data queue ``i``; the control queue stays in QEMU, which forwards
  sessions as messages 26/27.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable

from ..device import CryptoDevice, DeviceError
from ..spec.constants import (
    VIRTIO_F_EVENT_IDX,
    VIRTIO_F_INDIRECT_DESC,
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
from ..virtio.split import QueueError, SplitQueue
from . import crypto_session as cs
from .protocol import (
    F_PROTOCOL_FEATURES,
    MAX_REGIONS,
    VRING_ADDR,
    VRING_IDX_MASK,
    VRING_NOFD,
    VRING_STATE,
    Message,
    ProtocolError,
    ProtocolFeature,
    Request,
    parse_mem_table,
    reply,
    reply_u64,
    request_name,
)

log = logging.getLogger(__name__)

FEATURES = F_PROTOCOL_FEATURES | VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX
# Not CONFIG (QEMU 7.2.0 crashes on it), not INBAND_NOTIFICATIONS (eventfds only).
PROTOCOL_FEATURES = ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION

# Requests whose frontend waits for a reply of their own: one we cannot give ends the connection.
_OWN_REPLY = frozenset(
    {
        Request.GET_CONFIG,
        Request.GET_INFLIGHT_FD,
        Request.POSTCOPY_ADVISE,
        Request.GET_STATUS,
    }
)
_BAD_CHAIN_WARNINGS = 10  # per connection, then they go to DEBUG: a guest must not flood the log


class Vring:
    """What the frontend told us about one ring, and the running queue once it can run."""

    __slots__ = (
        "addr", "base", "broken_reported", "call", "enabled", "err", "index", "kick", "queue", "size",
    )  # fmt: skip

    def __init__(self, index: int) -> None:
        self.index = index
        self.size = 0
        self.base = 0
        self.addr: tuple[int, int, int] | None = None  # desc, avail, used (frontend addresses)
        self.kick: int | None = None
        self.call: int | None = None
        self.err: int | None = None
        self.enabled = True
        self.queue: SplitQueue | None = None
        self.broken_reported = False

    def stop(self) -> None:
        """Stop the queue, remembering where the guest's avail ring is."""
        if self.queue is not None:
            self.base = self.queue.next_avail
            self.queue.release()
            self.queue = None

    def replace_fd(self, which: str, fd: int | None) -> None:
        """Install a new kick, call or err eventfd, closing the one it replaces."""
        old = getattr(self, which)
        if old is not None:
            os.close(old)
        setattr(self, which, fd)

    def close(self) -> None:
        self.stop()
        for which in ("kick", "call", "err"):
            self.replace_fd(which, None)


class Backend:
    """The backend side of one vhost-user connection, serving one virtio-crypto device."""

    def __init__(self, device: CryptoDevice, queues: int = 1, name: str = "vhost-user") -> None:
        self.device = device
        self.name = name
        self.queues = queues
        self.features = 0
        self.protocol_features = ProtocolFeature(0)
        self.memory = GuestMemory()
        self.vrings = [Vring(i) for i in range(queues)]
        self.sessions = 0
        self._bad_chains = 0
        # A handler returns its reply, or for requests without one whether it succeeded (the
        # REPLY_ACK outcome).
        self._handlers: dict[int, Callable[[Message], bytes | bool]] = {
            Request.GET_FEATURES: lambda m: reply_u64(m.request, FEATURES),
            Request.SET_FEATURES: self._set_features,
            Request.SET_OWNER: lambda m: True,
            Request.RESET_OWNER: self._reset,
            Request.SET_MEM_TABLE: self._set_mem_table,
            Request.SET_VRING_NUM: self._set_vring_num,
            Request.SET_VRING_ADDR: self._set_vring_addr,
            Request.SET_VRING_BASE: self._set_vring_base,
            Request.GET_VRING_BASE: self._get_vring_base,
            Request.SET_VRING_KICK: self._set_vring_kick,
            Request.SET_VRING_CALL: lambda m: bool(self._set_vring_fd(m, "call")),
            Request.SET_VRING_ERR: lambda m: bool(self._set_vring_fd(m, "err")),
            Request.GET_PROTOCOL_FEATURES: lambda m: reply_u64(m.request, PROTOCOL_FEATURES),
            Request.SET_PROTOCOL_FEATURES: self._set_protocol_features,
            Request.GET_QUEUE_NUM: lambda m: reply_u64(m.request, self.queues),
            Request.SET_VRING_ENABLE: self._set_vring_enable,
            Request.CREATE_CRYPTO_SESSION: self._create_session,
            Request.CLOSE_CRYPTO_SESSION: self._close_session,
            Request.RESET_DEVICE: self._reset,
            Request.GET_MAX_MEM_SLOTS: lambda m: reply_u64(m.request, MAX_REGIONS),
        }

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
        if features & ~FEATURES:
            log.warning("%s: features %#x were not offered", self.name, features & ~FEATURES)
            return False
        self.features = features
        return True

    def _set_protocol_features(self, msg: Message) -> bool:
        features = msg.u64()
        if features & ~PROTOCOL_FEATURES:
            log.warning("%s: frontend set protocol features %#x that were not offered", self.name, features)
        self.protocol_features = ProtocolFeature(features & PROTOCOL_FEATURES)
        if not self.protocol_features & ProtocolFeature.CRYPTO_SESSION:
            log.warning("%s: CRYPTO_SESSION not negotiated: the guest cannot create sessions", self.name)
        return True

    def _set_mem_table(self, msg: Message) -> bool:
        regions: list[MemoryRegion] = []
        try:
            for desc, fd in zip(parse_mem_table(msg), msg.fds, strict=True):
                regions.append(MemoryRegion(fd, desc.guest_addr, desc.size, desc.user_addr, desc.mmap_offset))
            memory = GuestMemory(regions)
        except (OSError, ValueError) as exc:
            for region in regions:
                region.close()
            log.error("%s: memory table refused: %s", self.name, exc)
            return False
        running = [v for v in self.vrings if v.queue is not None]
        for vring in running:
            vring.stop()
        old, self.memory = self.memory, memory
        old.close()
        log.info(
            "%s: guest memory: %s", self.name,
            ", ".join(f"{r.guest_addr:#x}+{r.size:#x}" for r in memory.regions),
        )  # fmt: skip
        for vring in running:
            self._start(vring)
        return True

    def _vring(self, index: int) -> Vring:
        if not 0 <= index < self.queues:
            raise ProtocolError(f"vring {index} does not exist (queues={self.queues})")
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
        if vring.queue is not None:  # new addresses for a running ring: restart it there
            vring.stop()
            self._start(vring)
        return True

    def _set_vring_base(self, msg: Message) -> bool:
        index, num = msg.vring_state()
        vring = self._vring(index)
        vring.base = num & 0xFFFF
        if vring.queue is not None:
            vring.queue.next_avail = vring.base
        return True

    def _get_vring_base(self, msg: Message) -> bytes:
        index, _num = msg.vring_state()
        vring = self._vring(index)
        vring.stop()
        vring.replace_fd("kick", None)  # stopped until the frontend hands a kick fd again
        log.info("%s: vring %d stopped at avail index %d", self.name, index, vring.base)
        return reply(msg.request, VRING_STATE.pack(index, vring.base))

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
        if vring.enabled:
            self._run(vring)
        return True

    def _reset(self, msg: Message) -> bool:
        for vring in self.vrings:
            vring.close()
        self.vrings = [Vring(i) for i in range(self.queues)]
        self.device.reset()
        log.info("%s: device reset", self.name)
        return True

    # --- sessions ---------------------------------------------------------------------------------

    def _create_session(self, msg: Message) -> bytes:
        if not cs.is_create_layout(len(msg.payload)):
            raise ProtocolError(f"CREATE_CRYPTO_SESSION of {len(msg.payload)} bytes: unknown layout")
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
            log.info("%s: session %d created: %s", self.name, session_id, _describe(params))
        return reply(msg.request, cs.encode_create_reply(msg.payload, session_id))

    def _close_session(self, msg: Message) -> bool:
        session_id = msg.u64()
        status = self.device.destroy_session(session_id)
        if status == Status.OK:
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
        self._run(vring)

    def _start(self, vring: Vring) -> None:
        """Build the queue once the ring has everything, then serve what is already there."""
        if vring.kick is None or vring.addr is None or not vring.size or not len(self.memory):
            return
        try:
            vring.queue = SplitQueue(self.memory, vring.size, *vring.addr, next_avail=vring.base)
        except QueueError as exc:
            log.error("%s: vring %d cannot start: %s", self.name, vring.index, exc)
            return
        vring.broken_reported = False
        log.info(
            "%s: vring %d started: size %d, avail index %d, used index %d",
            self.name, vring.index, vring.size, vring.base, vring.queue.next_used,
        )  # fmt: skip
        self._run(vring)

    def _run(self, vring: Vring) -> None:
        queue = vring.queue
        if queue is None or not vring.enabled:
            return
        queue.process(lambda chain: self._answer(vring.index, chain), lambda: _signal(vring.call))
        if queue.broken and not vring.broken_reported:
            vring.broken_reported = True
            log.error("%s: vring %d stopped: %s", self.name, vring.index, queue.broken)
            _signal(vring.err)

    def _answer(self, index: int, chain: Chain) -> int | None:
        """The used length for one chain; None when it cannot be answered at all."""
        if chain.error is None:
            return self.device.process(index, chain.readable, chain.writable)
        self._bad_chains += 1
        level = logging.WARNING if self._bad_chains <= _BAD_CHAIN_WARNINGS else logging.DEBUG
        log.log(level, "%s: vring %d: bad descriptor chain %d: %s", self.name, index, chain.head, chain.error)
        status = chain.status_byte
        if status is None:
            return None
        status[0] = Status.ERR
        return 1

    def close(self) -> None:
        """Release every fd and mapping of the connection."""
        for vring in self.vrings:
            vring.close()
        self.memory.close()


def _signal(fd: int | None) -> None:
    if fd is None:
        return
    try:
        os.eventfd_write(fd, 1)
    except OSError as exc:  # a counter at its maximum, or a closed fd: the guest polls on
        log.debug("eventfd %d not signalled: %s", fd, exc)


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
