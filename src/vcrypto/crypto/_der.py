"""A strict, minimal DER reader and writer for the few ASN.1 structures the AKCIPHER service uses.

The spec says the keys (PKCS#1 RSAPrivateKey/RSAPublicKey, RFC 5915 ECPrivateKey) and the ECDSA signature
are DER. Keys come from the guest, so they are parsed here rather than handed to a general-purpose loader
that also accepts BER, PEM, PKCS#8 or SubjectPublicKeyInfo: one canonical encoding, one meaning, and every
deviation is a ``DerError``. Only what those structures need is supported: low tag numbers, definite
lengths, INTEGER, BIT STRING, OCTET STRING, NULL, OBJECT IDENTIFIER, SEQUENCE and context tags.
"""

from __future__ import annotations

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30


def context(number: int) -> int:
    """Tag of an explicitly tagged (constructed) context-specific field ``[number]``."""
    return 0xA0 | number


class DerError(ValueError):
    """The bytes are not the canonical DER encoding of the expected structure."""


def read_tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """Read one tag-length-value at ``pos``: ``(tag, value, position after it)``."""
    end = len(data)
    if pos + 2 > end:
        raise DerError("truncated TLV")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used by these structures")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError("indefinite length is not DER")
    else:
        count = first & 0x7F
        if count > 4 or pos + count > end:
            raise DerError("length field too long or truncated")
        length = int.from_bytes(data[pos : pos + count], "big")
        if data[pos] == 0 or length < 0x80:
            raise DerError("length not in its shortest form")
        pos += count
    if pos + length > end:
        raise DerError("value runs past the end")
    return tag, data[pos : pos + length], pos + length


def read_single(data: bytes, tag: int) -> bytes:
    """The value of the one TLV that ``data`` must consist of, which must carry ``tag``."""
    got, value, pos = read_tlv(data, 0)
    if got != tag:
        raise DerError(f"expected tag {tag:#04x}, found {got:#04x}")
    if pos != len(data):
        raise DerError("trailing bytes after the structure")
    return value


def read_items(value: bytes) -> list[tuple[int, bytes]]:
    """The ``(tag, value)`` elements of a SEQUENCE's contents, in order."""
    items: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(value):
        tag, item, pos = read_tlv(value, pos)
        items.append((tag, item))
    return items


def decode_integer(value: bytes) -> int:
    """A two's-complement INTEGER in its minimal encoding (DER forbids redundant leading octets)."""
    if not value:
        raise DerError("empty INTEGER")
    if len(value) > 1 and ((value[0] == 0x00 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80)):
        raise DerError("INTEGER not in its minimal encoding")
    return int.from_bytes(value, "big", signed=True)


def expect_integer(item: tuple[int, bytes]) -> int:
    tag, value = item
    if tag != INTEGER:
        raise DerError("expected INTEGER")
    return decode_integer(value)


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def encode_tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(value)) + value


def encode_integer(number: int) -> bytes:
    """DER INTEGER of a non-negative number."""
    if number < 0:
        raise ValueError("only non-negative integers are needed here")
    return encode_tlv(INTEGER, number.to_bytes(number.bit_length() // 8 + 1, "big"))


def encode_sequence(*items: bytes) -> bytes:
    return encode_tlv(SEQUENCE, b"".join(items))


def encode_oid(dotted: str) -> bytes:
    """DER OBJECT IDENTIFIER from its dotted form, e.g. ``"1.2.840.113549.2.5"``."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"invalid OID {dotted}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return encode_tlv(OBJECT_IDENTIFIER, bytes(body))
