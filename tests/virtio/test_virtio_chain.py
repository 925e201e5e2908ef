"""Descriptor chains: validated once, good ones become views, bad ones name their fault."""

from __future__ import annotations

import pytest

from vcrypto.virtio.chain import F_INDIRECT, F_NEXT, F_WRITE, read_chain
from vcrypto.virtio.mock import MockMemory, MockSplitQueue, pack_descs


@pytest.fixture
def ring():
    memory = MockMemory(1 << 20)
    queue = MockSplitQueue(memory, size=8)
    guest = memory.guest_memory()
    table = guest.user_view(queue.addresses[0], 16 * queue.size)
    yield memory, queue, guest, table
    table.release()
    guest.close()
    memory.close()


def walk(ring, head):
    _memory, queue, guest, table = ring
    return read_chain(table, queue.size, head, guest)


def test_direct_chain(ring):
    memory, queue, _guest, _table = ring
    head, out = queue.add_chain([b"header", b"payload"], [4, 1])
    chain = walk(ring, head)
    assert chain.error is None
    assert [bytes(v) for v in chain.readable] == [b"header", b"payload"]
    assert all(v.readonly for v in chain.readable)
    assert [v.nbytes for v in chain.writable] == [4, 1]
    chain.writable[0][:] = b"abcd"
    assert memory.read(out[0][0], 4) == b"abcd"
    chain.status_byte[0] = 7
    assert memory.read(out[1][0], 1) == b"\x07"


def test_indirect_chain(ring):
    _memory, queue, _guest, _table = ring
    head, _out = queue.add_chain([b"a" * 72, b"iv" * 8, b"src" * 4], [12, 1], indirect=True)
    chain = walk(ring, head)
    assert chain.error is None
    assert [v.nbytes for v in chain.readable] == [72, 16, 12]
    assert [v.nbytes for v in chain.writable] == [12, 1]


def test_zero_length_descriptors_are_skipped(ring):
    memory, queue, _guest, _table = ring
    buf = memory.put(b"xy")
    queue.write_desc(0, buf, 2, F_NEXT, 1)
    queue.write_desc(1, buf, 0, F_NEXT, 2)
    queue.write_desc(2, buf, 1, F_WRITE)
    chain = walk(ring, 0)
    assert chain.error is None
    assert [v.nbytes for v in chain.readable] == [2]


def hostile(queue, memory, case):
    """Lay out a bad chain at descriptor 0; the last valid writable byte (if any) is at ``status``."""
    status = memory.alloc(1)
    buf = memory.put(b"\0" * 64)
    w = queue.write_desc
    if case == "loop":
        w(0, buf, 8, F_NEXT, 1)
        w(1, status, 1, F_WRITE | F_NEXT, 0)
    elif case == "self-loop":
        w(0, status, 1, F_WRITE | F_NEXT, 0)
    elif case == "next out of table":
        w(0, status, 1, F_WRITE | F_NEXT, 8)
    elif case == "address out of range":
        w(0, buf, 8, F_NEXT, 1)
        w(1, status, 1, F_WRITE | F_NEXT, 2)
        w(2, 0xFFFF_0000_0000, 16, F_WRITE)
    elif case == "address wraps":
        w(0, status, 1, F_WRITE | F_NEXT, 1)
        w(1, (1 << 64) - 8, 16, F_WRITE)
    elif case == "lengths overflow":
        w(0, status, 1, F_WRITE | F_NEXT, 1)
        w(1, buf, 0xFFFF_FFFF, F_WRITE)
    elif case == "readable after writable":
        w(0, status, 1, F_WRITE | F_NEXT, 1)
        w(1, buf, 8, 0)
    elif case == "empty readable after writable":
        w(0, status, 1, F_WRITE | F_NEXT, 1)
        w(1, buf, 0, 0)
    elif case == "indirect with next":
        w(0, memory.put(pack_descs([(status, 1, F_WRITE, 0)])), 16, F_INDIRECT | F_NEXT, 1)
        return None
    elif case == "nested indirect":
        inner = memory.put(pack_descs([(buf, 8, 0, 0)]))
        w(
            0,
            memory.put(pack_descs([(status, 1, F_WRITE | F_NEXT, 1), (inner, 16, F_INDIRECT, 0)])),
            32,
            F_INDIRECT,
        )
    elif case == "indirect after direct":
        w(0, status, 1, F_WRITE | F_NEXT, 1)
        w(1, memory.put(pack_descs([(buf, 8, 0, 0)])), 16, F_INDIRECT)
    elif case == "indirect length not a multiple of 16":
        w(0, memory.put(pack_descs([(status, 1, F_WRITE, 0)]) + b"\0" * 8), 24, F_INDIRECT)
        return None
    elif case == "empty indirect table":
        w(0, buf, 0, F_INDIRECT)
        return None
    elif case == "indirect table out of range":
        w(0, 0xFFFF_0000_0000, 32, F_INDIRECT)
        return None
    elif case == "indirect loop":
        w(
            0,
            memory.put(pack_descs([(status, 1, F_WRITE | F_NEXT, 1), (buf, 4, F_WRITE | F_NEXT, 0)])),
            32,
            F_INDIRECT,
        )
        return buf + 3
    elif case == "indirect next out of table":
        w(0, memory.put(pack_descs([(status, 1, F_WRITE | F_NEXT, 5)])), 16, F_INDIRECT)
    elif case == "readable only, bad address":
        w(0, buf, 8, F_NEXT, 1)
        w(1, 0xFFFF_0000_0000, 8, 0)
        return None
    else:
        raise AssertionError(case)
    return status


CASES = [
    "loop", "self-loop", "next out of table", "address out of range", "address wraps", "lengths overflow",
    "readable after writable", "empty readable after writable", "indirect with next", "nested indirect",
    "indirect after direct", "indirect length not a multiple of 16", "empty indirect table",
    "indirect table out of range", "indirect loop", "indirect next out of table",
    "readable only, bad address",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_hostile_chain_names_its_fault_and_keeps_the_valid_status_byte(ring, case):
    memory, queue, _guest, _table = ring
    status = hostile(queue, memory, case)
    chain = walk(ring, 0)
    assert chain.error, case
    byte = chain.status_byte
    if status is None:
        assert byte is None
    else:
        byte[0] = 0x55
        assert memory.read(status, 1) == b"\x55"


def test_header_split_over_many_descriptors(ring):
    """Segments come out in chain order, however finely the guest cut them."""
    _memory, queue, _guest, _table = ring
    data = bytes(range(72))
    head, _out = queue.add_chain([data[i : i + 9] for i in range(0, 72, 9)], [1], indirect=True)
    chain = walk(ring, head)
    assert b"".join(bytes(v) for v in chain.readable) == data
