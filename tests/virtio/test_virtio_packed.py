"""Packed virtqueues: the driver half and the device half over one memfd, wraps, state, hostile rings."""

from __future__ import annotations

import ctypes
import random

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from vcrypto.virtio.chain import F_INDIRECT, F_NEXT, F_WRITE, MAX_INDIRECT, Chain, read_chain
from vcrypto.virtio.memory import GuestMemory, MemoryRegion
from vcrypto.virtio.mock import MockSplitQueue, pack_descs
from vcrypto.virtio.packed import (
    DESC,
    EVENT,
    EVENT_DESC,
    EVENT_DISABLE,
    F_AVAIL,
    F_USED,
    FRESH_STATE,
    PackedQueue,
)
from vcrypto.virtio.packed_driver import PackedDriverQueue
from vcrypto.virtio.queue import QueueError, QueueFull
from vcrypto.virtio.ram import GuestRam

ERR = 2  # VIRTIO_CRYPTO_ERR, what a refused chain's status byte gets (as the backend answers)


class Rig:
    """A driver queue in ``GuestRam`` and a device queue over the same fd mapped a second time."""

    def __init__(self, size: int = 8, max_indirect: int = 16, ram_size: int = 1 << 20) -> None:
        self.ram = GuestRam(ram_size)
        self.driver = PackedDriverQueue(self.ram, size, max_indirect)
        self.guest = self.ram.guest_memory()
        self.size = size
        self.queue = self.device()
        self.notified = 0
        self.seen: list[Chain] = []

    def device(self, state: int = FRESH_STATE) -> PackedQueue:
        return PackedQueue(self.guest, self.size, *(self.ram.user(a) for a in self.driver.addresses), state)

    def restart(self, state: int) -> None:
        self.queue.release()
        self.queue = self.device(state)

    def echo(self, chain: Chain) -> int | None:
        """Copy the readable bytes to the writable side; a refused chain gets ERR in its status byte."""
        self.seen.append(chain)
        if chain.error:
            status = chain.status_byte
            if status is None:
                return None
            status[0] = ERR
            return 1
        data = b"".join(bytes(v) for v in chain.readable)
        written = 0
        for view in chain.writable:
            piece = data[written : written + view.nbytes]
            view[: len(piece)] = piece
            written += len(piece)
        return written

    def notify(self) -> None:
        self.notified += 1

    def run(self, handler=None) -> int:
        return self.queue.process(handler or self.echo, self.notify)

    def send(self, readable: list[bytes], writable: list[int], token: object, indirect: bool = False):
        """Add one chain with fresh buffers; the writable buffers' (address, size)."""
        segs = [(self.ram.put(data), len(data), False) for data in readable]
        out = [(self.ram.alloc(n), n) for n in writable]
        segs += [(addr, n, True) for addr, n in out]
        self.driver.add(segs, token, indirect)
        return out

    def put(
        self, position: int, addr: int, length: int, flags: int, buffer_id: int = 0, wrap: int = 1
    ) -> None:
        """A descriptor written by hand, marked available for ``wrap``."""
        flags |= F_AVAIL if wrap else F_USED
        self.ram.write(self.driver.desc + 16 * position, DESC.pack(addr, length, buffer_id, flags))

    def used(self, position: int) -> tuple[int, int, int, int]:
        return DESC.unpack(self.ram.read(self.driver.desc + 16 * position, 16))

    def close(self) -> None:
        self.seen.clear()
        self.queue.release()
        self.driver.release()
        self.guest.close()
        self.ram.close()


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()


# --- traffic ---------------------------------------------------------------------------------------


def test_one_direct_chain(rig):
    out = rig.send([b"hello"], [8], "t1")
    assert rig.driver.publish() is True  # the device's suppression area says: always kick
    assert rig.run() == 1
    assert rig.driver.take_used() == [("t1", 5)]
    assert rig.ram.read(out[0][0], 5) == b"hello"
    assert rig.notified == 1
    assert rig.queue.state == 0x8002_8002  # position 2 (two descriptors), both wrap counters 1


def test_chain_is_invisible_until_published(rig):
    rig.send([b"x"], [1], "t")
    assert rig.run() == 0
    assert rig.notified == 0
    rig.driver.publish()
    assert rig.run() == 1


