"""``vcrypto bench``: measure a running vhost-user crypto backend (ours or anyone's) next to OpenSSL.

    vcrypto bench --socket-path /tmp/vcrypto.sock --mode full --algos aes-128-cbc --sizes 64,16384 \\
        --depth 32 --seconds 2 --png bench.png --json bench.json

One line per algorithm and size: ops/s, MB/s, p50 and p99 latency (µs), single-threaded OpenSSL MB/s
for the same work and the ratio backend/OpenSSL; in full mode also session create+destroy pairs per
second. Every request is checked against OpenSSL's answer before it is timed.
Exit status: 0 done, 1 the backend did not do the work right (wrong output, refusal, silence during the
run), 2 a usage error or no backend that can start the run as asked.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ..benchmark import (
    ALGORITHMS,
    Benchmark,
    BenchmarkError,
    ChartError,
    Settings,
    SettingsError,
    SetupError,
    case_line,
    header,
    require_matplotlib,
    session_line,
    to_json,
    write_png,
)
from ..vhost_user.protocol import Mode
from .errors import CliError

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 1.0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "bench",
        help="benchmark a vhost-user crypto backend next to OpenSSL",
        description="Drive a vhost-user crypto backend as a frontend over shared memory and measure "
        "throughput and latency per algorithm and size, next to single-threaded OpenSSL.",
    )
    parser.add_argument("--socket-path", metavar="PATH", help="the backend's UNIX socket")
    parser.add_argument(
        "--mode",
        default=Mode.FULL.value,
        metavar="MODE",
        help="full (the whole device; default) or cryptodev",
    )
    parser.add_argument("--packed", action="store_true", help="packed rings (VIRTIO_F_RING_PACKED)")
    parser.add_argument(
        "--algos", default="aes-128-cbc", metavar="LIST", help=f"comma-separated, of: {', '.join(ALGORITHMS)}"
    )
    parser.add_argument("--sizes", default="64,1024,16384", metavar="LIST", help="data sizes in bytes")
    parser.add_argument(
        "--depth", default="32", metavar="N", help="requests in flight per queue (default 32)"
    )
    parser.add_argument("--queues", default="1", metavar="N", help="data queues driven at once (default 1)")
    parser.add_argument(
        "--seconds", metavar="S", help=f"timed part per algorithm and size (default {DEFAULT_SECONDS:g})"
    )
    parser.add_argument("--count", metavar="N", help="requests per algorithm and size instead of --seconds")
    parser.add_argument(
        "--timeout", default="10", metavar="S", help="longest wait for the backend (default 10)"
    )
    parser.add_argument("--png", metavar="FILE", help="write a chart (needs matplotlib)")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.set_defaults(run=run)


def _int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CliError(f"{option} must be a whole number, not {text!r}") from None


def _float(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CliError(f"{option} must be a number, not {text!r}") from None


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _mode(text: str) -> Mode:
    try:
        return Mode(text)
    except ValueError:
        raise CliError(f"--mode must be {' or '.join(m.value for m in Mode)}, not {text!r}") from None


def _output(option: str, path: str | None) -> None:
    """Refuse an output file that could not be written, before the run rather than after it."""
    if path is None:
        return
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise CliError(f"{option}: directory {directory} does not exist or is not writable")


def settings_from(args: argparse.Namespace) -> Settings:
    if args.seconds is not None and args.count is not None:
        raise CliError("give either --seconds or --count, not both")
    seconds = None if args.count is not None else DEFAULT_SECONDS
    if args.seconds is not None:
        seconds = _float("--seconds", args.seconds)
    settings = Settings(
        socket_path=args.socket_path or "",
        mode=_mode(args.mode),
        algorithms=tuple(name.lower() for name in _list(args.algos)),
        sizes=tuple(_int("--sizes", size) for size in _list(args.sizes)),
        depth=_int("--depth", args.depth),
        queues=_int("--queues", args.queues),
        packed=args.packed,
        seconds=seconds,
        count=None if args.count is None else _int("--count", args.count),
        timeout=_float("--timeout", args.timeout),
    )
    try:
        settings.validate()
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    return settings


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    _output("--png", args.png)
    _output("--json", args.json)
    if args.png:
        try:
            require_matplotlib()
        except ChartError as exc:
            raise CliError(str(exc)) from None
    try:
        bench = Benchmark(settings)
    except SetupError as exc:
        raise CliError(f"{settings.socket_path}: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot reach a backend on {settings.socket_path}: {exc.strerror or exc}") from None
    try:
        with bench:
            print(header(settings), flush=True)
            report = bench.run(lambda case: print(case_line(case), flush=True))
    except (BenchmarkError, OSError) as exc:  # OSError: the connection died during the run
        print(f"vcrypto: error: {exc}", file=sys.stderr)
        return 1
    if report.session_pairs is not None:
        print(session_line(report.session_pairs), flush=True)
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as out:
                out.write(to_json(report))
        except OSError as exc:
            raise CliError(f"cannot write {args.json}: {exc.strerror or exc}") from None
        log.info("figures written to %s", args.json)
    if args.png:
        try:
            write_png(report, args.png)
        except ChartError as exc:
            raise CliError(str(exc)) from None
        log.info("chart written to %s", args.png)
    return 0
