"""Benchmark: AES-128-CBC requests through the device's chain-level entry point, next to raw crypto.

Prints ops/s and MB/s for 64-byte, 4 KiB and 16 KiB requests through ``CryptoDevice.process`` (the
whole per-request path: decoding, session lookup, checks, encryption into the writable buffer,
status) two ways: with the segments as a ring hands them (``ByteViews`` of guest memory, which the
fast path takes) and as plain lists of buffers (the general path). Next to them, the same work done
directly with the ``cryptography`` library: one new encryptor per request (what a device would pay
without a kept context) and one kept context (no IV handling at all: the floor), plus ``openssl
speed`` when the binary is present. Ratios are device / raw, measured in the same run; rates are per
second of this process's CPU time unless ``--clock wall``. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vcrypto.device import CryptoDevice
from vcrypto.spec import encode
from vcrypto.spec.buffers import ByteViews
from vcrypto.spec.constants import CipherAlgo, Direction, Opcode
from vcrypto.spec.params import CipherParams

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = time.process_time


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` of ``clock``."""
    calls, start = 0, clock()
    deadline = start + seconds
    while True:
        for _ in range(200):
            fn()
        calls += 200
        now = clock()
        if now >= deadline:
            return calls / (now - start)


def device_rate(size: int, seconds: float, as_ring: bool) -> float:
    """Requests per second through ``CryptoDevice.process``; ``as_ring``: the segments are
    ``ByteViews`` of one memory buffer, as the chain reader builds them from guest memory."""
    device = CryptoDevice()
    key, iv = os.urandom(16), os.urandom(16)
    outcome = bytearray(16)
    device.process(device.control_queue, encode.create_session(
        CipherParams(CipherAlgo.AES_CBC, key, Direction.ENCRYPT), False), [outcome])  # fmt: skip
    session_id = int.from_bytes(outcome[:8], "little")
    src = os.urandom(size)
    request = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, iv, src, size, False)
    memory = memoryview(bytearray(sum(len(part) for part in request) + size + 1))
    readable: list[memoryview] = ByteViews() if as_ring else []
    offset = 0
    for part in request:
        memory[offset : offset + len(part)] = part
        readable.append(memory[offset : offset + len(part)].toreadonly())
        offset += len(part)
    dst, status = memory[offset : offset + size], memory[offset + size : offset + size + 1]
    writable: list[memoryview] = ByteViews([dst, status]) if as_ring else [dst, status]
    assert device.process(0, readable, writable) == size + 1 and status[0] == 0
    expected = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor().update(src)
    assert bytes(dst) == expected, "wrong ciphertext"
    return rate(lambda: device.process(0, readable, writable), seconds)


def library_rate(size: int, seconds: float, kept: bool) -> float:
    aes = algorithms.AES(os.urandom(16))
    iv, src = os.urandom(16), os.urandom(size)
    dst = bytearray(size + 15)
    context = Cipher(aes, modes.CBC(iv)).encryptor()

    def fresh() -> None:
        encryptor = Cipher(aes, modes.CBC(iv)).encryptor()
        encryptor.update_into(src, dst)
        encryptor.finalize()

    return rate(lambda: context.update_into(src, dst), seconds) if kept else rate(fresh, seconds)


def openssl_rate(size: int) -> float | None:
    """``openssl speed`` for one size: the ceiling for one core, without per-request set-up."""
    if not shutil.which("openssl"):
        return None
    result = subprocess.run(
        ["openssl", "speed", "-evp", "aes-128-cbc", "-seconds", "1", "-bytes", str(size)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    match = re.search(r"^aes-128-cbc\s+([\d.]+)k", result.stdout, re.MULTILINE | re.IGNORECASE)
    return float(match.group(1)) * 1000 / size if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="cpu: process CPU time (default)")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    print(f"{'AES-128-CBC encrypt':34} {'ops/s':>12} {'MB/s':>9} {'µs/op':>7} {'device/raw':>11}")
    for size in (64, 4096, 16384):
        fast = device_rate(size, args.seconds, as_ring=True)
        general = device_rate(size, args.seconds, as_ring=False)
        fresh = library_rate(size, args.seconds, kept=False)
        kept = library_rate(size, args.seconds, kept=True)
        ossl = openssl_rate(size)
        for name, ops in (
            ("vcrypto device, ring segments", fast),
            ("vcrypto device, plain lists", general),
            ("cryptography, new context", fresh),
            ("cryptography, kept context", kept),
        ):
            print(f"{size:>5} B  {name:25} {ops:12,.0f} {ops * size / 1e6:9.1f} {1e6 / ops:7.2f}", end="")
            print("" if ops in (fast, general) else f" {fast / ops:10.2f}x")
        if ossl:
            line = (
                f"{size:>5} B  {'openssl speed':25} {ossl:12,.0f} {ossl * size / 1e6:9.1f} {1e6 / ossl:7.2f}"
            )
            print(f"{line} {fast / ossl:10.3f}x")


if __name__ == "__main__":
    main()