def test_real_payload_written_by_the_handler_is_what_the_driver_reads(rig):
    header = bytes(range(24))
    payload = b"\xa5" * 37
    out = rig.send([header, payload], [16, 20, 1], "req")
    rig.driver.publish()
    answer = bytes(range(100, 136)) + b"\x00"

    def handler(chain: Chain) -> int:
        assert [bytes(v) for v in chain.readable] == [header, payload]
        assert all(v.readonly for v in chain.readable)
        assert [v.nbytes for v in chain.writable] == [16, 20, 1]
        pos = 0
        for view in chain.writable:
            view[:] = answer[pos : pos + view.nbytes]
            pos += view.nbytes
        return pos

    assert rig.run(handler) == 1
    assert rig.driver.take_used() == [("req", 37)]
    assert b"".join(rig.ram.read(addr, n) for addr, n in out) == answer


def test_indirect_chain(rig):
    out = rig.send([b"a" * 72, b"iv" * 8, b"src" * 4], [12, 1], "ind", indirect=True)
    rig.driver.publish()
    assert rig.driver.free() == 7  # one ring descriptor for five segments
    assert rig.run() == 1
    chain = rig.seen[0]
    assert chain.error is None
    assert [v.nbytes for v in chain.readable] == [72, 16, 12]
    assert [v.nbytes for v in chain.writable] == [12, 1]
    assert rig.driver.take_used() == [("ind", 13)]
    assert rig.ram.read(out[0][0], 12) == b"a" * 12
    assert rig.driver.free() == 8


def test_batch_is_published_then_signalled_once(rig):
    for i in range(3):
        rig.send([bytes([i]) * 4], [4], i)
    rig.driver.publish()
    assert rig.run() == 3
    assert rig.driver.take_used() == [(0, 4), (1, 4), (2, 4)]
    assert rig.notified == 1
    assert rig.run() == 0  # nothing new: no used descriptor, no signal
    assert rig.notified == 1


def test_used_descriptor_overwrites_the_chains_first_slot_and_names_its_buffer_id(rig):
    rig.send([b"ab", b"cd"], [2, 1], "a")  # 4 descriptors: slots 0-3
    rig.send([b"ef"], [1], "b")  # slot 4
    rig.driver.publish()
    assert rig.run() == 2
    _addr, length, buffer_id, flags = rig.used(0)
    assert (length, flags) == (3, F_AVAIL | F_USED | F_WRITE)
    assert buffer_id == rig.seen[0].head
    _addr, length, buffer_id, flags = rig.used(4)
    assert (length, flags) == (1, F_AVAIL | F_USED | F_WRITE)
    assert buffer_id == rig.seen[1].head != rig.seen[0].head
    assert rig.driver.take_used() == [("a", 3), ("b", 1)]


def test_zero_length_answer_is_a_used_descriptor_without_write(rig):
    rig.send([b"x"], [4], "t")
    rig.driver.publish()
    assert rig.run(lambda chain: 0) == 1
    assert rig.used(0)[3] == F_AVAIL | F_USED
    assert rig.driver.take_used() == [("t", 0)]


def test_ring_full_and_refilled(rig):
    rig.send([b"a"] * 5, [1, 1, 1], "big")
    assert rig.driver.free() == 0
    with pytest.raises(QueueFull):
        rig.send([b"x"], [1], "no")
    with pytest.raises(QueueFull):
        rig.send([b"x"], [1], "no", indirect=True)
    rig.driver.publish()
    rig.run()
    assert rig.driver.take_used() == [("big", 3)]
    assert rig.driver.free() == 8


def test_driver_refuses_malformed_chains(rig):
    with pytest.raises(ValueError):
        rig.driver.add([], "t")
    with pytest.raises(ValueError):
        rig.driver.add([(rig.ram.alloc(1), 1, True), (rig.ram.alloc(1), 1, False)], "t")
    with pytest.raises(ValueError):
        rig.send([b"x"] * 17, [], "t", indirect=True)  # more than max_indirect
    assert rig.driver.free() == 8


