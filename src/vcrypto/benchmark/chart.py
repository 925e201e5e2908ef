"""A PNG of a run: throughput next to OpenSSL's, and latency, per algorithm and size.

matplotlib is optional (the ``bench`` and ``test`` extras): it is imported only when a chart is drawn,
and ``ChartError`` says so in one line when it is missing. The figure is drawn on matplotlib's ``Figure``
directly (no pyplot), so no GUI backend and no global state are involved.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .results import Report


class ChartError(Exception):
    """The chart cannot be drawn (matplotlib missing, file not writable)."""


def require_matplotlib() -> None:
    """Fail before a run whose chart could not be drawn."""
    if importlib.util.find_spec("matplotlib") is None:
        raise ChartError("--png needs matplotlib: pip install 'vcrypto[bench]'")


def write_png(report: Report, path: str | Path) -> None:
    require_matplotlib()
    from matplotlib.figure import Figure

    cases = report.cases
    labels = [f"{c.algorithm}\n{c.size} B" for c in cases]
    positions = list(range(len(cases)))
    width = 0.38
    figure = Figure(figsize=(max(7.0, 1.3 * len(cases) + 2), 7.5), layout="constrained")
    throughput, latency = figure.subplots(2, 1)

    throughput.bar([x - width / 2 for x in positions], [c.mb_per_s for c in cases], width, label="backend")
    throughput.bar(
        [x + width / 2 for x in positions],
        [c.openssl_mb_per_s for c in cases],
        width,
        label="OpenSSL (1 thread)",
    )
    for x, case in zip(positions, cases, strict=True):
        throughput.annotate(
            f"{case.ratio:.3g}x", (x - width / 2, case.mb_per_s), ha="center", va="bottom", fontsize=8
        )
    throughput.set_yscale("log")
    throughput.set_ylabel("MB/s (log)")
    throughput.set_xticks(positions, labels, fontsize=8)
    throughput.legend(fontsize=8)
    settings = report.settings
    title = (
        f"vcrypto bench: {settings.mode.value} mode, {'packed' if settings.packed else 'split'} rings, "
        f"{settings.queues} data queue(s), depth {settings.depth}"
    )
    if report.session_pairs is not None:
        title += f"\n{report.session_pairs.per_s:,.0f} session create+destroy pairs/s"
    throughput.set_title(title, fontsize=10)

    latency.bar([x - width / 2 for x in positions], [c.latency.p50_us for c in cases], width, label="p50")
    latency.bar([x + width / 2 for x in positions], [c.latency.p99_us for c in cases], width, label="p99")
    latency.set_ylabel("latency (µs)")
    latency.set_xticks(positions, labels, fontsize=8)
    latency.legend(fontsize=8)
    try:
        figure.savefig(path, format="png", dpi=100)
    except OSError as exc:
        raise ChartError(f"cannot write {path}: {exc.strerror or exc}") from None
