"""Running one check body and turning whatever happens into a ``Result``; tallying results over layouts.

A backend under check may answer wrongly, answer nothing, or drop the connection: each of those is a
FAIL of the requirement being checked, never an exception out of ``vcrypto check``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..driver import StatusError
from ..spec.constants import Status
from .requirements import CATALOGUE
from .results import Mismatch, Outcome, Result, Skipped, failed, passed, skipped

log = logging.getLogger(__name__)

Body = Callable[[], str | None]  # returns an optional note for the PASS line


def describe(exc: BaseException) -> str:
    """An exception from the backend's side, as a FAIL reason."""
    if isinstance(exc, Mismatch | Skipped):
        return str(exc)
    if isinstance(exc, StatusError):
        return f"unexpected status: {exc}"
    if isinstance(exc, TimeoutError):
        return f"no answer in time ({exc or 'timeout'})"
    return f"{type(exc).__name__}: {exc}"


def attempt(requirement_id: str, body: Body, subject: str = "") -> Result:
    """Run ``body``; PASS if it returns, FAIL on ``Mismatch`` or any error, SKIP on ``Skipped``."""
    try:
        note = body()
    except Skipped as exc:
        return skipped(requirement_id, str(exc), subject)
    except Exception as exc:
        log.debug("%s %s failed", requirement_id, subject, exc_info=True)
        return failed(requirement_id, describe(exc), subject)
    return passed(requirement_id, subject, note or "")


@dataclass(slots=True)
class _Entry:
    passed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skip: str = ""


class Tally:
    """Per (requirement, subject): the layouts it passed in, its failures, or why it was skipped."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}

    def add(self, result: Result, layout: str) -> None:
        entry = self._entries.setdefault((result.requirement.id, result.subject), _Entry())
        if result.outcome == Outcome.PASS:
            entry.passed.append(layout)
        elif result.outcome == Outcome.FAIL:
            entry.failures.append(f"{layout}: {result.reason}")
        elif not entry.skip:
            entry.skip = result.reason

    def results(self) -> Iterator[Result]:
        """One result per (requirement, subject), in catalogue order: any failure makes it FAIL."""
        order = {rid: n for n, rid in enumerate(CATALOGUE)}
        for (rid, subject), entry in sorted(
            self._entries.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])
        ):
            if entry.failures:
                more = f" (and {len(entry.failures) - 1} more)" if len(entry.failures) > 1 else ""
                yield failed(rid, entry.failures[0] + more, subject)
            elif entry.passed:
                yield passed(rid, subject, "layouts: " + ", ".join(entry.passed))
            else:
                yield skipped(rid, entry.skip, subject)


def show(data: bytes, limit: int = 24) -> str:
    """Bytes for a FAIL line: hex, cut after ``limit`` bytes."""
    text = bytes(data[:limit]).hex()
    return text + (f"...({len(data)} bytes)" if len(data) > limit else "")


def status_name(value: int) -> str:
    try:
        return Status(value).name
    except ValueError:
        return f"status {value}"