@pytest.mark.parametrize("size", [1, 3, 5, 8, 13])
def test_many_wraps_with_mixed_chains(size):
    """Chains of 1..3 descriptors, direct and indirect, several per batch, across dozens of laps
    (non-power-of-two sizes too): every byte comes back and both wrap counters take both values."""
    r = Rig(size=size)
    rng = random.Random(size)
    try:
        wraps_seen = set()
        sent = 0
        for round_ in range(120):
            batch = []
            while True:
                nseg = rng.randint(1, min(3, size)) if size > 1 else 1
                indirect = rng.random() < 0.3
                if (1 if indirect else nseg) > r.driver.free():
                    break
                data = [rng.randbytes(rng.randint(1, 9)) for _ in range(max(nseg - 1, 1))]
                writable = [sum(map(len, data))] if nseg > 1 else []
                if nseg == 1:  # one descriptor: a writable buffer only, filled by the handler below
                    data, writable = [], [5]
                out = r.send(data, writable, (round_, len(batch)), indirect)
                batch.append((data, out))
                if rng.random() < 0.4:
                    break
            r.driver.publish()

            def handler(chain: Chain) -> int:
                assert chain.error is None, chain
                if not chain.readable:
                    chain.writable[0][:] = b"12345"
                    return 5
                return r.echo(chain)

            assert r.run(handler) == len(batch)
            wraps_seen.add((r.queue.wrap_counter, r.driver.avail_wrap, r.driver.used_wrap))
            used = r.driver.take_used()
            assert [tok for tok, _ in used] == [(round_, i) for i in range(len(batch))]
            for (data, out), (_tok, length) in zip(batch, used, strict=True):
                expect = b"".join(data) if data else b"12345"
                assert length == len(expect)
                assert b"".join(r.ram.read(addr, n) for addr, n in out) == expect
            assert r.driver.free() == size
            assert r.queue.position == r.driver.next_avail == r.driver.next_used
            sent += len(batch)
        assert {w[0] for w in wraps_seen} == {0, 1}
        assert {w[1] for w in wraps_seen} == {0, 1}
        assert {w[2] for w in wraps_seen} == {0, 1}
        assert sent >= 120
    finally:
        r.close()


def test_chain_wrapping_around_the_end_of_the_ring():
    r = Rig(size=4)
    try:
        for i in range(3):
            r.send([], [1], i)  # one descriptor each: slots 0-2
        r.driver.publish()
        r.run()
        r.driver.take_used()
        out = r.send([b"ab", b"cd"], [3, 1], "wrapped")  # slots 3, 0, 1, 2 with the wrap toggled at 0
        r.driver.publish()
        assert r.run() == 1
        assert r.driver.take_used() == [("wrapped", 4)]
        assert r.seen[-1].error is None
        assert b"".join(r.ram.read(a, n) for a, n in out) == b"abcd"
        assert (r.queue.position, r.queue.wrap_counter) == (3, 0)
    finally:
        r.close()


def test_buffers_in_another_region_and_across_regions():
    """Guest memory in two regions (as QEMU's below/above-4G split gives): a buffer in the second one
    and a buffer straddling both map; an indirect table straddling them is refused."""
    r = Rig()
    try:
        half = 0x80000
        r.queue.release()
        r.guest.close()
        r.guest = GuestMemory(
            [
                MemoryRegion(r.ram.fd, 0, half, r.ram.user_base, 0),
                MemoryRegion(r.ram.fd, half, r.ram.size - half, r.ram.user_base + half, half),
            ]
        )
        r.queue = r.device()
        far, straddle, out = half + 0x1000, half - 3, half + 0x2000
        r.ram.write(far, b"far!")
        r.ram.write(straddle, b"straddle")
        r.driver.add([(far, 4, False), (straddle, 8, False), (out, 12, True)], "x")
        r.driver.add([(straddle, 8, False), (out + 64, 8, True)], "y", indirect=True)
        r.driver.publish()
        assert r.run() == 2
        assert [bytes(v) for v in r.seen[0].readable] == [b"far!", b"str", b"addle"]
        assert r.ram.read(out, 12) == b"far!straddle"
        assert r.ram.read(out + 64, 8) == b"straddle"
        assert r.driver.take_used() == [("x", 12), ("y", 8)]
        r.put(4, straddle - 13, 32, F_INDIRECT)  # slot 4: a table across the boundary
        assert r.run(lambda chain: r.seen.append(chain) or 0) == 1
        assert "not in one memory region" in r.seen[-1].error
    finally:
        r.close()


def test_device_enables_available_notifications_at_start(rig):
    rig.ram.write(rig.driver.device_area, EVENT.pack(5, EVENT_DISABLE))
    rig.restart(FRESH_STATE)
    assert EVENT.unpack(rig.ram.read(rig.driver.device_area, 4)) == (0, 0)  # RING_EVENT_FLAGS_ENABLE
    rig.send([], [1], "t")
    assert rig.driver.publish() is True


# --- driver: completion order, kicks ----------------------------------------------------------------


