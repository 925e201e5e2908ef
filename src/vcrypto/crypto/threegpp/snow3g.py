"""SNOW 3G and the 3GPP algorithms UEA2 (confidentiality, f8) and UIA2 (integrity, f9) built on it.

Written from 3GPP TS 35.215 (UEA2 & UIA2, document 1) and TS 35.216 (SNOW 3G, document 2); section numbers
below are those documents'.

Speed notes: the S-boxes S1 and S2 (doc 2 §3) are an 8-bit S-box per byte followed by a linear
MixColumn, so each is the XOR of one table lookup per 16-bit half of its input (tables built on first use).
UIA2's multiplications in GF(2^64) (doc 1 §4) all share the factor P within one message, so a long message
gets eight 256-entry tables of ``(b << 8j) * P`` built for it, turning each multiplication into eight lookups;
a short one uses a shift-and-XOR over the set bits of P with a two-step reduction.  The tables themselves are
built 256 entries at a time on one big integer (packed 64-bit slots), so they cost tens of microseconds.
"""

from __future__ import annotations

import struct
import sys
from array import array
from functools import cache

from ..base import Buffer
from ._common import check_bearer_fields, check_data, check_fresh_fields, check_key, xor_keystream

_M32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1


def _gf8_mul(a: int, b: int, poly: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & 0x100:
            a ^= poly
    return r


def _exp_log(poly: int) -> tuple[list[int], list[int]]:
    """Powers of a generator of GF(2^8)* modulo ``poly``, and their discrete logarithms."""
    for g in range(2, 256):
        exp = [1]
        for _ in range(254):
            exp.append(_gf8_mul(exp[-1], g, poly))
        if len(set(exp)) == 255:
            break
    log = [0] * 256
    for i, v in enumerate(exp):
        log[v] = i
    return exp, log


def _make_sr() -> bytes:
    """SR, the Rijndael S-box (doc 2 §3): inversion in GF(2^8)/0x11B, then the affine map."""
    exp, log = _exp_log(0x11B)
    out = bytearray(256)
    for x in range(256):
        b = exp[-log[x] % 255] if x else 0
        rot = b | (b << 8)
        out[x] = (b ^ (rot >> 7) ^ (rot >> 6) ^ (rot >> 5) ^ (rot >> 4) ^ 0x63) & 0xFF
    return bytes(out)


def _make_sq() -> bytes:
    """SQ (doc 2 §3): the Dickson polynomial g49 over GF(2^8)/0x169, plus 0x25."""
    exp, log = _exp_log(0x169)
    out = bytearray([0x25] * 256)
    for x in range(1, 256):
        for e in (1, 9, 13, 15, 33, 41, 45, 47, 49):
            out[x] ^= exp[log[x] * e % 255]
    return bytes(out)


SR = _make_sr()
SQ = _make_sq()


def _mulx(v: int, c: int) -> int:
    """MULx (doc 2 §3): multiply the byte ``v`` by x, reducing with ``c``."""
    return ((v << 1) ^ c) & 0xFF if v & 0x80 else v << 1


def _mulxpow(v: int, i: int, c: int) -> int:
    """MULxPOW (doc 2 §3): ``i`` times MULx."""
    for _ in range(i):
        v = _mulx(v, c)
    return v


def _alpha_table(powers: tuple[int, int, int, int]) -> tuple[int, ...]:
    """MULxPOW(c, p, 0xA9) for the four powers (most significant byte first), for every byte c.

    MULxPOW is linear in c, so the eight single-bit images give every entry by XOR.
    """
    basis = [int.from_bytes(bytes(_mulxpow(1 << k, p, 0xA9) for p in powers), "big") for k in range(8)]
    table = [0]
    for word in basis:
        table += [v ^ word for v in table]
    return tuple(table)


# MUL_alpha and DIV_alpha (doc 2 §3), as 32-bit words.
_MULA = _alpha_table((23, 245, 48, 239))
_DIVA = _alpha_table((16, 39, 6, 64))


# MixColumn factors of S1/S2 (doc 2 §3): _MIX[k][j] multiplies input byte j into output byte r_k.
_MIX = ((2, 1, 1, 3), (3, 2, 1, 1), (1, 3, 2, 1), (1, 1, 3, 2))


def _sbox_byte_tables(sbox: bytes, c: int) -> list[list[int]]:
    """Contribution of input byte j (0 = most significant) to the 32-bit S-box S1 or S2 (doc 2 §3).

    With ``s = S(w_j)``, output byte r_k gets ``s``, ``2s`` (MULx(s, c)) or ``3s`` (MULx(s, c) ^ s).
    """
    rows = []
    for j in range(4):
        row = []
        for w in range(256):
            s = sbox[w]
            s2 = _mulx(s, c)
            by_factor = (0, s, s2, s2 ^ s)
            row.append(int.from_bytes(bytes(by_factor[_MIX[k][j]] for k in range(4)), "big"))
        rows.append(row)
    return rows


@cache
def _tables() -> tuple[array, array, array, array]:
    """(S1 of the high half, S1 of the low half, S2 high, S2 low) over every 16-bit value."""
    out = []
    for sbox, c in ((SR, 0x1B), (SQ, 0x69)):
        t0, t1, t2, t3 = _sbox_byte_tables(sbox, c)
        out.append(array("I", [a ^ b for a in t0 for b in t1]))
        out.append(array("I", [a ^ b for a in t2 for b in t3]))
    return out[0], out[1], out[2], out[3]


def keystream(key: bytes, iv: bytes, nwords: int) -> list[int]:
    """``nwords`` 32-bit keystream words of SNOW 3G (doc 2 §4).

    ``key`` is k3 || k2 || k1 || k0 and ``iv`` is IV3 || IV2 || IV1 || IV0, each word big-endian: that is how
    UEA2 and UIA2 lay out CK/IK and their IVs (doc 1 §3, §4).
    """
    s1h, s1l, s2h, s2l = _tables()
    mula, diva = _MULA, _DIVA
    k3, k2, k1, k0 = struct.unpack(">4I", key)
    iv3, iv2, iv1, iv0 = struct.unpack(">4I", iv)
    # Initialisation (doc 2 §4); "1" is the all-ones word.
    s0, s1, s2, s3 = k0 ^ _M32, k1 ^ _M32, k2 ^ _M32, k3 ^ _M32
    s4, s5, s6, s7 = k0, k1, k2, k3
    s8, s9, s10, s11 = k0 ^ _M32, k1 ^ _M32 ^ iv3, k2 ^ _M32 ^ iv2, k3 ^ _M32
    s12, s13, s14, s15 = k0 ^ iv1, k1, k2, k3 ^ iv0
    r1 = r2 = r3 = 0
    for _ in range(32):
        # Clock the FSM, then the LFSR in initialisation mode with F fed back (doc 2 §3, §4).
        f = ((s15 + r1) & 0xFFFFFFFF) ^ r2
        r = (r2 + (r3 ^ s5)) & 0xFFFFFFFF
        r3 = s2h[r2 >> 16] ^ s2l[r2 & 0xFFFF]
        r2 = s1h[r1 >> 16] ^ s1l[r1 & 0xFFFF]
        r1 = r
        v = ((s0 << 8) & 0xFFFFFFFF) ^ mula[s0 >> 24] ^ s2 ^ (s11 >> 8) ^ diva[s11 & 0xFF] ^ f
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 = (
            s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, v
        )  # fmt: skip
    # Keystream mode (§4): one FSM + LFSR clock with the output discarded, then z_t = F ^ s0.
    out: list[int] = []
    append = out.append
    for _ in range(nwords + 1):
        append(((s15 + r1) & 0xFFFFFFFF) ^ r2 ^ s0)
        r = (r2 + (r3 ^ s5)) & 0xFFFFFFFF
        r3 = s2h[r2 >> 16] ^ s2l[r2 & 0xFFFF]
        r2 = s1h[r1 >> 16] ^ s1l[r1 & 0xFFFF]
        r1 = r
        v = ((s0 << 8) & 0xFFFFFFFF) ^ mula[s0 >> 24] ^ s2 ^ (s11 >> 8) ^ diva[s11 & 0xFF]
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 = (
            s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, v
        )  # fmt: skip
    del out[0]
    return out


def uea2_iv(count: int, bearer: int, direction: int) -> bytes:
    """IV3 || IV2 || IV1 || IV0 of UEA2 (doc 1 §3): (COUNT, BEARER || DIRECTION || 0^26) twice."""
    half = struct.pack(">IB3x", count, (bearer << 3) | (direction << 2))
    return half + half


def uia2_iv(count: int, fresh: int, direction: int) -> bytes:
    """IV3 || IV2 || IV1 || IV0 of UIA2 (doc 1 §4): COUNT, FRESH, then both with DIRECTION folded in."""
    return struct.pack(">4I", count, fresh, count ^ (direction << 31), fresh ^ (direction << 15))


def uea2_raw(key: bytes, iv: bytes, data: bytes, length_bits: int) -> bytes:
    """UEA2 with a ready IV (checked by the caller): data XOR ceil(LENGTH/32) keystream words (doc 1 §3)."""
    nwords = (length_bits + 31) >> 5
    if not nwords:
        return b""
    ks = struct.pack(f">{nwords}I", *keystream(key, iv, nwords))
    return xor_keystream(data, ks, length_bits)


def gf64_mul(a: int, b: int) -> int:
    """MUL64 (doc 1 §4): ``a * b`` in GF(2^64) modulo x^64 + x^4 + x^3 + x + 1."""
    r = 0
    i = 0
    while b:
        if b & 1:
            r ^= a << i
        b >>= 1
        i += 1
    return _reduce128(r)


def _reduce128(r: int) -> int:
    """Reduce a carry-less product of two 64-bit values: x^64 = x^4 + x^3 + x + 1, folded twice."""
    hi = r >> 64
    r = (r & _M64) ^ hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4)
    hi = r >> 64  # at most 4 bits
    return (r & _M64) ^ hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4)


