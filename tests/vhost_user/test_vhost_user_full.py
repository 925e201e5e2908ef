"""The backend as the whole virtio-crypto device (``Mode.FULL``), driven sans-I/O.

Messages go straight into ``Backend.handle``; rings are laid out in ``GuestRam`` by a driver-side
split ring (``MockSplitQueue``) or a small packed-ring driver written here from the virtio spec, and
requests are built by ``CryptoDriver`` exactly as a guest builds them. Results are checked against
NIST CAVP AES-CBC vectors and against the spec's layout of ``struct virtio_crypto_config``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence

import pytest

from tests import vectors
from vcrypto.device import CryptoDevice, DeviceConfig, FeatureError
from vcrypto.driver.driver import CryptoDriver, StatusError
from vcrypto.spec.buffers import Buffer
from vcrypto.spec.config import CONFIG_SIZE, CryptoConfig
from vcrypto.spec.constants import ALL_STATELESS, CipherAlgo, Direction, Feature, Service, Status
from vcrypto.spec.params import CipherParams
from vcrypto.vhost_user import crypto_session as cs
from vcrypto.vhost_user.backend import Backend
from vcrypto.vhost_user.protocol import (
    CONFIG_HEADER,
    HEADER,
    MEMORY_HEADER,
    MEMORY_REGION,
    NEED_REPLY,
    REPLY,
    U64,
    VERSION,
    VRING_ADDR,
    VRING_STATE,
    Message,
    Mode,
    ProtocolError,
    ProtocolFeature,
    Request,
)
from vcrypto.virtio.chain import F_NEXT, F_WRITE
from vcrypto.virtio.mock import MockSplitQueue
from vcrypto.virtio.ram import GuestRam

from .frontend import FakeDevice

# Bit numbers from the virtio spec (6, "Reserved Feature Bits") and vhost-user.rst, not from our code.
F_INDIRECT_DESC = 1 << 28
F_EVENT_IDX = 1 << 29
F_PROTOCOL = 1 << 30
F_VERSION_1 = 1 << 32
F_RING_PACKED = 1 << 34
S_ACKNOWLEDGE, S_DRIVER, S_DRIVER_OK, S_FEATURES_OK = 1, 2, 4, 8
CONFIG_MIGRATION = 1

AES_CBC = [c for c in vectors.cipher_cases() if c.algo == CipherAlgo.AES_CBC and "MMT" in c.source]
ALL_DEVICE_BITS = Feature.REVISION_1 | ALL_STATELESS


# --------------------------------------------------------------------------------------------------
# Driver-side rings


class PackedDriver:
    """The driver's half of a packed ring (virtio 1.2, 2.8), just enough to post chains and reap them:
    an available descriptor has AVAIL = the driver's wrap counter and USED = its inverse; the device
    answers a chain with one descriptor where the chain began, AVAIL = USED = its own wrap counter."""

    DESC = struct.Struct("<QIHH")  # addr, len, id, flags
    AVAIL, USED = 1 << 7, 1 << 15

    def __init__(self, ram: GuestRam, size: int = 16) -> None:
        self.ram = ram
        self.size = size
        self.desc = ram.alloc(16 * size, 16)
        self.driver_area = ram.alloc(4, 4)
        self.device_area = ram.alloc(4, 4)
        self.position = 0  # next descriptor to make available
        self.wrap = 1
        self.used_position = 0
        self.used_wrap = 1
        self.pending: list[int] = []  # chain lengths in flight, oldest first
        self.next_id = 0

    @property
    def addresses(self) -> tuple[int, int, int]:
        return tuple(self.ram.user(a) for a in (self.desc, self.driver_area, self.device_area))

    def add_chain(
        self, readable: Sequence[Buffer], writable: Sequence[int], *, indirect: bool = False
    ) -> tuple[int, list[tuple[int, int]]]:
        assert not indirect
        buffers = [(self.ram.put(bytes(data)), len(data), 0) for data in readable]
        out = [(self.ram.alloc(size), size) for size in writable]
        buffers += [(addr, size, F_WRITE) for addr, size in out]
        buffer_id, self.next_id = self.next_id, (self.next_id + 1) % self.size
        first_flags = 0
        head_at = self.position
        for i, (addr, size, flags) in enumerate(buffers):
            flags |= F_NEXT if i + 1 < len(buffers) else 0
            flags |= self.AVAIL if self.wrap else self.USED
            if i == 0:
                first_flags = flags  # written last: it publishes the whole chain
                self.ram.write(self.desc + 16 * self.position, self.DESC.pack(addr, size, buffer_id, 0))
            else:
                self.ram.write(self.desc + 16 * self.position, self.DESC.pack(addr, size, buffer_id, flags))
            self.position += 1
            if self.position == self.size:
                self.position, self.wrap = 0, self.wrap ^ 1
        self.ram.write(self.desc + 16 * head_at + 14, struct.pack("<H", first_flags))
        self.pending.append(len(buffers))
        return buffer_id, out

    def take_used(self) -> list[tuple[int, int]]:
        done = []
        while self.pending:
            _addr, length, buffer_id, flags = self.DESC.unpack(
                self.ram.read(self.desc + 16 * self.used_position, 16)
            )
            want = (self.AVAIL | self.USED) if self.used_wrap else 0
            if flags & (self.AVAIL | self.USED) != want:
                break
            done.append((buffer_id, length))
            self.used_position += self.pending.pop(0)
            if self.used_position >= self.size:
                self.used_position -= self.size
                self.used_wrap ^= 1
        return done


# --------------------------------------------------------------------------------------------------
# The frontend's side, sans-I/O


class Wire:
    """A frontend talking to one ``Backend`` through ``handle``, with guest RAM and eventfds."""

    def __init__(self, device, queues: int = 1, mode: Mode = Mode.FULL) -> None:
        self.device = device
        self.backend = Backend(device, queues, "test", mode)
        self.ram = GuestRam(1 << 20)
        self.rings: dict[int, MockSplitQueue | PackedDriver] = {}
        self.calls: dict[int, int] = {}
        self.kicks: dict[int, int] = {}
        self.mapped = False

    def close(self) -> None:
        self.backend.close()
        for fd in [*self.calls.values(), *self.kicks.values()]:
            os.close(fd)
        self.ram.close()

    def send(
        self, request: int, payload: bytes = b"", fds: Sequence[int] = (), ack: bool = True
    ) -> bytes | None:
        flags = VERSION | (NEED_REPLY if ack else 0)
        return self.backend.handle(Message(request, flags, payload, list(fds)))

    def body(self, request: int, payload: bytes = b"", **kw) -> bytes:
        """The reply's payload, checked as QEMU checks a reply's header."""
        answer = self.send(request, payload, **kw)
        assert answer is not None
        code, flags, size = HEADER.unpack_from(answer)
        assert (code, flags, size) == (request, VERSION | REPLY, len(answer) - HEADER.size)
        return answer[HEADER.size :]

    def u64(self, request: int, payload: bytes = b"", **kw) -> int:
        body = self.body(request, payload, **kw)
        assert len(body) == 8
        return U64.unpack(body)[0]

    def negotiate_protocol(self) -> None:
        """Every protocol feature offered, REPLY_ACK included (so every request here is answered)."""
        offered = self.u64(Request.GET_PROTOCOL_FEATURES)
        assert self.send(Request.SET_PROTOCOL_FEATURES, U64.pack(offered), ack=False) is None

    def handshake(self, features: int = F_PROTOCOL | F_VERSION_1) -> int:
        """What a generic frontend sends first; returns SET_FEATURES' REPLY_ACK outcome."""
        self.negotiate_protocol()
        self.send(Request.SET_OWNER)
        return self.u64(Request.SET_FEATURES, U64.pack(features))

    def map_memory(self) -> None:
        payload = MEMORY_HEADER.pack(1, 0) + MEMORY_REGION.pack(
            self.ram.guest_base, self.ram.size, self.ram.user_base, 0
        )
        assert self.u64(Request.SET_MEM_TABLE, payload, fds=[os.dup(self.ram.fd)]) == 0
        self.mapped = True

    def start(self, index: int, packed: bool = False, base: int | None = None, enable: bool = True) -> None:
        """vhost_dev_start for one ring: memory, size, base, addresses, kick and call fds, enable."""
        if not self.mapped:
            self.map_memory()
        ring = self.rings.get(index) or (PackedDriver(self.ram) if packed else MockSplitQueue(self.ram, 16))
        self.rings[index] = ring
        assert self.u64(Request.SET_VRING_NUM, VRING_STATE.pack(index, ring.size)) == 0
        if base is not None:
            assert self.u64(Request.SET_VRING_BASE, VRING_STATE.pack(index, base)) == 0
        desc, driver, device = ring.addresses
        assert self.u64(Request.SET_VRING_ADDR, VRING_ADDR.pack(index, 0, desc, device, driver, 0)) == 0
        self._fd(Request.SET_VRING_CALL, index, self.calls)
        self._fd(Request.SET_VRING_KICK, index, self.kicks)
        if enable:
            self.enable(index)

    def _fd(self, request: int, index: int, table: dict[int, int]) -> None:
        fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        if index in table:
            os.close(table[index])
        table[index] = fd
        assert self.u64(request, U64.pack(index), fds=[os.dup(fd)]) == 0

    def enable(self, index: int, on: bool = True) -> None:
        assert self.u64(Request.SET_VRING_ENABLE, VRING_STATE.pack(index, int(on))) == 0

    def kick(self, index: int) -> None:
        """The guest's notification, then the poll loop's call into the backend."""
        os.eventfd_write(self.kicks[index], 1)
        self.backend.kick(index)

    def called(self, index: int) -> bool:
        try:
            return os.eventfd_read(self.calls[index]) > 0
        except BlockingIOError:
            return False

    def status(self) -> int:
        return self.u64(Request.GET_STATUS)

    def get_config(self, offset: int, size: int, flags: int = 0) -> bytes:
        return self.body(Request.GET_CONFIG, CONFIG_HEADER.pack(offset, size, flags) + bytes(size))


