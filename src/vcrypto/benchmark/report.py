"""The run as text (one line per algorithm and size) and as JSON."""

from __future__ import annotations

import json

from .results import CaseResult, Report, SessionPairs
from .settings import Settings

COLUMNS = (
    f"{'algorithm':<18} {'size':>6} {'ops/s':>11} {'MB/s':>9} {'p50_us':>9} {'p99_us':>9} "
    f"{'openssl_MB/s':>12} {'ratio':>7} {'fe_cpu':>6}"
)


def header(settings: Settings) -> str:
    """What was measured and how, then the column names."""
    rings = "packed" if settings.packed else "split"
    queues = f"{settings.queues} data queue{'s' if settings.queues > 1 else ''}"
    amount = f"{settings.count} requests" if settings.count is not None else f"{settings.seconds:g} s"
    return (
        f"# {settings.mode.value} mode on {settings.socket_path}: {rings} rings, {queues}, depth "
        f"{settings.depth} per queue, {amount} per case; OpenSSL: pyca cryptography, kept context, 1 thread\n"
        + COLUMNS
    )


def case_line(case: CaseResult) -> str:
    """``algorithm size ops/s MB/s p50 p99 openssl_MB/s ratio fe_cpu`` (latencies in µs; fe_cpu: this
    process's CPU use in cores while timed)."""
    return (
        f"{case.algorithm:<18} {case.size:>6} {case.ops_per_s:>11.1f} {case.mb_per_s:>9.2f} "
        f"{case.latency.p50_us:>9.1f} {case.latency.p99_us:>9.1f} {case.openssl_mb_per_s:>12.2f} "
        f"{case.ratio:>7.4f} {case.frontend_cpu:>6.2f}"
    )


def session_line(pairs: SessionPairs) -> str:
    return (
        f"session_pairs/s {pairs.per_s:.1f} ({pairs.algorithm} create+destroy on the control queue, "
        f"one at a time: {pairs.pairs} pairs in {pairs.seconds:.3f} s)"
    )


def to_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"
