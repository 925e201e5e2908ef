"""Segment reading and writing: zero-copy when possible, never past what the chain holds."""

import pytest

from vcrypto.spec.buffers import SegmentReader, SegmentWriter, Truncated


def test_reader_crosses_segments_and_refuses_overreads() -> None:
    reader = SegmentReader([b"abc", b"", bytearray(b"defg"), memoryview(b"h")])
    assert reader.remaining == 8
    assert bytes(reader.take(2)) == b"ab"
    assert bytes(reader.take(3)) == b"cde"  # spans two segments
    assert bytes(reader.take(0)) == b""
    with pytest.raises(Truncated):
        reader.take(4)
    assert bytes(reader.take(3)) == b"fgh"
    assert reader.remaining == 0


def test_reader_is_zero_copy_inside_a_segment() -> None:
    backing = bytearray(b"0123456789")
    field = SegmentReader([backing]).take(4)
    backing[0] = ord("X")
    assert bytes(field) == b"X123"


def test_writer_regions_writes_and_last_byte() -> None:
    first, second = bytearray(4), bytearray(3)
    out = SegmentWriter([first, second])
    assert out.capacity == 7
    region = out.region(4)
    assert region is not None
    region[:] = b"wxyz"
    out.skip(4)
    assert out.region(4) is None  # would cross into nothing
    out.write(b"12")
    out.put_last(0xAA)
    assert (bytes(first), bytes(second), out.written) == (b"wxyz", b"12\xaa", 6)


def test_writer_spans_segments() -> None:
    a, b = bytearray(2), bytearray(2)
    out = SegmentWriter([a, b])
    assert out.region(3) is None
    out.write(b"abc")
    assert (bytes(a), bytes(b)) == (b"ab", b"c\x00")