class RingChannel:
    """``vcrypto.driver.Channel`` over the backend's vrings: what a guest driver sees of the device."""

    def __init__(self, wire: Wire, packed: bool = False) -> None:
        self.wire = wire
        self.packed = packed

    def negotiate(self, features: int) -> None:
        ring = F_RING_PACKED if self.packed else 0
        if self.wire.handshake(F_PROTOCOL | F_VERSION_1 | F_EVENT_IDX | ring | features):
            raise FeatureError(f"features {features:#x} refused")
        status = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK
        assert self.wire.u64(Request.SET_STATUS, U64.pack(status)) == 0
        for index in range(self.num_queues):
            self.wire.start(index, self.packed)
        assert self.wire.u64(Request.SET_STATUS, U64.pack(status | S_DRIVER_OK)) == 0

    def read_config(self) -> bytes:
        body = self.wire.get_config(0, CONFIG_SIZE)
        offset, size, _flags = CONFIG_HEADER.unpack_from(body)
        assert (offset, size) == (0, CONFIG_SIZE)
        return body[CONFIG_HEADER.size :]

    @property
    def num_queues(self) -> int:
        return self.wire.u64(Request.GET_QUEUE_NUM)

    def submit(
        self, queue: int, readable: Sequence[Buffer], writable_sizes: Sequence[int]
    ) -> tuple[bytes, int]:
        ring = self.wire.rings[queue]
        head, out = ring.add_chain(readable, writable_sizes)
        self.wire.kick(queue)
        assert self.wire.called(queue)
        [(used_id, used)] = ring.take_used()
        assert used_id == head
        return b"".join(self.wire.ram.read(addr, size) for addr, size in out), used


