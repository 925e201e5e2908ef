"""GF(2^128) arithmetic in GCM's bit order (NIST SP 800-38D §6.3), for the J0 form of the GCM IV.

Blocks are Python ints read big-endian, so bit 0 of the spec's bit string is the int's top bit.

Why this exists: the spec lets a GCM request carry J0 (the pre-counter block) instead of a 96-bit IV.
OpenSSL only takes IVs, but for a 128-bit IV it derives J0 = GHASH_H(IV || 0^64 || [128]_64)
= IV·H² ⊕ L·H, with L = [0]_64 || [128]_64 (SP 800-38D §7.1 step 2). That map is a bijection for
H ≠ 0, so the 128-bit IV that yields a wanted J0 is IV = (J0 ⊕ L·H)·H⁻², and AES-GCM with that IV *is*
GCM from J0, tag and counter wrap included, at OpenSSL speed.
"""

from __future__ import annotations

_R = 0xE1 << 120
_LEN_BLOCK = 128  # [0]_64 || [len(IV) = 128]_64


def mul(x: int, y: int) -> int:
    """x·y (SP 800-38D Algorithm 1)."""
    z = 0
    v = y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _reflect(x: int) -> int:
    """GCM's bit order <-> the polynomial order (bit i = coefficient of x^i)."""
    return int(f"{x:0128b}"[::-1], 2)


_POLY = (1 << 128) | 0x87  # x^128 + x^7 + x^2 + x + 1


def inverse(x: int) -> int:
    """x⁻¹ by the extended Euclidean algorithm over GF(2)[x]; ``ValueError`` for 0."""
    if not x:
        raise ValueError("0 has no inverse")
    u, v = _reflect(x), _POLY
    g1, g2 = 1, 0
    while u != 1:
        shift = u.bit_length() - v.bit_length()
        if shift < 0:
            u, v, g1, g2 = v, u, g2, g1
            shift = -shift
        u ^= v << shift
        g1 ^= g2 << shift
    return _reflect(g1)


class ConstantMultiplier:
    """Multiplication by a fixed element through 16 byte-indexed tables (16 lookups per product)."""

    __slots__ = ("_tables",)

    def __init__(self, y: int) -> None:
        basis = []  # basis[i] = y · (bit string with only bit i set) = the V_i of Algorithm 1
        v = y
        for _ in range(128):
            basis.append(v)
            v = (v >> 1) ^ _R if v & 1 else v >> 1
        self._tables: list[list[int]] = []
        for k in range(16):
            table = [0] * 256
            for b in range(1, 256):
                low = b & -b  # the byte's bit of value 2^t is bit 8k + 7 - t of the block
                table[b] = table[b ^ low] ^ basis[8 * k + 8 - low.bit_length()]
            self._tables.append(table)

    def __call__(self, x: int) -> int:
        z = 0
        for table, byte in zip(self._tables, x.to_bytes(16), strict=True):
            z ^= table[byte]
        return z


class J0ToIv:
    """Maps a GCM J0 to the 128-bit IV from which OpenSSL derives that J0, for one hash key H."""

    __slots__ = ("_lh", "_times_h_inv2")

    def __init__(self, h: int) -> None:
        self._lh = mul(_LEN_BLOCK, h)
        self._times_h_inv2 = ConstantMultiplier(inverse(mul(h, h)))  # ValueError if H = 0

    def __call__(self, j0: bytes) -> bytes:
        return self._times_h_inv2(int.from_bytes(j0) ^ self._lh).to_bytes(16)