def test_driver_takes_out_of_order_completions(rig):
    """A device that completes B, then C, then A writes used descriptors at 0, 0+len(B), ... ."""
    rig.send([b"a"], [], "A")  # slot 0, id ida
    rig.send([b"b", b"b"], [1], "B")  # slots 1-3
    rig.send([b"c"], [1], "C")  # slots 4-5
    rig.driver.publish()
    ida, idb, idc = (rig.used(p)[2] for p in (0, 3, 5))  # the buffer ID is in each list's last descriptor
    both = F_AVAIL | F_USED
    # Out of order: used descriptors in completion order, each skipping its own chain's length.
    for position, (buffer_id, length) in zip((0, 3, 5), [(idb, 1), (idc, 1), (ida, 0)], strict=True):
        rig.ram.write(rig.driver.desc + 16 * position + 8, DESC.pack(0, length, buffer_id, 0)[8:14])
        rig.ram.write(
            rig.driver.desc + 16 * position + 14, (both | (F_WRITE if length else 0)).to_bytes(2, "little")
        )
    assert rig.driver.take_used() == [("B", 1), ("C", 1), ("A", 0)]
    assert (rig.driver.next_used, rig.driver.used_wrap) == (6, 1)
    assert rig.driver.free() == 8
    # and the ring goes on: slots 6, 7, then 0 with the wrap counter toggled
    rig.restart(0x8006_8006)
    for i in range(3):
        rig.send([], [1], i)
    rig.driver.publish()
    assert rig.run(lambda chain: 1) == 3
    assert rig.driver.take_used() == [(0, 1), (1, 1), (2, 1)]
    assert (rig.driver.next_used, rig.driver.used_wrap) == (1, 0)


def test_driver_stops_at_a_partly_answered_batch(rig):
    rig.send([], [1], "A")  # slot 0
    rig.send([], [1], "B")  # slot 1
    rig.driver.publish()
    _a, _l, idb, _f = rig.used(1)
    # the device answered only the second chain, writing its used descriptor at slot 0
    rig.ram.write(rig.driver.desc + 8, DESC.pack(0, 1, idb, F_AVAIL | F_USED | F_WRITE)[8:])
    assert rig.driver.take_used() == [("B", 1)]
    assert rig.driver.take_used() == []
    assert rig.driver.free() == 7


def test_driver_refuses_a_used_id_not_in_flight(rig):
    rig.send([b"a"], [1], "A")
    rig.driver.publish()
    rig.ram.write(rig.driver.desc + 8, DESC.pack(0, 1, 5, F_AVAIL | F_USED)[8:])
    with pytest.raises(QueueError, match="not in flight"):
        rig.driver.take_used()


def test_publish_honours_device_event_suppression(rig):
    area = rig.driver.device_area
    assert EVENT.unpack(rig.ram.read(area, 4)) == (0, 0)  # the device enabled notifications
    assert rig.driver.publish() is False  # nothing to publish, nothing to kick
    rig.ram.write(area, EVENT.pack(0, EVENT_DISABLE))
    rig.send([], [1], 0)
    assert rig.driver.publish() is False
    # descriptor-specific: kick only once slot 3 (wrap 1) has been made available
    rig.ram.write(area, EVENT.pack(3 | 1 << 15, EVENT_DESC))
    rig.send([], [1], 1)  # slot 1
    assert rig.driver.publish() is False
    rig.send([], [1], 2)  # slot 2
    rig.send([], [1], 3)  # slot 3
    assert rig.driver.publish() is True
    rig.send([], [1], 4)  # slot 4
    assert rig.driver.publish() is False
    # an event in the next lap (slot 1, wrap 0) fires once the ring wraps past it
    rig.ram.write(area, EVENT.pack(1, EVENT_DESC))
    rig.run()
    rig.driver.take_used()
    for i in range(3):
        rig.send([], [1], i)  # slots 5, 6, 7
    assert rig.driver.publish() is False
    rig.send([], [1], "lap")  # slot 0 (wrap 0)
    assert rig.driver.publish() is False
    rig.send([], [1], "hit")  # slot 1 (wrap 0)
    assert rig.driver.publish() is True


# --- state: GET/SET_VRING_BASE -----------------------------------------------------------------------


def test_fresh_state_is_what_qemu_sends(rig):
    assert FRESH_STATE == 0x8000_8000
    assert rig.queue.state == FRESH_STATE
    assert (rig.queue.position, rig.queue.wrap_counter) == (0, 1)


def test_state_survives_a_new_queue(rig):
    for _ in range(2):
        for i in range(5):
            rig.send([b"s"], [1, 1], i)  # 3 descriptors each
            rig.driver.publish()
            rig.run()
            rig.driver.take_used()
    # 30 descriptors on a ring of 8: position 6, wrapped 3 times (wrap counter 0)
    assert rig.queue.state == 0x0006_0006
    state = rig.queue.state
    rig.restart(state)
    assert (rig.queue.position, rig.queue.wrap_counter) == (6, 0)
    out = rig.send([b"after"], [5], "after")
    rig.driver.publish()
    assert rig.run() == 1
    assert rig.driver.take_used() == [("after", 5)]
    assert rig.ram.read(out[0][0], 5) == b"after"
    assert rig.queue.state == 0x8000_8000  # slot 6 + 2 descriptors: back to 0, wrapped again


