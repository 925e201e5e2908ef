"""A descriptor chain, read and validated once into a safe object.

The guest can rewrite its descriptors at any time, so each one is read exactly once (the values
are copied out by ``struct``) and checked before anything uses it. What comes out is the chain's
head id plus its device-readable and device-writable areas as memoryviews into guest memory; the
device never sees a guest address or a guest length again.

A chain that breaks a rule keeps the segments that were valid before the fault and names the
fault in ``error``: the caller can still answer it through a writable byte it saw.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TypeVar

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

    def __init__(self, head: int) -> None:
        self.head = head
        self.readable: list[memoryview] = []
        self.writable: list[memoryview] = []
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
    chain = Chain(head)
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
