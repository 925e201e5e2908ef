"""Crypto worker processes (``vcrypto serve --workers N``): data vrings served outside the main process.

Known answers are NIST SP 800-38A F.2.1/F.2.2 (CBC-AES128), written out below; every request goes
through a real socket, real eventfds, a memfd as guest RAM and real worker processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from vcrypto.cli.main import main
from vcrypto.cli.serve import device_factory
from vcrypto.device import DeviceConfig
from vcrypto.driver import CryptoDriver, StatusError
from vcrypto.spec import encode
from vcrypto.spec.constants import CipherAlgo, Direction, Feature, Opcode, Service, Status
from vcrypto.spec.params import CipherParams
from vcrypto.vhost_user import crypto_session as cs
from vcrypto.vhost_user import worker_wire as wire
from vcrypto.vhost_user.backend import Backend
from vcrypto.vhost_user.frontend import Frontend
from vcrypto.vhost_user.protocol import (
    MEMORY_HEADER,
    MEMORY_REGION,
    NEED_REPLY,
    U64,
    VERSION,
    VRING_ADDR,
    VRING_STATE,
    Message,
    Mode,
    ProtocolFeature,
    RegionDesc,
    Request,
)
from vcrypto.vhost_user.worker_process import WorkerProcess
from vcrypto.vhost_user.workers import WorkerRings
from vcrypto.virtio.packed import FRESH_STATE
from vcrypto.virtio.packed_driver import PackedDriverQueue
from vcrypto.virtio.queue import DriverQueue
from vcrypto.virtio.ram import GuestRam
from vcrypto.virtio.split_driver import SplitDriverQueue

from .serving import Served

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
ENCRYPT = CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT)
DECRYPT = CipherParams(CipherAlgo.AES_CBC, KEY, Direction.DECRYPT)

MODES = [Mode.CRYPTODEV, Mode.FULL]
RINGS = [pytest.param(False, id="split"), pytest.param(True, id="packed")]


def features_for(mode: Mode) -> int:
    return Feature.REVISION_1 if mode == Mode.FULL else 0


def alive(pid: int) -> bool:
    """Whether ``pid`` still exists, zombie included (a zombie is a child nobody reaped)."""
    return Path(f"/proc/{pid}").exists()


def gone(pids: list[int]) -> bool:
    """Whether every one of ``pids`` has exited and been reaped within a few seconds (the server
    forgets a connection first, then shuts its workers down)."""
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class WorkerServed(Served):
    """``Served`` with workers: frontends take every data queue; the workers' pids are visible."""

    def connect(self, **options) -> Frontend:
        return super().connect(queues=self.queues, **options)

    def worker_pids(self) -> list[list[int]]:
        """Per open connection, its workers' pids (read after a round trip)."""
        return [[w.pid for w in conn.workers] for conn in list(self.server.connections)]


@contextmanager
def serving(tmp_path: Path, mode: Mode, queues: int = 2, workers: int = 2) -> Iterator[WorkerServed]:
    served = WorkerServed(str(tmp_path / "vcrypto.sock"), mode, queues, workers=workers)
    try:
        yield served
    finally:
        served.stop()


# --- known answers through the workers ------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("packed", RINGS)
def test_aes_cbc_known_answer_on_every_data_queue(tmp_path, workers, mode, packed):
    with serving(tmp_path, mode, queues=2, workers=workers) as served:
        fe = served.connect(packed=packed, queue_size=16)
        driver = CryptoDriver(fe, features_for(mode))
        enc = driver.create_session(ENCRYPT)
        dec = driver.create_session(DECRYPT)
        for _ in range(20):  # wraps each ring of 16
            for queue in (0, 1):
                driver.data_queue = queue
                assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT
                assert driver.decrypt(dec, IV, CIPHERTEXT) == PLAINTEXT
        (pids,) = served.worker_pids()
        assert len(pids) == workers and all(alive(pid) for pid in pids)
        assert os.getpid() not in pids
    for queue in (0, 1):  # GET_VRING_BASE at close, answered by the workers: 40 chains each
        base = fe.vring_bases[queue]
        if packed:
            assert base >> 16 == base & 0xFFFF  # used half = avail half: everything completed
        else:
            assert base == 40
    assert not any(alive(pid) for pid in pids)  # shut down and reaped with the connection


