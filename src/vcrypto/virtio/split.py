"""The device side of a split virtqueue (virtio 1.x, 2.7).

The rings live in guest memory and the guest writes them concurrently, so every index read from
them is checked before use and every field is read once with ``struct``. A queue whose rings make
no sense (an avail index running ahead by more than the queue size, a head outside the table, a
chain nobody can answer) is marked broken: it stops, the rest of the process keeps going.

Notifications: vhost-user frontends do not always tell the backend whether the guest negotiated
VIRTIO_F_EVENT_IDX (QEMU's cryptodev never does), so the queue always publishes ``avail_event``
and never sets NO_NOTIFY; a guest kicks correctly either way. The caller signals the guest after
every batch, which is right whether or not the guest asked for ``used_event`` suppression.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Callable

from .chain import DESC_SIZE, ChainReader
from .memory import AddressError, GuestMemory
from .queue import Handler, QueueError

log = logging.getLogger(__name__)

U16 = struct.Struct("<H")
USED_ELEM = struct.Struct("<II")  # id, len

MAX_QUEUE_SIZE = 32768
RING_HEADER = 4  # flags, idx

_fence = threading.Lock()


def full_barrier() -> None:
    """A store-load fence between publishing ``avail_event`` and re-reading ``avail.idx``.

    Python has no fence of its own; taking a lock runs an atomic read-modify-write, which orders
    memory fully on x86. Without it the guest's kick could be skipped while we go idle.
    """
    with _fence:
        pass


def _avail_entries(avail: memoryview, first: int, count: int, size: int) -> tuple[int, ...]:
    """``count`` avail ring entries from slot ``first``, in one or two ``struct`` calls (the ring
    may wrap). All of them precede the avail index just read, so the driver has published them."""
    ahead = min(count, size - first)
    entries = struct.unpack_from(f"<{ahead}H", avail, RING_HEADER + 2 * first)
    if ahead < count:
        entries += struct.unpack_from(f"<{count - ahead}H", avail, RING_HEADER)
    return entries


class SplitQueue:
    """Descriptor table, avail ring and used ring of one queue, as views into guest memory."""

    def __init__(
        self,
        memory: GuestMemory,
        size: int,
        desc_addr: int,
        avail_addr: int,
        used_addr: int,
        next_avail: int = 0,
    ) -> None:
        """Ring addresses are the frontend's virtual addresses (SET_VRING_ADDR)."""
        if not 0 < size <= MAX_QUEUE_SIZE or size & (size - 1):
            raise QueueError(f"queue size {size} is not a power of two up to {MAX_QUEUE_SIZE}")
        if desc_addr % 16 or avail_addr % 2 or used_addr % 4:
            raise QueueError("misaligned ring address")
        try:
            self._desc = memory.user_view(desc_addr, DESC_SIZE * size)
            self._avail = memory.user_view(avail_addr, RING_HEADER + 2 * size + 2)  # ring, used_event
            self._used = memory.user_view(used_addr, RING_HEADER + 8 * size + 2)  # ring, avail_event
        except AddressError as exc:
            raise QueueError(str(exc)) from None
        self.memory = memory
        self.size = size
        self.next_avail = next_avail & 0xFFFF
        # Every chain is completed before the next is taken, so the ring's own used index is where
        # a (re)started queue resumes.
        self.next_used = U16.unpack_from(self._used, 2)[0]
        self.broken: str | None = None
        self._reader = ChainReader(memory)

    @property
    def state(self) -> int:
        """The vring base: the next avail index to serve."""
        return self.next_avail

    def release(self) -> None:
        """Drop the views into guest memory (before the memory table is unmapped)."""
        for view in (self._desc, self._avail, self._used):
            view.release()
        self._reader.release()

    def _break(self, reason: str) -> None:
        self.broken = reason
        log.error("virtqueue stopped: %s", reason)

    def process(self, handler: Handler, notify: Callable[[], None]) -> int:
        """Drain the avail ring: ``handler`` answers each chain with its used length (None: it cannot
        be answered, the queue stops); used entries are published and ``notify`` called after each
        batch; the ring is re-checked before going idle. Returns the number of chains completed.

        The per-chain loop works on locals (ring positions, bound methods), takes the batch's avail
        entries in one read and publishes the used index once per batch: per-chain attribute lookups
        and ``struct`` calls cost as much as a chain's own bookkeeping."""
        if self.broken:
            return 0
        avail, used, size = self._avail, self._used, self.size
        mask = size - 1
        avail_event = RING_HEADER + 8 * size
        read_u16, write_used = U16.unpack_from, USED_ELEM.pack_into
        read, table = self._reader.read, self._desc
        done = 0
        while True:
            next_avail = self.next_avail
            avail_idx = read_u16(avail, 2)[0]
            pending = (avail_idx - next_avail) & 0xFFFF
            if not pending:
                U16.pack_into(used, avail_event, next_avail)
                full_barrier()
                if read_u16(avail, 2)[0] == next_avail:
                    return done
                continue
            if pending > size:
                self._break(f"avail index {avail_idx} is {pending} entries past {next_avail}")
                return done
            next_used = self.next_used
            batch = 0
            try:
                for head in _avail_entries(avail, next_avail & mask, pending, size):
                    if head >= size:
                        self._break(f"avail entry {next_avail} names descriptor {head} of {size}")
                        break
                    length = handler(read(table, size, head))
                    if length is None:
                        self._break(f"descriptor chain {head} cannot be answered")
                        break
                    write_used(used, RING_HEADER + 8 * (next_used & mask), head, length)
                    next_avail = (next_avail + 1) & 0xFFFF
                    next_used = (next_used + 1) & 0xFFFF
                    batch += 1
            finally:  # even if a handler raised, what was answered stays answered
                self.next_avail = next_avail
                self.next_used = next_used
                if batch:
                    U16.pack_into(used, 2, next_used)
            if batch:
                done += batch
                notify()
            if self.broken:
                return done
