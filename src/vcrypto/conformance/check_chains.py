"""``chain.*``: hostile descriptor chains. The backend must answer with an error status or stop the
queue, never write outside the buffers it was given, and still serve a fresh connection afterwards.

Every buffer of a hostile chain sits between canary bytes in guest RAM; after the chain completes (or
the queue stops) the canaries and every device-readable buffer must be untouched. Each check uses its
own connection, then opens another one and runs a known answer on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..driver import CryptoDriver, StatusError
from ..spec import encode
from ..spec.constants import Opcode, Status
from ..vhost_user.protocol import Mode
from .attempt import attempt, describe, status_name
from .results import Mismatch, Result, Skipped, expect
from .samples import cipher_params, cipher_vector
from .target import Offer, Target, close_quietly, driver

log = logging.getLogger(__name__)

F_NEXT, F_WRITE = 1, 2  # VIRTQ_DESC_F_*
CANARY = bytes([0xA5, 0x5A, 0xC3, 0x3C]) * 16
HOSTILE_TIMEOUT = 1.0  # seconds to wait for a completion the backend may rightly never give
MAX_SIZE_PROBE = 8 << 20  # largest request built to exceed max_size
UNKNOWN_SESSION = 0x7FFF_FFFF_0000_5EED

Desc = tuple[int, int, int, int]  # addr, len, flags, next (relative to the first descriptor)


@dataclass(frozen=True, slots=True)
class Guard:
    address: int
    length: int
    contents: bytes | None  # what a device-readable buffer must still hold; None if device-writable


@dataclass(slots=True)
class Placement:
    """The buffers of one hostile chain in guest RAM, each between two canaries."""

    ram: Any
    guards: list[Guard] = field(default_factory=list)
    writable: int = 0  # bytes of device-writable buffers in the chain
    status_addr: int | None = None  # the last writable byte, if the chain has one

    def _put(self, data: bytes) -> int:
        return self.ram.put(CANARY + data + CANARY) + len(CANARY)

    def readable(self, data: bytes) -> int:
        """A device-readable buffer holding ``data``."""
        address = self._put(data)
        self.guards.append(Guard(address, len(data), data))
        return address

    def writable_space(self, size: int) -> int:
        """A device-writable buffer of ``size`` bytes (the last one placed holds the status)."""
        address = self._put(bytes(size))
        self.guards.append(Guard(address, size, None))
        self.writable += size
        self.status_addr = address + size - 1
        return address

    def damage(self) -> str | None:
        """What the backend changed that it must not have: a canary, or a device-readable buffer."""
        size = len(CANARY)
        for guard in self.guards:
            if self.ram.read(guard.address - size, size) != CANARY:
                return f"canary before the buffer at {guard.address:#x} overwritten"
            if self.ram.read(guard.address + guard.length, size) != CANARY:
                return f"canary after the {guard.length}-byte buffer at {guard.address:#x} overwritten"
            if guard.contents is not None and self.ram.read(guard.address, guard.length) != guard.contents:
                return f"device-readable buffer at {guard.address:#x} modified"
        return None


Builder = Callable[[Placement, bytes], list[Desc]]  # (placement, request header) -> descriptors


def _loop(placed: Placement, header: bytes) -> list[Desc]:
    """Header, then a writable status descriptor whose ``next`` points at itself."""
    head = placed.readable(header)
    status = placed.writable_space(1)
    return [(head, len(header), F_NEXT, 1), (status, 1, F_WRITE | F_NEXT, 1)]


def _out_of_range(placed: Placement, header: bytes) -> list[Desc]:
    outside = placed.ram.guest_base + placed.ram.size + (1 << 20)
    status = placed.writable_space(1)
    return [(outside, len(header), F_NEXT, 1), (status, 1, F_WRITE, 0)]


def _truncated_header(placed: Placement, header: bytes) -> list[Desc]:
    head = placed.readable(header[:10])
    status = placed.writable_space(1)
    return [(head, 10, F_NEXT, 1), (status, 1, F_WRITE, 0)]


def _no_writable_status(placed: Placement, header: bytes) -> list[Desc]:
    head = placed.readable(header)
    src = placed.readable(bytes(range(32)))
    return [(head, len(header), F_NEXT, 1), (src, 32, 0, 0)]


def _beyond_buffers(placed: Placement, header: bytes) -> list[Desc]:
    """The header (built for 4096 bytes of data) is followed by 16-byte IV, 16-byte source and a
    16-byte destination: every length it claims overruns what the chain holds."""
    head = placed.readable(header)
    iv = placed.readable(bytes(16))
    src = placed.readable(bytes(16))
    dst = placed.writable_space(16)
    status = placed.writable_space(1)
    return [
        (head, len(header), F_NEXT, 1),
        (iv, 16, F_NEXT, 2),
        (src, 16, F_NEXT, 3),
        (dst, 16, F_WRITE | F_NEXT, 4),
        (status, 1, F_WRITE, 0),
    ]


_HOSTILE: dict[str, Builder] = {
    "chain.loop": _loop,
    "chain.out-of-range": _out_of_range,
    "chain.truncated-header": _truncated_header,
    "chain.no-writable-status": _no_writable_status,
    "chain.beyond-buffers": _beyond_buffers,
}


def _header(offer: Offer, drv: CryptoDriver) -> bytes:
    """A legacy CIPHER request header for 4096 bytes, on a real session when one can be made."""
    try:
        vector = cipher_vector(offer)
        session_id = drv.create_session(cipher_params(vector))
        iv = bytes(len(vector.iv))
    except (Skipped, StatusError):
        session_id, iv = UNKNOWN_SESSION, bytes(16)
    return bytes(encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, iv, bytes(4096), 4096, False)[0])


def still_serves(target: Target, offer: Offer) -> None:
    """A fresh connection is served: a cipher request answered OK with its full output (or, without a
    usable cipher, the config read). Whether the bytes are right is the known answers' business."""
    try:
        vector = cipher_vector(offer)
    except Skipped:
        vector = None
    try:
        if vector is None:
            connection = target.connect()
            try:
                connection.read_config()
            finally:
                close_quietly(connection)
            return
        with driver(target, 0) as drv:
            session_id = drv.create_session(cipher_params(vector))
            got = drv.encrypt(session_id, vector.iv, vector.plaintext)
    except Exception as exc:
        raise Mismatch(f"a fresh connection afterwards failed: {describe(exc)}") from exc
    expect(len(got) == len(vector.plaintext), f"a fresh connection afterwards: {len(got)} bytes of output")