@pytest.fixture
def wires():
    made: list[Wire] = []

    def make(device=None, queues: int = 1, mode: Mode = Mode.FULL) -> Wire:
        wire = Wire(device or CryptoDevice(DeviceConfig(max_dataqueues=queues)), queues, mode)
        made.append(wire)
        return wire

    yield make
    for wire in made:
        wire.close()


# --------------------------------------------------------------------------------------------------
# Features


def test_offers_the_transport_bits_and_the_devices_own(wires):
    wire = wires(queues=2)
    offered = wire.u64(Request.GET_FEATURES)
    transport = F_PROTOCOL | F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX | F_RING_PACKED
    assert offered == transport | 0b111111  # REVISION_1 and the five stateless bits (virtio-crypto 5.9.3)
    protocol = wire.u64(Request.GET_PROTOCOL_FEATURES)
    assert protocol == (1 << 0) | (1 << 3) | (1 << 9) | (1 << 13) | (
        1 << 16
    )  # MQ REPLY_ACK CONFIG RESET STATUS
    assert not protocol & ProtocolFeature.CRYPTO_SESSION
    assert wire.u64(Request.GET_QUEUE_NUM) == 3  # two data queues and the control queue


def test_device_bits_reach_the_device(wires):
    wire = wires()
    chosen = F_PROTOCOL | F_VERSION_1 | F_EVENT_IDX | Feature.REVISION_1 | Feature.CIPHER_STATELESS_MODE
    assert wire.handshake(chosen) == 0
    assert wire.device.driver_features == Feature.REVISION_1 | Feature.CIPHER_STATELESS_MODE
    assert wire.backend.features == chosen


