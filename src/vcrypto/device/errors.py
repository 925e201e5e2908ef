"""Errors of the device layer: each carries the spec status the request is answered with."""

from __future__ import annotations

from ..crypto.base import (
    CryptoError,
    InvalidTag,
    SignatureRejected,
    UnsupportedAlgorithm,
)
from ..spec.constants import Status


class DeviceError(Exception):
    """A request refused with ``status``; ``reason`` is for the log, never for the guest."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class FeatureError(ValueError):
    """A driver feature set the device must not accept."""


def status_of(error: CryptoError) -> Status:
    """The spec status for a crypto-layer error."""
    if isinstance(error, UnsupportedAlgorithm):
        return Status.NOTSUPP
    if isinstance(error, InvalidTag):
        return Status.BADMSG
    if isinstance(error, SignatureRejected):
        return Status.KEY_REJECTED
    return Status.ERR


def require(condition: bool, reason: str, status: Status = Status.ERR) -> None:
    """Refuse the request with ``status`` unless ``condition`` holds."""
    if not condition:
        raise DeviceError(status, reason)
