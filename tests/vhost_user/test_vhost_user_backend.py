"""The backend as QEMU 7.2's cryptodev-vhost-user drives it, over a real socket with real fds."""

from __future__ import annotations

import os
import select
import socket
import time

import pytest

from vcrypto.spec.constants import CipherAlgo, Direction, HashMode, MacAlgo, Status
from vcrypto.spec.params import AkcipherParams, ChainParams, CipherParams, MacParams
from vcrypto.vhost_user import crypto_session as cs
from vcrypto.vhost_user.protocol import (
    F_PROTOCOL_FEATURES,
    HEADER,
    MEMORY_HEADER,
    MEMORY_REGION,
    NEED_REPLY,
    U64,
    VERSION,
    VRING_STATE,
    ProtocolFeature,
    Request,
)
from vcrypto.virtio.chain import F_NEXT, F_WRITE
from vcrypto.virtio.mock import MockSplitQueue

AES = CipherParams(CipherAlgo.AES_CBC, bytes(16), Direction.ENCRYPT)


def eventually(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_handshake_offers_exactly_what_qemu_needs(serve):
    fe = serve().connect()
    assert fe.get_u64(Request.GET_FEATURES) & F_PROTOCOL_FEATURES
    offered = ProtocolFeature(fe.get_u64(Request.GET_PROTOCOL_FEATURES))
    assert offered == ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION
    assert fe.handshake(queues=1) == offered
    assert not fe.pending()  # no SET_* got an unasked reply


def test_data_chain_runs_and_the_guest_is_signalled(serve, guest):
    served = serve()
    memory, driver = guest
    fe = served.connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    session = fe.create_session(AES)
    assert session == 1
    head, out = driver.add_chain([b"H" * 72, b"I" * 16, b"S" * 32], [32, 1])
    fe.notify()
    assert fe.wait_call()
    assert driver.take_used() == [(head, 1)]
    assert memory.read(out[1][0], 1) == bytes([Status.OK])
    [(queue, data, writable)] = served.devices[0].processed
    assert (queue, data, writable) == (0, b"H" * 72 + b"I" * 16 + b"S" * 32, [32, 1])
    assert eventually(lambda: driver.avail_event() == 1)  # published before the server goes idle


def test_chains_already_queued_run_when_the_kick_fd_arrives(serve, guest):
    served = serve()
    memory, driver = guest
    fe = served.connect()
    fe.handshake()
    driver.add_chain([b"x" * 8], [1])
    fe.start_ring(memory, driver)
    assert fe.wait_call()
    assert len(driver.take_used()) == 1


@pytest.mark.parametrize("layout", [cs.SIZE_632, cs.SIZE_1072])
def test_sessions_in_both_layouts_and_close_gets_no_reply(serve, layout):
    served = serve()
    fe = served.connect()
    fe.handshake()
    first = fe.create_session(AES, layout)
    second = fe.create_session(CipherParams(CipherAlgo.AES_CBC, bytes(32), Direction.DECRYPT), layout)
    assert (first, second) == (1, 2)
    fe.close_session(first)
    assert not fe.pending(0.3)  # QEMU reads nothing after CLOSE: a reply would desynchronise it
    fe.close_session(99)  # unknown: still no reply
    assert not fe.pending(0.3)
    assert fe.get_u64(Request.GET_QUEUE_NUM) == 1  # the stream is still in step
    assert list(served.devices[0].sessions) == [second]


@pytest.mark.parametrize("layout", [cs.SIZE_632, cs.SIZE_1072])
def test_refused_session_gets_a_negative_id_at_the_same_size(serve, layout):
    fe = serve().connect()
    fe.handshake()
    chained = ChainParams(AES, 2, HashMode.AUTH, MacParams(MacAlgo.HMAC_SHA1, 20, b"k" * 20), 0)
    assert fe.create_session(chained, layout) < 0  # the fake device only does plain AES-CBC
    payload = bytearray(cs.encode_create(AES, layout))
    payload[12:16] = (65).to_bytes(4, "little")  # a key longer than its field
    body = fe.call_reply(Request.CREATE_CRYPTO_SESSION, bytes(payload))
    assert len(body) == layout and cs.session_id_of(body) == cs.refusal_id(Status.ERR)


def test_asymmetric_session_reaches_the_device(serve):
    fe = serve().connect()
    fe.handshake()
    assert fe.create_session(AkcipherParams(1, 1, b"\x30\x00"), cs.SIZE_1072) < 0  # fake: NOTSUPP


def test_reply_ack(serve, guest):
    memory, _driver = guest
    fe = serve().connect()
    fe.handshake()
    assert fe.set_mem_table(memory) == 0
    body = fe.call_reply(Request.SET_VRING_NUM, VRING_STATE.pack(0, 16), flags=VERSION | NEED_REPLY)
    assert U64.unpack(body)[0] == 0
    # A region larger than its file is refused (and nothing is mapped past the end of the file).
    bad = MEMORY_HEADER.pack(1, 0) + MEMORY_REGION.pack(0, memory.size * 2, memory.user_base, 0)
    body = fe.call_reply(Request.SET_MEM_TABLE, bad, [memory.fd], VERSION | NEED_REPLY)
    assert U64.unpack(body)[0] != 0
    body = fe.call_reply(Request.SET_LOG_BASE, bytes(16), flags=VERSION | NEED_REPLY)  # not supported
    assert U64.unpack(body)[0] != 0
    fe.send(Request.SET_VRING_NUM, VRING_STATE.pack(0, 16))  # no NEED_REPLY: silence
    assert not fe.pending()


def test_get_vring_base_stops_and_set_vring_base_resumes(serve, guest):
    memory, driver = guest
    fe = serve().connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    heads = [driver.add_chain([b"x"], [1])[0] for _ in range(3)]
    fe.notify()
    assert fe.wait_call()
    assert fe.get_vring_base() == 3
    heads.append(driver.add_chain([b"y"], [1])[0])  # the ring is stopped: nobody serves this
    assert not fe.wait_call(timeout=0.3)
    fe.send(Request.SET_VRING_BASE, VRING_STATE.pack(0, 3))
    fe.set_fd(Request.SET_VRING_KICK, 0, fe.kick)
    assert fe.wait_call()
    assert [h for h, _ in driver.take_used()] == heads
    assert fe.get_vring_base() == 4


def test_new_memory_table_while_running(serve, guest):
    memory, driver = guest
    fe = serve().connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    assert fe.set_mem_table(memory) == 0
    driver.add_chain([b"x"], [1])
    fe.notify()
    assert fe.wait_call()


def bad_chain(driver: MockSplitQueue, with_status: bool) -> tuple[int, int]:
    memory = driver.memory
    status = memory.alloc(1)
    head = driver.take_desc(2)
    if with_status:  # a usable status byte, then a descriptor pointing outside guest memory
        driver.write_desc(head, status, 1, F_WRITE | F_NEXT, head + 1)
        driver.write_desc(head + 1, 0xDEAD_0000_0000, 8, F_WRITE)
    else:  # readable only, and its second descriptor points nowhere
        driver.write_desc(head, memory.put(b"x" * 72), 72, F_NEXT, head + 1)
        driver.write_desc(head + 1, 0xDEAD_0000_0000, 16, 0)
    driver.publish(head)
    return head, status


def test_bad_chain_is_answered_with_err_and_the_queue_goes_on(serve, guest):
    served = serve()
    memory, driver = guest
    fe = served.connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    head, status = bad_chain(driver, with_status=True)
    good, _ = driver.add_chain([b"x" * 8], [1])
    fe.notify()
    assert fe.wait_call()
    assert driver.take_used() == [(head, 1), (good, 1)]
    assert memory.read(status, 1) == bytes([Status.ERR])
    assert len(served.devices[0].processed) == 1  # the device saw only the good chain


def test_unanswerable_chain_stops_only_its_queue(serve, guest):
    served = serve()
    memory, driver = guest
    fe = served.connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    bad_chain(driver, with_status=False)
    fe.notify()
    assert select.select([fe.err[0]], [], [], 5)[0]  # QEMU hears of it on the vring's err fd
    assert driver.take_used() == []
    driver.add_chain([b"x"], [1])
    fe.notify()
    assert not fe.wait_call(timeout=0.3)  # broken until the frontend restarts the ring
    assert fe.get_u64(Request.GET_FEATURES)  # the connection and the process are fine
    assert fe.create_session(AES) == 1


@pytest.mark.parametrize("indirect", [False, True])
def test_hostile_and_split_headers_reach_the_device_in_order(serve, guest, indirect):
    served = serve()
    memory, driver = guest
    fe = served.connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    header = bytes(range(72))
    pieces = [header[:5], header[5:40], header[40:], b"iv" * 8]
    driver.add_chain(pieces, [3, 5, 1], indirect=indirect)
    fe.notify()
    assert fe.wait_call()
    [(_queue, data, writable)] = served.devices[0].processed
    assert data == header + b"iv" * 8
    assert writable == [3, 5, 1]


def test_multiqueue_vring_is_the_data_queue(serve, guest):
    served = serve(queues=2)
    memory, driver = guest
    fe = served.connect()
    assert fe.get_u64(Request.GET_QUEUE_NUM) == 2
    fe.handshake(queues=2)
    fe.start_ring(memory, driver, index=1)
    driver.add_chain([b"q1"], [1])
    fe.notify(1)
    assert fe.wait_call(1)
    assert served.devices[0].processed[0][0] == 1


def test_vring_index_out_of_range_drops_the_connection(serve):
    served = serve(queues=1)
    fe = served.connect()
    fe.handshake()
    fe.send(Request.SET_VRING_NUM, VRING_STATE.pack(1, 16))
    assert fe.sock.recv(1) == b""
    assert served.connect().get_u64(Request.GET_QUEUE_NUM) == 1  # the next VM is served


@pytest.mark.parametrize(
    "raw",
    [
        HEADER.pack(Request.SET_VRING_NUM, VERSION, 4) + bytes(4),  # wrong payload size
        HEADER.pack(Request.GET_FEATURES, 0x2, 0),  # wrong version
        HEADER.pack(Request.GET_FEATURES, VERSION, 1 << 20),  # absurd size
        HEADER.pack(Request.CREATE_CRYPTO_SESSION, VERSION, 636) + bytes(636),  # unknown layout
        HEADER.pack(Request.GET_CONFIG, VERSION, 12) + bytes(12),  # a reply we cannot give
    ],
)
def test_protocol_errors_drop_the_connection_not_the_server(serve, raw):
    served = serve()
    fe = served.connect()
    fe.sock.sendall(raw)
    assert fe.sock.recv(1) == b""
    assert served.connect().get_u64(Request.GET_QUEUE_NUM) == 1


def test_unknown_request_is_nacked_when_asked(serve):
    fe = serve().connect()
    fe.handshake()
    body = fe.call_reply(Request.NET_SET_MTU, U64.pack(1500), flags=VERSION | NEED_REPLY)
    assert U64.unpack(body)[0] == 1
    fe.send(Request.SEND_RARP, bytes(8))
    assert not fe.pending()


def test_each_connection_gets_a_fresh_device(serve, guest):
    served = serve()
    memory, driver = guest
    first = served.connect()
    first.handshake()
    first.start_ring(memory, driver)
    assert first.create_session(AES) == 1
    first.close()
    second = served.connect()
    second.handshake()
    assert second.create_session(AES) == 1  # a new device: its session ids start over
    assert len(served.devices) == 2


def test_two_vms_at_once(serve):
    served = serve()
    a, b = served.connect(), served.connect()
    a.handshake()
    b.handshake()
    assert a.create_session(AES) == 1
    assert b.create_session(AES) == 1


def test_fds_are_not_leaked(serve, guest):
    memory, driver = guest
    served = serve()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        fe = served.connect()
        fe.handshake()
        fe.start_ring(memory, driver)
        fe.get_vring_base()
        fe.close()
        served.frontends.remove(fe)
    served.connect().get_u64(Request.GET_FEATURES)  # the server has seen every disconnect
    assert len(os.listdir("/proc/self/fd")) <= before + 2


def test_socket_pair_without_server_loop():
    """The sans-I/O core needs no socket at all."""
    from vcrypto.vhost_user.backend import Backend
    from vcrypto.vhost_user.protocol import Message

    from .frontend import FakeDevice

    backend = Backend(FakeDevice(), queues=1)
    assert backend.handle(Message(Request.SET_OWNER)) is None
    answer = backend.handle(Message(Request.GET_QUEUE_NUM))
    assert answer == HEADER.pack(Request.GET_QUEUE_NUM, 0x5, 8) + U64.pack(1)
    a, b = socket.socketpair()
    backend.handle(Message(Request.SET_VRING_CALL, payload=U64.pack(0), fds=[os.dup(a.fileno())]))
    backend.close()
    a.close()
    b.close()