def _hostile(target: Target, offer: Offer, build: Builder) -> str:
    connection = target.connect()
    try:
        drv = CryptoDriver(connection, 0)
        placed = Placement(connection.ram)
        descs = build(placed, _header(offer, drv))
        completed = connection.submit_raw(drv.data_queue, descs, HOSTILE_TIMEOUT)
        damage = placed.damage()  # read before close: the guest RAM goes with the connection
        status = placed.ram.read(placed.status_addr, 1)[0] if placed.status_addr is not None else None
    finally:
        close_quietly(connection)
    expect(damage is None, str(damage))
    if completed is None:
        note = "queue stopped"
    else:
        used = completed[1]
        expect(used <= placed.writable, f"used length {used} > the {placed.writable} writable bytes given")
        if status is not None and used:
            expect(status != Status.OK, f"answered OK (used length {used})")
            note = f"answered {status_name(status)}"
        else:
            note = f"completed with used length {used}"
    log.info("hostile chain (%s): %s", build.__name__.strip("_"), note)
    still_serves(target, offer)
    return note + "; nothing written outside; a fresh connection served"


def _over_max_size(target: Target, offer: Offer) -> str:
    if offer.mode == Mode.CRYPTODEV:
        raise Skipped("cryptodev mode: QEMU's config says max_size 2^64-1, the backend's limit is not known")
    vector = cipher_vector(offer)
    block = 16 if len(vector.plaintext) % 16 == 0 else 8
    size = (offer.config.max_size // block + 1) * block
    if size > MAX_SIZE_PROBE:
        raise Skipped(f"max_size {offer.config.max_size} is larger than the {MAX_SIZE_PROBE}-byte probe")
    with driver(target, 0, ram_size=4 * size + (16 << 20)) as drv:
        session_id = drv.create_session(cipher_params(vector))
        try:
            drv.encrypt(session_id, vector.iv, bytes(size))
        except StatusError as exc:
            note = f"{size} bytes (max_size {offer.config.max_size}): {exc.status.name}"
        else:
            raise Mismatch(f"{size} bytes over max_size {offer.config.max_size} answered OK")
    still_serves(target, offer)
    return note


def check_chains(target: Target, offer: Offer) -> Iterator[Result]:
    for requirement_id, build in _HOSTILE.items():
        yield attempt(requirement_id, lambda build=build: _hostile(target, offer, build))
    yield attempt("chain.over-max-size", lambda: _over_max_size(target, offer))
