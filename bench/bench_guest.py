"""Guest-side AES-CBC throughput: QEMU's builtin cryptodev backend against ``vcrypto serve``, in one run.

Boots the e2e test guest (``make guest``) once per backend; in each VM ``probe bench`` sends encrypt requests
through the Linux virtio_crypto driver (AF_ALG, driver ``virtio_crypto_aes_cbc``) for each request size and
number of guest processes, and this prints ops/s per backend and the ratio vcrypto/builtin.

    .venv/bin/python bench/bench_guest.py                      # 64 B and 4 KiB, 1 and 4 processes, 3 s each
    .venv/bin/python bench/bench_guest.py --seconds 5 --sizes 64,4096,65536 --json out.json
    .venv/bin/python bench/bench_guest.py --socket /tmp/vc.sock  # a vcrypto serve you started yourself

The guest runs under TCG (no KVM): absolute numbers are small and include the emulated guest's own cost, so
the ratio is the figure to read. Both VMs get the same CPU count and memory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _load_harness() -> ModuleType:
    path = REPO / "tests" / "e2e" / "guest.py"
    spec = importlib.util.spec_from_file_location("vcrypto_e2e_guest", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


guest = _load_harness()


def _int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def run_backend(
    name: str, backend: Any, cases: list[tuple[int, int]], seconds: float, smp: int, queues: int
) -> dict[tuple[int, int], Any]:
    commands = [guest.bench_command(size, seconds, procs) for size, procs in cases]
    timeout = 120.0 + 2 * seconds * len(cases)
    result = guest.boot_guest(commands, backend, timeout, smp=smp, queues=queues)
    selftest = result.selftest()
    print(
        f"[{name}] boot to ready {result.ready_seconds or float('nan'):.1f}s, VM {result.wall_seconds:.1f}s, "
        f"cbc(aes) self-test: {selftest}",
        file=sys.stderr,
    )
    if not result.completed:
        print(f"[{name}] the VM did not finish:\n{result.describe(40)}", file=sys.stderr)
    found: dict[tuple[int, int], Any] = {}
    for bench in result.benches:
        found[(bench.size, bench.procs)] = bench
        if bench.errors or bench.incomplete:
            print(f"[{name}] size={bench.size} procs={bench.procs}: {bench.errors} errors", file=sys.stderr)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="duration of each measurement (guest time)"
    )
    parser.add_argument("--sizes", type=_int_list, default=[64, 4096], help="request sizes, comma-separated")
    parser.add_argument(
        "--procs", type=_int_list, default=[1, 4], help="guest process counts, comma-separated"
    )
    parser.add_argument("--smp", type=int, default=2, help="guest CPUs (default 2)")
    parser.add_argument("--queues", type=int, default=1, help="data queues for cryptodev-vhost-user")
    parser.add_argument("--socket", type=Path, help="use a vcrypto serve already listening on this socket")
    parser.add_argument("--skip-builtin", action="store_true", help="measure vcrypto only")
    parser.add_argument("--skip-vcrypto", action="store_true", help="measure QEMU's builtin backend only")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    guest.build_guest()
    cases = [(size, procs) for size in args.sizes for procs in args.procs]
    builtin: dict[tuple[int, int], Any] = {}
    vcrypto: dict[tuple[int, int], Any] = {}
    status = 0

    if not args.skip_builtin:
        builtin = run_backend("builtin", "builtin", cases, args.seconds, args.smp, args.queues)
    if not args.skip_vcrypto:
        if args.socket:
            vcrypto = run_backend("vcrypto", args.socket, cases, args.seconds, args.smp, args.queues)
        else:
            try:
                with guest.vcrypto_server(queues=args.queues) as server:
                    vcrypto = run_backend(
                        "vcrypto", server.socket_path, cases, args.seconds, args.smp, args.queues
                    )
                    if not server.alive():
                        print(f"[vcrypto] server exited:\n{server.log()[-3000:]}", file=sys.stderr)
                        status = 1
            except RuntimeError as exc:
                print(f"[vcrypto] {exc}", file=sys.stderr)
                status = 1

    print(f"{'size':>6} {'procs':>5} {'builtin ops/s':>14} {'vcrypto ops/s':>14} {'vcrypto/builtin':>16}")
    rows = []
    for size, procs in cases:
        b, v = builtin.get((size, procs)), vcrypto.get((size, procs))
        b_rate = b.ops_per_sec if b and not b.errors else None
        v_rate = v.ops_per_sec if v and not v.errors else None
        ratio = v_rate / b_rate if b_rate and v_rate is not None else None
        if (not args.skip_vcrypto and v_rate is None) or (not args.skip_builtin and b_rate is None):
            status = 1

        def cell(x: float | None, fmt: str) -> str:
            return format(x, fmt) if x is not None else "-"

        print(
            f"{size:>6} {procs:>5} {cell(b_rate, '14.1f'):>14} {cell(v_rate, '14.1f'):>14} "
            f"{cell(ratio, '16.3f'):>16}"
        )
        rows.append(
            {
                "size": size,
                "procs": procs,
                "builtin_ops_per_sec": b_rate,
                "vcrypto_ops_per_sec": v_rate,
                "ratio": ratio,
            }
        )
    if args.json:
        args.json.write_text(
            json.dumps({"seconds": args.seconds, "smp": args.smp, "results": rows}, indent=2)
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