def test_restart_with_chains_waiting(rig):
    rig.send([b"q"], [1], "early")
    rig.driver.publish()
    rig.restart(rig.queue.state)  # stopped before serving: the chain is still available
    assert rig.run() == 1
    assert rig.driver.take_used() == [("early", 1)]


def test_wrong_wrap_counter_in_state_sees_nothing(rig):
    rig.send([b"q"], [1], "t")
    rig.driver.publish()
    rig.restart(0)  # position 0 but wrap counter 0: the driver's descriptors are from another lap
    assert rig.run() == 0
    assert rig.queue.broken is None


def test_state_past_the_ring_breaks_the_queue(rig, caplog):
    rig.send([b"q"], [1], "t")
    rig.driver.publish()
    rig.restart(0x8008_8008)  # position 8 of 8
    assert "descriptor 8 of 8" in rig.queue.broken
    assert rig.run() == 0
    assert rig.driver.take_used() == []


def test_state_halves_that_disagree_resume_at_the_avail_half(rig, caplog):
    rig.send([b"q"], [1], "t")
    rig.driver.publish()
    rig.restart(0x8000)  # a frontend that only knows the avail half
    assert "differs" in caplog.text
    assert rig.run() == 1
    assert rig.queue.state == 0x8002_8002


@pytest.mark.parametrize(
    ("size", "shift", "match"),
    [(0, (0, 0, 0), "between"), (32769, (0, 0, 0), "between"),
     (8, (8, 0, 0), "misaligned"), (8, (0, 2, 0), "misaligned"), (8, (0, 0, 1), "misaligned"),
     (8, (1 << 40, 0, 0), "not in one memory region")],
)  # fmt: skip
def test_bad_ring_parameters(rig, size, shift, match):
    addrs = [rig.ram.user(a) + s for a, s in zip(rig.driver.addresses, shift, strict=True)]
    with pytest.raises(QueueError, match=match):
        PackedQueue(rig.guest, size, *addrs)


def test_ring_past_the_end_of_memory(rig):
    end = rig.ram.user(rig.ram.size)
    with pytest.raises(QueueError):
        PackedQueue(rig.guest, 8, end - 64, *(rig.ram.user(a) for a in rig.driver.addresses[1:]))


def test_sizes_that_are_not_powers_of_two_are_fine(rig):
    for size in (1, 3, 100, 32768):
        events = rig.ram.user(0x100)
        queue = PackedQueue(rig.guest, size, rig.ram.user(rig.ram.alloc(16 * size, 16)), events, events)
        assert queue.broken is None
        queue.release()


# --- hostile rings ------------------------------------------------------------------------------------


def table(entries: list[tuple[int, int, int]]) -> bytes:
    """A packed indirect table from (addr, len, flags): the buffer ID field is reserved there."""
    return b"".join(DESC.pack(addr, length, 0, flags) for addr, length, flags in entries)


