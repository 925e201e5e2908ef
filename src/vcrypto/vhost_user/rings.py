"""Where a vring runs: what the backend knows of each ring, and the host that serves it.

The backend keeps what the frontend said about a ring in a ``Vring`` (size, addresses, base, the
three eventfds) and hands the running of it to a ``RingHost``: ``LocalRings`` serves rings in this
process (the server's poll loop watches their kick fds), ``workers.WorkerRings`` hands data rings to
worker processes. The host is also told of every device-wide change a worker's copy of the device
must follow (memory table, driver features, sessions, reset), so the backend has no "is this ring
remote?" branches.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Protocol

from ..spec.constants import Status
from ..spec.params import SessionParams
from ..virtio.chain import Chain
from ..virtio.memory import GuestMemory
from ..virtio.packed import PackedQueue
from ..virtio.queue import DeviceQueue
from ..virtio.split import SplitQueue
from .protocol import RegionDesc

log = logging.getLogger(__name__)

BAD_CHAIN_WARNINGS = 10  # per connection (or worker), then DEBUG: a guest must not flood the log

Answer = Callable[[int, Chain], "int | None"]
"""The used length for one chain of vring ``index``; None when it cannot be answered at all."""


class Vring:
    """What the frontend told us about one ring; its ``host`` runs it once it can run."""

    __slots__ = (
        "addr", "base", "broken_reported", "call", "enabled", "err", "host", "index", "kick", "queue", "size",
    )  # fmt: skip

    def __init__(self, index: int, host: RingHost, enabled: bool = True) -> None:
        self.index = index
        self.size = 0
        self.base: int | None = None  # the vring base; None: never set, the ring format's fresh state
        self.addr: tuple[int, int, int] | None = None  # desc, avail/driver, used/device areas
        self.kick: int | None = None
        self.call: int | None = None
        self.err: int | None = None
        self.enabled = enabled
        self.host = host
        self.queue: DeviceQueue | None = None  # the running queue when it runs in this process
        self.broken_reported = False

    @property
    def running(self) -> bool:
        return self.host.running(self)

    def stop(self) -> None:
        """Stop the ring wherever it runs, remembering its vring base (where the guest's ring is)."""
        state = self.host.stop(self)
        if state is not None:
            self.base = state

    def replace_fd(self, which: str, fd: int | None) -> None:
        """Install a new kick, call or err eventfd, closing the one it replaces."""
        old = getattr(self, which)
        if old is not None:
            os.close(old)
        setattr(self, which, fd)

    def reset(self, enabled: bool) -> None:
        """Back to the initial state of a device reset; the call and err eventfds are the frontend's
        wiring, not device state, and stay."""
        self.stop()
        self.replace_fd("kick", None)
        self.size = 0
        self.base = None
        self.addr = None
        self.enabled = enabled
        self.broken_reported = False

    def close(self) -> None:
        self.stop()
        for which in ("kick", "call", "err"):
            self.replace_fd(which, None)


class RingHost(Protocol):
    """Where vrings run, and the device-wide changes every copy of the device must follow."""

    def running(self, vring: Vring) -> bool: ...

    def start(self, vring: Vring, memory: GuestMemory, packed: bool, base: int) -> None:
        """Run ``vring`` from ``base`` (raises ``QueueError`` for rings that cannot be); it is served
        once ``vring.enabled``."""
        ...

    def serve(self, vring: Vring) -> None:
        """Serve what the ring holds if it is enabled (after a kick, or ``vring.enabled`` changed)."""
        ...

    def stop(self, vring: Vring) -> int | None:
        """Stop it; its vring base, or None if it was not running."""
        ...

    def fds_changed(self, vring: Vring) -> None:
        """``vring.call`` or ``vring.err`` was replaced while it may run."""
        ...

    def set_memory(self, regions: list[RegionDesc], fds: list[int]) -> None:
        """A new memory table (running rings were stopped first and are restarted after)."""
        ...

    def set_features(self, device_features: int) -> None:
        """The driver's device-specific feature bits, accepted by the backend's device."""
        ...

    def session_created(self, session_id: int, params: SessionParams) -> None:
        """Called before the creation is answered: a guest may use the session at once."""
        ...

    def session_destroyed(self, session_id: int) -> None: ...

    def reset(self) -> None:
        """The device was reset: sessions and driver features are gone."""
        ...

    def close(self) -> None: ...


class LocalRings:
    """Rings served in this process by ``answer``; the device is this process's own, so device-wide
    changes need no forwarding."""

    polled = True  # the server's poll loop watches the kick fds of the rings this host runs

    def __init__(self, name: str, answer: Answer) -> None:
        self.name = name
        self.answer = answer

    def running(self, vring: Vring) -> bool:
        return vring.queue is not None

    def start(self, vring: Vring, memory: GuestMemory, packed: bool, base: int) -> None:
        assert vring.addr is not None
        vring.queue = make_queue(memory, packed, vring.size, vring.addr, base)
        vring.broken_reported = False

    def serve(self, vring: Vring) -> None:
        queue = vring.queue
        if queue is None or not vring.enabled:
            return
        index, answer, call = vring.index, self.answer, vring.call
        queue.process(lambda chain: answer(index, chain), lambda: signal(call))
        if queue.broken and not vring.broken_reported:
            vring.broken_reported = True
            log.error("%s: vring %d stopped: %s", self.name, index, queue.broken)
            signal(vring.err)

    def stop(self, vring: Vring) -> int | None:
        queue = vring.queue
        if queue is None:
            return None
        vring.queue = None
        state = queue.state
        queue.release()
        return state

    def fds_changed(self, vring: Vring) -> None:
        pass  # ``serve`` reads the eventfds from the vring each time

    def set_memory(self, regions: list[RegionDesc], fds: list[int]) -> None:
        pass

    def set_features(self, device_features: int) -> None:
        pass

    def session_created(self, session_id: int, params: SessionParams) -> None:
        pass

    def session_destroyed(self, session_id: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def make_queue(
    memory: GuestMemory, packed: bool, size: int, addr: tuple[int, int, int], base: int
) -> DeviceQueue:
    """The queue in the ring format negotiated, resuming at its vring base; ``QueueError`` if the
    ring cannot be one."""
    queue_type = PackedQueue if packed else SplitQueue
    return queue_type(memory, size, *addr, base)


def refuse_bad_chain(chain: Chain) -> int | None:
    """A chain refused by the ring: ERR in its last writable byte (used length 1), or None if it has
    none (the queue must stop)."""
    status = chain.status_byte
    if status is None:
        return None
    status[0] = Status.ERR
    return 1


def signal(fd: int | None) -> None:
    """Signal an eventfd; a full counter or a closed fd is not our problem (the guest polls on)."""
    if fd is None:
        return
    try:
        os.eventfd_write(fd, 1)
    except OSError as exc:
        log.debug("eventfd %d not signalled: %s", fd, exc)
