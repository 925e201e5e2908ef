"""The Python vhost-user frontend: its split driver queue, the handshake in both modes against our
``Server``, requests through split and packed rings, refusals, timeouts, raw chains, pipelines.

Known answers are NIST SP 800-38A F.2.1/F.2.2 (CBC-AES128), written out below.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

import pytest

from vcrypto.device.errors import FeatureError
from vcrypto.driver import CryptoDriver, StatusError
from vcrypto.spec import encode
from vcrypto.spec.config import CryptoConfig
from vcrypto.spec.constants import (
    ALL_STATELESS,
    AeadAlgo,
    AkcipherKeyType,
    CipherAlgo,
    Direction,
    Feature,
    HashAlgo,
    MacAlgo,
    Opcode,
    Service,
    Status,
)
from vcrypto.spec.params import AeadParams, AkcipherParams, CipherParams, HashParams, MacParams
from vcrypto.vhost_user import crypto_session as cs
from vcrypto.vhost_user.frontend import Frontend, FrontendError, QueueStopped, qemu_config
from vcrypto.vhost_user.protocol import HEADER, Mode, ProtocolFeature
from vcrypto.virtio.chain import DESC, F_NEXT, F_WRITE
from vcrypto.virtio.queue import QueueFull
from vcrypto.virtio.ram import GuestRam
from vcrypto.virtio.split import SplitQueue
from vcrypto.virtio.split_driver import RING_HEADER, U16, USED_ELEM, USED_F_NO_NOTIFY, SplitDriverQueue

from .serving import full_device, serving

# NIST SP 800-38A, F.2.1 CBC-AES128.Encrypt (F.2.2 is its inverse).
KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
PLAINTEXT = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)
CIPHERTEXT = bytes.fromhex(
    "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
    "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
)

MODES = [Mode.CRYPTODEV, Mode.FULL]
RINGS = [pytest.param(False, id="split"), pytest.param(True, id="packed")]


def features_for(mode: Mode) -> int:
    return Feature.REVISION_1 if mode == Mode.FULL else 0


# --- the split driver queue against the device's SplitQueue, in one GuestRam ------------------------


@pytest.fixture
def ram():
    ram = GuestRam(1 << 20)
    yield ram
    ram.close()


def device_side(ram: GuestRam, queue: SplitDriverQueue) -> SplitQueue:
    desc, avail, used = queue.addresses
    return SplitQueue(ram.guest_memory(), queue.size, ram.user(desc), ram.user(avail), ram.user(used))


def reverse_handler(chain) -> int:
    """Write the readable bytes, reversed, into the writable side."""
    data = b"".join(bytes(v) for v in chain.readable)[::-1]
    offset = 0
    for view in chain.writable:
        take = data[offset : offset + len(view)]
        view[: len(take)] = take
        offset += len(take)
    return min(offset, len(data))


@pytest.mark.parametrize("indirect", [False, True])
def test_split_driver_round_trip(ram, indirect):
    queue = SplitDriverQueue(ram, 8, max_indirect=4)
    device = device_side(ram, queue)
    for round_ in range(20):  # wraps the rings and reuses every descriptor
        chains = []
        for n in range(2):
            data = bytes([round_, n]) * 3
            src = ram.put(data)
            dst = ram.alloc(6)
            queue.add([(src, 3, False), (src + 3, 3, False), (dst, 6, True)], (round_, n), indirect)
            chains.append((dst, data))
        assert queue.publish()  # the device publishes avail_event and wants every kick
        assert device.process(reverse_handler, lambda: None) == 2
        assert queue.take_used() == [((round_, 0), 6), ((round_, 1), 6)]
        for dst, data in chains:
            assert ram.read(dst, 6) == data[::-1]
        assert queue.free() == 8
    device.release()
    queue.release()


def complete_by_hand(ram: GuestRam, queue: SplitDriverQueue, entries: list[tuple[int, int]]) -> None:
    """Write used entries as a device completing out of order would."""
    start = U16.unpack(ram.read(queue.used + 2, 2))[0]
    for i, (head, length) in enumerate(entries):
        slot = queue.used + RING_HEADER + 8 * ((start + i) % queue.size)
        ram.write(slot, USED_ELEM.pack(head, length))
    ram.write(queue.used + 2, U16.pack((start + len(entries)) & 0xFFFF))


def test_split_driver_out_of_order_completion_frees_descriptors(ram):
    queue = SplitDriverQueue(ram, 8)
    for i, token in enumerate("abc"):
        queue.add([(0x1000, 4, False), (0x3000, 1, True)], token)
        assert ram.read(queue.avail + RING_HEADER + 2 * i, 2) == U16.pack(2 * i)  # heads 0, 2, 4
    queue.publish()
    assert queue.free() == 2
    with pytest.raises(QueueFull):
        queue.add([(0x1000, 4, False)] * 2 + [(0x3000, 1, True)], "d")
    complete_by_hand(ram, queue, [(4, 1), (0, 7)])
    assert queue.take_used() == [("c", 1), ("a", 7)]
    assert queue.free() == 6
    queue.add([(0x1000, 4, False)] * 5 + [(0x3000, 1, True)], "e")  # reuses the freed descriptors
    complete_by_hand(ram, queue, [(2, 2), (2, 2), (7777, 1)])  # then a duplicate and a stranger
    assert queue.take_used() == [("b", 2)]
    assert queue.spurious == 2
    assert queue.free() == 2


def test_split_driver_honours_event_idx_and_no_notify(ram):
    queue = SplitDriverQueue(ram, 8, event_idx=True)
    avail_event = queue.used + RING_HEADER + 8 * 8
    ram.write(avail_event, U16.pack(2))  # the device wants a kick once avail index 2 is published
    queue.add([(0x1000, 1, True)], 0)
    assert not queue.publish()  # 0 -> 1 does not cross 2
    queue.add([(0x1000, 1, True)], 1)
    queue.add([(0x1000, 1, True)], 2)
    assert queue.publish()  # 1 -> 3 crosses it
    assert not queue.publish()  # nothing new
    complete_by_hand(ram, queue, [(0, 1)])
    queue.take_used()
    assert ram.read(queue.avail + RING_HEADER + 2 * 8, 2) == U16.pack(1)  # used_event follows

    plain = SplitDriverQueue(ram, 8)
    plain.add([(0x1000, 1, True)], 0)
    assert plain.publish()
    ram.write(plain.used, U16.pack(USED_F_NO_NOTIFY))
    plain.add([(0x1000, 1, True)], 1)
    assert not plain.publish()


def test_place_raw_writes_descriptors_verbatim_relative_to_the_base(ram):
    queue = SplitDriverQueue(ram, 8)
    queue.add([(0x1000, 1, True)], "first")  # takes slot 0: the raw run starts later
    head = queue.place_raw([(0x1000, 4, F_NEXT | F_WRITE, 1), (0x2000, 4, F_NEXT | F_WRITE, 0)])
    assert head == 1
    assert DESC.unpack(ram.read(queue.desc + 16 * head, 16)) == (0x1000, 4, F_NEXT | F_WRITE, 2)
    assert DESC.unpack(ram.read(queue.desc + 16 * (head + 1), 16)) == (0x2000, 4, F_NEXT | F_WRITE, 1)
    queue.publish()
    device = device_side(ram, queue)
    chains = []
    device.process(lambda chain: chains.append(chain) or 0, lambda: None)
    assert chains[0].error is None
    assert "loop" in chains[1].error  # 1 -> 2 -> 1: the device sees the loop
    assert queue.take_used() == [("first", 0), (head, 0)]
    assert queue.free() == 8
    with pytest.raises(ValueError):
        queue.place_raw([(0, 0, 0, 0)] * 9)
    queue.add([(0x1000, 1, True)] * 7, "seven")
    with pytest.raises(QueueFull):  # one descriptor left: no run of two
        queue.place_raw([(0, 0, 0, 0)] * 2)
    chains.clear()
    device.release()
    queue.release()


# --- handshake ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", [cs.SIZE_632, cs.SIZE_1072])
def test_cryptodev_handshake_and_qemu_config(tmp_path, layout):
    with serving(tmp_path, Mode.CRYPTODEV) as served:
        fe = served.connect(session_layout=layout)
        assert fe.protocol_features == (
            ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION
        )
        assert fe.num_queues == 2
        driver = CryptoDriver(fe, 0)
        # QEMU's cryptodev_vhost_user_init: CIPHER|HASH|MAC, AES-CBC (bit 3), SHA1 (bit 2), 64/512.
        akcipher = layout == cs.SIZE_1072
        assert driver.config == CryptoConfig(
            status=1, max_dataqueues=1, crypto_services=0x17 if akcipher else 0x7, cipher_algo=0x8,
            hash_algo=0x4, mac_algo=0, aead_algo=0, max_cipher_key_len=64, max_auth_key_len=512,
            akcipher_algo=0x2 if akcipher else 0, max_size=2**64 - 1,
        )  # fmt: skip
        assert fe.features == 1 << 30  # SET_FEATURES carries bit 30 only
        (backend,) = served.backends()
        assert backend.features == 1 << 30
    assert qemu_config(3)[4:8] == (3).to_bytes(4, "little")


@pytest.mark.parametrize("queues", [1, 2])
def test_full_handshake_reads_the_device_config(tmp_path, queues):
    with serving(tmp_path, Mode.FULL, queues) as served:
        fe = served.connect()
        assert fe.protocol_features & ProtocolFeature.CONFIG
        assert fe.protocol_features & ProtocolFeature.STATUS
        assert fe.num_queues == queues + 1
        assert fe.read_config() == full_device(queues).config_space()
        driver = CryptoDriver(fe, Feature.REVISION_1 | ALL_STATELESS)
        assert fe.features & (1 << 32)  # VERSION_1
        (backend,) = served.backends()
        assert backend.features == fe.features
        enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        for queue in range(queues):
            driver.data_queue = queue
            assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT


def test_full_mode_feature_refusals(tmp_path):
    with serving(tmp_path, Mode.FULL) as served:
        with pytest.raises(FeatureError):  # offered bits, but stateless without REVISION_1
            CryptoDriver(served.connect(), Feature.CIPHER_STATELESS_MODE)
        with pytest.raises(FeatureError):  # a bit the device does not offer
            CryptoDriver(served.connect(), 1 << 20)
        with pytest.raises(FeatureError):  # transport bits are the frontend's
            served.connect().negotiate(1 << 32)
    with serving(tmp_path, Mode.CRYPTODEV) as served, pytest.raises(FeatureError):
        CryptoDriver(served.connect(), Feature.REVISION_1)  # QEMU offers the guest no device bits


# --- requests through both ring formats -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("packed", RINGS)
@pytest.mark.parametrize("indirect", [False, True])
def test_aes_cbc_known_answer(tmp_path, mode, packed, indirect):
    with serving(tmp_path, mode) as served:
        fe = served.connect(packed=packed, indirect=indirect, queue_size=16)
        driver = CryptoDriver(fe, features_for(mode))
        enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        dec = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.DECRYPT))
        for _ in range(40):  # wraps a ring of 16
            assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT
            assert driver.decrypt(dec, IV, CIPHERTEXT) == PLAINTEXT
        driver.destroy_session(Service.CIPHER, enc)
        with pytest.raises(StatusError) as err:
            driver.encrypt(enc, IV, PLAINTEXT)
        assert err.value.status == Status.INVSESS
    base = fe.vring_bases[0]  # GET_VRING_BASE at close: 81 chains taken
    if packed:
        assert base >> 16 == base & 0xFFFF  # used half = avail half: everything completed
    else:
        assert base == 81


@pytest.mark.parametrize("mode", MODES)
def test_refused_sessions(tmp_path, mode):
    with serving(tmp_path, mode) as served:
        driver = CryptoDriver(served.connect(), features_for(mode))
        with pytest.raises(StatusError) as err:  # AES has no 17-byte key
            driver.create_session(CipherParams(CipherAlgo.AES_CBC, bytes(17), Direction.ENCRYPT))
        assert err.value.status == Status.ERR  # cryptodev: QEMU turns any refusal into ERR
        with pytest.raises(StatusError) as err:
            driver.create_session(CipherParams(999, bytes(16), Direction.ENCRYPT))
        assert err.value.status == (Status.ERR if mode == Mode.CRYPTODEV else Status.NOTSUPP)
        with pytest.raises(StatusError) as err:  # over the 64-byte cipher key limit
            driver.create_session(CipherParams(CipherAlgo.AES_CBC, bytes(65), Direction.ENCRYPT))
        assert err.value.status == Status.ERR
        (backend,) = served.backends()
        assert backend.sessions == 0


def test_cryptodev_answers_notsupp_itself(tmp_path):
    with serving(tmp_path, Mode.CRYPTODEV) as served:
        driver = CryptoDriver(served.connect(), 0)
        refused = [
            HashParams(HashAlgo.SHA1, 20),
            MacParams(MacAlgo.HMAC_SHA1, 20, bytes(20)),
            AeadParams(AeadAlgo.GCM, bytes(16), 16, 0, Direction.ENCRYPT),
            AkcipherParams(1, AkcipherKeyType.PUBLIC, b"\x30\x00"),  # the 632 layout has no AKCIPHER
        ]
        for params in refused:
            with pytest.raises(StatusError) as err:
                driver.create_session(params)
            assert err.value.status == Status.NOTSUPP, params
        driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        (backend,) = served.backends()
        assert backend.sessions == 1  # only the cipher session reached the backend


# --- timeouts, stopped rings and raw chains -------------------------------------------------------


def test_connect_times_out_on_a_silent_backend(tmp_path):
    path = str(tmp_path / "silent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            Frontend.connect(path, Mode.CRYPTODEV, timeout=0.3)
        assert time.monotonic() - start < 3
    finally:
        listener.close()


def test_bad_reply_flags_are_a_protocol_error(tmp_path):
    path = str(tmp_path / "liar.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)

    def liar() -> None:
        conn, _ = listener.accept()
        with conn:
            request, _flags, _size = HEADER.unpack(conn.recv(HEADER.size))
            conn.sendall(HEADER.pack(request, 0x1, 8) + bytes(8))  # not 0x5
            with contextlib.suppress(OSError):
                conn.recv(1)

    thread = threading.Thread(target=liar, daemon=True)
    thread.start()
    try:
        with pytest.raises(FrontendError):
            Frontend.connect(path, Mode.CRYPTODEV, timeout=2)
    finally:
        thread.join(5)
        listener.close()


def test_raw_chains_and_stopped_queue(tmp_path):
    with serving(tmp_path, Mode.CRYPTODEV) as served:
        fe = served.connect(timeout=2)
        driver = CryptoDriver(fe, 0)
        status = fe.ram.alloc(1)
        fe.ram.write(status, b"\xaa")
        # A loop that still holds a writable byte: refused with ERR in that byte, used length 1.
        head_and_used = fe.submit_raw(0, [(status, 1, F_WRITE | F_NEXT, 1), (status, 1, F_WRITE | F_NEXT, 0)])
        assert head_and_used is not None and head_and_used[1] == 1
        assert fe.ram.read(status, 1) == bytes([Status.ERR])
        # The ring still works.
        enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT
        # A readable-only chain is the device's to answer: nothing written, used length 0.
        completed = fe.submit_raw(0, [(status, 1, 0, 0)])
        assert completed is not None and completed[1] == 0
        # A refused chain without a writable byte: the backend cannot answer and stops the ring.
        start = time.monotonic()
        assert fe.submit_raw(0, [(status, 1, F_NEXT, 0)], timeout=1) is None
        assert time.monotonic() - start < 1.5
        with pytest.raises(QueueStopped):
            driver.encrypt(enc, IV, PLAINTEXT)
        # A fresh connection is served as before.
        driver = CryptoDriver(served.connect(), 0)
        enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT


def test_submit_times_out_when_nobody_serves_the_ring(tmp_path):
    with serving(tmp_path, Mode.FULL) as served:
        fe = served.connect(timeout=0.3)
        driver = CryptoDriver(fe, Feature.REVISION_1)
        (backend,) = served.backends()
        backend.vrings[0].enabled = False  # as SET_VRING_ENABLE 0 would: kicks go unanswered
        enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            driver.encrypt(enc, IV, PLAINTEXT)
        assert 0.3 <= time.monotonic() - start < 2


# --- pipelines, close -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("packed", RINGS)
def test_pipeline_keeps_requests_in_flight(tmp_path, mode, packed):
    with serving(tmp_path, mode) as served:
        fe = served.connect(packed=packed, queue_size=64)
        driver = CryptoDriver(fe, features_for(mode))
        enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
        request = encode.cipher(Opcode.CIPHER_ENCRYPT, enc, IV, PLAINTEXT, len(PLAINTEXT), driver.revision_1)
        pipe = fe.pipeline(0, [(request, [len(PLAINTEXT), 1])] * 8)
        latencies = pipe.run(count=500, depth=8)
        assert len(latencies) == 500 and min(latencies) > 0
        for slot in range(8):
            assert pipe.output(slot) == CIPHERTEXT + bytes([Status.OK])
            assert pipe.used(slot) == len(PLAINTEXT) + 1
        assert len(pipe.run(count=20, depth=3)) == 20  # a second run on the same chains
        with pytest.raises(ValueError):
            pipe.run(count=1, depth=9)
        pipe.close()
        assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT  # the plain path after it


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("mode", MODES)
def test_close_stops_rings_and_leaks_nothing(tmp_path, mode):
    with serving(tmp_path, mode) as served:
        before = open_fds()
        for _ in range(3):
            with served.connect() as fe:
                driver = CryptoDriver(fe, features_for(mode))
                enc = driver.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
                for _ in range(5):
                    driver.encrypt(enc, IV, PLAINTEXT)
            assert fe.vring_bases[0] == 5
            if mode == Mode.FULL:
                assert fe.vring_bases[1] == 1  # one control request
        deadline = time.monotonic() + 5  # the server thread closes its side after the frontend
        while open_fds() != before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert open_fds() == before
