"""ZUC and the 3GPP algorithms 128-EEA3 (confidentiality) and 128-EIA3 (integrity) built on it.

Written from "Specification of the 3GPP Confidentiality and Integrity Algorithms 128-EEA3 & 128-EIA3",
document 1 (EEA3/EIA3, referenced by TS 35.221) and document 2 (ZUC v1.6, TS 35.222).  Section numbers below
are those documents'.

Speed notes: the S-box layer and the linear transforms L1/L2 (doc 2 §3.4) are applied 16 bits at a time
through tables built on first use (L1, L2 are linear, so ``L(x) = L(x_hi << 16) ^ L(x_lo)``); the LFSR
feedback modulo 2^31 - 1 (§3.2) is one sum of shifted cells and one ``%``.  EIA3's bit-serial
MAC (doc 1 §4) is computed as 32 parities: bit ``t`` of T is the parity of ``M AND z[t .. t+LENGTH-1]``,
which is one big-integer AND and ``bit_count`` per bit of T instead of one 32-bit XOR per message bit.
"""

from __future__ import annotations

import struct
from array import array
from functools import cache

from ..base import Buffer
from ._common import (
    check_bearer_fields,
    check_data,
    check_key,
    message_int,
    xor_keystream,
)

# The S-boxes S0 and S1 of the nonlinear function F (doc 2 §3.4), row-major.
S0 = bytes.fromhex(
    "3e725b47cae0003304d1549809b96dcb7b1bf932af9d6aa5b82dfc1d085303904d4e8499e4ced991ddb685488b296eac"
    "cdc1f81e734369c6b5bdfd396320d438767db2a7cfed57c5f32cbb142106559be3ef5e314f7f5aa40d8251495fba581c"
    "4a16d517a892241f8cffd8ae2e01d3ad3b4bda46ebc9de9a8f87d73a806f2fc8b1b437f70a2213287ccc3c89c7c39656"
    "07bf7ef00b2b975235417961a64c10febc2695888ab0a3fbc01894f2e1e5e95dd0dc1166645cec59427512f5749caa23"
    "0e86abbe2a02e767e644a26cc2939ff1f6fa36d250689e6271153dd640c4e20f8e83776b25053f0c30ea70b7a1e8a965"
    "8d271adb81b3a0f4457a19dfee783460"
)
S1 = bytes.fromhex(
    "55c263713bc847869f3cda5b29aafd778cc5940ca61a1300e3a8167240f9f8424426689681d9453e1076c6a78b3943e1"
    "3ab5562ac06db3052266bfdc0bfa6248dd20110636c9c1cff62752bb69f5d4877f844cd29c57a4bc4f9adffed68d7aeb"
    "2b53d85ca11417fb23d57d3067730809eeb7703f61b2198e4ee54b938f5ddba9adf1ae2ecb0dfcf42d466e1d97e8d1e9"
    "4d37a5755e839eab829db91ce0cd498901b6bd5824a25f387899159050b895e4d091c7ceed0fb46fa0ccf0024a79c3de"
    "a3efea51e66b18ec1b2c80f774e7ff215a6a541e41319235c433070aba7e0e3488b1987cf33d606c7bcad31f32650428"
    "64be859b2f598ad7b025acaf1203e2f2"
)

# The 15-bit constants d_0 .. d_15 of the key loading (doc 2 §3.5).
_D = (
    0x44D7, 0x26BC, 0x626B, 0x135E, 0x5789, 0x35E2, 0x7135, 0x09AF,
    0x4D78, 0x2F13, 0x6BC4, 0x1AF1, 0x5E26, 0x3C4D, 0x789A, 0x47AC,
)  # fmt: skip

_M32 = 0xFFFFFFFF