def hostile(r: Rig, case: str) -> tuple[int | None, int]:
    """Lay a bad chain out by hand from slot 0; (address of its last valid writable byte or None,
    ring descriptors the chain spans)."""
    status = r.ram.alloc(1)
    buf = r.ram.put(b"\0" * 64)
    p = r.put
    if case == "address out of range":
        p(0, buf, 8, F_NEXT)
        p(1, status, 1, F_WRITE | F_NEXT)
        p(2, 0xFFFF_0000_0000, 16, F_WRITE)
        return status, 3
    if case == "address wraps":
        p(0, status, 1, F_WRITE | F_NEXT)
        p(1, (1 << 64) - 8, 16, F_WRITE)
        return status, 2
    if case == "lengths overflow":
        p(0, status, 1, F_WRITE | F_NEXT)
        p(1, buf, 0xFFFF_FFFF, F_WRITE)
        return status, 2
    if case == "readable after writable":
        p(0, status, 1, F_WRITE | F_NEXT)
        p(1, buf, 8, F_NEXT)
        p(2, buf, 8, 0)  # the walk goes on to the end of the list, so the ring stays in step
        return status, 3
    if case == "empty readable after writable":
        p(0, status, 1, F_WRITE | F_NEXT)
        p(1, buf, 0, 0)
        return status, 2
    if case == "indirect with next":
        p(0, r.ram.put(table([(status, 1, F_WRITE)])), 16, F_INDIRECT | F_NEXT)
        p(1, buf, 1, F_WRITE)
        return None, 2
    if case == "nested indirect":
        inner = r.ram.put(table([(buf, 8, 0)]))
        p(0, r.ram.put(table([(status, 1, F_WRITE), (inner, 16, F_INDIRECT)])), 32, F_INDIRECT)
        return status, 1
    if case == "indirect after direct":
        p(0, status, 1, F_WRITE | F_NEXT)
        p(1, r.ram.put(table([(buf, 8, 0)])), 16, F_INDIRECT)
        return status, 2
    if case == "indirect length not a multiple of 16":
        p(0, r.ram.put(table([(status, 1, F_WRITE)]) + b"\0" * 8), 24, F_INDIRECT)
        return None, 1
    if case == "empty indirect table":
        p(0, buf, 0, F_INDIRECT)
        return None, 1
    if case == "indirect table too long":
        p(0, buf, 16 * (MAX_INDIRECT + 1), F_INDIRECT)
        return None, 1
    if case == "indirect table out of range":
        p(0, 0xFFFF_0000_0000, 32, F_INDIRECT)
        return None, 1
    if case == "indirect entry out of range":
        p(
            0,
            r.ram.put(table([(status, 1, F_WRITE), (0xFFFF_0000_0000, 4, F_WRITE)])),
            32,
            F_INDIRECT,
        )
        return status, 1
    if case == "indirect readable after writable":
        p(0, r.ram.put(table([(status, 1, F_WRITE), (buf, 4, 0)])), 32, F_INDIRECT)
        return status, 1
    if case == "indirect lengths overflow":
        p(0, r.ram.put(table([(status, 1, F_WRITE), (buf, 0xFFFF_FFFF, F_WRITE)])), 32, F_INDIRECT)
        return status, 1
    if case == "readable only, bad address":
        p(0, buf, 8, F_NEXT)
        p(1, 0xFFFF_0000_0000, 8, 0)
        return None, 2
    if case == "continuation not available":
        p(0, status, 1, F_WRITE | F_NEXT)
        p(1, buf, 1, F_WRITE, wrap=0)  # marked for the other lap
        return status, 1
    raise AssertionError(case)


