"""The driver's half of a split virtqueue, over guest RAM in a memfd.

It does what a guest driver does (lays out rings, places descriptor chains, bumps the avail index,
reads the used ring) so the device side can be tested and benchmarked without a VM, the way
rust-vmm's virtio-queue ships a mock queue. Nothing in the device path imports it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .chain import DESC, F_INDIRECT, F_NEXT, F_WRITE
from .ram import GuestRam
from .split import RING_HEADER, U16, USED_ELEM

MockMemory = GuestRam  # the name the ring tests grew up with


class MockSplitQueue:
    """Descriptor table, avail and used rings laid out in ``MockMemory`` by the 'driver'."""

    def __init__(self, memory: MockMemory, size: int = 16) -> None:
        self.memory = memory
        self.size = size
        self.desc = memory.alloc(DESC.size * size, 16)
        self.avail = memory.alloc(RING_HEADER + 2 * size + 2, 2)
        self.used = memory.alloc(RING_HEADER + 8 * size + 2, 4)
        self.avail_idx = 0
        self.last_used = 0
        self._next_desc = 0

    @property
    def addresses(self) -> tuple[int, int, int]:
        """Frontend-virtual desc, avail, used addresses (as SET_VRING_ADDR carries them)."""
        return self.memory.user(self.desc), self.memory.user(self.avail), self.memory.user(self.used)

    def write_desc(self, index: int, addr: int, length: int, flags: int = 0, next_: int = 0) -> None:
        self.memory.write(self.desc + DESC.size * index, DESC.pack(addr, length, flags, next_))

    def take_desc(self, count: int = 1) -> int:
        """The first of ``count`` consecutive descriptor slots (wrapping reuse, as tests need)."""
        if count > self.size:
            raise ValueError("chain longer than the queue")
        if self._next_desc + count > self.size:
            self._next_desc = 0
        first = self._next_desc
        self._next_desc += count
        return first

    def publish(self, head: int) -> None:
        """Make chain ``head`` available to the device."""
        slot = self.avail + RING_HEADER + 2 * (self.avail_idx % self.size)
        self.memory.write(slot, U16.pack(head))
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.memory.write(self.avail + 2, U16.pack(self.avail_idx))

    def add_chain(
        self,
        readable: Sequence[bytes],
        writable: Sequence[int],
        *,
        indirect: bool = False,
        publish: bool = True,
    ) -> tuple[int, list[tuple[int, int]]]:
        """Place a chain (buffers copied into fresh guest memory); returns its head and the
        (address, size) of each writable buffer."""
        buffers = [(self.memory.put(data), len(data), 0) for data in readable]
        out = [(self.memory.alloc(size), size) for size in writable]
        buffers += [(addr, size, F_WRITE) for addr, size in out]
        if indirect:
            table = b"".join(
                DESC.pack(addr, size, flags | (F_NEXT if i + 1 < len(buffers) else 0), i + 1)
                for i, (addr, size, flags) in enumerate(buffers)
            )
            head = self.take_desc()
            self.write_desc(head, self.memory.put(table), len(table), F_INDIRECT)
        else:
            head = self.take_desc(len(buffers))
            for i, (addr, size, flags) in enumerate(buffers):
                last = i + 1 == len(buffers)
                self.write_desc(head + i, addr, size, flags | (0 if last else F_NEXT), head + i + 1)
        if publish:
            self.publish(head)
        return head, out

    def used_idx(self) -> int:
        return U16.unpack(self.memory.read(self.used + 2, 2))[0]

    def avail_event(self) -> int:
        return U16.unpack(self.memory.read(self.used + RING_HEADER + 8 * self.size, 2))[0]

    def take_used(self) -> list[tuple[int, int]]:
        """The (id, len) entries the device completed since the last call."""
        entries = []
        end = self.used_idx()
        while self.last_used != end:
            slot = self.used + RING_HEADER + 8 * (self.last_used % self.size)
            entries.append(USED_ELEM.unpack(self.memory.read(slot, 8)))
            self.last_used = (self.last_used + 1) & 0xFFFF
        return entries


def pack_descs(descs: Sequence[tuple[int, int, int, int]]) -> bytes:
    """An indirect table from (addr, len, flags, next) tuples."""
    return b"".join(DESC.pack(*d) for d in descs)