def _rol32(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def l1(x: int) -> int:
    """The linear transform L1 of F (doc 2 §3.4)."""
    return x ^ _rol32(x, 2) ^ _rol32(x, 10) ^ _rol32(x, 18) ^ _rol32(x, 24)


def l2(x: int) -> int:
    """The linear transform L2 of F (doc 2 §3.4)."""
    return x ^ _rol32(x, 8) ^ _rol32(x, 14) ^ _rol32(x, 22) ^ _rol32(x, 30)


def _linear16(f: object, shift: int) -> array:
    """Table of ``f(h << shift)`` for every 16-bit ``h``, by linearity: 16 doublings, no per-entry calls."""
    table = [0]
    for bit in range(16):
        basis = f(1 << (bit + shift))  # type: ignore[operator]
        table += [v ^ basis for v in table]
    return array("I", table)


@cache
def _tables() -> tuple[array, array, array, array, array, array]:
    """(L1 of high half, L1 of low half, L2 high, L2 low, S of a low half, S of a high half).

    The 32-bit S-box layer is S0, S1, S0, S1 byte by byte (doc 2 §3.4), so one 16-bit table ``S0 || S1``
    serves both halves of a word.
    """
    ss = [hi | lo for hi in [v << 8 for v in S0] for lo in S1]
    return (
        _linear16(l1, 16),
        _linear16(l1, 0),
        _linear16(l2, 16),
        _linear16(l2, 0),
        array("I", ss),
        array("I", [v << 16 for v in ss]),
    )


def keystream(key: bytes, iv: bytes, nwords: int) -> list[int]:
    """``nwords`` 32-bit keystream words of ZUC under a 16-byte key and a 16-byte IV (doc 2 §3.6)."""
    t1h, t1l, t2h, t2l, ss, ssh = _tables()
    # Key loading (§3.5): s_i = k_i || d_i || iv_i.
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 = (
        (key[i] << 23) | (_D[i] << 8) | iv[i] for i in range(16)
    )
    r1 = r2 = 0
    # Initialisation stage (§3.6): 32 rounds feeding W >> 1 back into the LFSR.
    for _ in range(32):
        # Bit reorganisation (§3.3) inlined into F (§3.4).
        w1 = (r1 + (((s11 & 0xFFFF) << 16) | (s9 >> 15))) & 0xFFFFFFFF
        w2 = r2 ^ (((s7 & 0xFFFF) << 16) | (s5 >> 15))
        w = (((((s15 & 0x7FFF8000) << 1) | (s14 & 0xFFFF)) ^ r1) + r2) & 0xFFFFFFFF
        y1 = t1h[w1 & 0xFFFF] ^ t1l[w2 >> 16]
        y2 = t2h[w2 & 0xFFFF] ^ t2l[w1 >> 16]
        r1 = ssh[y1 >> 16] | ss[y1 & 0xFFFF]
        r2 = ssh[y2 >> 16] | ss[y2 & 0xFFFF]
        # LFSRWithInitialisationMode (§3.2): 2^k * s mod (2^31 - 1), summed, with 0 represented as 2^31 - 1.
        v = (s15 << 15) + (s13 << 17) + (s10 << 21) + (s4 << 20) + (s0 << 8) + s0 + (w >> 1)
        v = v % 0x7FFFFFFF or 0x7FFFFFFF
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 = (
            s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, v
        )  # fmt: skip
    # Working stage (§3.6): the first output is discarded, then one word per round.
    out: list[int] = []
    append = out.append
    for _ in range(nwords + 1):
        w1 = (r1 + (((s11 & 0xFFFF) << 16) | (s9 >> 15))) & 0xFFFFFFFF
        w2 = r2 ^ (((s7 & 0xFFFF) << 16) | (s5 >> 15))
        w = (((((s15 & 0x7FFF8000) << 1) | (s14 & 0xFFFF)) ^ r1) + r2) & 0xFFFFFFFF
        append(w ^ (((s2 & 0xFFFF) << 16) | (s0 >> 15)))
        y1 = t1h[w1 & 0xFFFF] ^ t1l[w2 >> 16]
        y2 = t2h[w2 & 0xFFFF] ^ t2l[w1 >> 16]
        r1 = ssh[y1 >> 16] | ss[y1 & 0xFFFF]
        r2 = ssh[y2 >> 16] | ss[y2 & 0xFFFF]
        # LFSRWithWorkMode (§3.2).
        v = (s15 << 15) + (s13 << 17) + (s10 << 21) + (s4 << 20) + (s0 << 8) + s0
        v = v % 0x7FFFFFFF or 0x7FFFFFFF
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 = (
            s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, v
        )  # fmt: skip
    del out[0]
    return out


def eea3_iv(count: int, bearer: int, direction: int) -> bytes:
    """The 16-byte ZUC IV of 128-EEA3 (doc 1 §3): COUNT || BEARER || DIRECTION || 0^26, twice."""
    half = struct.pack(">IB3x", count, (bearer << 3) | (direction << 2))
    return half + half


def eia3_iv(count: int, bearer: int, direction: int) -> bytes:
    """The 16-byte ZUC IV of 128-EIA3 (doc 1 §4): DIRECTION is folded into bytes 8 and 14."""
    iv = bytearray(struct.pack(">IB3x", count, bearer << 3) * 2)
    iv[8] ^= direction << 7
    iv[14] ^= direction << 7
    return bytes(iv)


def eea3_raw(key: bytes, iv: bytes, data: bytes, length_bits: int) -> bytes:
    """EEA3 with a ready IV (checked by the caller): data XOR ceil(LENGTH/32) keystream words (doc 1 §3)."""
    nwords = (length_bits + 31) >> 5
    if not nwords:
        return b""
    ks = struct.pack(f">{nwords}I", *keystream(key, iv, nwords))
    return xor_keystream(data, ks, length_bits)


def eia3_raw(key: bytes, iv: bytes, data: bytes, length_bits: int) -> bytes:
    """EIA3 with a ready IV (checked by the caller); the 4-byte MAC (doc 1 §4).

    T = XOR of the keystream windows z[i .. i+31] for every message bit i that is 1, then
    T ^= z[LENGTH .. LENGTH+31] and MAC = T ^ z[32(L-1) .. 32L-1], with L = ceil(LENGTH/32) + 2.
    """
    nwords = ((length_bits + 31) >> 5) + 2
    words = keystream(key, iv, nwords)
    zbits = 32 * nwords
    z = int.from_bytes(struct.pack(f">{nwords}I", *words), "big")
    t = 0
    m = message_int(data, length_bits) if length_bits else 0
    if m:
        # Bit t of T (t = 0 is the most significant) is parity(M & z[t .. t+LENGTH-1]); M has LENGTH bits,
        # so the AND discards whatever lies above the window.
        base = zbits - length_bits
        for k in range(32):
            t = (t << 1) | ((m & (z >> (base - k))).bit_count() & 1)
    t ^= (z >> (zbits - 32 - length_bits)) & _M32
    t ^= words[-1]
    return t.to_bytes(4, "big")


def eea3(key: Buffer, count: int, bearer: int, direction: int, data: Buffer, length_bits: int) -> bytes:
    """128-EEA3 (doc 1 §3): encrypt or decrypt ``length_bits`` bits of ``data``.

    ``data`` holds exactly ceil(length_bits / 8) bytes; so does the result, whose unused last bits are zero.
    """
    key_b = check_key(key)
    iv = eea3_iv(*check_bearer_fields(count, bearer, direction))
    return eea3_raw(key_b, iv, check_data(data, length_bits), length_bits)


def eia3(key: Buffer, count: int, bearer: int, direction: int, data: Buffer, length_bits: int) -> bytes:
    """128-EIA3 (doc 1 §4): the 32-bit MAC of the first ``length_bits`` bits of ``data``."""
    key_b = check_key(key)
    iv = eia3_iv(*check_bearer_fields(count, bearer, direction))
    return eia3_raw(key_b, iv, check_data(data, length_bits), length_bits)
