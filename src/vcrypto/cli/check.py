"""``vcrypto check``: a conformance run against a vhost-user crypto backend (ours or anyone's).

It connects as a frontend, checks the backend against the virtio-crypto spec and prints one line per
requirement (PASS, FAIL or SKIP, the id, a title, and for FAIL/SKIP the reason), then a summary::

    vcrypto check --socket-path /tmp/vcrypto.sock --mode full

Exit status: 0 if nothing failed, 1 if something did, 2 for a usage error or an unreachable backend.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TextIO

from ..conformance import CATALOGUE, Outcome, Result, VhostUserTarget, run
from ..vhost_user.protocol import Mode
from .errors import CliError

SESSION_LAYOUTS = (632, 1072)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check",
        help="check a vhost-user crypto backend against the virtio-crypto spec",
        description="Connect to a vhost-user crypto backend as a frontend and check it against the spec.",
    )
    parser.add_argument("--socket-path", metavar="PATH", help="the backend's UNIX socket")
    parser.add_argument(
        "--mode",
        default=Mode.FULL.value,
        metavar="MODE",
        help="cryptodev (QEMU's cryptodev-vhost-user protocol) or full (the whole device; default)",
    )
    parser.add_argument(
        "--session-layout",
        default="632",
        metavar="SIZE",
        help="cryptodev mode: CREATE_CRYPTO_SESSION layout, 632 (QEMU 7.1-8.0, default) or 1072 (8.1+)",
    )
    parser.add_argument(
        "--timeout", default="5", metavar="SECONDS", help="longest wait for any answer (default 5)"
    )
    parser.add_argument("--list", action="store_true", help="list the requirements checked and exit")
    parser.set_defaults(run=run_command)


def _mode(text: str) -> Mode:
    try:
        return Mode(text)
    except ValueError:
        choices = " or ".join(m.value for m in Mode)
        raise CliError(f"--mode must be {choices}, not {text!r}") from None


def _session_layout(text: str) -> int:
    if not text.isdigit() or int(text) not in SESSION_LAYOUTS:
        raise CliError(f"--session-layout must be 632 or 1072, not {text!r}")
    return int(text)


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CliError(f"--timeout must be a number of seconds, not {text!r}") from None
    if not 0 < value <= 600:
        raise CliError(f"--timeout must be between 0 and 600 seconds, not {text}")
    return value


def format_result(result: Result) -> str:
    """``PASS  id[subject]  title`` and, for FAIL and SKIP, ``: reason``."""
    line = f"{result.outcome.value}  {result.label}  {result.requirement.title}"
    if result.outcome != Outcome.PASS and result.reason:
        line += f": {result.reason}"
    return line


def report(results: object, out: TextIO) -> int:
    """Print every result as it comes and the summary; the exit status (1 if anything failed)."""
    counts: Counter[Outcome] = Counter()
    for result in results:  # type: ignore[attr-defined]
        counts[result.outcome] += 1
        print(format_result(result), file=out, flush=True)
    total = sum(counts.values())
    print(
        f"{total} checks: {counts[Outcome.PASS]} passed, {counts[Outcome.FAIL]} failed, "
        f"{counts[Outcome.SKIP]} skipped",
        file=out,
    )
    return 1 if counts[Outcome.FAIL] else 0


def run_command(args: argparse.Namespace) -> int:
    if args.list:
        for requirement in CATALOGUE.values():
            print(f"{requirement.id}  {requirement.title}: {requirement.detail}")
        return 0
    if not args.socket_path:
        raise CliError("--socket-path is required")
    target = VhostUserTarget(
        args.socket_path, _mode(args.mode), _session_layout(args.session_layout), _timeout(args.timeout)
    )
    results = run(target)
    try:
        first = next(results)
    except StopIteration:
        first = None
    except OSError as exc:
        raise CliError(f"cannot reach a backend on {args.socket_path}: {exc.strerror or exc}") from None
    except Exception as exc:  # the probe connection failed: not a conformance verdict
        raise CliError(f"cannot start on {args.socket_path}: {type(exc).__name__}: {exc}") from None

    def all_results():
        if first is not None:
            yield first
        yield from results

    return report(all_results(), sys.stdout)