def test_pipeline_through_two_workers_completes_every_request(tmp_path):
    with serving(tmp_path, Mode.CRYPTODEV, queues=2, workers=2) as served:
        fe = served.connect(queue_size=64)
        driver = CryptoDriver(fe, 0)
        enc = driver.create_session(ENCRYPT)
        request = encode.cipher(Opcode.CIPHER_ENCRYPT, enc, IV, PLAINTEXT, len(PLAINTEXT), False)
        for queue in (0, 1):
            pipe = fe.pipeline(queue, [(request, [len(PLAINTEXT), 1])] * 12)  # 5 descriptors each
            assert len(pipe.run(count=400, depth=12)) == 400
            for slot in range(12):
                assert pipe.output(slot) == CIPHERTEXT + bytes([Status.OK])
            pipe.close()


# --- ordering: a session is usable the moment its creation is seen --------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_create_then_use_at_once_on_every_ring(tmp_path, mode):
    """Three data queues on two workers (queue 2 shares worker 0 with queue 0): each session is used
    on the next ring the moment its creation completes, then destroyed and refused at once."""
    with serving(tmp_path, mode, queues=3, workers=2) as served:
        fe = served.connect(queue_size=16)
        driver = CryptoDriver(fe, features_for(mode))
        for i in range(150):
            session = driver.create_session(ENCRYPT if i % 2 else DECRYPT)
            driver.data_queue = i % 3
            if i % 2:
                assert driver.encrypt(session, IV, PLAINTEXT) == CIPHERTEXT
            else:
                assert driver.decrypt(session, IV, CIPHERTEXT) == PLAINTEXT
            driver.destroy_session(Service.CIPHER, session)
            driver.data_queue = (i + 1) % 3
            with pytest.raises(StatusError) as err:
                driver.encrypt(session, IV, PLAINTEXT)
            assert err.value.status == Status.INVSESS


def post(ram: GuestRam, queue: DriverQueue, readable: list[bytes], out_len: int, token: object) -> int:
    """Lay one request out in guest RAM and publish it; the guest address of its writable area."""
    segments = [(ram.put(data), len(data), False) for data in readable if data]
    out = ram.alloc(out_len)
    queue.add([*segments, (out, out_len, True)], token)
    queue.publish()
    return out


def test_worker_applies_counted_session_commands_before_a_lookup():
    """The worker's own loop never reads its socket here: only the shared counter tells the request
    handler that a session command is waiting. A command sent but not counted is not looked for
    (no syscall per request); counted ones are applied first, other commands wait for the loop."""
    ram = GuestRam(1 << 20)
    main_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    counter = wire.SequenceCounter.create()
    init = wire.Init("unit", DeviceConfig(max_dataqueues=1, features=Feature(0)), logging.WARNING)
    worker = WorkerProcess(worker_end, init, wire.SequenceCounter(os.dup(counter.fd)))
    kick, call = (os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC) for _ in range(2))
    queue = SplitDriverQueue(ram, 16)
    try:
        wire.send(main_end, wire.Memory((RegionDesc(0, ram.size, ram.user_base, 0),)), [ram.fd])
        addr = tuple(ram.user(a) for a in queue.addresses)
        wire.send(main_end, wire.RingStart(0, False, 16, addr, 0, True, True, False), [kick, call])
        worker._drain()
        ring = worker.rings[0]

        def request(session_id: int) -> bytes:
            """The request's outcome: the ciphertext and status, or the status alone."""
            data = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, PLAINTEXT, len(PLAINTEXT), False)
            out = post(ram, queue, [bytes(b) for b in data], len(PLAINTEXT) + 1, session_id)
            worker._serve(ring)
            ((token, used),) = queue.take_used()
            assert token == session_id
            result = ram.read(out, len(PLAINTEXT) + 1)
            return result if used > 1 else result[-1:]

        wire.send(main_end, wire.SessionInstall(7, ENCRYPT))  # sent, not counted yet
        assert request(7) == bytes([Status.INVSESS])
        counter.bump()
        assert request(7) == CIPHERTEXT + bytes([Status.OK])
        assert worker.applied == 1
        # A ring command met while catching up waits for the loop: the ring is not changed under
        # its own ``process``; the session command behind it is applied before the lookup.
        wire.send(main_end, wire.RingStop(0))
        wire.send(main_end, wire.SessionInstall(9, ENCRYPT))
        counter.bump()
        assert request(9) == CIPHERTEXT + bytes([Status.OK])
        assert len(worker.deferred) == 1 and 0 in worker.rings
        wire.send(main_end, wire.SessionRemove(7))
        counter.bump()
        assert request(7) == bytes([Status.INVSESS])
        command, fds = worker.deferred.pop(0)
        worker._apply(command, fds)
        assert wire.STOP_REPLY.unpack(main_end.recv(64)) == (0, 1, 4)  # stopped after 4 chains
        assert worker.rings == {}
    finally:
        worker.close()
        main_end.close()
        counter.close()
        for fd in (kick, call):
            os.close(fd)
        queue.release()
        ram.close()


