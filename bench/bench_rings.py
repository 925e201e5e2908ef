"""Benchmark: the device's whole request hot path, split ring included, next to raw OpenSSL.

A driver-side split ring lives in a memfd (``MockSplitQueue`` over ``GuestRam``). The chains are laid
out once and re-published batch after batch, as a guest driver recycling its buffers would, so the
driver side costs little: per batch it writes the avail entries and the avail index, then reads the
used index. The device side is what ``vcrypto serve`` runs per kick: ``SplitQueue.process`` reading
and validating each chain, and ``CryptoDevice.process`` executing it.

Work measured, 32 chains in flight per batch:

* session-mode AES-128-CBC encrypt in the legacy layout Linux sends (72-byte header, IV, source
  readable; destination, status writable), direct and indirect chains, 64 B, 1 KiB and 16 KiB;
* session create + destroy pairs through the control queue.

For each data size the same run measures the same encryptions through a kept ``cryptography`` CBC
context (``update_into``, no IV handling: the floor of any device in Python) and prints device/raw.
Rates are per second of this process's CPU time unless ``--clock wall`` (on a machine shared with
other work, wall time measures the neighbours). ``--profile`` prints a cProfile of the 64-byte direct
case. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import struct
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vcrypto.device import CryptoDevice
from vcrypto.spec import encode
from vcrypto.spec.constants import CipherAlgo, Direction, Opcode, Service
from vcrypto.spec.params import CipherParams
from vcrypto.virtio.chain import Chain
from vcrypto.virtio.mock import MockSplitQueue
from vcrypto.virtio.ram import GuestRam
from vcrypto.virtio.split import RING_HEADER, SplitQueue

IN_FLIGHT = 32
QUEUE_SIZE = 256  # room for 32 direct chains of 5 descriptors
SIZES = (64, 1024, 16384)
U16 = struct.Struct("<H")


class Ring:
    """A driver's ring with ``IN_FLIGHT`` chains laid out once, and the device's queue over it."""

    def __init__(self, ram: GuestRam, device: CryptoDevice, queue_index: int) -> None:
        self.ram = ram
        self.driver = MockSplitQueue(ram, QUEUE_SIZE)
        self.memory = ram.guest_memory()
        self.queue = SplitQueue(self.memory, QUEUE_SIZE, *self.driver.addresses)
        self.device = device
        self.queue_index = queue_index
        self.heads: list[int] = []
        self._avail_idx = 0

    def handler(self) -> Callable[[Chain], int | None]:
        """What the vhost-user backend answers a chain with (``Backend._answer``)."""
        process, index = self.device.process, self.queue_index

        def answer(chain: Chain) -> int | None:
            if chain.error is None:
                return process(index, chain.readable, chain.writable)
            status = chain.status_byte
            if status is None:
                return None
            status[0] = 1
            return 1

        return answer

    def publish(self, heads: list[int]) -> None:
        """Put ``heads`` in the avail ring (one write of their entries) and bump the avail index."""
        ram, avail, size = self.ram, self.driver.avail, QUEUE_SIZE
        slot = self._avail_idx % size
        entries = struct.pack(f"<{len(heads)}H", *heads)
        assert slot + len(heads) <= size  # IN_FLIGHT divides QUEUE_SIZE
        ram.write(avail + RING_HEADER + 2 * slot, entries)
        self._avail_idx = (self._avail_idx + len(heads)) & 0xFFFF
        ram.write(avail + 2, U16.pack(self._avail_idx))

    def run(self, heads: list[int], answer: Callable[[Chain], int | None]) -> None:
        """One batch: publish, let the device drain the ring, check the used index moved."""
        self.publish(heads)
        done = self.queue.process(answer, _no_notify)
        if done != len(heads) or self.queue.broken:
            raise SystemExit(f"the device completed {done} of {len(heads)} chains ({self.queue.broken})")

    def close(self) -> None:
        self.queue.release()
        self.memory.close()


def _no_notify() -> None:
    pass


def _new_device() -> CryptoDevice:
    return CryptoDevice()  # no device feature bits: the legacy layout, as QEMU's cryptodev offers


def _create_aes_session(device: CryptoDevice, key: bytes) -> int:
    out = bytearray(16)
    params = CipherParams(CipherAlgo.AES_CBC, key, Direction.ENCRYPT)
    device.process(device.control_queue, encode.create_session(params, False), [out])
    session_id, status = struct.unpack_from("<QI", out)
    assert status == 0, status
    return session_id


Expected = list[tuple[int, bytes, int]]  # destination address, known ciphertext, status byte address


def data_ring(size: int, indirect: bool) -> tuple[Ring, Expected, GuestRam]:
    """A ring of ``IN_FLIGHT`` AES-128-CBC encrypt chains of ``size`` bytes, and what each must yield
    (from a fresh ``cryptography`` context per request, independent of the device)."""
    ram = GuestRam(8 << 20 if size < 16384 else 40 << 20)
    device = _new_device()
    key = os.urandom(16)
    session_id = _create_aes_session(device, key)
    ring = Ring(ram, device, 0)
    expected = []
    for _ in range(IN_FLIGHT):
        iv, src = os.urandom(16), os.urandom(size)
        readable = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, iv, src, size, False)
        head, out = ring.driver.add_chain(
            [bytes(part) for part in readable], [size, 1], indirect=indirect, publish=False
        )
        ring.heads.append(head)
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        expected.append((out[0][0], encryptor.update(src) + encryptor.finalize(), out[1][0]))
        ram.write(out[1][0], b"\xff")
    return ring, expected, ram


def check_data(ring: Ring, expected: Expected) -> None:
    """Every destination holds the known ciphertext and every status byte is OK."""
    for dst, ciphertext, status_addr in expected:
        if ring.ram.read(dst, len(ciphertext)) != ciphertext:
            raise SystemExit("wrong ciphertext in guest memory")
        if ring.ram.read(status_addr, 1) != b"\x00":
            raise SystemExit("status byte is not VIRTIO_CRYPTO_OK")


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = time.process_time


def timed(batch: Callable[[], None], per_batch: int, seconds: float) -> float:
    """Operations per second of ``batch`` (``per_batch`` operations each) over about ``seconds`` of
    ``clock``: by default this process's CPU time, which other load on the machine does not inflate."""
    batch()
    ops, start = 0, clock()
    deadline = start + seconds
    while True:
        for _ in range(10):
            batch()
        ops += 10 * per_batch
        now = clock()
        if now >= deadline:
            return ops / (now - start)


