"""The device side of a packed virtqueue (VIRTIO_F_RING_PACKED, virtio 1.2 section 2.8).

One ring of 16-byte descriptors carries both directions: the driver marks a descriptor available by
setting its AVAIL flag to its wrap counter and USED to the inverse; the device answers a whole chain
with one used descriptor (AVAIL = USED = its wrap counter) written where the chain began, then skips
as many descriptors as the chain took. The device reads the ring strictly in order, so it only
tracks one position and one wrap counter; it completes each chain before taking the next, so its
used position always equals its avail position.

The guest writes the ring concurrently: a chain's first descriptor is read flags first (they
publish the rest), then the body, each field once with ``struct``; the chain's other descriptors
and indirect tables were written before that flag and are read once each. Chains come out as the
same ``Chain`` objects split rings build, their faults named in ``chain.error``.

Notifications: the device event suppression area is set to RING_EVENT_FLAGS_ENABLE once and never
changed, so the driver kicks after every batch it publishes and no wake-up can be lost. The driver
event suppression area is ignored: the caller is told to notify after every batch of used
descriptors, which is correct whatever the driver asked for (only chattier).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable

from ..spec.buffers import ByteViews
from .chain import DESC_SIZE, F_INDIRECT, F_NEXT, F_WRITE, MAX_CHAIN_BYTES, MAX_INDIRECT, Chain
from .memory import AddressError, GuestMemory
from .queue import Handler, QueueError

log = logging.getLogger(__name__)

DESC = struct.Struct("<QIHH")  # addr, len, id, flags
BODY = struct.Struct("<QIH")  # addr, len, id: read after the flags that published them
USED = struct.Struct("<IH")  # len, id of a used descriptor (offset 8)
U16 = struct.Struct("<H")
EVENT = struct.Struct("<HH")  # event suppression: off | wrap << 15, flags

F_AVAIL = 1 << 7
F_USED = 1 << 15
AVAIL_USED = F_AVAIL | F_USED

EVENT_ENABLE = 0
EVENT_DISABLE = 1
EVENT_DESC = 2

FLAGS_OFFSET = 14
MAX_QUEUE_SIZE = 32768
WRAP_BIT = 1 << 15

Region = tuple[int, int, memoryview, memoryview]  # guest start, guest end, view, read-only view
_NO_REGION: Region = (1, 0, memoryview(b""), memoryview(b""))  # matches no address: every lookup fails

FRESH_STATE = WRAP_BIT | WRAP_BIT << 16
"""The vring base of a ring nobody has used: positions 0, both wrap counters 1 (what QEMU sends)."""


def encode_state(position: int, wrap: int) -> int:
    """The vhost-user vring base of a packed ring: avail half (position | wrap << 15), used half above."""
    half = position | (wrap & 1) << 15
    return half | half << 16


def decode_state(state: int) -> tuple[int, int, int, int]:
    """(avail position, avail wrap, used position, used wrap) of a vhost-user packed vring base."""
    return state & 0x7FFF, state >> 15 & 1, state >> 16 & 0x7FFF, state >> 31 & 1


class PackedQueue:
    """Descriptor ring and both event suppression areas of one packed queue, as views into guest memory."""

    def __init__(
        self,
        memory: GuestMemory,
        size: int,
        desc_addr: int,
        driver_addr: int,
        device_addr: int,
        state: int = FRESH_STATE,
    ) -> None:
        """Ring addresses are the frontend's virtual addresses (SET_VRING_ADDR: descriptor, avail =
        driver area, used = device area); ``state`` is the vring base (SET_VRING_BASE)."""
        if not 0 < size <= MAX_QUEUE_SIZE:
            raise QueueError(f"queue size {size} is not between 1 and {MAX_QUEUE_SIZE}")
        if desc_addr % 16 or driver_addr % 4 or device_addr % 4:
            raise QueueError("misaligned ring address")
        try:
            self._desc = memory.user_view(desc_addr, DESC_SIZE * size)
            self._driver = memory.user_view(driver_addr, EVENT.size)
            self._device = memory.user_view(device_addr, EVENT.size)
        except AddressError as exc:
            raise QueueError(str(exc)) from None
        self.memory = memory
        self.size = size
        self.broken: str | None = None
        position, wrap, used, used_wrap = decode_state(state & 0xFFFF_FFFF)
        if (used, used_wrap) != (position, wrap):
            # Chains in flight at a restart: this device never leaves any, so the avail half is where
            # both reading and answering resume (as a split ring resumes from its avail index).
            log.warning(
                "packed vring base %#x: used half differs from avail half; resuming at %d", state, position
            )
        self.position = position
        self.wrap_counter = wrap
        # (guest start, guest end, view, read-only view) per region, the largest first: the chain
        # walk checks bounds against these directly instead of a translation call per descriptor.
        self._regions: list[Region] = [
            (r.guest_addr, r.guest_end, r.view, r.view.toreadonly())
            for r in sorted(memory.regions, key=lambda r: r.size, reverse=True)
        ] or [_NO_REGION]
        if position >= size:
            self._break(f"vring base {state:#x} names descriptor {position} of {size}")
        EVENT.pack_into(self._device, 0, 0, EVENT_ENABLE)

    @property
    def state(self) -> int:
        """The vring base for GET_VRING_BASE (QEMU's encoding; both halves equal)."""
        return encode_state(self.position, self.wrap_counter)

    def release(self) -> None:
        """Drop the views into guest memory (before the memory table is unmapped)."""
        for view in (self._desc, self._driver, self._device):
            view.release()
        for region in self._regions:
            if region is not _NO_REGION:
                region[3].release()
        self._regions = [_NO_REGION]

    def _break(self, reason: str) -> None:
        self.broken = reason
        log.error("virtqueue stopped: %s", reason)

    def process(self, handler: Handler, notify: Callable[[], None]) -> int:
        """Answer every available chain in ring order: ``handler`` gives each one's used length (None:
        it cannot be answered, the queue stops); a used descriptor goes where the chain began and
        ``notify`` is called once after the batch. Returns the number of chains completed."""
        if self.broken:
            return 0
        desc, size = self._desc, self.size
        read_flags, read_body, write_used = U16.unpack_from, BODY.unpack_from, USED.pack_into
        write_flags = U16.pack_into
        position = self.position
        want = F_AVAIL if self.wrap_counter else F_USED  # AVAIL/USED bits of an available descriptor
        done = 0
        try:
            while True:
                offset = position * DESC_SIZE
                flags = read_flags(desc, offset + FLAGS_OFFSET)[0]
                if flags & AVAIL_USED != want:
                    break
                addr, length, buffer_id = read_body(desc, offset)
                chain, taken = self._read_chain(position, want, addr, length, buffer_id, flags)
                written = handler(chain)
                if written is None:
                    self._break(f"descriptor chain {chain.head} at {position} cannot be answered")
                    break
                write_used(desc, offset + 8, written, chain.head)
                # used: AVAIL and USED both equal to the wrap counter; WRITE says len means something
                write_flags(
                    desc,
                    offset + FLAGS_OFFSET,
                    (AVAIL_USED if want == F_AVAIL else 0) | (written and F_WRITE),
                )
                position += taken
                if position >= size:
                    position -= size
                    want ^= AVAIL_USED
                done += 1
        finally:
            self.position = position
            self.wrap_counter = 1 if want == F_AVAIL else 0
        if done:
            notify()
        return done

    def _read_chain(
        self, position: int, want: int, addr: int, length: int, buffer_id: int, flags: int
    ) -> tuple[Chain, int]:
        """The chain whose first descriptor (already read) is at ``position``, and how many ring
        descriptors it takes. After a fault the chain keeps the views it had and the walk only
        counts the rest of the list (NEXT flags), so the ring stays in step with the driver."""
        readable, writable = ByteViews(), ByteViews()
        chain = Chain(buffer_id, readable, writable)
        if flags & F_INDIRECT and not flags & F_NEXT:
            chain.error = self._read_indirect(readable, writable, position, addr, length)
            return chain, 1
        desc, size = self._desc, self.size
        start, end, view, readonly = self._regions[0]
        fault: str | None = None
        total = 0
        taken = 1
        index = position
        while True:
            if fault is None:
                total += length
                if flags & F_INDIRECT:
                    fault = "INDIRECT together with NEXT" if taken == 1 else "INDIRECT inside a chain"
                elif total > MAX_CHAIN_BYTES:
                    fault = "chain lengths overflow 32 bits"
                elif flags & F_WRITE:
                    if not length:
                        pass
                    elif start <= addr and addr + length <= end:
                        writable.append(view[addr - start : addr - start + length])
                    else:
                        fault = self._map_elsewhere(addr, length, writable, False)
                elif writable:
                    fault = "device-readable after device-writable"
                elif not length:
                    pass
                elif start <= addr and addr + length <= end:
                    readable.append(readonly[addr - start : addr - start + length])
                else:
                    fault = self._map_elsewhere(addr, length, readable, True)
                if fault is not None:
                    fault = f"descriptor {index}: {fault}"
            if not flags & F_NEXT:
                break
            if taken == size:
                fault = fault or f"chain longer than the ring ({size} descriptors)"
                break
            index += 1
            if index == size:
                index = 0
                want ^= AVAIL_USED
            next_addr, next_length, next_id, next_flags = DESC.unpack_from(desc, index * DESC_SIZE)
            if next_flags & AVAIL_USED != want:
                fault = fault or f"descriptor {index}: continues a chain but is not available"
                break
            addr, length, buffer_id, flags = next_addr, next_length, next_id, next_flags
            taken += 1
        chain.head = buffer_id  # the buffer ID is in the list's last descriptor
        chain.error = fault
        return chain, taken

    def _read_indirect(
        self, readable: list[memoryview], writable: list[memoryview], position: int, addr: int, length: int
    ) -> str | None:
        """Fill the chain's lists from an indirect table; the fault, if any. Every entry of the table
        belongs to the chain: only WRITE means something there (NEXT, the wrap bits and the buffer ID
        are ignored, as the spec says), and INDIRECT is refused."""
        if length == 0 or length % DESC_SIZE:
            return f"descriptor {position}: indirect table of {length} bytes, not a multiple of 16"
        if length > MAX_INDIRECT * DESC_SIZE:
            return f"descriptor {position}: indirect table of {length} bytes is too long"
        for start, end, _view, readonly in self._regions:
            if start <= addr and addr + length <= end:
                table = readonly[addr - start : addr - start + length]
                break
        else:
            return f"descriptor {position}: indirect table {addr:#x}+{length:#x} is not in one memory region"
        start, end, view, readonly = self._regions[0]
        total = 0
        entry = -1
        for seg_addr, seg_length, _id, flags in DESC.iter_unpack(table):  # each entry read once
            entry += 1
            if flags & F_INDIRECT:
                return f"indirect entry {entry}: INDIRECT inside an indirect table"
            total += seg_length
            if total > MAX_CHAIN_BYTES:
                return f"indirect entry {entry}: chain lengths overflow 32 bits"
            if flags & F_WRITE:
                if not seg_length:
                    continue
                if start <= seg_addr and seg_addr + seg_length <= end:
                    writable.append(view[seg_addr - start : seg_addr - start + seg_length])
                    continue
                fault = self._map_elsewhere(seg_addr, seg_length, writable, False)
            elif writable:
                return f"indirect entry {entry}: device-readable after device-writable"
            elif not seg_length:
                continue
            elif start <= seg_addr and seg_addr + seg_length <= end:
                readable.append(readonly[seg_addr - start : seg_addr - start + seg_length])
                continue
            else:
                fault = self._map_elsewhere(seg_addr, seg_length, readable, True)
            if fault is not None:
                return f"indirect entry {entry}: {fault}"
        return None

    def _map_elsewhere(self, addr: int, length: int, out: list[memoryview], readonly: bool) -> str | None:
        """Append the views of a buffer outside the largest region (another region, or several);
        the reason it cannot be mapped, if so."""
        for start, end, view, readonly_view in self._regions[1:]:
            if start <= addr and addr + length <= end:
                out.append((readonly_view if readonly else view)[addr - start : addr - start + length])
                return None
        try:
            views = self.memory.slices(addr, length)
        except AddressError as exc:
            return str(exc)
        out.extend([v.toreadonly() for v in views] if readonly else views)
        return None