# --- GET_VRING_BASE and restarts: a Backend driven message by message, its rings in workers --------


class Rig:
    """A cryptodev-mode ``Backend`` whose data vrings run in workers, driven like QEMU drives it."""

    def __init__(self, queues: int = 2, workers: int = 2, packed: bool = False) -> None:
        device = device_factory(queues)
        self.pool = WorkerRings("rig", device.config, workers, queues)
        self.backend = Backend(device, queues, "rig", Mode.CRYPTODEV, rings=self.pool.attach)
        self.ram = GuestRam(1 << 20)
        self.packed = packed
        self.queues: dict[int, DriverQueue] = {}
        self.kicks: dict[int, int] = {}
        self.calls: dict[int, int] = {}
        protocol = ProtocolFeature.MQ | ProtocolFeature.REPLY_ACK | ProtocolFeature.CRYPTO_SESSION
        self.send(Request.SET_PROTOCOL_FEATURES, U64.pack(protocol))
        assert self.ack(Request.SET_FEATURES, U64.pack(1 << 30 | (1 << 34 if packed else 0)))
        self.map_memory()

    def send(self, request: int, payload: bytes = b"", fds: list[int] | None = None) -> bytes | None:
        return self.backend.handle(Message(request, VERSION | NEED_REPLY, payload, fds or []))

    def ack(self, request: int, payload: bytes = b"", fds: list[int] | None = None) -> bool:
        answer = self.send(request, payload, fds)
        assert answer is not None
        return U64.unpack(answer[-8:])[0] == 0

    def map_memory(self) -> None:
        table = MEMORY_HEADER.pack(1, 0) + MEMORY_REGION.pack(0, self.ram.size, self.ram.user_base, 0)
        assert self.ack(Request.SET_MEM_TABLE, table, [os.dup(self.ram.fd)])

    def eventfd(self, table: dict[int, int], index: int, request: int) -> None:
        fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        if index in table:
            os.close(table[index])
        table[index] = fd
        assert self.ack(request, U64.pack(index), [os.dup(fd)])

    def start(self, index: int, base: int | None = None) -> None:
        queue = self.queues.get(index)
        if queue is None:
            queue = PackedDriverQueue(self.ram, 16) if self.packed else SplitDriverQueue(self.ram, 16)
            self.queues[index] = queue
        assert self.ack(Request.SET_VRING_NUM, VRING_STATE.pack(index, 16))
        if base is not None:
            assert self.ack(Request.SET_VRING_BASE, VRING_STATE.pack(index, base))
        desc, driver, device = (self.ram.user(a) for a in queue.addresses)
        assert self.ack(Request.SET_VRING_ADDR, VRING_ADDR.pack(index, 0, desc, device, driver, 0))
        self.eventfd(self.calls, index, Request.SET_VRING_CALL)
        self.eventfd(self.kicks, index, Request.SET_VRING_KICK)

    def session(self, params: CipherParams) -> int:
        answer = self.send(Request.CREATE_CRYPTO_SESSION, cs.encode_create(params))
        assert answer is not None
        return cs.session_id_of(answer[12:])

    def get_base(self, index: int) -> int:
        answer = self.send(Request.GET_VRING_BASE, VRING_STATE.pack(index, 0))
        assert answer is not None
        got, base = VRING_STATE.unpack(answer[12:])
        assert got == index
        return base

    def encrypt(self, index: int, session_id: int, wait: float = 5.0) -> bytes | None:
        """Post, kick and wait for the call eventfd; the writable bytes, or None if not completed."""
        queue = self.queues[index]
        data = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, PLAINTEXT, len(PLAINTEXT), False)
        token = object()
        out = post(self.ram, queue, [bytes(b) for b in data], len(PLAINTEXT) + 1, token)
        os.eventfd_write(self.kicks[index], 1)
        deadline = time.monotonic() + wait
        while True:
            done = queue.take_used()
            if done:
                assert done == [(token, len(PLAINTEXT) + 1)]
                return self.ram.read(out, len(PLAINTEXT) + 1)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            select.select([self.calls[index]], [], [], remaining)
            with contextlib.suppress(BlockingIOError):
                os.eventfd_read(self.calls[index])

    def completed_late(self, index: int, wait: float = 5.0) -> list:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            done = self.queues[index].take_used()
            if done:
                return done
            time.sleep(0.01)
        return []

    def close(self) -> None:
        self.backend.close()
        for fd in [*self.kicks.values(), *self.calls.values()]:
            os.close(fd)
        for queue in self.queues.values():
            release = getattr(queue, "release", None)
            if release is not None:
                release()
        self.ram.close()


