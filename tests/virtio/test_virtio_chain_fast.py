"""``ChainReader`` (the queue's fast chain reader) gives exactly what ``read_chain`` gives.

Guest memory here has two regions with a hole between them, filled with a pattern in which every
offset is distinct, so equal bytes mean the same guest memory. Random descriptor tables (loops,
holes, zero lengths, bad flags, indirect tables good and bad) are read both ways; the common
shapes are also checked to be taken by the fast path itself.
"""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vcrypto.spec.buffers import ByteViews
from vcrypto.virtio.chain import DESC, F_INDIRECT, F_NEXT, F_WRITE, Chain, ChainReader, read_chain
from vcrypto.virtio.memory import GuestMemory, MemoryRegion
from vcrypto.virtio.mock import MockSplitQueue
from vcrypto.virtio.ram import GuestRam
from vcrypto.virtio.split import SplitQueue

REGION = 0x10000
A, B = 0x0, 0x40000  # guest addresses of the two regions (a hole between them)
QUEUE = 8
TABLE = A + 0x100  # the queue's descriptor table
INDIRECT = A + 0x1000  # an indirect table


class Memory:
    def __init__(self) -> None:
        self.fd = os.memfd_create("chain-fast", os.MFD_CLOEXEC)
        os.write(
            self.fd, b"".join(struct.pack("<I", i * 2654435761 & 0xFFFFFFFF) for i in range(REGION // 2))
        )
        self.guest = GuestMemory(
            [
                MemoryRegion(self.fd, A, REGION, 0x1000_0000, 0),
                MemoryRegion(self.fd, B, REGION, 0x2000_0000, REGION),
            ]
        )
        self.raw = self.guest.regions[0].view

    def descs(self, at: int, descs: list[tuple[int, int, int, int]]) -> None:
        for i, desc in enumerate(descs):
            DESC.pack_into(self.raw, at - A + 16 * i, *desc)

    def close(self) -> None:
        self.raw = None
        self.guest.close()
        os.close(self.fd)


@pytest.fixture
def memory():
    m = Memory()
    yield m
    m.close()


def _segments(views: list[memoryview]) -> list[tuple[bytes, bool]]:
    return [(bytes(v), v.readonly) for v in views]


def assert_same(fast: Chain, general: Chain) -> None:
    assert (fast.head, fast.error) == (general.head, general.error)
    assert _segments(fast.readable) == _segments(general.readable)
    assert _segments(fast.writable) == _segments(general.writable)
    assert type(fast.readable) is type(fast.writable) is ByteViews
    assert all(v.readonly for v in fast.readable) and not any(v.readonly for v in fast.writable)


def both(memory: Memory, head: int) -> Chain:
    table = memory.guest.view(TABLE, 16 * QUEUE)
    reader = ChainReader(memory.guest)
    try:
        fast = reader.read(table, QUEUE, head)
        assert_same(fast, read_chain(table, QUEUE, head, memory.guest))
        return fast
    finally:
        reader.release()


def fast_path_takes(memory: Memory, head: int) -> bool:
    reader = ChainReader(memory.guest)
    try:
        return reader._fast(memory.guest.view(TABLE, 16 * QUEUE), QUEUE, head) is not None
    finally:
        reader.release()


def test_linux_shapes_are_taken_by_the_fast_path(memory):
    # direct: header, IV, source readable; destination, status writable; in both regions
    memory.descs(TABLE, [
        (A + 0x2000, 72, F_NEXT, 3), (0, 0, 0, 0), (0, 0, 0, 0),
        (B + 0x100, 16, F_NEXT, 4), (B + 0x200, 64, F_NEXT, 6), (0, 0, 0, 0),
        (A + 0x3000, 64, F_WRITE | F_NEXT, 7), (B + 0x400, 1, F_WRITE, 0),
    ])  # fmt: skip
    chain = both(memory, 0)
    assert [v.nbytes for v in chain.readable] == [72, 16, 64] and [v.nbytes for v in chain.writable] == [
        64,
        1,
    ]
    assert fast_path_takes(memory, 0)
    # indirect: the same five buffers in a table the head points to
    memory.descs(INDIRECT, [
        (A + 0x2000, 72, F_NEXT, 1), (B + 0x100, 16, F_NEXT, 2), (B + 0x200, 64, F_NEXT, 3),
        (A + 0x3000, 64, F_WRITE | F_NEXT, 4), (B + 0x400, 1, F_WRITE, 0),
    ])  # fmt: skip
    memory.descs(TABLE + 16 * 5, [(INDIRECT, 5 * 16, F_INDIRECT, 0)])
    assert _segments(both(memory, 5).readable) == _segments(chain.readable)
    assert fast_path_takes(memory, 5)


@pytest.mark.parametrize(
    "descs, fault",
    [
        ([(A + 0x2000, 8, F_NEXT, 1), (A + 0x2100, 8, F_NEXT, 0)], "loop"),
        ([(A + 0x2000, 8, F_NEXT, 9)], "outside the table"),
        ([(A + 0x2000, 8, F_WRITE | F_NEXT, 1), (A + 0x2100, 8, 0, 0)], "readable after"),
        ([(A + REGION - 4, 8, 0, 0)], "memory"),  # crosses the end of region A into the hole
        ([(0x20000, 8, 0, 0)], "memory"),  # in the hole
        ([(A + 0x2000, 0, F_NEXT, 1), (A + 0x2100, 8, F_WRITE, 0)], None),  # zero length: skipped
        ([(A + 0x2000, 8, F_NEXT, 1), (INDIRECT, 16, F_INDIRECT, 0)], "INDIRECT inside"),
        ([(INDIRECT, 16, F_INDIRECT | F_NEXT, 1)], "INDIRECT together with NEXT"),
        ([(INDIRECT, 24, F_INDIRECT, 0)], "multiple of 16"),
        ([(INDIRECT, 0, F_INDIRECT, 0)], "multiple of 16"),
        ([(A + REGION - 16, 32, F_INDIRECT, 0)], "memory"),
    ],
)
def test_faults_are_named_by_the_general_walk(memory, descs, fault):
    memory.descs(TABLE, descs)
    memory.descs(INDIRECT, [(A + 0x2000, 8, F_WRITE, 0)])
    chain = both(memory, 0)
    assert (chain.error is None) if fault is None else (fault in chain.error)
    assert not fast_path_takes(memory, 0)


def test_indirect_tables_out_of_order_or_unterminated(memory):
    memory.descs(TABLE, [(INDIRECT, 3 * 16, F_INDIRECT, 0)])
    for table in (
        [(A + 0x2000, 8, F_NEXT, 2), (A + 0x2100, 8, F_WRITE, 0), (A + 0x2200, 8, F_NEXT, 1)],  # reordered
        [(A + 0x2000, 8, F_NEXT, 1), (A + 0x2100, 8, F_NEXT, 2), (A + 0x2200, 8, F_NEXT, 3)],  # runs off
        [(A + 0x2000, 8, F_NEXT, 1), (A + 0x2100, 8, F_NEXT, 0), (A + 0x2200, 8, 0, 0)],  # loops
        [(A + 0x2000, 8, F_NEXT, 1), (A + 0x2100, 8, 0, 0), (0x20000, 8, 0, 0)],  # ends early: fine
    ):
        memory.descs(INDIRECT, table)
        both(memory, 0)
    assert fast_path_takes(memory, 0)  # the last one: entries after the end are never looked at


ADDRS = st.sampled_from(
    [A + 0x2000, A + 0x2010, B, B + 0x800, A + REGION - 8, B + REGION - 1, 0x20000, 1 << 63]
)
LENGTHS = st.sampled_from([0, 1, 8, 16, 48, 0x100, 1 << 31, 0xFFFFFFFF])
FLAGS = st.sets(st.sampled_from([F_NEXT, F_WRITE, F_INDIRECT, 8])).map(sum)
DESCS = st.tuples(ADDRS, LENGTHS, FLAGS, st.integers(0, 10))


@settings(max_examples=400, deadline=None)
@given(
    table=st.lists(DESCS, min_size=QUEUE, max_size=QUEUE),
    indirect=st.lists(DESCS, min_size=1, max_size=6),
    pointers=st.lists(st.tuples(st.integers(0, QUEUE - 1), st.sampled_from([16, 32, 48, 96, 20]), FLAGS)),
    head=st.integers(0, QUEUE - 1),
)
def test_random_tables_read_the_same_both_ways(table, indirect, pointers, head):
    m = Memory()
    try:
        for index, length, flags in pointers:  # some descriptors point at the indirect table
            table[index] = (INDIRECT, length, flags | F_INDIRECT, table[index][3])
        m.descs(TABLE, table)
        m.descs(INDIRECT, indirect)
        both(m, head)
    finally:
        m.close()


def test_split_queue_reads_through_the_fast_reader():
    ram = GuestRam(1 << 20)
    driver = MockSplitQueue(ram, 16)
    guest = ram.guest_memory()
    queue = SplitQueue(guest, 16, *driver.addresses)
    seen: list[Chain] = []

    def handler(chain: Chain) -> int:
        seen.append(chain)
        chain.writable[-1][0] = 0x5A
        return 1

    driver.add_chain([b"header", b"iv"], [4, 1])
    driver.add_chain([b"header", b"iv"], [4, 1], indirect=True)
    assert queue.process(handler, lambda: None) == 2
    assert [[bytes(v) for v in c.readable] for c in seen] == [[b"header", b"iv"]] * 2
    assert all(type(c.readable) is ByteViews for c in seen)
    assert [len(u) for u in driver.take_used()] == [2, 2]
    seen.clear()
    queue.release()
    guest.close()
    ram.close()


def test_a_handler_that_raises_keeps_what_was_answered():
    ram = GuestRam(1 << 20)
    driver = MockSplitQueue(ram, 16)
    guest = ram.guest_memory()
    queue = SplitQueue(guest, 16, *driver.addresses)
    calls = 0

    def handler(chain: Chain) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("a bug")
        return 0

    heads = [driver.add_chain([b"x"], [1])[0] for _ in range(3)]
    with pytest.raises(RuntimeError):
        queue.process(handler, lambda: None)
    assert driver.take_used() == [(heads[0], 0)]  # published although the batch did not finish
    assert (queue.next_avail, queue.next_used) == (1, 1)
    assert queue.process(handler, lambda: None) == 2  # the failed one is served again, then the last
    assert [head for head, _ in driver.take_used()] == heads[1:]
    queue.release()
    guest.close()
    ram.close()
