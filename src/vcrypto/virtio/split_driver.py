"""The driver's half of a split virtqueue (virtio 1.x, 2.7), as a guest driver runs it.

The vhost-user frontend lays its rings out in ``GuestRam`` with this class and a backend serves them
through the shared memfd, exactly as it serves a VM's rings. Descriptors come from a free list and
go back to it when the device returns their chain, in whatever order it does; the device's
``avail_event`` (EVENT_IDX) or ``NO_NOTIFY`` flag decides whether a publish needs a kick.

Two extras serve tests and benchmarks: ``prepare``/``post`` keep a chain's descriptors written once
and re-post it as often as wanted (a driver recycling its buffers), and ``place_raw`` writes
descriptors verbatim so conformance tests can hand a backend loops and out-of-table links.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Sequence

from .chain import DESC, DESC_SIZE, F_INDIRECT, F_NEXT, F_WRITE
from .queue import QueueError, QueueFull, Segment
from .ram import GuestRam

log = logging.getLogger(__name__)

U16 = struct.Struct("<H")
USED_ELEM = struct.Struct("<II")  # id, len
RING_HEADER = 4  # flags, idx
MAX_QUEUE_SIZE = 32768
USED_F_NO_NOTIFY = 1  # used.flags: the device does not want kicks

_fence_lock = threading.Lock()


def _store_load_fence() -> None:
    """Order the avail index store before the load of the device's event index.

    Python has no fence; a lock round-trip is an atomic read-modify-write, a full barrier on x86.
    Without it a kick could be skipped while the device goes idle.
    """
    with _fence_lock:
        pass


class SplitDriverQueue:
    """Descriptor table, avail ring and used ring of one queue, owned by the driver.

    ``event_idx`` says whether VIRTIO_F_EVENT_IDX was negotiated: then ``publish`` asks for a kick
    only when the device's ``avail_event`` was crossed, and ``take_used`` publishes ``used_event``.
    """

    def __init__(self, ram: GuestRam, size: int, max_indirect: int = 16, *, event_idx: bool = False) -> None:
        if not 0 < size <= MAX_QUEUE_SIZE or size & (size - 1):
            raise QueueError(f"split queue size {size} is not a power of two up to {MAX_QUEUE_SIZE}")
        if not 1 <= max_indirect <= 1 << 16:
            raise QueueError(f"indirect tables of {max_indirect} entries")
        self.ram = ram
        self.size = size
        self.max_indirect = max_indirect
        self.event_idx = event_idx
        self.desc = ram.alloc(DESC_SIZE * size, 16)
        self.avail = ram.alloc(RING_HEADER + 2 * size + 2, 2)  # ring, used_event
        self.used = ram.alloc(RING_HEADER + 8 * size + 2, 4)  # ring, avail_event
        self._desc = ram.view(self.desc, DESC_SIZE * size)
        self._avail = ram.view(self.avail, RING_HEADER + 2 * size + 2)
        self._used = ram.view(self.used, RING_HEADER + 8 * size + 2)
        for view in (self._desc, self._avail, self._used):
            view[:] = bytes(len(view))
        self._mask = size - 1
        self._avail_event_at = RING_HEADER + 8 * size
        self._used_event_at = RING_HEADER + 2 * size
        self._free = list(range(size - 1, -1, -1))  # a stack: pop() hands out 0, 1, 2, ... first
        self._in_use = bytearray(size)  # 1 per descriptor out of the free list (for place_raw's runs)
        self._tables: dict[int, int] = {}  # head descriptor → its indirect table (allocated on first use)
        self._inflight: dict[int, tuple[object, tuple[int, ...]]] = {}  # head → token, ids to free
        self._prepared: dict[int, tuple[int, ...]] = {}  # head → descriptors kept for re-posting
        self.avail_idx = 0  # the driver's shadow of avail.idx
        self._published = 0
        self.last_used = 0
        self.spurious = 0  # used entries naming no chain in flight (a misbehaving device)

    # --- DriverQueue ------------------------------------------------------------------------------

    @property
    def addresses(self) -> tuple[int, int, int]:
        """Guest-physical descriptor table, avail ring and used ring."""
        return self.desc, self.avail, self.used

    @property
    def state(self) -> int:
        """The vring base to hand a device before this queue's first chain: the avail index."""
        return self._published

    def free(self) -> int:
        return len(self._free)

    def add(self, segments: Sequence[Segment], token: object, indirect: bool = False) -> None:
        """Place one chain (readable segments first) and queue its head for ``publish``."""
        count = len(segments)
        if not count:
            raise ValueError("a chain needs at least one segment")
        if indirect and count > self.max_indirect:
            raise ValueError(f"{count} segments do not fit an indirect table of {self.max_indirect}")
        if count > self.size and not indirect:
            raise ValueError(f"{count} segments exceed the queue size {self.size}")
        ids = self._place(segments, indirect)
        self._push(ids[0], token, ids)

    def publish(self) -> bool:
        """Expose the added chains; True if the device asked to be kicked."""
        new, old = self.avail_idx, self._published
        if new == old:
            return False
        U16.pack_into(self._avail, 2, new)
        self._published = new
        _store_load_fence()
        if self.event_idx:
            event = U16.unpack_from(self._used, self._avail_event_at)[0]
            return (new - event - 1) & 0xFFFF < (new - old) & 0xFFFF
        return not U16.unpack_from(self._used, 0)[0] & USED_F_NO_NOTIFY

    def take_used(self) -> list[tuple[object, int]]:
        """(token, used length) of every chain completed since the last call, in completion order.

        Entries naming no chain in flight are counted in ``spurious`` and skipped: the device is not
        trusted to return only what it was given.
        """
        end = U16.unpack_from(self._used, 2)[0]
        last = self.last_used
        if end == last:
            return []
        done: list[tuple[object, int]] = []
        used, mask, inflight = self._used, self._mask, self._inflight
        while last != end:
            head, length = USED_ELEM.unpack_from(used, RING_HEADER + 8 * (last & mask))
            last = (last + 1) & 0xFFFF
            entry = inflight.pop(head, None)
            if entry is None:
                self.spurious += 1
                log.warning("used entry names descriptor %d, which is not in flight", head)
                continue
            token, ids = entry
            if ids:
                self._release(ids)
            done.append((token, length))
        self.last_used = last
        if self.event_idx:
            U16.pack_into(self._avail, self._used_event_at, last)
        return done

    # --- re-posted chains (benchmarks) ------------------------------------------------------------

    def prepare(self, segments: Sequence[Segment], indirect: bool = False) -> int:
        """Write a chain once and keep its descriptors; ``post`` its head as often as wanted."""
        if not segments or (indirect and len(segments) > self.max_indirect):
            raise ValueError("a chain needs between 1 and max_indirect segments")
        ids = self._place(segments, indirect)
        self._prepared[ids[0]] = ids
        return ids[0]

    def post(self, head: int, token: object) -> None:
        """Queue a prepared chain for ``publish`` (it must not be in flight already)."""
        if head not in self._prepared or head in self._inflight:
            raise ValueError(f"descriptor {head} is not a prepared chain at rest")
        U16.pack_into(self._avail, RING_HEADER + 2 * (self.avail_idx & self._mask), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self._inflight[head] = (token, ())

    def unprepare(self, head: int) -> None:
        """Give a prepared chain's descriptors back to the free list."""
        if head in self._inflight:
            raise ValueError(f"descriptor {head} is in flight")
        self._release(self._prepared.pop(head))

    # --- verbatim descriptors (conformance tests) -------------------------------------------------

    def place_raw(self, descs: Sequence[tuple[int, int, int, int]], token: object = None) -> int:
        """Write (addr, len, flags, next) descriptors verbatim into consecutive free slots and queue
        the first as a chain head; ``next`` is relative to the first slot (the base is added, modulo
        2**16), so loops and links outside the table are easy to build. Returns the head id."""
        count = len(descs)
        if not 0 < count <= self.size:
            raise ValueError(f"{count} raw descriptors for a queue of {self.size}")
        base = self._in_use.find(bytes(count))
        if base < 0:
            raise QueueFull(f"no run of {count} free descriptors")
        ids = tuple(range(base, base + count))
        for slot in ids:
            self._free.remove(slot)
            self._in_use[slot] = 1
        for slot, (addr, length, flags, next_) in zip(ids, descs, strict=True):
            DESC.pack_into(self._desc, DESC_SIZE * slot, addr, length, flags, (base + next_) & 0xFFFF)
        self._push(base, base if token is None else token, ids)
        return base

    # --- internals --------------------------------------------------------------------------------

    def _place(self, segments: Sequence[Segment], indirect: bool) -> tuple[int, ...]:
        """Write a chain's descriptors; returns the descriptor ids it holds, head first."""
        writable_seen = False
        for _addr, _length, writable in segments:
            if writable_seen and not writable:
                raise ValueError("a device-readable segment after a device-writable one")
            writable_seen = writable_seen or writable
        needed = 1 if indirect else len(segments)
        if needed > len(self._free):
            raise QueueFull(f"{needed} descriptors needed, {len(self._free)} free")
        ids = tuple(self._free.pop() for _ in range(needed))
        for slot in ids:
            self._in_use[slot] = 1
        if indirect:
            table = self._table(ids[0])
            last = len(segments) - 1
            blob = b"".join(
                DESC.pack(addr, length, (F_WRITE if writable else 0) | (F_NEXT if i < last else 0), i + 1)
                for i, (addr, length, writable) in enumerate(segments)
            )
            self.ram.write(table, blob)
            DESC.pack_into(self._desc, DESC_SIZE * ids[0], table, len(blob), F_INDIRECT, 0)
            return ids
        for i, (addr, length, writable) in enumerate(segments):
            last = i + 1 == len(ids)
            flags = (F_WRITE if writable else 0) | (0 if last else F_NEXT)
            DESC.pack_into(self._desc, DESC_SIZE * ids[i], addr, length, flags, 0 if last else ids[i + 1])
        return ids

    def _table(self, head: int) -> int:
        table = self._tables.get(head)
        if table is None:
            table = self._tables[head] = self.ram.alloc(DESC_SIZE * self.max_indirect, 16)
        return table

    def _push(self, head: int, token: object, ids: tuple[int, ...]) -> None:
        U16.pack_into(self._avail, RING_HEADER + 2 * (self.avail_idx & self._mask), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self._inflight[head] = (token, ids)

    def _release(self, ids: tuple[int, ...]) -> None:
        for slot in ids:
            self._in_use[slot] = 0
        self._free.extend(reversed(ids))

    def release(self) -> None:
        """Drop the views into guest RAM (before it is unmapped)."""
        for view in (self._desc, self._avail, self._used):
            view.release()