@pytest.mark.parametrize("packed", RINGS)
def test_get_vring_base_stops_a_worker_ring_and_set_vring_base_restarts_it(packed):
    rig = Rig(packed=packed)
    pids = [w.pid for w in rig.pool.workers]
    try:
        rig.start(0)
        rig.start(1)
        session = rig.session(ENCRYPT)
        for index in (0, 1):
            for _ in range(3):
                assert rig.encrypt(index, session) == CIPHERTEXT + bytes([Status.OK])
        base = rig.get_base(0)  # answered by worker 0
        if packed:
            assert base >> 16 == base & 0xFFFF and base != FRESH_STATE
        else:
            assert base == 3
        assert rig.encrypt(0, session, wait=0.3) is None  # stopped: the kick goes nowhere
        assert rig.encrypt(1, session) == CIPHERTEXT + bytes([Status.OK])  # the other ring runs on
        rig.start(0, base=base)  # resumes where it stopped: the waiting chain is served
        assert len(rig.completed_late(0)) == 1
        # A new memory table restarts running rings in the workers, a new call eventfd is used at once.
        rig.map_memory()
        rig.eventfd(rig.calls, 1, Request.SET_VRING_CALL)
        for index in (0, 1):
            assert rig.encrypt(index, session) == CIPHERTEXT + bytes([Status.OK])
        after = [rig.get_base(0), rig.get_base(1)]
        if packed:
            assert after[0] == after[1] and after[0] >> 16 == after[0] & 0xFFFF and after[0] != base
        else:
            assert after == [5, 5]
    finally:
        rig.close()
    assert not any(alive(pid) for pid in pids)


# --- failures --------------------------------------------------------------------------------------


