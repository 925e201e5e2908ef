"""The device side of the split ring: draining, used entries, avail_event, broken queues."""

from __future__ import annotations

import pytest

from vcrypto.virtio.chain import Chain
from vcrypto.virtio.mock import MockMemory, MockSplitQueue
from vcrypto.virtio.split import U16, QueueError, SplitQueue


class Rig:
    def __init__(self, size: int = 8) -> None:
        self.memory = MockMemory(1 << 20)
        self.driver = MockSplitQueue(self.memory, size)
        self.guest = self.memory.guest_memory()
        self.queue = SplitQueue(self.guest, size, *self.driver.addresses)
        self.notified = 0
        self.seen: list[Chain] = []

    def echo(self, chain: Chain) -> int | None:
        """Copy the readable bytes to the writable side; the used length is what was written."""
        self.seen.append(chain)
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

    def close(self) -> None:
        self.seen.clear()
        self.queue.release()
        self.guest.close()
        self.memory.close()


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()


def test_one_chain(rig):
    head, out = rig.driver.add_chain([b"hello"], [8])
    assert rig.run() == 1
    assert rig.driver.take_used() == [(head, 5)]
    assert rig.memory.read(out[0][0], 5) == b"hello"
    assert rig.notified == 1
    assert rig.driver.avail_event() == 1  # kick me when entry 1 shows up


def test_batch_is_published_then_signalled_once(rig):
    heads = [rig.driver.add_chain([bytes([i]) * 4], [4])[0] for i in range(3)]
    assert rig.run() == 3
    assert [h for h, _ in rig.driver.take_used()] == heads
    assert rig.notified == 1
    assert rig.driver.avail_event() == 3
    assert rig.run() == 0  # nothing new: no used entry, no signal
    assert rig.notified == 1


def test_indices_wrap_around():
    r = Rig(size=4)
    try:
        r.driver.avail_idx = 0xFFFE
        r.memory.write(r.driver.avail + 2, U16.pack(0xFFFE))
        r.memory.write(r.driver.used + 2, U16.pack(0xFFFE))
        r.driver.last_used = 0xFFFE
        r.queue.release()
        r.queue = SplitQueue(r.guest, 4, *r.driver.addresses, next_avail=0xFFFE)
        for round_ in range(3):
            heads = [r.driver.add_chain([b"x"], [1])[0] for _ in range(3)]
            assert r.run() == 3, round_
            assert [h for h, _ in r.driver.take_used()] == heads
        assert r.queue.next_avail == r.queue.next_used == (0xFFFE + 9) & 0xFFFF
    finally:
        r.close()


def test_avail_index_too_far_ahead_breaks_the_queue(rig):
    rig.driver.add_chain([b"x"], [1])
    rig.memory.write(rig.driver.avail + 2, U16.pack(9))  # 9 pending on a queue of 8
    assert rig.run() == 0
    assert rig.queue.broken
    assert rig.run() == 0  # stays stopped


def test_head_outside_the_table_breaks_the_queue_after_the_good_ones(rig):
    good, _ = rig.driver.add_chain([b"x"], [1])
    rig.driver.publish(8)
    rig.driver.add_chain([b"y"], [1])
    assert rig.run() == 1
    assert rig.driver.take_used() == [(good, 1)]
    assert "names descriptor 8" in rig.queue.broken
    assert rig.notified == 1


def test_unanswerable_chain_breaks_the_queue(rig):
    rig.driver.add_chain([b"x"], [])
    assert rig.run(lambda chain: None) == 0
    assert "cannot be answered" in rig.queue.broken
    assert rig.driver.take_used() == []


def test_resumes_from_the_rings_used_index(rig):
    rig.driver.add_chain([b"x"], [1])
    rig.run()
    rig.queue.release()
    rig.queue = SplitQueue(rig.guest, 8, *rig.driver.addresses, next_avail=1)
    assert rig.queue.next_used == 1
    head, _ = rig.driver.add_chain([b"y"], [1])
    rig.driver.take_used()
    assert rig.run() == 1
    assert rig.driver.take_used() == [(head, 1)]


@pytest.mark.parametrize(
    ("size", "shift", "match"),
    [(0, (0, 0, 0), "power of two"), (12, (0, 0, 0), "power of two"), (65536, (0, 0, 0), "power of two"),
     (8, (8, 0, 0), "misaligned"), (8, (0, 1, 0), "misaligned"), (8, (0, 0, 2), "misaligned"),
     (8, (1 << 40, 0, 0), "not in one memory region")],
)  # fmt: skip
def test_bad_ring_parameters(rig, size, shift, match):
    addrs = [a + s for a, s in zip(rig.driver.addresses, shift, strict=True)]
    with pytest.raises(QueueError, match=match):
        SplitQueue(rig.guest, size, *addrs)


def test_ring_past_the_end_of_memory(rig):
    end = rig.memory.user(rig.memory.size)
    with pytest.raises(QueueError):
        SplitQueue(rig.guest, 8, end - 64, *rig.driver.addresses[1:])
