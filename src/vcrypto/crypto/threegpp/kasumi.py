"""KASUMI and the 3GPP algorithms f8 (UEA1, confidentiality) and f9 (UIA1, integrity) built on it.

Written from 3GPP TS 35.201 (f8 and f9, document 1) and TS 35.202 (KASUMI, document 2); section numbers below
are those documents'.

Speed notes: FI (doc 2 §4) is two identical-shaped halves around the key XOR, so it is two lookups in
65536-entry tables built on first use: ``FI(x, KI) = TB[TA[x] ^ KI]``.  The eight rounds run on four 16-bit
halves with no packing, odd and even rounds alternating which pair they update (so no Feistel swap).
"""

from __future__ import annotations

import struct
from array import array
from functools import cache

from ..base import Buffer
from ._common import (
    check_bearer_fields,
    check_data,
    check_fresh_fields,
    check_key,
    message_int,
    xor_keystream,
)

# S7 and S9 (doc 2 §4), in their decimal-table order: S7 as bytes, S9 as big-endian 16-bit values.
S7 = bytes.fromhex(
    "36323e3816225e6026063f5d02127b21377127721543410c2f492e1b196f7c513509794f343c3a30657f28786846472b"
    "147a483d176d0d644d011007520a696275744c0b596a007d766356451e397e57703311055f0e5a545b08236720611c42"
    "661f1a2d4b04555c254a5031441d732c406b6c186e53244e2a130f2958773b03"
)
S9 = struct.unpack(
    ">512H",
    bytes.fromhex(
        "00a700ef00a1017b0187014e00090152002600e20030016601c40181005a018d00b700fd0093014b019f01540033016a"
        "013201f40106005200d8009f016400b100af00f101e9002500ce00110000014d002c00fe017a003a008f00dc00510190"
        "005f0003013b00f5003600eb00da019501d8010800ac01ee01730122018f004c00a500c5018b0079010101e001a700d4"
        "00f0001c01ce00b0019601fb012000df01f5019700f90109005900ba00dd01ac00a4004a01b800c401ca01a5015e00a3"
        "00e8009e00860162000d00fa01eb008e00bf004500c101a9009800e3016e00870158012c011400f201b5014000710116"
        "000b00f30057013d0024005d01f0001b01e701be01e200290044009c01c9008301460193015300140027007301ba007c"
        "01db018001fc0035007000aa01df0097007e00a90049010c0117014100a8016c016b0124002e01f30189014701440018"
        "01c8010b009d01cc01e801aa013500e501b701fa00d0010f015d019101b200ec001000d1016700340038007800c70115"
        "01d101a000fc011f00f600060053013101a40159009901f60041003d00f4011a00ad00de01a20043018201700105"
        "006501dc012300c301ae0031004f00a6014a0118017f01750080017e0198009b01ef016f01840112006b01cb01a1003e"
        "01c6008400e100cb013c00ea000e012d005b01f7011e01a800d3015b0133008c017600230067007d01ab001300d601c5"
        "009201f2013a01bc00e60100014900c6011d00320074004e019a000a00cd01fe00ab00e7002d008b01d3001d005601f9"
        "00200048001a01560096013901ea01af00ee019b0145009501d90028007700ae016300b900e90185004701c001110174"
        "0037006e00b20142000c01d50188017100be0001006d0177008900b50058004b0134010401e40062011001720113019c"
        "006f0150013e000401f801ec01030130004d015101b300150165012f014c01e30012002f0055001901f101da01210064"
        "010d012801de010e006a001f006801b10054019e01e6018a00600063009a01ff0094019d0169019900ff00a200d7012e"
        "00c9010a015f0157009001b9016d006c012a00fb002200b601fd008a00d2014f0085013701600148008d018c015a007b"
        "013f01c2011901ad00e401bb01e1005c019401e501a600f80129001700d5008201d2001600d9011b00460126016801a3"
        "007f01380179000701d400c200020075012701cf010200e001bf00f700bb0050018e011c016100690186012b01d701d6"
        "00b8003900c8015c003f00cc00bc002101c30061001e013600db005e00a0008101ed004000b30107006600bd00cf0072"
        "019201b601dd0183007a00c0002a017d00050091007600b401c1012501430088017c002b0042003c01c7015501bd00ca"
        "01b0000800ed000f017801b401d0003b01cd"
    ),
)