def test_a_killed_worker_drops_its_connection_only(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="vcrypto")
    with serving(tmp_path, Mode.CRYPTODEV, queues=2, workers=2) as served:
        victim = CryptoDriver(served.connect(timeout=1), 0)
        other = CryptoDriver(served.connect(), 0)
        enc_victim = victim.create_session(ENCRYPT)
        enc_other = other.create_session(ENCRYPT)
        assert victim.encrypt(enc_victim, IV, PLAINTEXT) == CIPHERTEXT
        victim_pids, other_pids = served.worker_pids()
        os.kill(victim_pids[1], signal.SIGKILL)
        served.wait_for_connections(1)
        assert served.worker_pids() == [other_pids]
        assert gone(victim_pids)  # the dead one reaped, its sibling shut down
        with pytest.raises((TimeoutError, OSError)):
            victim.encrypt(enc_victim, IV, PLAINTEXT)
        for queue in (0, 1):
            other.data_queue = queue
            assert other.encrypt(enc_other, IV, PLAINTEXT) == CIPHERTEXT
        fresh = CryptoDriver(served.connect(), 0)
        assert fresh.encrypt(fresh.create_session(ENCRYPT), IV, PLAINTEXT) == CIPHERTEXT
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"(pid {victim_pids[1]}) died (killed by SIGKILL)" in r.getMessage() for r in errors)


def test_reconnect_after_the_vm_goes_away(tmp_path):
    with serving(tmp_path, Mode.FULL, queues=2, workers=2) as served:
        fds_before = len(os.listdir("/proc/self/fd"))
        vm = served.connect()
        driver = CryptoDriver(vm, Feature.REVISION_1)
        assert driver.encrypt(driver.create_session(ENCRYPT), IV, PLAINTEXT) == CIPHERTEXT
        (pids,) = served.worker_pids()
        vm.sock.shutdown(socket.SHUT_RDWR)  # the VM dies: no GET_VRING_BASE, the socket just ends
        served.wait_for_connections(0)
        assert gone(pids)
        served.frontends.remove(vm)
        vm.close()
        for _ in range(2):
            with served.connect() as fe:
                driver = CryptoDriver(fe, Feature.REVISION_1)
                enc = driver.create_session(ENCRYPT)
                for queue in (0, 1):
                    driver.data_queue = queue
                    assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT
            served.frontends.remove(fe)
            served.wait_for_connections(0)
        deadline = time.monotonic() + 10  # the server thread closes a connection after forgetting it
        while len(os.listdir("/proc/self/fd")) != fds_before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(os.listdir("/proc/self/fd")) == fds_before


# --- the command line -----------------------------------------------------------------------------


def wait_for_socket(path: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "vcrypto serve did not listen"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_with_workers_answers_and_stops_cleanly(tmp_path, signum):
    path = str(tmp_path / "vc.sock")
    argv = ["-v", "serve", "--socket-path", path, "--queues", "2", "--mode", "full", "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vcrypto.cli.main", *argv], stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_socket(path, proc)
        with Frontend.connect(path, Mode.FULL) as fe:
            driver = CryptoDriver(fe, Feature.REVISION_1)
            enc = driver.create_session(ENCRYPT)
            for queue in (0, 1):
                driver.data_queue = queue
                assert driver.encrypt(enc, IV, PLAINTEXT) == CIPHERTEXT
            fe2 = Frontend.connect(path, Mode.FULL)  # a second VM still connected at the signal
            CryptoDriver(fe2, Feature.REVISION_1)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=20)
        fe2.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert not os.path.exists(path)
    assert "Traceback" not in err
    pids = [
        int(line.rsplit("pid ", 1)[1].rstrip(")")) for line in err.splitlines() if "worker started" in line
    ]
    assert len(pids) == 4  # two per connection
    assert not any(alive(pid) for pid in pids)


def test_bad_workers_option_is_a_one_line_error(capsys, tmp_path):
    assert main(["serve", "--socket-path", str(tmp_path / "vc.sock"), "--workers", "65"]) == 2
    assert capsys.readouterr().err == "vcrypto: error: --workers must be between 0 and 64, not 65\n"
    assert main(["serve", "--socket-path", str(tmp_path / "vc.sock"), "--workers", "two"]) == 2
    assert capsys.readouterr().err == "vcrypto: error: --workers must be a number, not 'two'\n"
