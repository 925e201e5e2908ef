"""``vcrypto bench``: a vhost-user crypto backend measured over real shared memory, next to OpenSSL.

``workload`` (what each algorithm's requests are and what they must produce), ``settings`` (the run,
checked once), ``runner`` (the frontend driving the backend), ``results`` (the figures), ``report``
(text and JSON) and ``chart`` (a PNG; matplotlib imported lazily).
"""

from .chart import ChartError, require_matplotlib, write_png
from .report import case_line, header, session_line, to_json
from .results import CaseResult, Latency, Report, SessionPairs
from .runner import Benchmark, BenchmarkError, SetupError
from .settings import Settings, SettingsError
from .workload import ALGORITHMS

__all__ = [
    "ALGORITHMS",
    "Benchmark",
    "BenchmarkError",
    "CaseResult",
    "ChartError",
    "Latency",
    "Report",
    "SessionPairs",
    "Settings",
    "SettingsError",
    "SetupError",
    "case_line",
    "header",
    "require_matplotlib",
    "session_line",
    "to_json",
    "write_png",
]
