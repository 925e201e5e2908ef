"""What one benchmark run measures, checked once here so the runner can trust it."""

from __future__ import annotations

from dataclasses import dataclass

from ..spec.constants import Service
from ..vhost_user.protocol import Mode
from .workload import ALGORITHMS, MAX_DESCRIPTORS

MAX_DEPTH = 1024
MAX_QUEUES = 64
MAX_SIZE = 1 << 20
MAX_RAM = 2 << 30  # guest RAM the frontend maps for all requests of a run
MIB = 1 << 20


class SettingsError(ValueError):
    """Settings no run can satisfy: a usage error, told in one line."""


@dataclass(frozen=True)
class Settings:
    socket_path: str
    mode: Mode = Mode.FULL
    algorithms: tuple[str, ...] = ("aes-128-cbc",)
    sizes: tuple[int, ...] = (64, 1024, 16384)
    depth: int = 32  # requests in flight per data queue
    queues: int = 1  # data queues driven at once
    packed: bool = False
    seconds: float | None = 1.0  # timed part per algorithm and size, or ...
    count: int | None = None  # ... requests per algorithm and size (all queues together)
    timeout: float = 10.0  # longest wait for any completion
    session_pairs: bool = True  # full mode: create+destroy pairs on the control queue

    def validate(self) -> None:
        """``SettingsError`` for anything the run could not do as asked."""
        if not self.socket_path:
            raise SettingsError("--socket-path is required")
        if not self.algorithms:
            raise SettingsError("--algos names no algorithm")
        for name in self.algorithms:
            if name not in ALGORITHMS:
                raise SettingsError(f"unknown algorithm {name!r} (known: {', '.join(ALGORITHMS)})")
            if self.mode == Mode.CRYPTODEV and ALGORITHMS[name].service != Service.CIPHER:
                raise SettingsError(
                    f"{name}: QEMU's cryptodev-vhost-user forwards cipher sessions only (use --mode full)"
                )
        if not self.sizes:
            raise SettingsError("--sizes names no size")
        for size in self.sizes:
            if not 1 <= size <= MAX_SIZE:
                raise SettingsError(f"sizes must be between 1 and {MAX_SIZE} bytes, not {size}")
            for name in self.algorithms:
                error = ALGORITHMS[name].size_error(size)
                if error:
                    raise SettingsError(f"size {size}: {error}")
        if not 1 <= self.depth <= MAX_DEPTH:
            raise SettingsError(f"--depth must be between 1 and {MAX_DEPTH}, not {self.depth}")
        if not 1 <= self.queues <= MAX_QUEUES:
            raise SettingsError(f"--queues must be between 1 and {MAX_QUEUES}, not {self.queues}")
        if (self.seconds is None) == (self.count is None):
            raise SettingsError("give either --seconds or --count")
        if self.seconds is not None and not 0 < self.seconds <= 3600:
            raise SettingsError(f"--seconds must be above 0 and at most 3600, not {self.seconds}")
        if self.count is not None and not 1 <= self.count <= 100_000_000:
            raise SettingsError(f"--count must be between 1 and 100000000, not {self.count}")
        if not 0 < self.timeout <= 600:
            raise SettingsError(f"the timeout must be above 0 and at most 600 s, not {self.timeout}")
        if self.ram_size() > MAX_RAM:
            raise SettingsError(
                f"{self.ram_size() // MIB} MiB of guest RAM needed (at most {MAX_RAM // MIB}): "
                "fewer sizes, algorithms, queues or a smaller depth"
            )

    def queue_size(self) -> int:
        """The smallest power-of-two ring (at least 256) that holds ``depth`` of the longest chains."""
        size = 256
        while size < self.depth * MAX_DESCRIPTORS:
            size *= 2
        return size

    def ram_size(self) -> int:
        """Guest RAM for every request the run places (they are never freed) and the rings, doubled:
        the frontend keeps half of it as its scratch area for single requests."""
        per_request = sum(2 * size + 512 for size in self.sizes) * len(self.algorithms)
        requests = per_request * self.depth * self.queues
        rings = (self.queues + 1) * self.queue_size() * 32
        total = 2 * (requests + rings + 4 * MIB)
        return -(-total // MIB) * MIB
