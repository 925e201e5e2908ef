"""Benchmark: AES-128-CBC requests through the device's chain-level entry point, next to raw crypto.

Prints ops/s and MB/s for 64-byte and 4 KiB requests through ``CryptoDevice.process`` (the whole
per-request path: decoding, session lookup, checks, encryption into the writable buffer, status),
and for the same work done directly with the ``cryptography`` library (one new encryptor per
request, as a device must do since each request brings its own IV), plus ``openssl speed`` when the
binary is present. Ratios are device / raw, measured in the same run. A benchmark, not a test.
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
from vcrypto.spec.constants import CipherAlgo, Direction, Opcode
from vcrypto.spec.params import CipherParams


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    calls, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            fn()
        calls += 200
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def device_rate(size: int, seconds: float) -> float:
    device = CryptoDevice()
    key, iv = os.urandom(16), os.urandom(16)
    writable = [bytearray(16)]
    device.process(device.control_queue, encode.create_session(
        CipherParams(CipherAlgo.AES_CBC, key, Direction.ENCRYPT), False), writable)  # fmt: skip
    session_id = int.from_bytes(writable[0][:8], "little")
    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, iv, os.urandom(size), size, False)
    dst, status = bytearray(size), bytearray(1)
    segments = [dst, status]
    assert device.process(0, readable, segments) == size + 1 and status[0] == 0
    return rate(lambda: device.process(0, readable, segments), seconds)


def library_rate(size: int, seconds: float) -> float:
    aes = algorithms.AES(os.urandom(16))
    iv, src = os.urandom(16), os.urandom(size)
    dst = bytearray(size + 15)

    def once() -> None:
        encryptor = Cipher(aes, modes.CBC(iv)).encryptor()
        encryptor.update_into(src, dst)
        encryptor.finalize()

    return rate(once, seconds)


def openssl_rate(size: int) -> float | None:
    """``openssl speed`` for one size: the ceiling for one core, without per-request set-up."""
    if not shutil.which("openssl"):
        return None
    result = subprocess.run(
        ["openssl", "speed", "-evp", "aes-128-cbc", "-seconds", "1", "-bytes", str(size)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    match = re.search(r"^aes-128-cbc\s+([\d.]+)k", result.stdout, re.MULTILINE)
    return float(match.group(1)) * 1000 / size if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    args = parser.parse_args()
    print(f"{'AES-128-CBC encrypt':24} {'ops/s':>12} {'MB/s':>9} {'device/raw':>11}")
    for size in (64, 4096):
        dev = device_rate(size, args.seconds)
        lib = library_rate(size, args.seconds)
        ossl = openssl_rate(size)
        print(f"{size:>5} B  vcrypto device    {dev:12,.0f} {dev * size / 1e6:9.1f}")
        print(f"{size:>5} B  cryptography      {lib:12,.0f} {lib * size / 1e6:9.1f} {dev / lib:10.2f}x")
        if ossl:
            print(
                f"{size:>5} B  openssl speed     {ossl:12,.0f} {ossl * size / 1e6:9.1f} {dev / ossl:10.3f}x"
            )


if __name__ == "__main__":
    main()
