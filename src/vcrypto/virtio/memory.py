"""Guest memory: the frontend's fd-backed regions, mapped once into this process.

A vhost-user frontend names the same bytes two ways: descriptors carry guest-physical addresses,
while ring addresses (SET_VRING_ADDR) are the frontend's own virtual addresses. Each region maps
both ranges onto one ``mmap``. Every translation is checked against the regions, so no address or
length a guest writes can reach outside the mappings; results are memoryview slices (no copies).
"""

from __future__ import annotations

import bisect
import logging
import mmap
import os
import stat
from collections.abc import Iterable

log = logging.getLogger(__name__)

_U64_END = 1 << 64


class AddressError(Exception):
    """An address range that guest memory does not cover."""


class MemoryRegion:
    """One region of guest memory, mapped shared and read-write from the frontend's fd."""

    __slots__ = ("_mmap", "guest_addr", "guest_end", "size", "user_addr", "user_end", "view")

    def __init__(self, fd: int, guest_addr: int, size: int, user_addr: int, mmap_offset: int) -> None:
        if size <= 0:
            raise ValueError("empty memory region")
        if guest_addr + size > _U64_END or user_addr + size > _U64_END or mmap_offset + size > _U64_END:
            raise ValueError("memory region wraps around the address space")
        info = os.fstat(fd)
        # Touching a page past the end of a file raises SIGBUS, which would kill the process:
        # refuse a region the file does not hold entirely.
        if stat.S_ISREG(info.st_mode) and info.st_size < mmap_offset + size:
            raise ValueError(f"region {mmap_offset:#x}+{size:#x} exceeds its file ({info.st_size:#x} bytes)")
        # mmap wants a page-aligned offset; QEMU's need not be (e.g. a region behind a ROM hole).
        skew = mmap_offset % mmap.ALLOCATIONGRANULARITY
        self._mmap = mmap.mmap(
            fd,
            size + skew,
            flags=mmap.MAP_SHARED,
            prot=mmap.PROT_READ | mmap.PROT_WRITE,
            offset=mmap_offset - skew,
        )
        self.view = memoryview(self._mmap)[skew : skew + size]
        self.guest_addr = guest_addr
        self.guest_end = guest_addr + size
        self.user_addr = user_addr
        self.user_end = user_addr + size
        self.size = size

    def __repr__(self) -> str:
        return f"MemoryRegion(gpa={self.guest_addr:#x}, size={self.size:#x}, uaddr={self.user_addr:#x})"

    def close(self) -> None:
        """Unmap, unless the device still holds views into it (then the mapping dies with them)."""
        self.view.release()
        try:
            self._mmap.close()
        except BufferError:
            log.debug("%r still referenced; unmapped when the last view goes", self)


class GuestMemory:
    """The frontend's memory table: guest-physical and frontend-virtual translation with bounds."""

    def __init__(self, regions: Iterable[MemoryRegion] = ()) -> None:
        self.regions = sorted(regions, key=lambda r: r.guest_addr)
        for before, after in zip(self.regions, self.regions[1:], strict=False):
            if after.guest_addr < before.guest_end:
                raise ValueError(f"overlapping memory regions {before!r} and {after!r}")
        self._starts = [r.guest_addr for r in self.regions]

    def __len__(self) -> int:
        return len(self.regions)

    def _region(self, addr: int) -> MemoryRegion | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            region = self.regions[i]
            if addr < region.guest_end:
                return region
        return None

    def slices(self, addr: int, length: int) -> list[memoryview]:
        """The guest-physical range ``[addr, addr + length)`` as views, one per region it crosses."""
        region = self._region(addr)
        if region is not None and addr + length <= region.guest_end:  # the usual case: one region
            start = addr - region.guest_addr
            return [region.view[start : start + length]]
        views = []
        end = addr + length
        while addr < end:
            if region is None:
                raise AddressError(f"guest range {addr:#x}+{end - addr:#x} is not in guest memory")
            piece = min(end, region.guest_end) - addr
            start = addr - region.guest_addr
            views.append(region.view[start : start + piece])
            addr += piece
            region = self._region(addr) if addr < end else None
        return views

    def view(self, addr: int, length: int) -> memoryview:
        """The guest-physical range as one view; it must lie in one region (indirect tables)."""
        region = self._region(addr)
        if region is None or addr + length > region.guest_end:
            raise AddressError(f"guest range {addr:#x}+{length:#x} is not in one memory region")
        start = addr - region.guest_addr
        return region.view[start : start + length]

    def user_view(self, addr: int, length: int) -> memoryview:
        """The frontend-virtual range ``[addr, addr + length)`` (ring addresses) as one view."""
        for region in self.regions:
            if region.user_addr <= addr and addr + length <= region.user_end:
                start = addr - region.user_addr
                return region.view[start : start + length]
        raise AddressError(f"frontend address range {addr:#x}+{length:#x} is not in one memory region")

    def close(self) -> None:
        for region in self.regions:
            region.close()
        self.regions = []
        self._starts = []