def _horner_bits(blocks: list[int], p: int) -> int:
    """EVAL after the message blocks: EVAL = (EVAL ^ M_i) * P for every block, by shift-and-XOR."""
    shifts = [i for i in range(64) if (p >> i) & 1]
    e = 0
    for m in blocks:
        v = e ^ m
        r = 0
        for i in shifts:
            r ^= v << i
        # _reduce128, inlined
        hi = r >> 64
        r = (r & _M64) ^ hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4)
        hi = r >> 64
        e = (r & _M64) ^ hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4)
    return e


# Constants for building the eight tables of ``_horner_tables`` as 256 packed 64-bit slots of one integer.
_SLOTS = 256
_ONES = [sum(1 << (64 * j) for j in range(k)) for k in (1, 2, 4, 8, 16, 32, 64, 128)]  # k slots of 1
_LOW8 = 0xFF * sum(1 << (64 * j) for j in range(_SLOTS))  # the low byte of every slot
_HIGH56 = (_M64 ^ 0xFF) * sum(1 << (64 * j) for j in range(_SLOTS))  # the other 56 bits of every slot


def _mul_tables(p: int) -> list[array]:
    """T_j[b] = (b << 8j) * P in GF(2^64) for j = 0..7, b = 0..255, computed 256 entries at a time.

    T_0 grows by doubling: entries with bit i of b set are the others XOR P * x^i.  T_j = T_{j-1} * x^8:
    shift every slot left by 8 and fold the byte that left it back in with x^64 = x^4 + x^3 + x + 1.
    """
    basis = [p]
    for _ in range(7):
        v = basis[-1] << 1
        basis.append((v & _M64) ^ 0x1B if v >> 64 else v)
    packed = 0
    for i, ones in enumerate(_ONES):
        packed |= (packed ^ (ones * basis[i])) << (64 << i)
    tables = []
    for j in range(8):
        table = array("Q")
        table.frombytes(packed.to_bytes(8 * _SLOTS, sys.byteorder))
        tables.append(table)
        if j < 7:
            top = (packed >> 56) & _LOW8
            packed = ((packed << 8) & _HIGH56) ^ top ^ (top << 1) ^ (top << 3) ^ (top << 4)
    return tables


