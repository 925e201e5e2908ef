"""Drive a vhost-user crypto backend as a frontend and measure it next to OpenSSL.

Per algorithm and size: one session, ``depth`` requests per data queue placed in guest RAM once
(``Frontend.pipeline``); every one of them is run once on fresh buffers and its output compared
with OpenSSL's before anything is timed, so no figure comes from wrong answers. Then a short
calibration (``--seconds``) and the timed part, with ``depth`` requests kept in flight on each
queue. Several queues are driven by one thread each: ``Pipeline.run`` waits in ``poll``, which
releases the GIL, so the threads overlap their waits while the backend works.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

from ..device.errors import FeatureError
from ..driver import CryptoDriver, StatusError
from ..spec.constants import Feature
from ..vhost_user.frontend import Frontend, FrontendError, Pipeline
from ..vhost_user.protocol import Mode
from .results import CaseResult, Latency, Report, SessionPairs
from .settings import Settings
from .workload import ALGORITHMS, Algorithm, Request

log = logging.getLogger(__name__)

CALIBRATION_REQUESTS = 256  # per queue, at least 4 * depth
OPENSSL_MIN_SECONDS = 0.05
OPENSSL_MAX_SECONDS = 5.0
SESSION_ALGORITHM = "aes-128-cbc"


class BenchmarkError(Exception):
    """The backend did not do the work as asked (wrong output, refusal, silence): no figure."""


class SetupError(BenchmarkError):
    """The backend cannot start the run as asked (handshake refused, too few queues, features)."""


class Benchmark:
    """One connection to the backend for a whole run. Use as a context manager."""

    def __init__(self, settings: Settings) -> None:
        """Connect and start the device. ``SettingsError`` for impossible settings, ``OSError`` if
        nothing answers on the socket, ``SetupError`` if the backend cannot start the run as asked."""
        settings.validate()
        self.settings = settings
        try:
            self.frontend = Frontend.connect(
                settings.socket_path, settings.mode, packed=settings.packed,
                queue_size=settings.queue_size(), ram_size=settings.ram_size(), timeout=settings.timeout,
                queues=settings.queues,
            )  # fmt: skip
        except (TimeoutError, FrontendError) as exc:
            raise SetupError(f"connecting: {exc}") from None
        if self.frontend.data_queues < settings.queues:
            self.frontend.close()
            raise SetupError(
                f"{settings.queues} data queues asked, the backend has {self.frontend.data_queues}"
            )
        try:
            features = Feature.REVISION_1 if settings.mode == Mode.FULL else 0
            self.driver = CryptoDriver(self.frontend, features)
        except (TimeoutError, FrontendError, FeatureError) as exc:
            self.frontend.close()
            raise SetupError(f"starting the device: {exc}") from None
        except BaseException:
            self.frontend.close()
            raise

    def close(self) -> None:
        self.frontend.close()

    def __enter__(self) -> Benchmark:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the run ----------------------------------------------------------------------------------

    def run(self, on_case: Callable[[CaseResult], None] | None = None) -> Report:
        """Every algorithm at every size, then (full mode) the session pairs."""
        report = Report(self.settings)
        for case in self.cases():
            report.cases.append(case)
            if on_case is not None:
                on_case(case)
        if self.settings.mode == Mode.FULL and self.settings.session_pairs:
            report.session_pairs = self.session_pairs()
        return report

    def cases(self) -> Iterator[CaseResult]:
        for name in self.settings.algorithms:
            algorithm = ALGORITHMS[name]
            session_id = self._create(algorithm)
            try:
                for size in self.settings.sizes:
                    yield self.case(algorithm, session_id, size)
            except BaseException:  # the first error is the one to tell; the session goes if it can
                with contextlib.suppress(BenchmarkError, OSError):
                    self._destroy(algorithm, session_id)
                raise
            self._destroy(algorithm, session_id)

    def case(self, algorithm: Algorithm, session_id: int, size: int) -> CaseResult:
        settings = self.settings
        what = f"{algorithm.name} {size} B"
        revision_1 = self.driver.revision_1
        pipes: list[Pipeline] = []
        try:
            queue_requests: list[list[Request]] = []
            for queue in range(settings.queues):
                requests = [
                    algorithm.request(session_id, size, queue * settings.depth + slot, revision_1)
                    for slot in range(settings.depth)
                ]
                queue_requests.append(requests)
                pipes.append(self.frontend.pipeline(queue, [(r.readable, r.writable) for r in requests]))
            self._drive(pipes, settings.depth, what)  # each slot once, on fresh (zeroed) buffers
            for queue, (pipe, requests) in enumerate(zip(pipes, queue_requests, strict=True)):
                for slot, request in enumerate(requests):
                    _verify(pipe, slot, request, f"{what}, queue {queue} slot {slot}")
            per_queue = self._count_per_queue(pipes, what)
            cpu = time.process_time()
            latencies, seconds = self._drive(pipes, per_queue, what)
            cpu = time.process_time() - cpu
            for queue, (pipe, requests) in enumerate(zip(pipes, queue_requests, strict=True)):
                for slot, request in enumerate(requests):
                    if pipe.used(slot) != request.used:
                        raise BenchmarkError(
                            f"{what}, queue {queue} slot {slot}: used length {pipe.used(slot)} during the "
                            f"timed run, {request.used} expected"
                        )
        finally:
            for pipe in pipes:
                pipe.close()
        openssl_ops, openssl_seconds = measure_openssl(
            algorithm.openssl(size), min(max(seconds, OPENSSL_MIN_SECONDS), OPENSSL_MAX_SECONDS)
        )
        result = CaseResult(
            algorithm=algorithm.name,
            size=size,
            requests=len(latencies),
            seconds=seconds,
            cpu_seconds=cpu,
            latency=Latency.of(latencies),
            openssl_ops=openssl_ops,
            openssl_seconds=openssl_seconds,
        )
        log.info("%s: %.0f ops/s, OpenSSL %.0f ops/s", what, result.ops_per_s, result.openssl_ops_per_s)
        return result

    def session_pairs(self) -> SessionPairs:
        """Create+destroy pairs of an AES-128-CBC session through the control queue, one at a time."""
        algorithm = ALGORITHMS[SESSION_ALGORITHM]
        count = self.settings.count
        seconds = self.settings.seconds or 0.0
        self._destroy(algorithm, self._create(algorithm))  # warm-up, and a refusal shows here
        pairs = 0
        start = time.perf_counter()
        elapsed = 0.0
        while (pairs < count) if count is not None else (elapsed < seconds):
            for _ in range(16 if count is None else min(16, count - pairs)):
                self._destroy(algorithm, self._create(algorithm))
                pairs += 1
            elapsed = time.perf_counter() - start
        log.info("session pairs: %d in %.3f s", pairs, elapsed)
        return SessionPairs(algorithm.name, pairs, elapsed)

    # --- pieces -----------------------------------------------------------------------------------

    def _create(self, algorithm: Algorithm) -> int:
        try:
            return self.driver.create_session(algorithm.session())
        except StatusError as exc:
            raise BenchmarkError(
                f"{algorithm.name}: the backend refused the session ({exc.status.name})"
            ) from None
        except (TimeoutError, FrontendError) as exc:
            raise BenchmarkError(f"{algorithm.name}: creating the session: {exc}") from None

    def _destroy(self, algorithm: Algorithm, session_id: int) -> None:
        try:
            self.driver.destroy_session(algorithm.service, session_id)
        except StatusError as exc:
            raise BenchmarkError(
                f"{algorithm.name}: destroying session {session_id}: {exc.status.name}"
            ) from None
        except (TimeoutError, FrontendError) as exc:
            raise BenchmarkError(f"{algorithm.name}: destroying session {session_id}: {exc}") from None

    def _count_per_queue(self, pipes: list[Pipeline], what: str) -> int:
        settings = self.settings
        if settings.count is not None:
            return max(1, -(-settings.count // settings.queues))
        calibration = max(CALIBRATION_REQUESTS, 4 * settings.depth)
        latencies, seconds = self._drive(pipes, calibration, what)
        rate = len(latencies) / seconds / settings.queues
        return max(settings.depth, round(rate * settings.seconds))  # type: ignore[operator]

    def _drive(self, pipes: list[Pipeline], count: int, what: str) -> tuple[list[int], float]:
        """``count`` requests on every pipeline at once; all latencies (ns) and the wall time."""
        depth = self.settings.depth
        timeout = self.settings.timeout
        try:
            if len(pipes) == 1:
                start = time.perf_counter()
                latencies = pipes[0].run(count, min(depth, count), timeout)
                return latencies, time.perf_counter() - start
            return _drive_threads(pipes, count, min(depth, count), timeout)
        except (TimeoutError, FrontendError) as exc:
            raise BenchmarkError(f"{what}: {exc}") from None


def _drive_threads(pipes: list[Pipeline], count: int, depth: int, timeout: float) -> tuple[list[int], float]:
    barrier = threading.Barrier(len(pipes))
    starts = [0.0] * len(pipes)
    ends = [0.0] * len(pipes)
    results: list[list[int]] = [[] for _ in pipes]
    errors: list[BaseException] = []

    def drive(index: int) -> None:
        try:
            barrier.wait(timeout)
            starts[index] = time.perf_counter()
            results[index] = pipes[index].run(count, depth, timeout)
            ends[index] = time.perf_counter()
        except BaseException as exc:  # reported by the caller's thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=drive, args=(i,), name=f"bench-queue-{i}") for i in range(len(pipes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
        raise (real or errors)[0]
    latencies = [latency for result in results for latency in result]
    return latencies, max(ends) - min(starts)


def _verify(pipe: Pipeline, slot: int, request: Request, what: str) -> None:
    output, used = pipe.output(slot), pipe.used(slot)
    if output == request.expected and used == request.used:
        return
    if output[-1:] != request.expected[-1:]:
        raise BenchmarkError(f"{what}: status {output[-1]} from the backend, OK expected")
    if used != request.used:
        raise BenchmarkError(f"{what}: used length {used}, {request.used} expected")
    first = next(i for i, (a, b) in enumerate(zip(output, request.expected, strict=True)) if a != b)
    raise BenchmarkError(f"{what}: the backend's output differs from OpenSSL's from byte {first}")


def measure_openssl(op: Callable[[], object], seconds: float) -> tuple[int, float]:
    """Run ``op`` in batches for about ``seconds``: (operations, elapsed seconds). One thread."""
    op()  # warm-up: first-call costs are not throughput
    ops = 0
    batch = 16
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            op()
        ops += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return ops, elapsed
        if elapsed < seconds / 20:
            batch *= 2
