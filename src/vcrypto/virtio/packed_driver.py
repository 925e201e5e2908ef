"""The driver's half of a packed virtqueue, laid out in ``GuestRam``.

It does what a guest driver does with VIRTIO_F_RING_PACKED: writes chains into the descriptor
ring behind its wrap counter (a chain's first flags last, at ``publish``, so the device never sees
half a chain), consults the device's event suppression to decide on a kick, and reads used
descriptors in completion order, skipping as many ring slots as each completed chain took. Buffer
IDs are its own; each has an indirect table allocated up front.

The device on the other side may be buggy: a used descriptor naming a buffer ID that is not in
flight raises ``QueueError`` instead of corrupting the bookkeeping.
"""

from __future__ import annotations

from collections.abc import Sequence

from .chain import DESC_SIZE, F_INDIRECT, F_NEXT, F_WRITE
from .packed import (
    AVAIL_USED,
    BODY,
    DESC,
    EVENT,
    EVENT_DESC,
    EVENT_DISABLE,
    F_AVAIL,
    F_USED,
    FLAGS_OFFSET,
    MAX_QUEUE_SIZE,
    U16,
    USED,
)
from .queue import QueueError, QueueFull, Segment
from .ram import GuestRam
from .split import full_barrier


class PackedDriverQueue:
    """Descriptor ring, driver and device event suppression areas, and per-ID indirect tables."""

    def __init__(self, ram: GuestRam, size: int, max_indirect: int = 16) -> None:
        if not 0 < size <= MAX_QUEUE_SIZE:
            raise QueueError(f"queue size {size} is not between 1 and {MAX_QUEUE_SIZE}")
        if max_indirect < 1:
            raise ValueError("an indirect table needs at least one entry")
        self.ram = ram
        self.size = size
        self.max_indirect = max_indirect
        self.desc = ram.alloc(DESC_SIZE * size, 16)
        self.driver_area = ram.alloc(EVENT.size, 4)
        self.device_area = ram.alloc(EVENT.size, 4)
        self.tables = ram.alloc(DESC_SIZE * max_indirect * size, 16)
        self._ring = ram.view(self.desc, DESC_SIZE * size)
        self._ring[:] = bytes(len(self._ring))  # the spec's zero-initialised ring
        ram.write(self.driver_area, EVENT.pack(0, 0))  # used buffer notifications enabled
        self.next_avail = 0
        self.avail_wrap = 1
        self.next_used = 0
        self.used_wrap = 1
        self._free_ids = list(range(size - 1, -1, -1))
        self._tokens: list[object] = [None] * size
        self._counts = [0] * size  # ring descriptors each in-flight ID took (0: not in flight)
        self._num_free = size
        self._pending: list[tuple[int, int]] = []  # (position, flags) of chains not yet published
        self._pending_descs = 0

    @property
    def addresses(self) -> tuple[int, int, int]:
        """Guest-physical descriptor ring, driver area and device area."""
        return self.desc, self.driver_area, self.device_area

    def free(self) -> int:
        """Free ring descriptors: chains of one descriptor (or indirect) that can still be added."""
        return self._num_free

    def add(self, segments: Sequence[Segment], token: object, indirect: bool = False) -> None:
        """Write one chain (readable segments first) behind the ring's first unpublished slot; its
        first descriptor stays unavailable until ``publish``."""
        if not segments:
            raise ValueError("a chain needs at least one segment")
        kinds = [writable for _, _, writable in segments]
        if kinds != sorted(kinds):
            raise ValueError("device-readable segment after a device-writable one")
        if indirect and len(segments) > self.max_indirect:
            raise ValueError(f"{len(segments)} segments do not fit an indirect table of {self.max_indirect}")
        if any(not 0 <= length <= 0xFFFF_FFFF or not 0 <= addr < 1 << 64 for addr, length, _ in segments):
            raise ValueError("segment address or length does not fit a descriptor")
        needed = 1 if indirect else len(segments)
        if needed > self._num_free:
            raise QueueFull(f"{needed} descriptors wanted, {self._num_free} free")
        buffer_id = self._free_ids.pop()
        self._tokens[buffer_id] = token
        self._counts[buffer_id] = needed
        self._num_free -= needed
        if indirect:
            table = self.tables + buffer_id * self.max_indirect * DESC_SIZE
            self.ram.write(
                table,
                b"".join(DESC.pack(addr, length, 0, F_WRITE if w else 0) for addr, length, w in segments),
            )
            descs = [(table, DESC_SIZE * len(segments), F_INDIRECT)]
        else:
            descs = [(addr, length, F_WRITE if w else 0) for addr, length, w in segments]
        ring, size = self._ring, self.size
        position, wrap = self.next_avail, self.avail_wrap
        first, first_flags = position, 0
        last = len(descs) - 1
        for i, (addr, length, flags) in enumerate(descs):
            flags |= F_AVAIL if wrap else F_USED
            if i < last:
                flags |= F_NEXT
            offset = position * DESC_SIZE
            if i:
                DESC.pack_into(ring, offset, addr, length, buffer_id, flags)
            else:
                first_flags = flags
                BODY.pack_into(ring, offset, addr, length, buffer_id)  # its flags at ``publish``
            position += 1
            if position == size:
                position = 0
                wrap ^= 1
        self.next_avail, self.avail_wrap = position, wrap
        self._pending.append((first, first_flags))
        self._pending_descs += needed

    def publish(self) -> bool:
        """Make the added chains available (first flags last); True if the device's event
        suppression asks for a kick."""
        if not self._pending:
            return False
        full_barrier()  # the chains' bodies before their first flags
        ring = self._ring
        for position, flags in self._pending:
            U16.pack_into(ring, position * DESC_SIZE + FLAGS_OFFSET, flags)
        published = self._pending_descs
        self._pending.clear()
        self._pending_descs = 0
        full_barrier()  # the flags before reading the device's suppression
        off_wrap, event_flags = EVENT.unpack(self.ram.read(self.device_area, EVENT.size))
        event_flags &= 3
        if event_flags == EVENT_DISABLE:
            return False
        if event_flags != EVENT_DESC:
            return True  # enabled (or the reserved value: kicking is always safe)
        event_pos, event_wrap = off_wrap & 0x7FFF, off_wrap >> 15
        # How far behind the next free slot the event descriptor lies; kick if it was just published.
        behind = self.next_avail - event_pos
        if event_wrap != self.avail_wrap:
            behind += self.size
        return 0 < behind <= published

    def take_used(self) -> list[tuple[object, int]]:
        """(token, used length) of every chain the device completed, in completion order."""
        done: list[tuple[object, int]] = []
        ring = self._ring
        while self._num_free < self.size:
            offset = self.next_used * DESC_SIZE
            flags = U16.unpack_from(ring, offset + FLAGS_OFFSET)[0]  # flags first: they publish the rest
            if flags & AVAIL_USED != (AVAIL_USED if self.used_wrap else 0):
                break
            length, buffer_id = USED.unpack_from(ring, offset + 8)
            count = self._counts[buffer_id] if buffer_id < self.size else 0
            if not count:
                raise QueueError(
                    f"device used buffer {buffer_id} at {self.next_used}, which is not in flight"
                )
            token = self._tokens[buffer_id]
            self._tokens[buffer_id] = None
            self._counts[buffer_id] = 0
            self._free_ids.append(buffer_id)
            self._num_free += count
            self.next_used += count
            if self.next_used >= self.size:
                self.next_used -= self.size
                self.used_wrap ^= 1
            done.append((token, length if flags & F_WRITE else 0))
        return done

    def release(self) -> None:
        """Drop the view of the ring (before the RAM is closed)."""
        self._ring.release()