@pytest.mark.parametrize(
    ("features", "why"),
    [
        (F_PROTOCOL | F_VERSION_1 | (1 << 26), "LOG_ALL was not offered"),
        (F_PROTOCOL | F_VERSION_1 | (1 << 40), "an unknown transport bit"),
        (F_PROTOCOL | F_VERSION_1 | Feature.CIPHER_STATELESS_MODE, "stateless without REVISION_1"),
    ],
)
def test_refused_feature_sets_fail_and_features_ok_is_not_kept(wires, features, why):
    wire = wires()
    assert wire.handshake(features) == 1, why
    assert wire.device.driver_features == 0
    asked = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK
    assert wire.u64(Request.SET_STATUS, U64.pack(asked)) == 0  # applied, without FEATURES_OK:
    assert wire.status() == S_ACKNOWLEDGE | S_DRIVER  # the driver reads it back and gives up
    # A driver that tries again with a set the device takes gets FEATURES_OK.
    assert wire.u64(Request.SET_FEATURES, U64.pack(F_PROTOCOL | F_VERSION_1 | Feature.REVISION_1)) == 0
    assert wire.u64(Request.SET_STATUS, U64.pack(asked)) == 0
    assert wire.status() == asked


def test_status_is_kept_and_bad_values_refused(wires):
    wire = wires()
    wire.handshake()
    assert wire.status() == 0
    for status in (
        S_ACKNOWLEDGE,
        S_ACKNOWLEDGE | S_DRIVER,
        S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK,
    ):
        assert wire.u64(Request.SET_STATUS, U64.pack(status)) == 0
        assert wire.status() == status
    assert wire.u64(Request.SET_STATUS, U64.pack(0x100)) == 1  # not a status byte
    assert wire.status() == S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK


# --------------------------------------------------------------------------------------------------
# Config space


def test_get_config_is_the_device_config_space(wires):
    wire = wires(queues=2)
    body = wire.get_config(0, CONFIG_SIZE)
    assert CONFIG_HEADER.unpack_from(body) == (0, CONFIG_SIZE, 0)
    space = body[CONFIG_HEADER.size :]
    assert space == wire.device.config_space()
    # struct virtio_crypto_config (virtio-crypto 5.9.4): status, max_dataqueues, ..., max_size (u64 at 48)
    assert struct.unpack_from("<II", space) == (1, 2)  # VIRTIO_CRYPTO_S_HW_READY, two data queues
    assert struct.unpack_from("<Q", space, 48)[0] == DeviceConfig().max_size
    config = CryptoConfig.decode(space)
    assert config.crypto_services == 0b11111  # CIPHER, HASH, MAC, AEAD, AKCIPHER: bits 0-4


@pytest.mark.parametrize(("offset", "size"), [(4, 4), (0, 1), (48, 8), (55, 1), (12, 20)])
def test_get_config_partial_ranges(wires, offset, size):
    wire = wires(queues=3)
    body = wire.get_config(offset, size, flags=0)
    assert CONFIG_HEADER.unpack_from(body) == (offset, size, 0)
    assert body[CONFIG_HEADER.size :] == wire.device.config_space()[offset : offset + size]
    if (offset, size) == (4, 4):
        assert body[CONFIG_HEADER.size :] == (3).to_bytes(4, "little")