# The constants C1 .. C8 of the key schedule (doc 2 §4) and the key modifiers KM of f8 and f9 (doc 1).
_C = (0x0123, 0x4567, 0x89AB, 0xCDEF, 0xFEDC, 0xBA98, 0x7654, 0x3210)
KM_F8 = bytes([0x55] * 16)
KM_F9 = bytes([0xAA] * 16)


def _rol16(x: int, k: int) -> int:
    return ((x << k) | (x >> (16 - k))) & 0xFFFF


@cache
def _tables() -> tuple[array, array, array]:
    """(TA, TB, ROL1) for every 16-bit value.

    FI (doc 2 §4) splits its input into nine high bits and seven low bits and runs
    ``nine = S9[nine] ^ seven; seven = S7[seven] ^ (nine & 0x7F)`` twice, XORing KI in between; the
    intermediate and the output are packed seven || nine.  TA is the first half from the input packing
    (nine || seven), TB the second half from the seven || nine packing, so ``FI(x, KI) = TB[TA[x] ^ KI]``.
    """
    s7, s9 = S7, S9
    # x = nine || seven: nine' = S9[nine] ^ seven, seven' = S7[seven] ^ (nine' & 0x7F).
    ta = [((s7[sv] ^ (n & 0x7F)) << 9) | n for nv in range(512) for sv in range(128) for n in (s9[nv] ^ sv,)]
    # x = seven || nine: the same step from the other packing.
    tb = [((s7[sv] ^ (n & 0x7F)) << 9) | n for sv in range(128) for nv in range(512) for n in (s9[nv] ^ sv,)]
    rol1 = [((x << 1) | (x >> 15)) & 0xFFFF for x in range(65536)]
    return array("H", ta), array("H", tb), array("H", rol1)


Schedule = tuple[tuple[int, ...], ...]


def key_schedule(key: bytes) -> Schedule:
    """Round subkeys (doc 2 §4), grouped per pair of rounds as (odd round, even round), 8 keys each:
    KL1, KL2, KO1, KO2, KO3, KI1, KI2, KI3.
    """
    k = struct.unpack(">8H", key)
    kp = [k[j] ^ _C[j] for j in range(8)]
    rounds = []
    for n in range(8):  # round n + 1
        rounds.append((
            _rol16(k[n], 1),
            kp[(n + 2) & 7],
            _rol16(k[(n + 1) & 7], 5),
            _rol16(k[(n + 5) & 7], 8),
            _rol16(k[(n + 6) & 7], 13),
            kp[(n + 4) & 7],
            kp[(n + 3) & 7],
            kp[(n + 7) & 7],
        ))  # fmt: skip
    return tuple(rounds[n] + rounds[n + 1] for n in range(0, 8, 2))


def encrypt_halves(sk: Schedule, a: int, b: int, c: int, d: int) -> tuple[int, int, int, int]:
    """KASUMI (doc 2 §4) on a block given as four 16-bit halves, most significant first.

    Odd rounds apply FO(FL(L)) and even rounds FL(FO(L)); (a, b) is L for odd rounds and (c, d) for
    even ones, so after eight rounds (a, b, c, d) is L8 || R8 with no swaps.
    """
    ta, tb, rol = _tables()
    for kl1, kl2, ko1, ko2, ko3, ki1, ki2, ki3, el1, el2, eo1, eo2, eo3, ei1, ei2, ei3 in sk:
        # Odd round: FL then FO, whose output R2 || R3 is XORed into (c, d).
        r = b ^ rol[a & kl1]
        x = tb[ta[(a ^ rol[r | kl2]) ^ ko1] ^ ki1] ^ r
        y = tb[ta[r ^ ko2] ^ ki2] ^ x
        c ^= y
        d ^= tb[ta[x ^ ko3] ^ ki3] ^ y
        # Even round: FO, then FL on its output, XORed into (a, b).
        x = tb[ta[c ^ eo1] ^ ei1] ^ d
        y = tb[ta[d ^ eo2] ^ ei2] ^ x
        r = tb[ta[x ^ eo3] ^ ei3] ^ y ^ rol[y & el1]
        a ^= y ^ rol[r | el2]
        b ^= r
    return a, b, c, d


def encrypt_block(key: bytes, block: bytes) -> bytes:
    """KASUMI on one 8-byte block (doc 2 §4): a convenience for tests and callers outside f8/f9."""
    return struct.pack(">4H", *encrypt_halves(key_schedule(key), *struct.unpack(">4H", block)))


def modified_key(key: bytes, km: bytes) -> bytes:
    """CK ^ KM or IK ^ KM (doc 1 §3, §4)."""
    return bytes(x ^ y for x, y in zip(key, km, strict=True))


