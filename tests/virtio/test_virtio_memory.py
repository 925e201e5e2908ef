"""Guest memory: mapping fd regions and translating addresses with bounds."""

from __future__ import annotations

import mmap
import os

import pytest

from vcrypto.virtio.memory import AddressError, GuestMemory, MemoryRegion


@pytest.fixture
def memfd():
    fd = os.memfd_create("test-guest", os.MFD_CLOEXEC)
    os.ftruncate(fd, 0x10000)
    os.pwrite(fd, bytes(range(256)) * 256, 0)
    yield fd
    os.close(fd)


def test_translates_guest_and_user_addresses(memfd):
    memory = GuestMemory([MemoryRegion(memfd, 0x100000, 0x4000, 0x7F0000000000, 0x1000)])
    [view] = memory.slices(0x100010, 4)
    assert bytes(view) == bytes([0x10, 0x11, 0x12, 0x13])  # file offset 0x1010
    assert bytes(memory.user_view(0x7F0000000020, 2)) == bytes([0x20, 0x21])
    view[0] = 0xAA  # shared: the frontend sees device writes
    assert os.pread(memfd, 1, 0x1010) == b"\xaa"
    memory.close()


def test_unaligned_mmap_offset(memfd):
    """QEMU's mmap_offset need not be page-aligned: the mapping starts at the page below."""
    memory = GuestMemory([MemoryRegion(memfd, 0, 0x2000, 0, 0x1234)])
    assert bytes(memory.slices(0, 3)[0]) == bytes([0x34, 0x35, 0x36])
    assert memory.regions[0].view.nbytes == 0x2000
    memory.close()


@pytest.mark.parametrize(
    ("addr", "length"),
    [
        (0x0FFFFF, 1),  # just below
        (0x104000, 1),  # just past
        (0x103FFF, 2),  # straddles the end
        ((1 << 64) - 1, 2),  # wraps around
        (0x100000, 0x4001),  # longer than the region
    ],
)
def test_out_of_range_is_refused(memfd, addr, length):
    memory = GuestMemory([MemoryRegion(memfd, 0x100000, 0x4000, 0x7F0000000000, 0)])
    with pytest.raises(AddressError):
        memory.slices(addr, length)
    with pytest.raises(AddressError):
        memory.view(addr, length)
    with pytest.raises(AddressError):
        memory.user_view(addr - 0x100000 + 0x7F0000000000, length)
    memory.close()


def test_range_across_adjacent_regions(memfd):
    """Two regions contiguous in guest-physical space: one descriptor may cross them."""
    memory = GuestMemory(
        [MemoryRegion(memfd, 0x3000, 0x3000, 0x9000, 0x3000), MemoryRegion(memfd, 0, 0x3000, 0x1000, 0)]
    )
    views = memory.slices(0x2FFE, 4)
    assert [v.nbytes for v in views] == [2, 2]
    assert b"".join(bytes(v) for v in views) == bytes([0xFE, 0xFF, 0x00, 0x01])
    with pytest.raises(AddressError):
        memory.view(0x2FFE, 4)  # a table must lie in one region
    with pytest.raises(AddressError):
        memory.slices(0x5FFE, 4)  # runs off the end of the second region
    memory.close()


def test_region_beyond_file_end_is_refused(memfd):
    """Mapping past the end of the file would turn a guest access into SIGBUS."""
    with pytest.raises(ValueError, match="exceeds"):
        MemoryRegion(memfd, 0, 0x10000, 0, 0x1000)


def test_overlapping_regions_are_refused(memfd):
    a = MemoryRegion(memfd, 0, 0x2000, 0, 0)
    b = MemoryRegion(memfd, 0x1000, 0x2000, 0x10000, 0)
    with pytest.raises(ValueError, match="overlapping"):
        GuestMemory([a, b])
    a.close()
    b.close()


def test_close_with_live_views_does_not_raise(memfd):
    memory = GuestMemory([MemoryRegion(memfd, 0, 0x1000, 0, 0)])
    view = memory.slices(0, 16)[0]
    memory.close()  # the mapping lives on until the view goes
    assert view.nbytes == 16
    assert len(memory) == 0
    del view


def test_granularity_is_a_page():
    assert mmap.ALLOCATIONGRANULARITY >= 4096
