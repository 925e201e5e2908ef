"""Reading and writing a request spread over buffer segments, trusting no length the guest wrote.

A descriptor chain reaches the device as device-readable segments and device-writable segments.
``SegmentReader`` hands out consecutive fields of the readable side (zero-copy when a field lies in
one segment, the usual case) and refuses to read past what the chain holds. ``SegmentWriter`` fills
the writable side from the front and keeps the last byte for the status, where the spec puts
``virtio_crypto_inhdr``.
"""

from __future__ import annotations

from collections.abc import Sequence

Buffer = bytes | bytearray | memoryview


class Truncated(Exception):
    """The chain holds fewer bytes than the request's own lengths claim."""


class ByteViews(list[memoryview]):
    """Segments already in the form the readers want: non-empty, one-dimensional, unsigned-byte
    memoryviews (format ``B``).

    The descriptor-chain reader builds these from guest memory. Consumers may take them as they are
    instead of re-checking every segment per request: the type itself is the producer's promise, and
    no guest value can make one.
    """

    __slots__ = ()


def _views(segments: Sequence[Buffer]) -> list[memoryview]:
    """Flat byte views of the non-empty segments."""
    if type(segments) is ByteViews:
        return segments
    views = [memoryview(segment) for segment in segments]
    for i, view in enumerate(views):
        if view.format != "B" or view.ndim != 1:
            views[i] = view.cast("B")
    return [view for view in views if view.nbytes]


class SegmentReader:
    """Consecutive fields of the device-readable segments."""

    __slots__ = ("_index", "_offset", "_views", "remaining")

    def __init__(self, segments: Sequence[Buffer]) -> None:
        self._views = _views(segments)
        self._index = 0
        self._offset = 0
        self.remaining = sum(view.nbytes for view in self._views)

    def take(self, size: int) -> Buffer:
        """The next ``size`` bytes; a view into the segment when they lie in one."""
        if size > self.remaining:
            raise Truncated(f"field of {size} bytes, {self.remaining} left in the chain")
        if size == 0:
            return b""
        self.remaining -= size
        view = self._views[self._index]
        end = self._offset + size
        if end < view.nbytes:
            field = view[self._offset : end]
            self._offset = end
            return field
        if end == view.nbytes:
            field = view[self._offset :] if self._offset else view
            self._index += 1
            self._offset = 0
            return field
        parts = []
        while size:
            view = self._views[self._index]
            piece = min(size, view.nbytes - self._offset)
            parts.append(view[self._offset : self._offset + piece])
            size -= piece
            self._offset += piece
            if self._offset == view.nbytes:
                self._index += 1
                self._offset = 0
        return b"".join(parts)

    def take_bytes(self, size: int) -> bytes:
        """The next ``size`` bytes as an immutable copy (keys, which outlive the request)."""
        return bytes(self.take(size))


class SegmentWriter:
    """The device-writable segments: output from the front, the status in the last byte."""

    __slots__ = ("_index", "_offset", "_views", "capacity", "written")

    def __init__(self, segments: Sequence[Buffer]) -> None:
        self._views = _views(segments)
        self._index = 0
        self._offset = 0
        self.capacity = sum(view.nbytes for view in self._views)
        self.written = 0

    def region(self, size: int) -> memoryview | None:
        """A writable view of the next ``size`` bytes if they lie in one segment (for in-place output)."""
        if not size or self._index >= len(self._views):
            return None
        view = self._views[self._index]
        if self._offset + size > view.nbytes:
            return None
        return view[self._offset : self._offset + size]

    def skip(self, size: int) -> None:
        """Account for ``size`` bytes already written through ``region``."""
        self._advance(size)

    def write(self, data: Buffer) -> None:
        """Write ``data`` at the current position; the caller has checked it fits."""
        data = memoryview(data)
        done = 0
        while done < data.nbytes:
            view = self._views[self._index]
            piece = min(data.nbytes - done, view.nbytes - self._offset)
            view[self._offset : self._offset + piece] = data[done : done + piece]
            done += piece
            self._advance(piece)

    def _advance(self, size: int) -> None:
        self.written += size
        while size:
            view = self._views[self._index]
            piece = min(size, view.nbytes - self._offset)
            size -= piece
            self._offset += piece
            if self._offset == view.nbytes:
                self._index += 1
                self._offset = 0

    def put_last(self, value: int) -> None:
        """Set the last byte of the writable area (the data queue's status byte)."""
        last = self._views[-1]
        last[last.nbytes - 1] = value
