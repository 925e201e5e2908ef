"""Throughput of the pure-Python 3GPP algorithms (KASUMI, SNOW 3G, ZUC): a script, not a test.

    .venv/bin/python bench/bench_threegpp.py [--repeat N] [--sizes 64,1500]

For each algorithm and message size it times the plain function (one call = one request's worth of work,
keystream set-up included) and prints bytes/s and microseconds per call.  Times are CPU time of this process
(``time.process_time``), and the best of ``--repeat`` runs is kept: both filter out other processes on a
shared machine, which would otherwise dominate the wall-clock figures.  The "provider" column goes through
the descriptor's context with the IV/data layout of docs/3gpp.md, as the device does.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

from vcrypto.crypto.threegpp import CIPHERS, MACS, kasumi, snow3g, zuc
from vcrypto.crypto.threegpp.provider import pack_cipher_iv, pack_mac_input

KEY = bytes(range(16))
COUNT, BEARER, FRESH, DIRECTION = 0x12345678, 7, 0x9ABCDEF0, 1


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """CPU seconds per call: the best of ``repeat`` runs, each long enough (>= ~50 ms) to be measurable."""
    fn()  # warm-up: builds the lazily-computed tables
    clock = time.process_time
    calls = 1
    while True:
        start = clock()
        for _ in range(calls):
            fn()
        if clock() - start >= 0.05:
            break
        calls *= 2
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        for _ in range(calls):
            fn()
        best = min(best, (clock() - start) / calls)
    return best


def plain_calls(size: int) -> dict[str, Callable[[], object]]:
    data = os.urandom(size)
    bits = 8 * size
    return {
        "KASUMI f8": lambda: kasumi.f8(KEY, COUNT, BEARER, DIRECTION, data, bits),
        "KASUMI f9": lambda: kasumi.f9(KEY, COUNT, FRESH, DIRECTION, data, bits),
        "SNOW 3G UEA2": lambda: snow3g.uea2(KEY, COUNT, BEARER, DIRECTION, data, bits),
        "SNOW 3G UIA2": lambda: snow3g.uia2(KEY, COUNT, FRESH, DIRECTION, data, bits),
        "ZUC EEA3": lambda: zuc.eea3(KEY, COUNT, BEARER, DIRECTION, data, bits),
        "ZUC EIA3": lambda: zuc.eia3(KEY, COUNT, BEARER, DIRECTION, data, bits),
    }


def provider_calls(size: int) -> dict[str, Callable[[], object]]:
    """The same work through CipherInfo/MacInfo contexts (context per session, one call per request)."""
    data = os.urandom(size)
    out: dict[str, Callable[[], object]] = {}
    names = {
        "KASUMI_F8": "KASUMI f8",
        "SNOW3G_UEA2": "SNOW 3G UEA2",
        "ZUC_EEA3": "ZUC EEA3",
        "KASUMI_F9": "KASUMI f9",
        "SNOW3G_UIA2": "SNOW 3G UIA2",
        "ZUC_EIA3": "ZUC EIA3",
    }
    for info in CIPHERS:
        ctx = info.new(KEY, True)
        iv = pack_cipher_iv(info.algo, COUNT, BEARER, DIRECTION)
        dst = memoryview(bytearray(size))
        out[names[info.name]] = lambda ctx=ctx, iv=iv, dst=dst: ctx.crypt(iv, data, dst)
    for info in MACS:
        mctx = info.new(KEY)
        second = FRESH if info.name != "ZUC_EIA3" else BEARER
        src = pack_mac_input(info.algo, COUNT, second, DIRECTION, data, 8 * size)
        out[names[info.name]] = lambda mctx=mctx, src=src: mctx.mac(src, 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is kept")
    parser.add_argument("--sizes", default="64,1500", help="comma-separated message sizes in bytes")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    rows: list[tuple[str, int, float, float]] = []
    for size in sizes:
        plain = plain_calls(size)
        via = provider_calls(size)
        for name, fn in plain.items():
            rows.append((name, size, best_time(fn, args.repeat), best_time(via[name], args.repeat)))

    header = (
        f"{'algorithm':<14} {'size':>6} {'plain bytes/s':>14} {'us/call':>9} "
        f"{'provider bytes/s':>17} {'us/call':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, size, t_plain, t_prov in sorted(rows, key=lambda r: (r[0], r[1])):
        print(
            f"{name:<14} {size:>6} {size / t_plain:>14,.0f} {t_plain * 1e6:>9.1f} "
            f"{size / t_prov:>17,.0f} {t_prov * 1e6:>9.1f}"
        )
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"\n(CPU time, best of {args.repeat}; {python})")


if __name__ == "__main__":
    main()
