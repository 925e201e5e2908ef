"""What a check concludes about one requirement (and, for per-algorithm rules, one subject)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .requirements import CATALOGUE, Requirement


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class Result:
    requirement: Requirement
    outcome: Outcome
    subject: str = ""  # the algorithm, for rules checked per algorithm
    reason: str = ""  # why it failed (expected vs got) or was skipped; for PASS, what was covered

    @property
    def label(self) -> str:
        return f"{self.requirement.id}[{self.subject}]" if self.subject else self.requirement.id


class Mismatch(Exception):
    """A check saw the backend break its requirement; the message says expected vs got."""


class Skipped(Exception):
    """A check cannot be run against this backend; the message says why."""


def passed(requirement_id: str, subject: str = "", note: str = "") -> Result:
    return Result(CATALOGUE[requirement_id], Outcome.PASS, subject, note)


def failed(requirement_id: str, reason: str, subject: str = "") -> Result:
    return Result(CATALOGUE[requirement_id], Outcome.FAIL, subject, reason)


def skipped(requirement_id: str, reason: str, subject: str = "") -> Result:
    return Result(CATALOGUE[requirement_id], Outcome.SKIP, subject, reason)


def expect(condition: bool, reason: str) -> None:
    """Raise ``Mismatch(reason)`` unless ``condition`` holds."""
    if not condition:
        raise Mismatch(reason)