@pytest.mark.parametrize(
    "payload",
    [
        CONFIG_HEADER.pack(50, 8, 0) + bytes(8),  # past the end
        CONFIG_HEADER.pack(56, 1, 0) + bytes(1),
        CONFIG_HEADER.pack(0xFFFF_FFFF, 2, 0) + bytes(2),
        CONFIG_HEADER.pack(0, 0, 0),  # nothing to read
        CONFIG_HEADER.pack(0, 8, 0) + bytes(4),  # size and payload disagree
        bytes(6),  # shorter than the header
    ],
)
def test_bad_get_config_gets_an_empty_payload(wires, payload):
    wire = wires()
    assert wire.body(Request.GET_CONFIG, payload) == b""  # vhost-user.rst: zero length is the error
    assert wire.u64(Request.GET_QUEUE_NUM) == 2  # and the connection goes on


def test_set_config_is_refused(wires):
    wire = wires()
    wire.negotiate_protocol()
    before = wire.device.config_space()
    write = CONFIG_HEADER.pack(4, 4, 0) + (7).to_bytes(4, "little")
    assert wire.u64(Request.SET_CONFIG, write) == 1
    migration = CONFIG_HEADER.pack(4, 4, CONFIG_MIGRATION) + (7).to_bytes(4, "little")
    assert wire.u64(Request.SET_CONFIG, migration) == 1
    assert wire.u64(Request.SET_CONFIG, CONFIG_HEADER.pack(60, 4, 0) + bytes(4)) == 1
    assert wire.device.config_space() == before
    assert wire.get_config(4, 4)[CONFIG_HEADER.size :] == (1).to_bytes(4, "little")
    # A migration destination restoring the very bytes the device holds is not an error.
    same = CONFIG_HEADER.pack(0, CONFIG_SIZE, CONFIG_MIGRATION) + before
    assert wire.u64(Request.SET_CONFIG, same) == 0


# --------------------------------------------------------------------------------------------------
# The control queue and the data queues through vrings


