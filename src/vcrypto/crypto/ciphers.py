"""CIPHER service providers: ARC4, AES (ECB, CBC, CTR, XTS, F8), DES and 3DES (ECB, CBC, CTR).

``cryptography`` does the block cipher work. Modes it lacks are ours on top of its ECB/CBC: 3DES-CTR
and AES-F8. Every request is independent: a stream cipher's keystream and a mode's chaining restart
from the session key and the request's IV.

Key, IV and data lengths are exactly those of the descriptors below; contexts re-check them and raise
``InvalidParameter`` rather than trust the caller.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, modes

from ..spec.constants import CipherAlgo
from ._blockmodes import ARC4, CbcChain, Ecb, aes, check_lengths, counter_blocks, tdes, xor
from .base import Buffer, CipherContext, CipherInfo, InvalidKey, InvalidParameter

AES_KEYS = (16, 24, 32)
DES_KEYS = (8,)
TDES_KEYS = (16, 24)  # K1 K2 (K3 = K1) or K1 K2 K3
ARC4_KEYS = (5, 7, 8, 10, 16, 20, 24, 32)  # 40..256 bits: the sizes OpenSSL's RC4 takes via cryptography
XTS_KEYS = (32, 64)  # Key1 || Key2 (IEEE 1619), AES-128 or AES-256
F8_SALT = 14  # n_s = 112 bits, the SRTP default (RFC 3711 §8.2)
F8_KEYS = tuple(k + F8_SALT for k in AES_KEYS)  # k_e || k_s

Factory = Callable[[bytes, bool], CipherContext]


class _EcbContext:
    """ECB (AES, DES, 3DES): one kept context per session."""

    __slots__ = ("_bs", "_ecb")

    def __init__(self, algorithm: BlockCipherAlgorithm, encrypt: bool) -> None:
        self._ecb = Ecb(algorithm, encrypt)
        self._bs = algorithm.block_size // 8

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        check_lengths(iv, src, dst, 0, self._bs)
        if src:
            dst[:] = self._ecb(src)


class _CbcContext:
    """CBC (AES, DES, 3DES): one kept context per session, the request's IV injected into it."""

    __slots__ = ("_bs", "_chain")

    def __init__(self, algorithm: BlockCipherAlgorithm, encrypt: bool) -> None:
        self._chain = CbcChain(algorithm, encrypt)
        self._bs = algorithm.block_size // 8

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        bs, size = self._bs, len(src)
        if len(iv) != bs or size % bs or len(dst) != size:  # check_lengths' checks, inline: every request
            check_lengths(iv, src, dst, bs, bs)
        if size:
            self._chain.crypt_into(int.from_bytes(iv), src, dst)