def f8_iv(count: int, bearer: int, direction: int) -> bytes:
    """The 64-bit IV of f8 (doc 1 §3): COUNT || BEARER || DIRECTION || 0^26."""
    return struct.pack(">IB3x", count, (bearer << 3) | (direction << 2))


def f8_raw(sk: Schedule, sk_km: Schedule, iv: bytes, data: bytes, length_bits: int) -> bytes:
    """f8 with the schedules of CK and CK ^ KM and a ready 8-byte IV (checked by the caller), doc 1 §3.

    A = KASUMI[CK ^ KM](IV); KSB_0 = 0; KSB_n = KASUMI[CK](A ^ BLKCNT ^ KSB_{n-1}) with BLKCNT = n - 1.
    """
    nblocks = (length_bits + 63) >> 6
    if not nblocks:
        return b""
    a0, a1, a2, a3 = encrypt_halves(sk_km, *struct.unpack(">4H", iv))
    words: list[int] = []
    extend = words.extend
    k0 = k1 = k2 = k3 = 0
    for n in range(nblocks):  # BLKCNT = n, a 64-bit counter over the four halves
        k0, k1, k2, k3 = encrypt_halves(
            sk,
            a0 ^ k0 ^ (n >> 48),
            a1 ^ k1 ^ ((n >> 32) & 0xFFFF),
            a2 ^ k2 ^ ((n >> 16) & 0xFFFF),
            a3 ^ k3 ^ (n & 0xFFFF),
        )
        extend((k0, k1, k2, k3))
    return xor_keystream(data, struct.pack(f">{4 * nblocks}H", *words), length_bits)


def f9_raw(sk: Schedule, sk_km: Schedule, padded: bytes) -> bytes:
    """f9 with the schedules of IK and IK ^ KM over a padded string PS (doc 1 §4); the 4-byte MAC-I.

    ``padded`` is a multiple of 8 bytes.  A = KASUMI[IK](A ^ PS_i) and B ^= A for every 64-bit block;
    MAC-I is the left half of KASUMI[IK ^ KM](B).
    """
    a0 = a1 = a2 = a3 = 0
    b0 = b1 = b2 = b3 = 0
    it = iter(struct.unpack(f">{len(padded) // 2}H", padded))
    for p0, p1, p2, p3 in zip(it, it, it, it, strict=True):
        a0, a1, a2, a3 = encrypt_halves(sk, a0 ^ p0, a1 ^ p1, a2 ^ p2, a3 ^ p3)
        b0 ^= a0
        b1 ^= a1
        b2 ^= a2
        b3 ^= a3
    m0, m1, _, _ = encrypt_halves(sk_km, b0, b1, b2, b3)
    return struct.pack(">2H", m0, m1)


def f9_pad(count: int, fresh: int, direction: int, message: int, length_bits: int) -> bytes:
    """PS = COUNT || FRESH || MESSAGE || DIRECTION || 1 || 0* to a multiple of 64 bits (doc 1 §4)."""
    total = 64 + length_bits + 2
    padded_bits = (total + 63) & ~63
    value = ((((count << 32) | fresh) << length_bits | message) << 2) | (direction << 1) | 1
    return (value << (padded_bits - total)).to_bytes(padded_bits >> 3, "big")


def f8(key: Buffer, count: int, bearer: int, direction: int, data: Buffer, length_bits: int) -> bytes:
    """f8 (UEA1, doc 1 §3): encrypt or decrypt ``length_bits`` bits of ``data``.

    ``data`` holds exactly ceil(length_bits / 8) bytes; so does the result, whose unused last bits are zero.
    """
    key_b = check_key(key)
    iv = f8_iv(*check_bearer_fields(count, bearer, direction))
    raw = check_data(data, length_bits)
    return f8_raw(key_schedule(key_b), key_schedule(modified_key(key_b, KM_F8)), iv, raw, length_bits)


def f9(key: Buffer, count: int, fresh: int, direction: int, data: Buffer, length_bits: int) -> bytes:
    """f9 (UIA1, doc 1 §4): the 32-bit MAC-I of the first ``length_bits`` bits of ``data``."""
    key_b = check_key(key)
    count, fresh, direction = check_fresh_fields(count, fresh, direction)
    raw = check_data(data, length_bits)
    message = message_int(raw, length_bits) if length_bits else 0
    padded = f9_pad(count, fresh, direction, message, length_bits)
    return f9_raw(key_schedule(key_b), key_schedule(modified_key(key_b, KM_F9)), padded)