@pytest.mark.parametrize("packed", [False, True], ids=["split", "packed"])
@pytest.mark.parametrize("features", [ALL_DEVICE_BITS, 0], ids=["revision1", "legacy"])
def test_session_data_and_destroy_through_the_vrings(wires, packed, features):
    wire = wires(queues=2)
    driver = CryptoDriver(RingChannel(wire, packed), features)
    assert wire.status() == S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK
    assert driver.control_queue == 2 and driver.config.max_dataqueues == 2
    cases = AES_CBC[:: len(AES_CBC) // 5]
    for case in cases:
        session = driver.create_session(CipherParams(CipherAlgo.AES_CBC, case.key, Direction.ENCRYPT))
        assert driver.encrypt(session, case.iv, case.plaintext) == case.ciphertext, case.source
        driver.destroy_session(Service.CIPHER, session)
        with pytest.raises(StatusError) as refused:
            driver.encrypt(session, case.iv, case.plaintext)
        assert refused.value.status == Status.INVSESS
    assert len(wire.device.sessions) == 0
    assert wire.backend.sessions == len(cases)  # counted as the control queue created them


def test_stateless_request_and_second_data_queue(wires):
    wire = wires(queues=2)
    driver = CryptoDriver(RingChannel(wire), ALL_DEVICE_BITS)
    case = AES_CBC[-1]
    params = CipherParams(CipherAlgo.AES_CBC, case.key, Direction.ENCRYPT)
    driver.data_queue = 1
    assert driver.encrypt(params, case.iv, case.plaintext) == case.ciphertext
    assert wire.rings[0].take_used() == []  # data queue 0 saw nothing


# --------------------------------------------------------------------------------------------------
# Ring states


def test_rings_are_disabled_until_set_vring_enable(wires):
    wire = wires()
    assert wire.handshake() == 0  # PROTOCOL_FEATURES negotiated: rings start disabled
    wire.start(0, enable=False)
    ring = wire.rings[0]
    head, out = ring.add_chain([b"x" * 8], [1])
    wire.kick(0)
    assert ring.take_used() == [] and not wire.called(0)
    wire.enable(0)  # enabling serves what is already there
    assert ring.take_used() == [(head, 1)] and wire.called(0)
    assert wire.ram.read(out[0][0], 1) == bytes([Status.ERR])  # 8 bytes are no request
    wire.enable(0, on=False)
    ring.add_chain([b"y" * 8], [1])
    wire.kick(0)
    assert ring.take_used() == []


def test_set_features_without_protocol_features_enables_every_ring(wires):
    wire = wires()
    wire.negotiate_protocol()
    wire.start(0, enable=False)
    head, _ = wire.rings[0].add_chain([b"x" * 8], [1])
    wire.kick(0)
    assert wire.rings[0].take_used() == []
    assert wire.u64(Request.SET_FEATURES, U64.pack(F_VERSION_1)) == 0  # legacy frontend: no ENABLE comes
    assert wire.rings[0].take_used() == [(head, 1)]


def _running_session(wire: Wire) -> int:
    driver = CryptoDriver(RingChannel(wire), ALL_DEVICE_BITS)
    case = AES_CBC[0]
    session = driver.create_session(CipherParams(CipherAlgo.AES_CBC, case.key, Direction.ENCRYPT))
    assert driver.encrypt(session, case.iv, case.plaintext) == case.ciphertext
    return session


@pytest.mark.parametrize(
    "reset",
    [(Request.RESET_DEVICE, b""), (Request.SET_STATUS, U64.pack(0))],
    ids=["RESET_DEVICE", "SET_STATUS-0"],
)
def test_device_reset_stops_rings_and_forgets_features_and_sessions(wires, reset):
    wire = wires()
    _running_session(wire)
    assert len(wire.device.sessions) == 1
    assert wire.u64(*reset) == 0
    assert len(wire.device.sessions) == 0
    assert wire.device.driver_features == 0 and wire.backend.features == 0
    assert wire.status() == 0
    assert wire.backend.kick_fds() == {}  # every ring stopped
    ring = wire.rings[1]
    ring.add_chain([b"x" * 8], [1])
    wire.backend.kick(1)
    assert ring.take_used() == []
    # The driver starts over on the same connection (same RAM, new rings) and the device works again.
    wire.rings.clear()
    _running_session(wire)
    assert len(wire.device.sessions) == 1


def test_get_vring_base_stops_and_set_vring_base_restarts_split(wires):
    wire = wires()
    wire.handshake()
    wire.start(0)
    ring = wire.rings[0]
    heads = [ring.add_chain([b"x"], [1])[0] for _ in range(3)]
    wire.kick(0)
    assert [h for h, _ in ring.take_used()] == heads
    assert VRING_STATE.unpack(wire.body(Request.GET_VRING_BASE, VRING_STATE.pack(0, 0))) == (0, 3)
    later = ring.add_chain([b"y"], [1])[0]
    wire.backend.kick(0)
    assert ring.take_used() == []  # stopped
    wire.start(0, base=3)
    assert ring.take_used() == [(later, 1)]
    assert VRING_STATE.unpack(wire.body(Request.GET_VRING_BASE, VRING_STATE.pack(0, 0))) == (0, 4)


def packed_base(position: int, wrap: int) -> int:
    """vhost-user's packed vring base as QEMU encodes it: avail index and wrap counter in the low
    half (bit 15 = wrap), the used pair in the high half; both equal when nothing is in flight."""
    half = position | wrap << 15
    return half | half << 16


def test_get_vring_base_and_restart_packed(wires):
    wire = wires()
    assert wire.handshake(F_PROTOCOL | F_VERSION_1 | F_RING_PACKED) == 0
    wire.start(0, packed=True, base=packed_base(0, 1))
    ring = wire.rings[0]
    assert isinstance(ring, PackedDriver)
    for _ in range(3):
        ring.add_chain([b"x" * 4], [1])
    wire.kick(0)
    assert len(ring.take_used()) == 3
    base = VRING_STATE.unpack(wire.body(Request.GET_VRING_BASE, VRING_STATE.pack(0, 0)))[1]
    assert base == packed_base(6, 1)  # three chains of two descriptors
    # SET_VRING_BASE keeps all 32 bits for a packed ring (a split ring's base is 16 bits).
    assert wire.u64(Request.SET_VRING_BASE, VRING_STATE.pack(0, base)) == 0
    assert wire.backend.vrings[0].base == base
    later, _ = ring.add_chain([b"y" * 4], [1])
    wire.start(0, packed=True, base=base)
    assert ring.take_used() == [(later, 1)]
    # Around the ring: the wrap counter flips and the base says so.
    for _ in range(6):
        ring.add_chain([b"z" * 4], [1])
        wire.kick(0)
        assert len(ring.take_used()) == 1
    base = VRING_STATE.unpack(wire.body(Request.GET_VRING_BASE, VRING_STATE.pack(0, 0)))[1]
    assert base == packed_base((6 + 2 + 12) % 16, 0)


def test_packed_ring_without_set_vring_base_starts_fresh(wires):
    wire = wires()
    wire.handshake(F_PROTOCOL | F_VERSION_1 | F_RING_PACKED)
    wire.start(0, packed=True)
    wire.rings[0].add_chain([b"x" * 4], [1])
    wire.kick(0)
    assert len(wire.rings[0].take_used()) == 1


def test_vring_past_the_control_queue_is_a_protocol_error(wires):
    wire = wires(queues=2)
    wire.send(Request.SET_VRING_NUM, VRING_STATE.pack(2, 16))  # the control queue exists
    with pytest.raises(ProtocolError):
        wire.send(Request.SET_VRING_NUM, VRING_STATE.pack(3, 16))


# --------------------------------------------------------------------------------------------------
# Session messages, construction, and the cryptodev mode next to it


@pytest.mark.parametrize("layout", [cs.SIZE_632, cs.SIZE_1072])
def test_session_messages_are_refused_in_full_mode(wires, layout):
    wire = wires()
    wire.handshake()
    params = CipherParams(CipherAlgo.AES_CBC, bytes(16), Direction.ENCRYPT)
    body = wire.body(Request.CREATE_CRYPTO_SESSION, cs.encode_create(params, layout), ack=False)
    assert len(body) == layout
    assert cs.session_id_of(body) == -Status.NOTSUPP
    assert wire.u64(Request.CLOSE_CRYPTO_SESSION, U64.pack(1)) == 1
    assert wire.send(Request.CLOSE_CRYPTO_SESSION, U64.pack(1), ack=False) is None
    assert len(wire.device.sessions) == 0


def test_full_mode_needs_the_devices_queue_count():
    with pytest.raises(ValueError, match="data queues"):
        Backend(CryptoDevice(DeviceConfig(max_dataqueues=2)), 1, "test", Mode.FULL)


def test_cryptodev_mode_keeps_its_protocol(wires):
    wire = wires(FakeDevice(), queues=1, mode=Mode.CRYPTODEV)
    offered = wire.u64(Request.GET_FEATURES)
    assert offered == F_PROTOCOL | F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX | F_RING_PACKED
    protocol = wire.u64(Request.GET_PROTOCOL_FEATURES)
    assert protocol == ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION
    assert wire.u64(Request.GET_QUEUE_NUM) == 1
    for request in (Request.GET_CONFIG, Request.GET_STATUS):
        with pytest.raises(ProtocolError):
            wire.send(
                request, CONFIG_HEADER.pack(0, 4, 0) + bytes(4) if request == Request.GET_CONFIG else b""
            )
    wire.send(Request.SET_PROTOCOL_FEATURES, U64.pack(protocol), ack=False)
    wire.send(Request.SET_FEATURES, U64.pack(F_PROTOCOL), ack=False)  # QEMU 7.2: bit 30 only
    wire.start(0, enable=False)  # no SET_VRING_ENABLE: the ring runs anyway
    head, _ = wire.rings[0].add_chain([b"q" * 8], [1])
    wire.kick(0)
    assert wire.rings[0].take_used() == [(head, 1)]
    params = CipherParams(CipherAlgo.AES_CBC, bytes(16), Direction.ENCRYPT)
    body = wire.body(Request.CREATE_CRYPTO_SESSION, cs.encode_create(params, cs.SIZE_632), ack=False)
    assert cs.session_id_of(body) == 1


def test_cryptodev_mode_serves_packed_rings_when_the_frontend_sets_the_bit(wires):
    device = FakeDevice()
    wire = wires(device, mode=Mode.CRYPTODEV)
    wire.send(Request.SET_PROTOCOL_FEATURES, U64.pack(ProtocolFeature.REPLY_ACK), ack=False)
    assert wire.u64(Request.SET_FEATURES, U64.pack(F_PROTOCOL | F_VERSION_1 | F_RING_PACKED)) == 0
    wire.start(0, packed=True, enable=False)
    wire.rings[0].add_chain([b"H" * 72, b"I" * 16], [32, 1])
    wire.kick(0)
    assert len(wire.rings[0].take_used()) == 1
    assert device.processed == [(0, b"H" * 72 + b"I" * 16, [32, 1])]