class _AesCtrContext:
    """AES-CTR, the IV being the whole initial 16-byte counter block (incremented as a 128-bit
    big-endian number, as OpenSSL does).

    OpenSSL cannot restart a kept CTR context at another counter. Short requests therefore encrypt
    their counter blocks with a kept ECB context (~3 µs instead of ~8 µs for a new context); longer
    ones, where building counter blocks in Python would cost more, get a new CTR context.
    """

    __slots__ = ("_algorithm", "_ecb")

    SHORT = 128  # bytes; the two ways cost the same around 256 (64 bytes: 3.3 µs against 6.6 µs)

    def __init__(self, key: bytes) -> None:
        self._algorithm = aes(key)
        self._ecb = Ecb(self._algorithm)

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        check_lengths(iv, src, dst, 16, 1)
        size = len(src)
        if not size:
            return
        if size <= self.SHORT:
            dst[:] = xor(src, self._ecb(counter_blocks(int.from_bytes(iv), (size + 15) // 16, 16)))
        else:
            dst[:] = Cipher(self._algorithm, modes.CTR(bytes(iv))).encryptor().update(src)


class _XtsContext:
    """AES-XTS (IEEE 1619): the IV is the 16-byte tweak; one request is one data unit of at least one
    block, a partial last block handled by ciphertext stealing."""

    __slots__ = ("_algorithm", "_encrypt")

    def __init__(self, key: bytes, encrypt: bool) -> None:
        half = len(key) // 2
        if key[:half] == key[half:]:
            raise InvalidKey("AES-XTS key halves must differ (IEEE 1619-2007 §5.1, SP 800-38E)")
        self._algorithm = aes(key)  # cryptography's AES takes the double-length XTS key
        self._encrypt = encrypt

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        check_lengths(iv, src, dst, 16, 1)
        if len(src) < 16:
            raise InvalidParameter(f"AES-XTS needs at least 16 bytes of data, got {len(src)}")
        cipher = Cipher(self._algorithm, modes.XTS(bytes(iv)))
        ctx = cipher.encryptor() if self._encrypt else cipher.decryptor()
        try:
            dst[:] = ctx.update(src)
        except ValueError as exc:  # a data unit longer than XTS allows (2^20 blocks)
            raise InvalidParameter(str(exc)) from exc


class _Arc4Context:
    """ARC4: no IV; each request is enciphered from the start of the key's keystream."""

    __slots__ = ("_algorithm",)

    def __init__(self, key: bytes) -> None:
        self._algorithm = ARC4(key)

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        check_lengths(iv, src, dst, 0, 1)
        if src:
            dst[:] = Cipher(self._algorithm, None).encryptor().update(src)


class _Des3CtrContext:
    """3DES-CTR: keystream = 3DES-ECB of the 8-byte counter blocks IV, IV+1, ... (the whole block is the
    big-endian counter, wrapping modulo 2^64), XOR-ed with the data; the last block may be partial."""

    __slots__ = ("_ecb",)

    def __init__(self, key: bytes) -> None:
        self._ecb = Ecb(tdes(key))

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        check_lengths(iv, src, dst, 8, 1)
        if src:
            keystream = self._ecb(counter_blocks(int.from_bytes(iv), (len(src) + 7) // 8, 8))
            dst[:] = xor(src, keystream)


class _AesF8Context:
    """AES-F8 (RFC 3711 §4.1.2.1), over AES-ECB and AES-CBC.

    The session key is k_e || k_s: the AES key, then the 14-byte session salt. With the key mask
    m = k_s || 0x55... (as long as k_e): IV' = E(k_e ⊕ m, IV) and S(j) = E(k_e, IV' ⊕ j ⊕ S(j-1)),
    S(-1) = 0, j a 128-bit counter. That recurrence is CBC encryption under k_e, zero IV, of the blocks
    IV' ⊕ 0, IV' ⊕ 1, ..., so the keystream is one call to a kept CBC context. A salt shorter than 14
    bytes (RFC 3711 allows any n_s) is this one padded with 0x55 bytes: m is the same.
    """

    __slots__ = ("_iv_encrypt", "_keystream")

    def __init__(self, key: bytes) -> None:
        k_e, k_s = key[:-F8_SALT], key[-F8_SALT:]
        mask = k_s + b"\x55" * (len(k_e) - F8_SALT)
        self._iv_encrypt = Ecb(aes(xor(k_e, mask)))
        self._keystream = CbcChain(aes(k_e), encrypt=True)

    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        check_lengths(iv, src, dst, 16, 1)
        if not src:
            return
        blocks = (len(src) + 15) // 16
        feed = xor(self._iv_encrypt(iv) * blocks, counter_blocks(0, blocks, 16))
        stream = memoryview(bytearray(16 * blocks))
        self._keystream.crypt_into(0, feed, stream)
        dst[:] = xor(src, stream)


def _keyed(allowed: tuple[int, ...], name: str, build: Factory) -> Factory:
    """A descriptor's ``new``: the key-length check, then the context."""

    def new(key: bytes, encrypt: bool) -> CipherContext:
        key = bytes(key)
        if len(key) not in allowed:
            raise InvalidKey(f"{name} key of {len(key)} bytes; allowed: {allowed}")
        return build(key, encrypt)

    return new


def _info(
    algo: CipherAlgo, name: str, keys: tuple[int, ...], iv: int, block: int, build: Factory
) -> CipherInfo:
    return CipherInfo(algo, name, keys, (iv,), block, _keyed(keys, name, build))


def arc4_available() -> bool:
    """ARC4 lives in OpenSSL's legacy provider, which a build may leave out: then it is not offered."""
    try:
        Cipher(ARC4(bytes(16)), None).encryptor().update(b"\0")
    except Exception:
        return False
    return True


_ALL: tuple[CipherInfo, ...] = (
    _info(CipherAlgo.ARC4, "ARC4", ARC4_KEYS, 0, 1, lambda k, e: _Arc4Context(k)),
    _info(CipherAlgo.AES_ECB, "AES-ECB", AES_KEYS, 0, 16, lambda k, e: _EcbContext(aes(k), e)),
    _info(CipherAlgo.AES_CBC, "AES-CBC", AES_KEYS, 16, 16, lambda k, e: _CbcContext(aes(k), e)),
    _info(CipherAlgo.AES_CTR, "AES-CTR", AES_KEYS, 16, 1, lambda k, e: _AesCtrContext(k)),
    # single DES is Triple-DES with K1 = K2 = K3, which TripleDES builds from an 8-byte key
    _info(CipherAlgo.DES_ECB, "DES-ECB", DES_KEYS, 0, 8, lambda k, e: _EcbContext(tdes(k), e)),
    _info(CipherAlgo.DES_CBC, "DES-CBC", DES_KEYS, 8, 8, lambda k, e: _CbcContext(tdes(k), e)),
    _info(CipherAlgo.DES3_ECB, "3DES-ECB", TDES_KEYS, 0, 8, lambda k, e: _EcbContext(tdes(k), e)),
    _info(CipherAlgo.DES3_CBC, "3DES-CBC", TDES_KEYS, 8, 8, lambda k, e: _CbcContext(tdes(k), e)),
    _info(CipherAlgo.DES3_CTR, "3DES-CTR", TDES_KEYS, 8, 1, lambda k, e: _Des3CtrContext(k)),
    _info(CipherAlgo.AES_F8, "AES-F8", F8_KEYS, 16, 1, lambda k, e: _AesF8Context(k)),
    _info(CipherAlgo.AES_XTS, "AES-XTS", XTS_KEYS, 16, 1, _XtsContext),
)

CIPHERS: tuple[CipherInfo, ...] = tuple(
    info for info in _ALL if info.algo != CipherAlgo.ARC4 or arc4_available()
)