CASES = [
    "address out of range", "address wraps", "lengths overflow", "readable after writable",
    "empty readable after writable", "indirect with next", "nested indirect", "indirect after direct",
    "indirect length not a multiple of 16", "empty indirect table", "indirect table too long",
    "indirect table out of range", "indirect entry out of range", "indirect readable after writable",
    "indirect lengths overflow", "readable only, bad address", "continuation not available",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_hostile_chain_is_refused_and_the_ring_stays_in_step(rig, case):
    status, span = hostile(rig, case)
    done = rig.run()
    chain = rig.seen[0]
    assert chain.error, case
    if status is None:
        assert chain.status_byte is None
        assert done == 0
        assert "cannot be answered" in rig.queue.broken
        assert rig.queue.position == 0
        return
    assert rig.queue.broken is None
    assert done == 1
    assert rig.queue.position == span  # skipped exactly the slots the list took
    assert rig.ram.read(status, 1) == bytes([ERR])
    assert rig.used(0)[1] == 1 and rig.used(0)[3] & (F_AVAIL | F_USED) == F_AVAIL | F_USED
    good = rig.ram.alloc(4)
    rig.put(span, rig.ram.put(b"next"), 4, F_NEXT)  # a good chain right after the bad one
    rig.put(span + 1, good, 4, F_WRITE, buffer_id=7)
    assert rig.run() == 1
    assert rig.seen[1].error is None
    assert rig.ram.read(good, 4) == b"next"
    assert rig.used(span)[1:] == (4, 7, F_AVAIL | F_USED | F_WRITE)


def test_chain_longer_than_the_ring(rig):
    status = rig.ram.alloc(1)
    for i in range(8):
        rig.put(i, status, 1, F_WRITE | F_NEXT)  # every slot continues: no end
    assert rig.run() == 1
    assert "longer than the ring" in rig.seen[0].error
    assert (rig.queue.position, rig.queue.wrap_counter) == (0, 0)  # the chain took the whole ring
    assert rig.run() == 0


def test_ring_of_chains_that_run_into_used_slots_stops(rig):
    """A list that continues into the slot the device has just answered is not available there."""
    status = rig.ram.alloc(1)
    for i in range(7):
        rig.put(i, status, 1, F_WRITE)
    rig.put(7, status, 1, F_WRITE | F_NEXT)  # continues into slot 0 of the next lap, which holds a used one
    assert rig.run() == 8
    assert "not available" in rig.seen[-1].error
    assert (rig.queue.position, rig.queue.wrap_counter) == (0, 0)
    assert rig.run() == 0


@pytest.mark.parametrize(
    ("flags", "served"),
    [(F_AVAIL | F_USED, False), (0, False), (F_USED, False), (F_AVAIL, True),
     (F_AVAIL | F_WRITE | F_INDIRECT, True), (F_AVAIL | 0x7F78, True)],
)  # fmt: skip
def test_flag_combinations_on_the_first_descriptor(rig, flags, served):
    """Only AVAIL != USED with AVAIL matching the wrap counter is available; WRITE on an indirect
    descriptor and reserved bits are ignored."""
    out = rig.ram.alloc(2)
    if flags & F_INDIRECT:
        table = rig.ram.put(pack_descs([(rig.ram.put(b"hi"), 2, F_NEXT, 9), (out, 2, F_WRITE | F_NEXT, 0)]))
        rig.ram.write(rig.driver.desc, DESC.pack(table, 32, 3, flags))  # NEXT inside a table is ignored
    else:
        rig.ram.write(rig.driver.desc, DESC.pack(out, 2, 3, flags | F_WRITE))
    assert rig.run() == int(served)
    if served:
        assert rig.seen[0].error is None
        assert rig.seen[0].head == 3
        assert rig.used(0)[2] == 3


def test_unanswerable_chain_breaks_the_queue(rig):
    rig.send([b"x"], [], "t")
    rig.driver.publish()
    assert rig.run(lambda chain: None) == 0
    assert "cannot be answered" in rig.queue.broken
    assert rig.driver.take_used() == []
    assert rig.run() == 0  # stays stopped


def test_broken_queue_after_good_ones_notifies_for_them(rig):
    rig.send([b"x"], [1], "good")
    rig.send([b"y"], [], "bad")
    rig.driver.publish()
    assert rig.run(lambda chain: None if not chain.writable else 1) == 1
    assert rig.driver.take_used() == [("good", 1)]
    assert rig.notified == 1
    assert rig.queue.broken


# --- same chains, split ring vs packed ring ----------------------------------------------------------

LOGICAL = {  # (indirect, [(address key, length, flags)]) laid out the same way in both ring formats
    "good": (False, [("buf", 8, 0), ("buf", 0, 0), ("status", 1, F_WRITE)]),
    "bad address": (False, [("buf", 8, 0), ("status", 1, F_WRITE), ("far", 4, F_WRITE)]),
    "readable after writable": (False, [("status", 1, F_WRITE), ("buf", 4, 0)]),
    "overflow": (False, [("status", 1, F_WRITE), ("buf", 0xFFFF_FFFF, F_WRITE)]),
    "indirect inside": (False, [("status", 1, F_WRITE), ("inner", 16, F_INDIRECT)]),
    "indirect good": (True, [("buf", 8, 0), ("buf", 0, F_WRITE), ("status", 1, F_WRITE)]),
    "indirect bad address": (True, [("buf", 8, 0), ("status", 1, F_WRITE), ("far", 4, F_WRITE)]),
    "indirect readable after writable": (True, [("status", 1, F_WRITE), ("buf", 4, 0)]),
    "indirect overflow": (True, [("status", 1, F_WRITE), ("buf", 0xFFFF_FFFF, F_WRITE)]),
    "nested indirect": (True, [("status", 1, F_WRITE), ("inner", 16, F_INDIRECT)]),
}


@pytest.mark.parametrize("case", sorted(LOGICAL))
def test_split_and_packed_read_the_same_chain_the_same_way(rig, case):
    """chain.py is the reference: the packed walk must accept, refuse and map the same lists alike."""
    addrs = {"buf": rig.ram.put(bytes(range(64))), "status": rig.ram.alloc(1), "far": 0xFFFF_0000_0000}
    addrs["inner"] = rig.ram.put(table([(addrs["buf"], 8, 0)]))
    indirect, layout = LOGICAL[case]
    descs = [(addrs[key], length, flags) for key, length, flags in layout]
    split = MockSplitQueue(rig.ram, 8)
    nexts = [F_NEXT if i + 1 < len(descs) else 0 for i in range(len(descs))]
    if indirect:
        split_table = pack_descs(
            [(a, n, f | nxt, i + 1) for i, ((a, n, f), nxt) in enumerate(zip(descs, nexts, strict=True))]
        )
        split.write_desc(0, rig.ram.put(split_table), len(split_table), F_INDIRECT)
        rig.put(0, rig.ram.put(table(descs)), 16 * len(descs), F_INDIRECT)
    else:
        for i, ((addr, length, flags), nxt) in enumerate(zip(descs, nexts, strict=True)):
            split.write_desc(i, addr, length, flags | nxt, i + 1)
            rig.put(i, addr, length, flags | nxt)
    split_ring = rig.guest.user_view(split.addresses[0], 16 * 8)
    try:
        by_split = read_chain(split_ring, 8, 0, rig.guest)
        rig.run(lambda chain: rig.seen.append(chain) or 0)
        by_packed = rig.seen[0]

        def shape(c: Chain):
            return (c.error is None, [bytes(v) for v in c.readable], [v.nbytes for v in c.writable])

        assert shape(by_packed) == shape(by_split)
        assert (by_packed.status_byte is None) == (by_split.status_byte is None)
        assert (by_packed.error is None) == (case.endswith("good"))
    finally:
        split_ring.release()


# --- a ring full of garbage --------------------------------------------------------------------------


class _PyBuffer(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p), ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p),
    ]  # fmt: skip


