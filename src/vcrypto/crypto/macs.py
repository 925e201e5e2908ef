"""MAC service providers: HMAC (MD5, SHA-1, SHA-2), CMAC (AES, 3DES), GMAC-AES, CBC-MAC-AES, XCBC-AES.

HMAC and CMAC are ``cryptography``'s: the keyed object is built once per session and copied per
request (copying skips the key setup). GMAC is AES-GCM over an empty plaintext. CBC-MAC and XCBC
(RFC 3566) are ours, over a kept AES-CBC context.

Results may be truncated: the result is the leftmost ``length`` bytes of the full tag.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import UnsupportedAlgorithm as _LibUnsupported
from cryptography.hazmat.primitives import cmac, hashes, hmac
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..spec.constants import MacAlgo
from ._blockmodes import CbcChain, Ecb, aes, tdes, xor
from .base import Buffer, InvalidKey, InvalidParameter, MacContext, MacInfo, UnsupportedAlgorithm

AES_KEYS = (16, 24, 32)
TDES_KEYS = (16, 24)
HMAC_KEYS = range(0, 65536)  # any length; the device bounds it by max_auth_key_len
GCM_TAGS = (4, 8, 12, 13, 14, 15, 16)  # SP 800-38D §5.2.1.2
GMAC_IV = 12
GMAC_IV_LAYOUT = (
    "The 12-byte GCM IV leads the source data: data = IV || message; the tag is GMAC(K, IV, message), "
    "i.e. the AES-GCM tag with the message as additional data and an empty plaintext."
)


def _check_length(length: int, size: int) -> None:
    if not 1 <= length <= size:
        raise InvalidParameter(f"result length {length}, allowed 1..{size}")


class _HmacContext:
    __slots__ = ("_keyed", "_size")

    def __init__(self, key: bytes, algorithm: hashes.HashAlgorithm) -> None:
        try:
            self._keyed = hmac.HMAC(key, algorithm)
        except _LibUnsupported as exc:
            raise UnsupportedAlgorithm(f"HMAC-{algorithm.name} is not available") from exc
        self._size = algorithm.digest_size

    def mac(self, data: Buffer, length: int) -> bytes:
        _check_length(length, self._size)
        ctx = self._keyed.copy()
        ctx.update(data)
        return ctx.finalize()[:length]


class _CmacContext:
    __slots__ = ("_keyed", "_size")

    def __init__(self, algorithm: BlockCipherAlgorithm) -> None:
        try:
            self._keyed = cmac.CMAC(algorithm)
        except _LibUnsupported as exc:
            raise UnsupportedAlgorithm(f"CMAC-{algorithm.name} is not available") from exc
        self._size = algorithm.block_size // 8

    def mac(self, data: Buffer, length: int) -> bytes:
        _check_length(length, self._size)
        ctx = self._keyed.copy()
        ctx.update(data)
        return ctx.finalize()[:length]


class _GmacContext:
    """GMAC (SP 800-38D §3): GCM with the message as AAD and no plaintext; see ``GMAC_IV_LAYOUT``."""

    __slots__ = ("_gcm",)

    def __init__(self, key: bytes) -> None:
        self._gcm = AESGCM(key)

    def mac(self, data: Buffer, length: int) -> bytes:
        if length not in GCM_TAGS:
            raise InvalidParameter(f"GMAC result length {length}, allowed {GCM_TAGS}")
        if len(data) < GMAC_IV:
            raise InvalidParameter(f"GMAC data of {len(data)} bytes cannot hold the {GMAC_IV}-byte IV")
        view = memoryview(data)
        try:
            return self._gcm.encrypt(bytes(view[:GMAC_IV]), b"", view[GMAC_IV:])[:length]
        except (ValueError, OverflowError) as exc:
            raise InvalidParameter(str(exc)) from exc


class _CbcMacContext:
    """CBC-MAC-AES: the last block of AES-CBC with a zero IV. Only defined for whole blocks (no
    padding rule exists for it), and for at least one block."""

    __slots__ = ("_chain",)

    def __init__(self, key: bytes) -> None:
        self._chain = CbcChain(aes(key), encrypt=True)

    def mac(self, data: Buffer, length: int) -> bytes:
        _check_length(length, 16)
        if not data or len(data) % 16:
            raise InvalidParameter(f"CBC-MAC data of {len(data)} bytes is not a positive multiple of 16")
        return self._chain.last_block(0, data)[:length]


class _XcbcContext:
    """AES-XCBC-MAC (RFC 3566 §4): K1, K2, K3 = E(K, 0x01..), E(K, 0x02..), E(K, 0x03..); CBC-MAC under
    K1 where the last block is XOR-ed with K2 if it is complete, else padded (10*) and XOR-ed with K3.
    AES-XCBC-MAC-96 is the result length 12."""

    __slots__ = ("_chain", "_k2", "_k3")

    def __init__(self, key: bytes) -> None:
        derive = Ecb(aes(key))
        k1, self._k2, self._k3 = (derive(bytes([i]) * 16) for i in (1, 2, 3))
        self._chain = CbcChain(aes(k1), encrypt=True)

    def mac(self, data: Buffer, length: int) -> bytes:
        _check_length(length, 16)
        view = memoryview(data)
        size = len(view)
        if size and size % 16 == 0:
            body, last = view[: size - 16], xor(view[size - 16 :], self._k2)
        else:
            cut = size - size % 16
            body, last = view[:cut], xor(bytes(view[cut:]) + b"\x80" + bytes(15 - size % 16), self._k3)
        chaining = self._chain.last_block(0, body) if body else bytes(16)
        return self._chain.last_block(int.from_bytes(chaining), last)[:length]


MacFactory = Callable[[bytes], MacContext]


def _keyed(allowed: tuple[int, ...] | range, name: str, build: MacFactory) -> MacFactory:
    def new(key: bytes) -> MacContext:
        key = bytes(key)
        if len(key) not in allowed:
            raise InvalidKey(f"{name} key of {len(key)} bytes")
        return build(key)

    return new


def _hmac(algo: MacAlgo, name: str, algorithm: hashes.HashAlgorithm) -> MacInfo:
    build: MacFactory = lambda key: _HmacContext(key, algorithm)  # noqa: E731
    return MacInfo(algo, name, HMAC_KEYS, range(1, algorithm.digest_size + 1), _keyed(HMAC_KEYS, name, build))


def _info(
    algo: MacAlgo,
    name: str,
    keys: tuple[int, ...],
    results: tuple[int, ...] | range,
    build: MacFactory,
    iv_layout: str = "",
) -> MacInfo:
    return MacInfo(algo, name, keys, results, _keyed(keys, name, build), iv_layout)


MACS: tuple[MacInfo, ...] = (
    _hmac(MacAlgo.HMAC_MD5, "HMAC-MD5", hashes.MD5()),
    _hmac(MacAlgo.HMAC_SHA1, "HMAC-SHA1", hashes.SHA1()),
    _hmac(MacAlgo.HMAC_SHA_224, "HMAC-SHA-224", hashes.SHA224()),
    _hmac(MacAlgo.HMAC_SHA_256, "HMAC-SHA-256", hashes.SHA256()),
    _hmac(MacAlgo.HMAC_SHA_384, "HMAC-SHA-384", hashes.SHA384()),
    _hmac(MacAlgo.HMAC_SHA_512, "HMAC-SHA-512", hashes.SHA512()),
    _info(MacAlgo.CMAC_3DES, "CMAC-3DES", TDES_KEYS, range(1, 9), lambda key: _CmacContext(tdes(key))),
    _info(MacAlgo.CMAC_AES, "CMAC-AES", AES_KEYS, range(1, 17), lambda key: _CmacContext(aes(key))),
    _info(MacAlgo.GMAC_AES, "GMAC-AES", AES_KEYS, GCM_TAGS, _GmacContext, GMAC_IV_LAYOUT),
    _info(MacAlgo.CBCMAC_AES, "CBC-MAC-AES", AES_KEYS, range(1, 17), _CbcMacContext),
    _info(MacAlgo.XCBC_AES, "XCBC-AES", (16,), range(1, 17), _XcbcContext),
)
