"""What the transports need of a virtqueue, whichever ring format is behind it.

Device side: a queue built over guest memory from the three ring addresses runs ``process`` when
kicked and reports its position as the vhost-user "vring base". Driver side: a queue lays chains
out in ``GuestRam``, publishes them and collects completions. Split (``split.py``) and packed
(``packed.py``) rings implement both halves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from .chain import Chain

Handler = Callable[[Chain], "int | None"]
"""Answers one chain with its used length; None when it cannot be answered (the queue stops)."""

Segment = tuple[int, int, bool]
"""A driver-side buffer: guest-physical address, length, device-writable."""


class QueueError(Exception):
    """Ring parameters that cannot describe a virtqueue in guest memory."""


class QueueFull(Exception):
    """The driver has no free descriptors for another chain until completions are taken."""


class DeviceQueue(Protocol):
    """The device's half of a running queue."""

    broken: str | None

    def process(self, handler: Handler, notify: Callable[[], None]) -> int:
        """Answer every available chain; ``notify`` after each batch. Returns chains completed."""
        ...

    @property
    def state(self) -> int:
        """The vring base for GET_VRING_BASE (split: next avail index; packed: see packed.py)."""
        ...

    def release(self) -> None:
        """Drop every view into guest memory."""
        ...


class DriverQueue(Protocol):
    """The driver's half: descriptor area, driver area and device area in ``GuestRam``."""

    size: int

    @property
    def addresses(self) -> tuple[int, int, int]:
        """Guest-physical descriptor, driver (avail) and device (used) area addresses."""
        ...

    def free(self) -> int:
        """Chains that can still be added (each takes 1 descriptor if indirect, else one per segment)."""
        ...

    def add(self, segments: Sequence[Segment], token: object, indirect: bool = False) -> None:
        """Place one chain, readable segments first; invisible to the device until ``publish``.
        Raises ``QueueFull``."""
        ...

    def publish(self) -> bool:
        """Expose the added chains; True if the device asked to be notified (kick it)."""
        ...

    def take_used(self) -> list[tuple[object, int]]:
        """(token, used length) of every chain the device completed since the last call."""
        ...
