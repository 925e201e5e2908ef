"""Argument checks and bit-string helpers shared by the KASUMI, SNOW 3G and ZUC modules.

The 3GPP specifications number bits from the most significant bit of the first byte (the bit-ordering
conventions in the introductory clauses of TS 35.201, TS 35.215 and EEA3/EIA3 document 1), so a bit
string of ``length_bits`` bits travels as
``ceil(length_bits / 8)`` bytes whose first bit is the MSB of byte 0.  Outputs of this package always zero the
unused low-order bits of the last byte.
"""

from __future__ import annotations

from ..base import Buffer, InvalidKey, InvalidParameter

KEY_BYTES = 16  # every algorithm here takes a 128-bit CK / IK


def as_bytes(value: Buffer, what: str) -> bytes:
    """A copy of a bytes-like object; ``InvalidParameter`` for anything else (``bytes(5)`` would not fail)."""
    try:
        return memoryview(value).tobytes()
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"{what} must be a bytes-like object") from exc


def check_key(key: Buffer) -> bytes:
    """The key as ``bytes``, or ``InvalidKey`` unless it is exactly 16 bytes."""
    try:
        raw = memoryview(key).tobytes()
    except (TypeError, ValueError) as exc:
        raise InvalidKey("the key must be a bytes-like object") from exc
    if len(raw) != KEY_BYTES:
        raise InvalidKey(f"3GPP keys are {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def check_uint(name: str, value: int, bits: int) -> int:
    """``value`` if it is an int that fits in ``bits`` bits, else ``InvalidParameter``."""
    if not isinstance(value, int) or (isinstance(value, bool) and bits != 1):
        raise InvalidParameter(f"{name} must be an int")
    if not 0 <= value < (1 << bits):
        raise InvalidParameter(f"{name} must fit in {bits} bits, got {value}")
    return int(value)


def check_bearer_fields(count: int, bearer: int, direction: int) -> tuple[int, int, int]:
    """(COUNT, BEARER, DIRECTION) checked to be 32, 5 and 1 bits wide (the f8 / UEA2 / EEA3 / EIA3 inputs)."""
    return (
        check_uint("count", count, 32),
        check_uint("bearer", bearer, 5),
        check_uint("direction", direction, 1),
    )


def check_fresh_fields(count: int, fresh: int, direction: int) -> tuple[int, int, int]:
    """(COUNT, FRESH, DIRECTION) checked to be 32, 32 and 1 bits wide (the f9 / UIA2 inputs)."""
    return (
        check_uint("count", count, 32),
        check_uint("fresh", fresh, 32),
        check_uint("direction", direction, 1),
    )


def check_data(data: Buffer, length_bits: int) -> bytes:
    """``data`` as bytes, which must hold exactly ``ceil(length_bits / 8)`` bytes."""
    if not isinstance(length_bits, int) or isinstance(length_bits, bool) or length_bits < 0:
        raise InvalidParameter("length_bits must be a non-negative int")
    raw = as_bytes(data, "data")
    if len(raw) != (length_bits + 7) >> 3:
        raise InvalidParameter(
            f"{length_bits} bits travel in {(length_bits + 7) >> 3} bytes, but {len(raw)} were given"
        )
    return raw


def xor_keystream(data: bytes, keystream: bytes, length_bits: int) -> bytes:
    """``data`` XOR ``keystream`` over ``length_bits`` bits; the unused bits of the last byte are zero."""
    nbytes = len(data)
    if nbytes == 0:
        return b""
    value = int.from_bytes(data, "big") ^ int.from_bytes(keystream[:nbytes], "big")
    spare = 8 * nbytes - length_bits
    if spare:
        value &= ~((1 << spare) - 1)
    return value.to_bytes(nbytes, "big")


def message_int(data: bytes, length_bits: int) -> int:
    """The first ``length_bits`` bits of ``data`` as an integer (first bit most significant)."""
    return int.from_bytes(data, "big") >> (8 * len(data) - length_bits)
