"""The figures a run produces: plain data, so the report, the chart and the JSON share them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .settings import Settings


def percentile(ordered: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending sequence (``fraction`` in (0, 1])."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Latency:
    """Per-request latency from post to seen-completed, in microseconds."""

    min_us: float
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float
    mean_us: float

    @classmethod
    def of(cls, latencies_ns: Sequence[int]) -> Latency:
        ordered = sorted(latencies_ns)
        us = 1e-3
        return cls(
            min_us=ordered[0] * us,
            p50_us=percentile(ordered, 0.50) * us,
            p90_us=percentile(ordered, 0.90) * us,
            p99_us=percentile(ordered, 0.99) * us,
            max_us=ordered[-1] * us,
            mean_us=sum(ordered) / len(ordered) * us,
        )


@dataclass(frozen=True)
class CaseResult:
    """One algorithm at one size: the backend's figures and OpenSSL's for the same work."""

    algorithm: str
    size: int
    requests: int  # completed in the timed part, all queues together
    seconds: float  # wall time of the timed part
    cpu_seconds: float  # CPU time of this process (the frontend; and a backend served in-process) meanwhile
    latency: Latency
    openssl_ops: int
    openssl_seconds: float

    @property
    def ops_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.ops_per_s * self.size / 1e6

    @property
    def openssl_ops_per_s(self) -> float:
        return self.openssl_ops / self.openssl_seconds

    @property
    def openssl_mb_per_s(self) -> float:
        return self.openssl_ops_per_s * self.size / 1e6

    @property
    def frontend_cpu(self) -> float:
        """This process's CPU use during the timed part, in cores: near 1 means the frontend (one
        Python thread) may be what limits the figure, not the backend."""
        return self.cpu_seconds / self.seconds

    @property
    def ratio(self) -> float:
        """Backend throughput over single-threaded OpenSSL throughput."""
        return self.ops_per_s / self.openssl_ops_per_s

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            ops_per_s=self.ops_per_s,
            mb_per_s=self.mb_per_s,
            openssl_ops_per_s=self.openssl_ops_per_s,
            openssl_mb_per_s=self.openssl_mb_per_s,
            ratio=self.ratio,
            frontend_cpu=self.frontend_cpu,
        )
        return data


@dataclass(frozen=True)
class SessionPairs:
    """Session create+destroy pairs on the control queue, one request in flight."""

    algorithm: str
    pairs: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.pairs / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pairs_per_s": self.per_s}


@dataclass
class Report:
    settings: Settings
    cases: list[CaseResult] = field(default_factory=list)
    session_pairs: SessionPairs | None = None

    def as_dict(self) -> dict[str, Any]:
        settings = asdict(self.settings)
        settings["mode"] = self.settings.mode.value
        settings["queue_size"] = self.settings.queue_size()
        return {
            "settings": settings,
            "cases": [case.as_dict() for case in self.cases],
            "session_pairs": self.session_pairs.as_dict() if self.session_pairs else None,
        }