def _horner_tables(blocks: list[int], p: int) -> int:
    """Same as ``_horner_bits``, through the tables of ``_mul_tables``: eight lookups per block."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _mul_tables(p)
    e = 0
    for m in blocks:
        b0, b1, b2, b3, b4, b5, b6, b7 = (e ^ m).to_bytes(8, "big")
        e = t7[b0] ^ t6[b1] ^ t5[b2] ^ t4[b3] ^ t3[b4] ^ t2[b5] ^ t1[b6] ^ t0[b7]
    return e


# From this many message blocks on, building the tables (~40 us) beats shift-and-XOR (~3 us a block).
_TABLE_THRESHOLD = 16


def uia2_raw(key: bytes, iv: bytes, data: bytes, length_bits: int) -> bytes:
    """UIA2 with a ready IV (checked by the caller); the 4-byte MAC-I (doc 1 §4).

    z1..z5 = SNOW 3G keystream, P = z1 || z2, Q = z3 || z4, message blocks M_0 .. M_{D-2} (64 bits each, the
    last zero-padded): EVAL = (EVAL ^ M_i) * P for each, then EVAL = (EVAL ^ LENGTH) * Q and
    MAC-I = (EVAL >> 32) ^ z5.
    """
    z1, z2, z3, z4, z5 = keystream(key, iv, 5)
    p = (z1 << 32) | z2
    q = (z3 << 32) | z4
    nblocks = (length_bits + 63) >> 6
    if nblocks:
        padded = data + bytes(8 * nblocks - len(data))
        blocks = list(struct.unpack(f">{nblocks}Q", padded))
        if length_bits & 63:  # the bits past LENGTH are the zero padding of the last block
            blocks[-1] &= ~((1 << (64 - (length_bits & 63))) - 1)
        horner = _horner_tables if nblocks >= _TABLE_THRESHOLD else _horner_bits
        e = horner(blocks, p)
    else:
        e = 0
    e = gf64_mul(e ^ length_bits, q)
    return ((e >> 32) ^ z5).to_bytes(4, "big")


def uea2(key: Buffer, count: int, bearer: int, direction: int, data: Buffer, length_bits: int) -> bytes:
    """UEA2 (doc 1 §3): encrypt or decrypt ``length_bits`` bits of ``data``.

    ``data`` holds exactly ceil(length_bits / 8) bytes; so does the result, whose unused last bits are zero.
    """
    key_b = check_key(key)
    iv = uea2_iv(*check_bearer_fields(count, bearer, direction))
    return uea2_raw(key_b, iv, check_data(data, length_bits), length_bits)


def uia2(key: Buffer, count: int, fresh: int, direction: int, data: Buffer, length_bits: int) -> bytes:
    """UIA2 (doc 1 §4): the 32-bit MAC-I of the first ``length_bits`` bits of ``data``."""
    key_b = check_key(key)
    iv = uia2_iv(*check_fresh_fields(count, fresh, direction))
    return uia2_raw(key_b, iv, check_data(data, length_bits), length_bits)
