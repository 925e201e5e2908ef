"""A descriptor chain, read and validated once into a safe object.

The guest can rewrite its descriptors at any time, so each one is read exactly once (the values
are copied out by ``struct``) and checked before anything uses it. What comes out is the chain's
head id plus its device-readable and device-writable areas as memoryviews into guest memory; the
device never sees a guest address or a guest length again.

A chain that breaks a rule keeps the segments that were valid before the fault and names the
fault in ``error``: the caller can still answer it through a writable byte it saw.

``ChainReader`` is the running queue's reader: a fast path for the chains drivers actually post
(short, every buffer inside one memory region, no zero-length descriptor) that hands anything else to
the general walk, which reads the chain afresh and names its fault. Both build the same ``Chain``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TypeVar

from ..spec.buffers import ByteViews
from .memory import AddressError, GuestMemory

DESC = struct.Struct("<QIHH")  # addr, len, flags, next
DESC_SIZE = DESC.size

F_NEXT = 1
F_WRITE = 2
F_INDIRECT = 4

MAX_CHAIN_BYTES = (1 << 32) - 1  # the used ring's u32 length: a chain must not hold more
MAX_INDIRECT = 1 << 16  # a u16 ``next`` cannot reach past this many entries

T = TypeVar("T")


class Chain:
    """One request: device-readable segments (read-only views) then device-writable ones."""

    __slots__ = ("error", "head", "readable", "writable")

    def __init__(
        self, head: int, readable: list[memoryview] | None = None, writable: list[memoryview] | None = None
    ) -> None:
        self.head = head
        self.readable: list[memoryview] = [] if readable is None else readable
        self.writable: list[memoryview] = [] if writable is None else writable
        self.error: str | None = None

    def __repr__(self) -> str:
        return (
            f"Chain(head={self.head}, readable={[v.nbytes for v in self.readable]}, "
            f"writable={[v.nbytes for v in self.writable]}, error={self.error!r})"
        )

    @property
    def status_byte(self) -> memoryview | None:
        """The last writable byte the chain holds (where virtio-crypto puts its status)."""
        for view in reversed(self.writable):
            if view.nbytes:
                return view[view.nbytes - 1 :]
        return None


def read_chain(table: memoryview, queue_size: int, head: int, memory: GuestMemory) -> Chain:
    """Walk the chain starting at descriptor ``head`` of ``table`` (a queue of ``queue_size``)."""
    chain = Chain(head, ByteViews(), ByteViews())
    try:
        _walk(chain, table, queue_size, head, memory)
    except _Fault as fault:
        chain.error = str(fault)
    return chain


class _Fault(Exception):
    pass


def _walk(chain: Chain, table: memoryview, limit: int, index: int, memory: GuestMemory) -> None:
    unpack = DESC.unpack_from
    addr, length, flags, nxt = unpack(table, index * DESC_SIZE)
    if flags & F_INDIRECT:
        # Only the head may refer to a table (as Linux and QEMU do); its own WRITE flag is ignored.
        if flags & F_NEXT:
            raise _Fault(f"descriptor {index}: INDIRECT together with NEXT")
        if length == 0 or length % DESC_SIZE:
            raise _Fault(f"descriptor {index}: indirect table of {length} bytes, not a multiple of 16")
        if length > MAX_INDIRECT * DESC_SIZE:
            raise _Fault(f"descriptor {index}: indirect table of {length} bytes is too long")
        table = _map(memory.view, index, addr, length)
        limit = length // DESC_SIZE
        index = 0
        addr, length, flags, nxt = unpack(table, 0)
    readable, writable = chain.readable, chain.writable
    total = 0
    steps = 0
    while True:
        steps += 1
        if steps > limit:
            raise _Fault(f"chain longer than its table ({limit} descriptors): a loop")
        if flags & F_INDIRECT:
            raise _Fault(f"descriptor {index}: INDIRECT inside a chain or an indirect table")
        total += length
        if total > MAX_CHAIN_BYTES:
            raise _Fault(f"descriptor {index}: chain lengths overflow 32 bits")
        if flags & F_WRITE:
            if length:
                writable.extend(_map(memory.slices, index, addr, length))
        elif writable:
            raise _Fault(f"descriptor {index}: device-readable after device-writable")
        elif length:
            readable.extend(view.toreadonly() for view in _map(memory.slices, index, addr, length))
        if not flags & F_NEXT:
            return
        if nxt >= limit:
            raise _Fault(f"descriptor {index}: next {nxt} outside the table of {limit}")
        index = nxt
        addr, length, flags, nxt = unpack(table, index * DESC_SIZE)


def _map(translate: Callable[[int, int], T], index: int, addr: int, length: int) -> T:
    try:
        return translate(addr, length)
    except AddressError as exc:
        raise _Fault(f"descriptor {index}: {exc}") from None


Region = tuple[int, int, memoryview, memoryview]  # guest start, guest end, writable view, read-only view


class ChainReader:
    """Reads the chains of one running queue against one memory table.

    Why a fast path: a queue reads one chain per request, and the general walk's generality (a
    translation call, a list of views and a read-only copy per descriptor) costs more than the
    request's crypto. Drivers post short chains whose buffers each lie in one memory region, so
    ``read`` first tries exactly that shape with the regions' bounds and views at hand. Anything
    else, a fault included, goes to ``read_chain``, which reads the chain again from the start and
    decides: the fast path never judges a chain it did not fully accept, and never keeps anything of
    a chain it gives up on. Both produce the same ``Chain`` for every chain the fast path accepts.
    """

    __slots__ = ("_regions", "memory")

    def __init__(self, memory: GuestMemory) -> None:
        self.memory = memory
        regions = sorted(memory.regions, key=lambda r: r.size, reverse=True)  # the likeliest first
        self._regions: list[Region] = [
            (r.guest_addr, r.guest_end, r.view, r.view.toreadonly()) for r in regions
        ]

    def release(self) -> None:
        """Drop the read-only views of guest memory (before the memory table is unmapped)."""
        for region in self._regions:
            region[3].release()
        self._regions = []

    def read(self, table: memoryview, queue_size: int, head: int) -> Chain:
        """What ``read_chain(table, queue_size, head, self.memory)`` returns."""
        chain = self._fast(table, queue_size, head)
        if chain is None:
            return read_chain(table, queue_size, head, self.memory)
        return chain

    def _find(self, addr: int, length: int) -> Region | None:
        for region in self._regions:
            if region[0] <= addr and addr + length <= region[1]:
                return region
        return None

    def _fast(self, table: memoryview, limit: int, head: int) -> Chain | None:
        """The chain if every descriptor is plain (non-empty, in one region, readable ones first);
        None for anything the general walk must look at."""
        if not self._regions:
            return None
        unpack = DESC.unpack_from
        start, end, view, readonly = self._regions[0]
        addr, length, flags, nxt = unpack(table, head * DESC_SIZE)
        if flags & F_INDIRECT:
            if flags & F_NEXT or not length or length % DESC_SIZE or length > MAX_INDIRECT * DESC_SIZE:
                return None
            if not (start <= addr and addr + length <= end):
                found = self._find(addr, length)
                if found is None:
                    return None
                start, end, view, readonly = found
            return self._fast_indirect(head, view[addr - start : addr - start + length])
        readable = ByteViews()
        writable = ByteViews()
        total = 0
        for _ in range(limit):  # a chain longer than its table loops: the general walk says so
            if flags & F_INDIRECT or not length:
                return None
            if not (start <= addr and addr + length <= end):
                found = self._find(addr, length)
                if found is None:
                    return None
                start, end, view, readonly = found
            offset = addr - start
            if flags & F_WRITE:
                writable.append(view[offset : offset + length])
            elif writable:
                return None
            else:
                readable.append(readonly[offset : offset + length])
            total += length
            if not flags & F_NEXT:
                break
            if nxt >= limit:
                return None
            addr, length, flags, nxt = unpack(table, nxt * DESC_SIZE)
        else:
            return None
        if total > MAX_CHAIN_BYTES:
            return None
        return Chain(head, readable, writable)

    def _fast_indirect(self, head: int, table: memoryview) -> Chain | None:
        """An indirect table in the order drivers write it (entry i's ``next`` is i + 1): one pass
        over the entries, no loop possible. Any other order goes to the general walk."""
        start, end, view, readonly = self._regions[0]
        readable = ByteViews()
        writable = ByteViews()
        total = 0
        following = 1
        for addr, length, flags, nxt in DESC.iter_unpack(table):
            if flags & F_INDIRECT or not length:
                return None
            if not (start <= addr and addr + length <= end):
                found = self._find(addr, length)
                if found is None:
                    return None
                start, end, view, readonly = found
            offset = addr - start
            if flags & F_WRITE:
                writable.append(view[offset : offset + length])
            elif writable:
                return None
            else:
                readable.append(readonly[offset : offset + length])
            total += length
            if not flags & F_NEXT:
                break
            if nxt != following:
                return None
            following += 1
        else:  # the last entry names a next one: outside the table
            return None
        if total > MAX_CHAIN_BYTES:
            return None
        return Chain(head, readable, writable)
