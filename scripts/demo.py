"""``make demo``: a real Linux guest uses vcrypto as its virtio-crypto device, end to end, in under a minute.

Starts ``vcrypto -v serve`` on a temporary UNIX socket, boots the e2e test guest (``make guest``: Debian 12's
kernel and its own ``virtio_crypto`` driver, under QEMU's ``cryptodev-vhost-user``) once against it, and
prints:

1. the virtio algorithms the guest kernel registered (the virtio entries of ``/proc/crypto``);
2. the kernel's self-test verdict for ``virtio_crypto_aes_cbc``;
3. a round trip through AF_ALG: random AES-CBC cases (128/192/256-bit keys, up to 64 KiB, so multi-page),
   ``virtio_crypto_aes_cbc`` against the kernel's ``cbc(aes-generic)``;
4. guest throughput: ``probe bench`` with 4096-byte requests, 1 and 4 guest processes;
5. what the backend logged: connections, sessions created and closed, device resets, warnings/errors.

Exit status 0 only when the self-test passed and the round trip had no mismatch (and no failed request);
1 otherwise, with the reason; 130 when interrupted. The server and its socket are removed on every path.
The whole serial console and the server's log are kept in ``build/demo/`` (``--log-dir``).

    .venv/bin/python scripts/demo.py
    .venv/bin/python scripts/demo.py --cases 200 --seed 42 --bench-seconds 3

The guest runs under TCG (no KVM), so throughput figures are small: they include the emulated guest's cost.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import random
import re
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # the same module, for type checkers (it is loaded by path below)
    from tests.e2e.guest import (
        BenchSummary,
        CompareSummary,
        CryptoAlg,
        GuestImage,
        GuestResult,
        VcryptoServer,
    )

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LOG_DIR = REPO / "build" / "demo"


def _load_harness() -> ModuleType:
    """``tests/e2e/guest.py`` (standard library only), loaded by path as ``bench/bench_guest.py`` does: no
    change to sys.path, and no clash with any other top-level ``tests`` package."""
    path = REPO / "tests" / "e2e" / "guest.py"
    spec = importlib.util.spec_from_file_location("vcrypto_e2e_guest", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


guest = _load_harness()


# ---------------------------------------------------------------------------------------------- backend log


_LOG_LINE = re.compile(r"^\S+ \S+ (?P<logger>\S+) (?P<level>[A-Z]+): (?P<message>.*)$")
_CONNECTED = re.compile(r"^(vm\d+): connected")
_SESSION_CREATED = re.compile(r"^vm\d+: session \d+ created: (.*)$")
_SESSION_CLOSED = re.compile(r"^vm\d+: session \d+ closed$")
_DEVICE_RESET = re.compile(r"^vm\d+: device reset$")
_VRING_STARTED = re.compile(r"^vm\d+: vring \d+ started")
_DROPPED = re.compile(r"^(vm\d+): (.*) \((\d+) sessions created\)$")


@dataclass
class BackendLog:
    """What ``vcrypto -v serve`` logged (INFO and above), counted."""

    connections: list[str] = field(default_factory=list)
    sessions_created: Counter[str] = field(default_factory=Counter)  # description -> count
    sessions_closed: int = 0
    device_resets: int = 0
    vrings_started: int = 0
    ends: list[str] = field(default_factory=list)  # "vm1: disconnected"
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    other_lines: list[str] = field(default_factory=list)  # not logging records: tracebacks, stray output

    @property
    def created(self) -> int:
        return sum(self.sessions_created.values())


def parse_backend_log(text: str) -> BackendLog:
    summary = BackendLog()
    for line in text.splitlines():
        record = _LOG_LINE.match(line)
        if record is None:
            if line.strip():
                summary.other_lines.append(line)
            continue
        level, message = record["level"], record["message"]
        if level in ("ERROR", "CRITICAL"):
            summary.errors.append(message)
        elif level == "WARNING":
            summary.warnings.append(message)
        if m := _CONNECTED.match(message):
            summary.connections.append(m[1])
        elif m := _SESSION_CREATED.match(message):
            summary.sessions_created[m[1]] += 1
        elif _SESSION_CLOSED.match(message):
            summary.sessions_closed += 1
        elif _DEVICE_RESET.match(message):
            summary.device_resets += 1
        elif _VRING_STARTED.match(message):
            summary.vrings_started += 1
        elif m := _DROPPED.match(message):
            summary.ends.append(f"{m[1]}: {m[2]}")
    return summary


# ---------------------------------------------------------------------------------------------- running


@dataclass
class Options:
    backend: str  # "vcrypto" or "builtin" (QEMU's own backend, for comparison)
    cases: int
    procs: int
    seed: int
    maxlen: int
    bench_size: int
    bench_seconds: float
    queues: int
    timeout: float
    log_dir: Path | None
    msix: bool  # leave MSI-X on the device (QEMU 7.2 crashes with vhost-user crypto)


def guest_commands(opts: Options) -> list[str]:
    per_proc = max(1, -(-opts.cases // opts.procs))  # ceil: at least opts.cases in all
    return [
        guest.compare_command(per_proc, opts.seed, procs=opts.procs, maxlen=opts.maxlen),
        guest.bench_command(opts.bench_size, opts.bench_seconds, procs=1),
        guest.bench_command(opts.bench_size, opts.bench_seconds, procs=4),
    ]


@contextlib.contextmanager
def _verbose_vcrypto_command() -> Iterator[None]:
    """Make the harness start ``vcrypto -v ...`` (INFO logging): ``-v`` is an option of ``vcrypto`` itself,
    before the sub-command, and the harness takes the command from $VCRYPTO_CMD."""
    previous = os.environ.get("VCRYPTO_CMD")
    os.environ["VCRYPTO_CMD"] = shlex.join([*guest.vcrypto_command(), "-v"])
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("VCRYPTO_CMD", None)
        else:
            os.environ["VCRYPTO_CMD"] = previous


@contextlib.contextmanager
def _without_msix() -> Iterator[None]:
    """Give the virtio-crypto-pci device ``vectors=0`` (no MSI-X: INTx interrupts) for this demo's boots.

    QEMU 7.2 (Debian 12's 1:7.2+dfsg-7+deb12u18) dies of SIGSEGV when the guest driver sets DRIVER_OK on a
    virtio-crypto-pci device with MSI-X behind cryptodev-vhost-user, before it sends the backend anything
    (gdb: virtio_set_status -> cryptodev_vhost_start -> msix_set_vector_notifiers -> the device's notifier
    mask; most likely 7.2's config-interrupt code handing virtio-crypto the config vector, idx -1, as a
    queue). Without MSI-X that path is never taken. Only this demo's own copy of the harness module is
    changed, and nothing at all when the harness already sets ``vectors=``.
    """
    original = guest.qemu_command

    def qemu_command(*args: object, **kwargs: object) -> list[str]:
        argv: list[str] = original(*args, **kwargs)
        return [
            f"{arg},vectors=0" if arg.startswith("virtio-crypto-pci,") and "vectors=" not in arg else arg
            for arg in argv
        ]

    guest.qemu_command = qemu_command
    try:
        yield
    finally:
        guest.qemu_command = original


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)  # unwinds through every finally: QEMU, server and socket are cleaned up


@dataclass
class Run:
    result: GuestResult | None = None
    server_log: str = ""
    server_alive_after_vm: bool | None = None
    server_returncode: int | None = None
    server_argv: str = ""
    failure: str | None = None  # the server could not start


def run_demo(opts: Options, image: GuestImage) -> Run:
    run = Run()
    commands = guest_commands(opts)
    serial_log = opts.log_dir / "serial.log" if opts.log_dir else None
    if opts.backend == "builtin":
        with contextlib.nullcontext() if opts.msix else _without_msix():  # the same device as with vcrypto
            run.result = guest.boot_guest(
                commands, "builtin", opts.timeout, image=image, queues=opts.queues, keep_log=serial_log
            )
        return run

    with tempfile.TemporaryDirectory(prefix="vcdemo-") as tmp:  # short: sun_path holds 108 bytes
        server: VcryptoServer = guest.VcryptoServer(
            Path(tmp) / "vcrypto.sock", queues=opts.queues, log_path=Path(tmp) / "vcrypto-serve.log"
        )
        try:
            with _verbose_vcrypto_command():
                serve = ["serve", "--socket-path", str(server.socket_path), "--queues", str(opts.queues)]
                run.server_argv = shlex.join([*guest.vcrypto_command(), *serve])
                try:
                    server.start()
                except RuntimeError as exc:
                    run.failure = str(exc)
                    return run
            with contextlib.nullcontext() if opts.msix else _without_msix():
                run.result = guest.boot_guest(
                    commands,
                    server.socket_path,
                    opts.timeout,
                    image=image,
                    queues=opts.queues,
                    keep_log=serial_log,
                )
            run.server_alive_after_vm = server.alive()
        finally:
            # A second Ctrl-C must not cut the cleanup short.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                run.server_returncode = server.stop()  # SIGTERM (then SIGKILL), removes the socket
                run.server_log = server.log()
                if opts.log_dir is not None and server.log_path.is_file():
                    shutil.copyfile(server.log_path, opts.log_dir / "vcrypto-serve.log")
            finally:
                signal.signal(signal.SIGINT, previous)
    return run


# ---------------------------------------------------------------------------------------------- report


def _mb_per_s(bench: BenchSummary) -> float:
    return bench.ops_per_sec * bench.size / 1e6


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def print_proc_crypto(algs: list[CryptoAlg]) -> None:
    print("1. /proc/crypto in the guest (virtio entries)")
    if not algs:
        print("   (none: the driver registered nothing)")
        return
    width = max(len(a.driver) for a in algs)
    print(f"   {'name':<22} {'driver':<{width}}  {'type':<9} {'priority':>8}  selftest")
    for alg in algs:
        print(
            f"   {alg.name:<22} {alg.driver:<{width}}  {alg.type:<9} {alg.fields.get('priority', '?'):>8}  "
            f"{alg.selftest or '?'}"
        )


def describe_compare(compare: CompareSummary) -> str:
    incomplete = " (INCOMPLETE)" if compare.incomplete else ""
    return (
        f"{compare.cases} random AES-CBC cases, {compare.driver} vs {compare.ref}: "
        f"{compare.mismatches} mismatches, {compare.errors} errors{incomplete}"
    )


def compare_coverage(compare: CompareSummary, opts: Options) -> str:
    keys = "/".join(str(compare.coverage_total(f"keylen{n}")) for n in (16, 24, 32))
    longest = max((p.coverage.get("longest", 0) for p in compare.processes), default=0)
    return (
        f"keys 128/192/256 bit: {keys}; {compare.coverage_total('multipage')} multi-page, "
        f"longest {longest} B; {compare.procs} guest procs, {compare.seconds:.1f} s; --seed {opts.seed}"
    )


def print_backend_log(run: Run, opts: Options) -> None:
    print("5. backend log")
    if opts.backend == "builtin":
        print("   (QEMU's builtin backend: no vcrypto server, nothing logged)")
        return
    log = parse_backend_log(run.server_log)
    kinds = ", ".join(f"{n} {what}" for what, n in sorted(log.sessions_created.items()))
    print(
        f"   {len(log.connections)} connection(s) ({', '.join(log.connections) or '-'}); "
        f"{log.created} sessions created, {log.sessions_closed} closed; {log.device_resets} device reset(s); "
        f"{log.vrings_started} vring start(s); {len(log.warnings)} warning(s), {len(log.errors)} error(s)"
    )
    if kinds:
        print(f"   sessions: {kinds}")
    for end in log.ends:
        print(f"   {end}")
    shown = [*(f"ERROR {m}" for m in log.errors[:5]), *(f"WARNING {m}" for m in log.warnings[:5])]
    shown += log.other_lines[:10]
    for line in shown:
        print(f"   | {line}")
    alive = run.server_alive_after_vm
    if alive is False:
        print(f"   the server EXITED during the run (status {run.server_returncode})")
    elif alive:
        print(f"   server alive after the VM, stopped cleanly (status {run.server_returncode})")


def report(run: Run, opts: Options, started: float) -> int:
    reasons: list[str] = []  # why the demo failed, most fundamental first
    if run.failure is not None:
        print(f"vcrypto serve did not start:\n{_indent(run.failure)}")
        reasons.append("vcrypto serve did not start")
        return _verdict(reasons, opts, started)
    result = run.result
    assert result is not None
    release = result.markers[0].partition("release=")[2].split()[0] if result.markers else "?"
    if result.ready_seconds is not None:
        ready = f"ready (modules loaded, self-tests done) after {result.ready_seconds:.1f} s"
    else:
        ready = "NEVER got ready"
    print(f"   guest Linux {release or '?'}: {ready}; the VM ran {result.wall_seconds:.1f} s")
    print()

    if not result.completed:
        reasons.append(f"the VM did not run every command ({_vm_end(result)})")
    if run.server_alive_after_vm is False:
        reasons.append(f"vcrypto serve exited during the run (status {run.server_returncode})")

    print_proc_crypto(result.boot_proc_crypto)

    selftest = result.selftest()
    verdict = selftest if selftest is not None else "NOT REGISTERED"
    print(f"2. self-test   {guest.VIRTIO_AES_CBC}: {verdict}")
    if selftest != "passed":
        reasons.append(f"the self-test of {guest.VIRTIO_AES_CBC} is {verdict}")

    compares = result.compares
    if compares:
        compare = compares[0]
        print(f"3. round trip  {describe_compare(compare)}")
        print(f"               ({compare_coverage(compare, opts)})")
        for detail in compare.details[:5]:
            print(f"               {detail}")
        if not compare.clean:
            reasons.append(
                f"the round trip had {compare.mismatches} mismatches and {compare.errors} errors"
                + (", and did not finish" if compare.incomplete else "")
            )
        missing = [f"{n * 8}-bit keys" for n in (16, 24, 32) if not compare.coverage_total(f"keylen{n}")]
        if not compare.coverage_total("multipage"):
            missing.append("multi-page requests")
        if missing and compare.clean:
            print(f"      note: no {', '.join(missing)} among these cases (use more --cases)")
    else:
        print("3. round trip  no result: the compare did not run or printed nothing")
        reasons.append("the round trip produced no result")

    by_procs = {b.procs: b for b in result.benches}
    cells = []
    for procs in (1, 4):
        bench = by_procs.get(procs)
        if bench is None:
            cells.append(f"{procs} proc{'s' if procs > 1 else ''}: -")
        else:
            flag = f" ({bench.errors} errors)" if bench.errors else ""
            flag += " (incomplete)" if bench.incomplete else ""
            cells.append(
                f"{procs} proc{'s' if procs > 1 else ''}: {bench.ops_per_sec:.0f} ops/s "
                f"= {_mb_per_s(bench):.2f} MB/s{flag}"
            )
    print(f"4. throughput  {opts.bench_size} B encrypt, {opts.bench_seconds:g} s each: {'; '.join(cells)}")

    print_backend_log(run, opts)

    if reasons:
        print()
        print(f"--- the VM {'completed' if result.completed else 'did NOT complete'}: {_vm_end(result)}")
        if result.qemu_output.strip():
            print(f"--- QEMU said:\n{_indent(result.qemu_output.strip()[-2000:])}")
        print(f"--- guest console (last 25 lines):\n{_indent(result.tail(25))}")
        if run.server_log:
            tail = "\n".join(run.server_log.splitlines()[-15:])
            print(f"--- vcrypto serve log (last 15 lines):\n{_indent(tail)}")
    return _verdict(reasons, opts, started)


def _vm_end(result: GuestResult) -> str:
    if result.timed_out:
        return f"killed after the {result.wall_seconds:.0f} s timeout"
    code = result.returncode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"QEMU died of {signal.Signals(-code).name}"
    return f"QEMU exited with status {code}"


def _verdict(reasons: list[str], opts: Options, started: float) -> int:
    elapsed = time.monotonic() - started
    if opts.log_dir is not None:
        files = "serial.log" if opts.backend == "builtin" else "serial.log, vcrypto-serve.log"
        print(f"   logs: {_shown(opts.log_dir)}/ ({files})")
    print()
    if reasons:
        print(f"DEMO FAILED ({elapsed:.0f} s): " + "; ".join(reasons))
        return 1
    print(f"DEMO PASSED ({elapsed:.0f} s): self-test passed, 0 mismatches")
    return 0


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


# ---------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100, help="random AES-CBC cases in all (default 100)")
    parser.add_argument("--procs", type=int, default=2, help="guest processes for the round trip (default 2)")
    parser.add_argument("--seed", type=int, help="seed of the random cases (default: a fresh one, printed)")
    parser.add_argument(
        "--maxlen", type=int, default=65536, help="longest request in the round trip, bytes (default 65536)"
    )
    parser.add_argument("--bench-size", type=int, default=4096, help="request size of the throughput runs")
    parser.add_argument(
        "--bench-seconds", type=float, default=2.0, help="duration of each throughput run (default 2)"
    )
    parser.add_argument("--queues", type=int, default=1, help="data queues (vcrypto serve --queues)")
    parser.add_argument("--timeout", type=float, default=180.0, help="kill the VM after this many seconds")
    parser.add_argument(
        "--log-dir", type=Path, default=DEFAULT_LOG_DIR, help="keep the console and server logs here"
    )
    parser.add_argument("--no-logs", action="store_true", help="keep no logs")
    parser.add_argument(
        "--msix",
        action="store_true",
        help="leave MSI-X on the virtio-crypto device (by default vectors=0: QEMU 7.2 crashes with MSI-X "
        "behind cryptodev-vhost-user)",
    )
    # QEMU's own cryptodev-backend-builtin instead of vcrypto: a comparison, and a check of the demo itself.
    parser.add_argument(
        "--backend", choices=("vcrypto", "builtin"), default="vcrypto", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.procs < 1 or args.maxlen < 16 or args.bench_size < 16:
        parser.error("--cases and --procs must be positive; --maxlen and --bench-size at least 16")
    return Options(
        backend=args.backend,
        cases=args.cases,
        procs=args.procs,
        seed=args.seed if args.seed is not None else random.randrange(1, 1 << 31),
        maxlen=args.maxlen,
        bench_size=args.bench_size,
        bench_seconds=args.bench_seconds,
        queues=args.queues,
        timeout=args.timeout,
        log_dir=None if args.no_logs else args.log_dir,
        msix=args.msix,
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    started = time.monotonic()
    try:
        image = guest.load_guest()
    except FileNotFoundError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    if shutil.which("qemu-system-x86_64") is None:
        print("demo: qemu-system-x86_64 is missing: run `make host-deps`", file=sys.stderr)
        return 1
    if opts.log_dir is not None:
        opts.log_dir.mkdir(parents=True, exist_ok=True)

    if opts.backend == "builtin":
        chain = "QEMU's builtin cryptodev backend (comparison run, not vcrypto)"
    else:
        chain = "QEMU cryptodev-vhost-user -> vcrypto serve"
    print(f"vcrypto demo: Linux guest virtio_crypto driver -> {chain}")
    print("   booting the guest once (TCG: 15-30 s) ...", flush=True)

    signal.signal(signal.SIGTERM, _terminate)
    try:
        run = run_demo(opts, image)
    except KeyboardInterrupt:
        print("\ndemo: interrupted; server and socket cleaned up", file=sys.stderr)
        return 130
    if run.server_argv:
        print(f"   backend: {run.server_argv}")
    if not opts.msix:
        print("   device:  virtio-crypto-pci,vectors=0 (INTx: QEMU 7.2 crashes with MSI-X and vhost-user)")
    return report(run, opts, started)


if __name__ == "__main__":
    sys.exit(main())
