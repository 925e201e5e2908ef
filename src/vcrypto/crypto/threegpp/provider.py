"""The 3GPP algorithms behind the provider contract of ``crypto/base.py``: how a virtio request carries them.

The layouts follow DPDK's cryptodev API (``rte_crypto_sym.h``), the convention vhost-crypto and the DPDK test
vectors use, and are documented in docs/3gpp.md:

* CIPHER (KASUMI_F8, SNOW3G_UEA2, ZUC_EEA3): the session key is CK (16 bytes).  The request's IV is the
  algorithm's packed IV -- KASUMI f8: COUNT (be32) || BEARER << 3 | DIRECTION << 2 || 00 00 00 (8 bytes);
  UEA2 and EEA3: those 8 bytes twice (16 bytes).  Reserved bits must be zero and the two halves equal.
  The data lengths are bytes, so by default LENGTH = 8 * src_data_len.  For a bit length that is not a
  multiple of 8 the IV is 4 bytes longer (12 or 20 bytes) and its last 4 bytes are LENGTH in bits (le32),
  with ceil(LENGTH / 8) == src_data_len.  Output bits past LENGTH in the last byte are zero.
* MAC (KASUMI_F9, SNOW3G_UIA2, ZUC_EIA3): the MAC request has no IV, so the source data starts with it
  (see ``MacContext.mac``).  f9: the data is the padded string COUNT || FRESH || MESSAGE || DIRECTION || 1
  || 0* (as DPDK passes it: the last 1 bit marks the end of the message).  UIA2 and EIA3: a 16-byte
  authentication IV in DPDK's layout, a le32 LENGTH in bits, then ceil(LENGTH / 8) message bytes.  The
  result is the 4-byte MAC-I.

Contexts raise only ``InvalidKey`` / ``InvalidParameter`` on bad input.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from ...spec.constants import CipherAlgo, MacAlgo
from ..base import Buffer, CipherContext, CipherInfo, InvalidParameter, MacContext, MacInfo
from . import kasumi, snow3g, zuc
from ._common import as_bytes, check_bearer_fields, check_key, check_uint, message_int

MAC_LENGTH = 4  # MAC-I / MAC is 32 bits for all three (TS 35.201 §4, TS 35.215 §4, EIA3 doc 1 §4)
BITLEN_BYTES = 4  # the optional le32 bit length after a cipher IV, and the one after a UIA2/EIA3 IV


def _check_bits(length_bits: int, nbytes: int, what: str) -> None:
    if (length_bits + 7) >> 3 != nbytes:
        raise InvalidParameter(
            f"{what}: a length of {length_bits} bits needs {(length_bits + 7) >> 3} data bytes, not {nbytes}"
        )


# ---------------------------------------------------------------------------------------------------------
# IV layouts: packing (for drivers and tests) and canonical checks (for the device).


def _f8_half(iv8: bytes) -> tuple[int, int, int]:
    """(COUNT, BEARER, DIRECTION) read from an 8-byte COUNT || BEARER || DIRECTION || 0^26 block."""
    return int.from_bytes(iv8[:4], "big"), iv8[4] >> 3, (iv8[4] >> 2) & 1


def _check_cipher_iv(algo: int, iv: bytes) -> None:
    """``InvalidParameter`` unless ``iv`` (without the bit-length suffix) is exactly the packed layout."""
    count, bearer, direction = _f8_half(iv[:8])
    if algo == CipherAlgo.KASUMI_F8:
        canonical = kasumi.f8_iv(count, bearer, direction)
    elif algo == CipherAlgo.SNOW3G_UEA2:
        canonical = snow3g.uea2_iv(count, bearer, direction)
    else:
        canonical = zuc.eea3_iv(count, bearer, direction)
    if iv != canonical:
        raise InvalidParameter(
            "the IV must be COUNT || BEARER << 3 | DIRECTION << 2 || 0 0 0 (repeated for 16-byte IVs), "
            "with the reserved bits zero"
        )


_BASE_IV_LEN = {CipherAlgo.KASUMI_F8: 8, CipherAlgo.SNOW3G_UEA2: 16, CipherAlgo.ZUC_EEA3: 16}


def pack_cipher_iv(
    algo: int, count: int, bearer: int, direction: int, length_bits: int | None = None
) -> bytes:
    """The request IV for a CIPHER session of ``algo``; with ``length_bits``, the 4-byte-longer form."""
    count, bearer, direction = check_bearer_fields(count, bearer, direction)
    if algo == CipherAlgo.KASUMI_F8:
        iv = kasumi.f8_iv(count, bearer, direction)
    elif algo == CipherAlgo.SNOW3G_UEA2:
        iv = snow3g.uea2_iv(count, bearer, direction)
    elif algo == CipherAlgo.ZUC_EEA3:
        iv = zuc.eea3_iv(count, bearer, direction)
    else:
        raise InvalidParameter(f"not a 3GPP cipher: {algo}")
    if length_bits is None:
        return iv
    return iv + struct.pack("<I", check_uint("length_bits", length_bits, 32))


def pack_mac_input(
    algo: int, count: int, fresh_or_bearer: int, direction: int, message: Buffer, length_bits: int
) -> bytes:
    """The MAC request's source data: the IV (and bit length) leading the message, as docs/3gpp.md says.

    The second field is FRESH for KASUMI f9 and SNOW 3G UIA2, BEARER for ZUC EIA3.
    """
    count = check_uint("count", count, 32)
    direction = check_uint("direction", direction, 1)
    msg = as_bytes(message, "message")
    if not isinstance(length_bits, int) or length_bits < 0:
        raise InvalidParameter("length_bits must be a non-negative int")
    _check_bits(length_bits, len(msg), "message")
    if algo == MacAlgo.KASUMI_F9:
        # PS of TS 35.201 §4, cut after the byte holding the end marker (DPDK pads to a byte, not 64 bits).
        fresh = check_uint("fresh", fresh_or_bearer, 32)
        value = message_int(msg, length_bits) if length_bits else 0
        ps = kasumi.f9_pad(count, fresh, direction, value, length_bits)
        return ps[: (64 + length_bits + 2 + 7) >> 3]
    check_uint("length_bits", length_bits, 32)
    if algo == MacAlgo.SNOW3G_UIA2:
        iv = snow3g.uia2_iv(count, check_uint("fresh", fresh_or_bearer, 32), direction)
    elif algo == MacAlgo.ZUC_EIA3:
        iv = zuc.eia3_iv(count, check_uint("bearer", fresh_or_bearer, 5), direction)
    else:
        raise InvalidParameter(f"not a 3GPP MAC: {algo}")
    return iv + struct.pack("<I", length_bits) + msg


# ---------------------------------------------------------------------------------------------------------
# CIPHER contexts.


class _StreamCipherContext:
    """One CIPHER session: encryption and decryption are the same keystream XOR."""

    __slots__ = ("_algo", "_base", "_run")

    def __init__(self, algo: int, run: Callable[[bytes, bytes, int], bytes]) -> None:
        self._algo = algo
        self._base = _BASE_IV_LEN[algo]
        self._run = run  # (iv, data, length_bits) -> output

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        iv_b = as_bytes(iv, "iv")
        data = as_bytes(src, "source data")
        if len(iv_b) == self._base:
            length_bits = 8 * len(data)
        elif len(iv_b) == self._base + BITLEN_BYTES:
            (length_bits,) = struct.unpack_from("<I", iv_b, self._base)
            _check_bits(length_bits, len(data), "source data")
            iv_b = iv_b[: self._base]
        else:
            raise InvalidParameter(
                f"IV length must be {self._base} or {self._base + BITLEN_BYTES}, not {len(iv_b)}"
            )
        _check_cipher_iv(self._algo, iv_b)
        try:
            dst_len = len(dst)
        except TypeError as exc:
            raise InvalidParameter("the destination must be a writable buffer") from exc
        if dst_len != len(data):
            raise InvalidParameter(f"destination is {dst_len} bytes for {len(data)} source bytes")
        out = self._run(iv_b, data, length_bits)
        try:
            dst[:] = out
        except (TypeError, ValueError) as exc:  # read-only, or not a flat byte buffer
            raise InvalidParameter(f"unusable destination buffer: {exc}") from exc


def _new_kasumi_f8(key: bytes, encrypt: bool) -> CipherContext:
    ck = check_key(key)
    sk, sk_km = kasumi.key_schedule(ck), kasumi.key_schedule(kasumi.modified_key(ck, kasumi.KM_F8))
    return _StreamCipherContext(
        CipherAlgo.KASUMI_F8, lambda iv, data, bits: kasumi.f8_raw(sk, sk_km, iv, data, bits)
    )


def _new_snow3g_uea2(key: bytes, encrypt: bool) -> CipherContext:
    ck = check_key(key)
    return _StreamCipherContext(
        CipherAlgo.SNOW3G_UEA2, lambda iv, data, bits: snow3g.uea2_raw(ck, iv, data, bits)
    )


def _new_zuc_eea3(key: bytes, encrypt: bool) -> CipherContext:
    ck = check_key(key)
    return _StreamCipherContext(CipherAlgo.ZUC_EEA3, lambda iv, data, bits: zuc.eea3_raw(ck, iv, data, bits))


# ---------------------------------------------------------------------------------------------------------
# MAC contexts.


def _check_result_length(length: int) -> None:
    if length != MAC_LENGTH:
        raise InvalidParameter(f"the 3GPP MACs are {MAC_LENGTH} bytes, not {length}")


class _KasumiF9Context:
    """One KASUMI_F9 session; the source data is the padded string of TS 35.201 §4, to a byte boundary."""

    __slots__ = ("_sk", "_sk_km")

    def __init__(self, key: bytes) -> None:
        ik = check_key(key)
        self._sk = kasumi.key_schedule(ik)
        self._sk_km = kasumi.key_schedule(kasumi.modified_key(ik, kasumi.KM_F9))

    def mac(self, data: Buffer, length: int) -> bytes:
        _check_result_length(length)
        raw = as_bytes(data, "source data")
        value = int.from_bytes(raw, "big")
        total = 8 * len(raw)
        # The last 1 bit is the pad marker, the bit before it DIRECTION; both must follow COUNT || FRESH.
        trailing = (value & -value).bit_length() - 1
        marker = total - 1 - trailing  # bit index from the start, 0 = MSB of byte 0
        if value == 0 or marker < 65:
            raise InvalidParameter(
                "KASUMI f9 data must be COUNT || FRESH || MESSAGE || DIRECTION || 1 || 0*: no end marker "
                "after the 64-bit COUNT || FRESH"
            )
        used = marker + 1
        padded_bits = (used + 63) & ~63  # PS is padded with zeros to a multiple of 64 bits (§4)
        ps = (value >> trailing) << (padded_bits - used)
        return kasumi.f9_raw(self._sk, self._sk_km, ps.to_bytes(padded_bits >> 3, "big"))


class _IvMacContext:
    """One SNOW3G_UIA2 or ZUC_EIA3 session: source = 16-byte IV || le32 LENGTH || message."""

    __slots__ = ("_algo", "_key")

    def __init__(self, algo: int, key: bytes) -> None:
        self._algo = algo
        self._key = check_key(key)

    def mac(self, data: Buffer, length: int) -> bytes:
        _check_result_length(length)
        raw = as_bytes(data, "source data")
        head = 16 + BITLEN_BYTES
        if len(raw) < head:
            raise InvalidParameter("the source data must start with a 16-byte IV and a le32 bit length")
        iv = raw[:16]
        (length_bits,) = struct.unpack_from("<I", raw, 16)
        message = raw[head:]
        _check_bits(length_bits, len(message), "message")
        count = int.from_bytes(iv[:4], "big")
        if self._algo == MacAlgo.SNOW3G_UIA2:
            fresh = int.from_bytes(iv[4:8], "big")
            direction = (int.from_bytes(iv[8:12], "big") ^ count) >> 31
            if iv != snow3g.uia2_iv(count, fresh, direction):
                raise InvalidParameter(
                    "the UIA2 IV must be COUNT || FRESH || COUNT ^ DIRECTION << 31 || FRESH ^ DIRECTION << 15"
                )
            return snow3g.uia2_raw(self._key, iv, message, length_bits)
        direction = ((iv[8] ^ iv[0]) >> 7) & 1
        if iv != zuc.eia3_iv(count, iv[4] >> 3, direction):
            raise InvalidParameter(
                "the EIA3 IV must be COUNT || BEARER << 3 || 0 0 0 || COUNT ^ DIRECTION << 31 || "
                "BEARER << 3 || 0 || DIRECTION << 7 || 0"
            )
        return zuc.eia3_raw(self._key, iv, message, length_bits)


def _new_kasumi_f9(key: bytes) -> MacContext:
    return _KasumiF9Context(key)


def _new_snow3g_uia2(key: bytes) -> MacContext:
    return _IvMacContext(MacAlgo.SNOW3G_UIA2, key)


def _new_zuc_eia3(key: bytes) -> MacContext:
    return _IvMacContext(MacAlgo.ZUC_EIA3, key)


# ---------------------------------------------------------------------------------------------------------
# Descriptors.

KASUMI_F8 = CipherInfo(
    algo=CipherAlgo.KASUMI_F8,
    name="KASUMI_F8",
    key_lengths=(16,),
    iv_lengths=(8, 12),
    block_size=1,
    new=_new_kasumi_f8,
)
SNOW3G_UEA2 = CipherInfo(
    algo=CipherAlgo.SNOW3G_UEA2,
    name="SNOW3G_UEA2",
    key_lengths=(16,),
    iv_lengths=(16, 20),
    block_size=1,
    new=_new_snow3g_uea2,
)
ZUC_EEA3 = CipherInfo(
    algo=CipherAlgo.ZUC_EEA3,
    name="ZUC_EEA3",
    key_lengths=(16,),
    iv_lengths=(16, 20),
    block_size=1,
    new=_new_zuc_eea3,
)

KASUMI_F9 = MacInfo(
    algo=MacAlgo.KASUMI_F9,
    name="KASUMI_F9",
    key_lengths=(16,),
    result_lengths=(MAC_LENGTH,),
    new=_new_kasumi_f9,
    iv_layout=(
        "source = COUNT (be32) || FRESH (be32) || MESSAGE bits || DIRECTION bit || 1 || 0 bits to a byte "
        "boundary (TS 35.201 PS, as DPDK passes it; further zero bytes allowed); the last 1 bit ends the "
        "message, so its bit length needs no field; result: 4-byte MAC-I"
    ),
)
SNOW3G_UIA2 = MacInfo(
    algo=MacAlgo.SNOW3G_UIA2,
    name="SNOW3G_UIA2",
    key_lengths=(16,),
    result_lengths=(MAC_LENGTH,),
    new=_new_snow3g_uia2,
    iv_layout=(
        "source = IV (16 bytes: COUNT || FRESH || COUNT ^ DIRECTION << 31 || FRESH ^ DIRECTION << 15, be32 "
        "each, DPDK's UIA2 auth IV) || LENGTH in bits (le32) || ceil(LENGTH/8) message bytes; "
        "result: 4-byte MAC-I"
    ),
)
ZUC_EIA3 = MacInfo(
    algo=MacAlgo.ZUC_EIA3,
    name="ZUC_EIA3",
    key_lengths=(16,),
    result_lengths=(MAC_LENGTH,),
    new=_new_zuc_eia3,
    iv_layout=(
        "source = IV (16 bytes: COUNT (be32) || BEARER << 3 || 00 00 00 || COUNT ^ DIRECTION << 31 (be32) || "
        "BEARER << 3 || 00 || DIRECTION << 7 || 00, DPDK's EIA3 auth IV) || LENGTH in bits (le32) || "
        "ceil(LENGTH/8) message bytes; result: 4-byte MAC"
    ),
)

CIPHERS: tuple[CipherInfo, ...] = (KASUMI_F8, SNOW3G_UEA2, ZUC_EEA3)
MACS: tuple[MacInfo, ...] = (KASUMI_F9, SNOW3G_UIA2, ZUC_EIA3)