def address_of(view: memoryview) -> int:
    """Where a (possibly read-only) view's bytes are in this process."""
    buffer = _PyBuffer()
    ctypes.pythonapi.PyObject_GetBuffer(ctypes.py_object(view), ctypes.byref(buffer), 0)
    try:
        return buffer.buf
    finally:
        ctypes.pythonapi.PyBuffer_Release(ctypes.byref(buffer))


GARBAGE_RAM = 1 << 16


def descriptors(size: int):
    """Raw random bytes, or descriptors skewed towards what reaches deep into the walk: addresses in
    or just past guest RAM, small lengths, available flags with NEXT/WRITE (now and then INDIRECT)."""
    near = st.integers(0, GARBAGE_RAM + 64)
    small = st.integers(0, 80)
    low = st.sampled_from([0, F_NEXT, F_WRITE, F_NEXT | F_WRITE] * 3 + [F_INDIRECT, F_INDIRECT | F_NEXT, 7])
    some_flags = st.builds(lambda avail, bits: avail | bits, st.sampled_from([F_AVAIL, F_USED]), low)
    desc = st.tuples(
        st.one_of(near, near, near, near, st.integers(0, (1 << 64) - 1)),
        st.one_of(
            small, small, small, small, st.sampled_from([16, 32, 0xFFFF_FFFF]), st.integers(0, (1 << 32) - 1)
        ),
        st.integers(0, 0xFFFF),
        st.one_of(some_flags, some_flags, some_flags, some_flags, st.integers(0, 0xFFFF)),
    )
    raw = st.binary(min_size=16 * size, max_size=16 * size)
    return st.one_of(
        raw, st.lists(desc, min_size=size, max_size=size).map(lambda ds: b"".join(DESC.pack(*d) for d in ds))
    )


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), size=st.integers(1, 12), filler=st.binary(max_size=512))
def test_garbage_ring_never_raises_loops_or_escapes_guest_memory(data, size, filler):
    ring = data.draw(descriptors(size))
    resume = st.builds(
        lambda pos, wrap: (pos | wrap << 15) * 0x1_0001, st.integers(0, size - 1), st.integers(0, 1)
    )
    state = data.draw(st.one_of(resume, resume, resume, st.integers(0, 0xFFFF_FFFF)))
    r = Rig(size=size, ram_size=GARBAGE_RAM)
    try:
        r.ram.write(r.ram.alloc(len(filler) or 1), filler or b"\0")  # indirect tables may land on it
        r.ram.write(r.driver.desc, ring)
        region = r.guest.regions[0]
        base, end = address_of(region.view), address_of(region.view) + region.size
        chains = []

        def handler(chain: Chain) -> int | None:
            chains.append(chain)
            total = 0
            for view in chain.readable + chain.writable:
                start = address_of(view)
                assert base <= start and start + view.nbytes <= end
                total += view.nbytes
            assert total <= 0xFFFF_FFFF
            assert all(v.readonly for v in chain.readable)
            assert not any(v.readonly for v in chain.writable)
            if chain.error:
                status = chain.status_byte
                if status is None:
                    return None
                status[0] = ERR
                return 1
            for view in chain.writable:
                view[:] = b"\xee" * view.nbytes
            return sum(v.nbytes for v in chain.writable) & 0xFFFF_FFFF

        for lap in (state, state ^ 0x8000_8000):  # the ring as garbage under both wrap counters
            r.restart(lap)
            chains.clear()
            first = r.run(handler)
            event("some chain had views" if any(c.readable or c.writable for c in chains) else "no views")
            assert first <= size  # each chain takes a slot; a static ring yields at most one lap
            assert r.run(handler) == 0  # nothing was added: nothing more is available
            assert r.queue.broken or r.queue.position < size
            state_after = r.queue.state
            assert state_after >> 16 == state_after & 0xFFFF
        chains.clear()
    finally:
        r.close()