def data_rate(size: int, indirect: bool, seconds: float) -> float:
    ring, expected, ram = data_ring(size, indirect)
    answer, heads = ring.handler(), ring.heads
    ring.run(heads, answer)
    check_data(ring, expected)
    ops = timed(lambda: ring.run(heads, answer), IN_FLIGHT, seconds)
    check_data(ring, expected)
    ring.close()
    ram.close()
    return ops


def raw_rate(size: int, seconds: float) -> float:
    """The same encryptions through one kept OpenSSL CBC context: no ring, no decoding, no IV."""
    encryptor = Cipher(algorithms.AES(os.urandom(16)), modes.CBC(os.urandom(16))).encryptor()
    sources = [os.urandom(size) for _ in range(IN_FLIGHT)]
    dst = bytearray(size + 15)
    update_into = encryptor.update_into

    def batch() -> None:
        for src in sources:
            update_into(src, dst)

    return timed(batch, IN_FLIGHT, seconds)


def session_rate(seconds: float) -> float:
    """Create + destroy pairs per second through the control queue's ring (32 of each per batch)."""
    ram = GuestRam(4 << 20)
    device = _new_device()
    ring = Ring(ram, device, device.control_queue)
    params = CipherParams(CipherAlgo.AES_CBC, os.urandom(16), Direction.ENCRYPT)
    creates, destroys, outcomes = [], [], []
    for _ in range(IN_FLIGHT):
        readable = encode.create_session(params, False)
        head, out = ring.driver.add_chain([bytes(p) for p in readable], [16], publish=False)
        creates.append(head)
        outcomes.append(out[0][0] - ram.guest_base)
    for _ in range(IN_FLIGHT):
        (request,) = encode.destroy_session(Service.CIPHER, 0, False)
        head, out = ring.driver.add_chain([bytes(request)], [1], publish=False)
        destroys.append(head)
    # the destroy request's session id sits right after the 16-byte control header
    destroy_ids = [_readable_addr(ring, head) + 16 for head in destroys]
    answer = ring.handler()
    view = ram.map

    def batch() -> None:
        ring.run(creates, answer)
        for outcome, field in zip(outcomes, destroy_ids, strict=True):  # the driver's side of the pair
            view[field : field + 8] = view[outcome : outcome + 8]
        ring.run(destroys, answer)

    batch()
    for outcome in outcomes:
        if view[outcome + 8 : outcome + 12] != b"\0\0\0\0":
            raise SystemExit("session create failed")
    if len(device.sessions):
        raise SystemExit(f"{len(device.sessions)} sessions left after the destroys")
    pairs = timed(batch, IN_FLIGHT, seconds)
    if len(device.sessions):
        raise SystemExit(f"{len(device.sessions)} sessions left after the destroys")
    ring.close()
    ram.close()
    return pairs


def _readable_addr(ring: Ring, head: int) -> int:
    """Guest address of a direct chain's first (readable) buffer, from the driver's descriptor."""
    addr, _len, _flags, _next = struct.unpack("<QIHH", ring.ram.read(ring.driver.desc + 16 * head, 16))
    return addr - ring.ram.guest_base


def profile(seconds: float) -> None:
    ring, _expected, _ram = data_ring(64, indirect=False)
    answer, heads = ring.handler(), ring.heads
    batches = max(1, int(seconds * 2000))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(batches):
        ring.run(heads, answer)
    profiler.disable()
    print(f"\ncProfile of {batches * IN_FLIGHT} 64-byte direct requests:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--profile", action="store_true", help="cProfile the 64-byte direct case")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="cpu: process CPU time (default)")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    title = f"AES-128-CBC encrypt, {IN_FLIGHT} in flight"
    print(f"{title:36} {'ops/s':>10} {'MB/s':>9} {'µs/op':>7} {'dev/raw':>8}")
    for size in SIZES:
        raw = raw_rate(size, args.seconds)
        for indirect in (False, True):
            ops = data_rate(size, indirect, args.seconds)
            kind = "indirect" if indirect else "direct"
            print(
                f"{size:>6} B  ring+device {kind:9}   {ops:10,.0f} {ops * size / 1e6:9.1f} "
                f"{1e6 / ops:7.2f} {ops / raw:7.2f}x"
            )
        print(f"{size:>6} B  raw OpenSSL (kept ctx)   {raw:10,.0f} {raw * size / 1e6:9.1f} {1e6 / raw:7.2f}")
    pairs = session_rate(args.seconds)
    print(f"session create+destroy pairs        {pairs:10,.0f}/s {'':9} {1e6 / pairs:7.2f} µs/pair")
    if args.profile:
        profile(args.seconds)


if __name__ == "__main__":
    main()
