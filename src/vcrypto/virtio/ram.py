"""Guest RAM as a driver owns it: a memfd mapped into this process, handed to a device by fd.

The driver side of the project (the vhost-user frontend, the ring test doubles, the benchmarks)
lays rings and buffers out here; a backend maps the same fd and sees the same bytes.
"""

from __future__ import annotations

import mmap
import os

from .memory import GuestMemory, MemoryRegion

USER_BASE = 0x7F00_0000_0000  # where the "frontend" says it has guest RAM mapped (SET_VRING_ADDR)


class GuestRam:
    """Guest-physical addresses from ``guest_base`` onto a shared memfd, with a bump allocator."""

    def __init__(self, size: int = 1 << 20, guest_base: int = 0, user_base: int = USER_BASE) -> None:
        self.fd = os.memfd_create("vcrypto-guest", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, size)
        self.map = mmap.mmap(self.fd, size)
        self.size = size
        self.guest_base = guest_base
        self.user_base = user_base
        self._next = 0x1000

    def alloc(self, size: int, align: int = 16) -> int:
        """A guest-physical address of ``size`` fresh bytes (never freed: allocate up front)."""
        start = -(-self._next // align) * align
        if start + size > self.size:
            raise MemoryError(f"guest RAM of {self.size} bytes exhausted")
        self._next = start + size
        return self.guest_base + start

    def user(self, gpa: int) -> int:
        """The frontend-virtual address of guest-physical ``gpa``."""
        return gpa - self.guest_base + self.user_base

    def view(self, gpa: int, size: int) -> memoryview:
        """``size`` bytes at ``gpa`` as a writable view (no copy)."""
        offset = gpa - self.guest_base
        if offset < 0 or offset + size > self.size:
            raise ValueError(f"{gpa:#x}+{size:#x} is outside guest RAM")
        return memoryview(self.map)[offset : offset + size]

    def write(self, gpa: int, data: bytes) -> None:
        offset = gpa - self.guest_base
        self.map[offset : offset + len(data)] = data

    def read(self, gpa: int, size: int) -> bytes:
        offset = gpa - self.guest_base
        return self.map[offset : offset + size]

    def put(self, data: bytes, align: int = 16) -> int:
        gpa = self.alloc(len(data), align)
        self.write(gpa, data)
        return gpa

    def guest_memory(self) -> GuestMemory:
        """The device's view of this RAM, mapped from the fd as a backend maps it."""
        return GuestMemory([MemoryRegion(self.fd, self.guest_base, self.size, self.user_base, 0)])

    def close(self) -> None:
        self.map.close()
        os.close(self.fd)
