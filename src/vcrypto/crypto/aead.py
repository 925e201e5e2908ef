"""AEAD service providers: AES-GCM, AES-CCM, ChaCha20-Poly1305, on ``cryptography``'s one-shot AEADs.

The one-shot objects are built once per session and are safe to share between threads.

GCM specifics:

* IV of 12 bytes: the standard 96-bit IV. IV of 16 bytes: J0 itself (the virtio spec: "16, in which
  case iv points to J0"); it is mapped to the 128-bit IV from which GCM derives that J0 (see
  ``_gf128``), so OpenSSL still does all the work.
* Tags of 4, 8 and 12..16 bytes (SP 800-38D §5.2.1.2). A short tag is the leftmost bytes of the full
  one, so encryption truncates; decryption recomputes the full tag over the received ciphertext (the
  keystream is the GCM encryption of that ciphertext, which gives the plaintext; encrypting that
  plaintext gives back the ciphertext and its tag) and compares the prefix in constant time. Two
  one-shot calls cost ~2 µs against ~9 µs for a streaming decryptor with ``min_tag_length``.

Decryption never returns plaintext unless the tag verified; a mismatch raises ``InvalidTag``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from cryptography.exceptions import InternalError as _LibInternalError
from cryptography.exceptions import InvalidTag as _LibInvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from ..spec.constants import AeadAlgo
from ._blockmodes import Ecb, aes
from ._gf128 import J0ToIv
from .base import AeadContext, AeadInfo, Buffer, InvalidKey, InvalidParameter, InvalidTag

AES_KEYS = (16, 24, 32)
GCM_IVS = (12, 16)  # 96-bit IV, or J0
GCM_TAGS = (4, 8, 12, 13, 14, 15, 16)
CCM_NONCES = range(7, 14)  # 7..13 (SP 800-38C: n = 15 - q, 2 <= q <= 8)
CCM_TAGS = (4, 6, 8, 10, 12, 14, 16)
CHACHA_KEYS = (32,)
CHACHA_NONCES = (12,)
CHACHA_TAGS = (16,)
# What the library raises for inputs it refuses; OpenSSL failures it does not foresee surface as
# InternalError. Either is the request's fault here (status ERR), never the device's.
_LIB_ERRORS = (ValueError, OverflowError, _LibInternalError)


def _check_tag(tag_len: int, allowed: tuple[int, ...]) -> None:
    if tag_len not in allowed:
        raise InvalidParameter(f"tag length {tag_len}, allowed {allowed}")


def _join(src: Buffer, tag: Buffer) -> bytes:
    return b"".join((src, tag))


class _GcmContext:
    __slots__ = ("_gcm", "_j0_map", "_key")

    def __init__(self, key: bytes) -> None:
        self._gcm = AESGCM(key)
        self._key = key
        self._j0_map: J0ToIv | None = None  # built on the first J0 request (~1.5 ms)

    def _nonce(self, iv: Buffer) -> bytes:
        if len(iv) == 12:
            return bytes(iv)
        if len(iv) != 16:
            raise InvalidParameter(f"GCM IV of {len(iv)} bytes, allowed {GCM_IVS}")
        if self._j0_map is None:
            h = int.from_bytes(Ecb(aes(self._key))(bytes(16)))
            if not h:  # E_K(0) = 0: no 128-bit IV maps to a chosen J0 (probability 2^-128)
                raise InvalidParameter("GCM J0 mode is impossible for this key (H = 0)")
            self._j0_map = J0ToIv(h)
        return self._j0_map(bytes(iv))

    def encrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag_len: int) -> bytes:
        _check_tag(tag_len, GCM_TAGS)
        nonce = self._nonce(iv)
        try:
            out = self._gcm.encrypt(nonce, src, aad)
        except _LIB_ERRORS as exc:
            raise InvalidParameter(str(exc)) from exc
        return out if tag_len == 16 else out[: len(out) - 16 + tag_len]

    def decrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag: Buffer) -> bytes:
        _check_tag(len(tag), GCM_TAGS)
        nonce = self._nonce(iv)
        try:
            if len(tag) == 16:
                return self._gcm.decrypt(nonce, _join(src, tag), aad)
            size = len(src)
            plaintext = self._gcm.encrypt(nonce, src, None)[:size]
            expected = self._gcm.encrypt(nonce, plaintext, aad)[size : size + len(tag)]
        except _LibInvalidTag as exc:
            raise InvalidTag("GCM tag mismatch") from exc
        except _LIB_ERRORS as exc:
            raise InvalidParameter(str(exc)) from exc
        if not hmac.compare_digest(expected, bytes(tag)):
            raise InvalidTag("GCM tag mismatch")
        return plaintext


class _CcmContext:
    """AES-CCM (SP 800-38C). The request's IV is the nonce itself, iv_len = 7..13 bytes.

    The spec's comment on the IV field says CCM's first IV byte is reserved (for the flags) and the
    nonce starts at iv[1], yet it also says iv_len is the nonce length, and the device reads exactly
    iv_len bytes. We follow iv_len: the iv[] the device reads is the nonce, with no reserved byte.
    """

    __slots__ = ("_by_tag", "_key")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._by_tag: dict[int, AESCCM] = {}  # AESCCM fixes the tag length: one object per length used

    def _ccm(self, tag_len: int) -> AESCCM:
        _check_tag(tag_len, CCM_TAGS)
        ccm = self._by_tag.get(tag_len)
        if ccm is None:
            ccm = self._by_tag[tag_len] = AESCCM(self._key, tag_len)
        return ccm

    @staticmethod
    def _check_nonce(iv: Buffer, size: int) -> bytes:
        """The nonce, if it leaves a length field (q = 15 - n bytes) wide enough for ``size``."""
        if len(iv) not in CCM_NONCES:
            raise InvalidParameter(f"CCM nonce of {len(iv)} bytes, allowed 7..13")
        if size >> (8 * (15 - len(iv))):
            raise InvalidParameter(f"CCM data of {size} bytes is too long for a {len(iv)}-byte nonce")
        return bytes(iv)

    def encrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag_len: int) -> bytes:
        ccm = self._ccm(tag_len)
        try:
            return ccm.encrypt(self._check_nonce(iv, len(src)), src, aad)
        except _LIB_ERRORS as exc:
            raise InvalidParameter(str(exc)) from exc

    def decrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag: Buffer) -> bytes:
        ccm = self._ccm(len(tag))
        try:
            return ccm.decrypt(self._check_nonce(iv, len(src)), _join(src, tag), aad)
        except _LibInvalidTag as exc:
            raise InvalidTag("CCM tag mismatch") from exc
        except _LIB_ERRORS as exc:
            raise InvalidParameter(str(exc)) from exc


class _ChaChaContext:
    """ChaCha20-Poly1305 (RFC 8439): 12-byte nonce, 16-byte tag."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = ChaCha20Poly1305(key)

    @staticmethod
    def _check_nonce(iv: Buffer) -> bytes:
        if len(iv) != 12:
            raise InvalidParameter(f"ChaCha20-Poly1305 nonce of {len(iv)} bytes, 12 expected")
        return bytes(iv)

    def encrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag_len: int) -> bytes:
        _check_tag(tag_len, CHACHA_TAGS)
        try:
            return self._aead.encrypt(self._check_nonce(iv), src, aad)
        except _LIB_ERRORS as exc:
            raise InvalidParameter(str(exc)) from exc

    def decrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag: Buffer) -> bytes:
        _check_tag(len(tag), CHACHA_TAGS)
        try:
            return self._aead.decrypt(self._check_nonce(iv), _join(src, tag), aad)
        except _LibInvalidTag as exc:
            raise InvalidTag("ChaCha20-Poly1305 tag mismatch") from exc
        except _LIB_ERRORS as exc:
            raise InvalidParameter(str(exc)) from exc


AeadFactory = Callable[[bytes], AeadContext]


def _keyed(allowed: tuple[int, ...], name: str, build: AeadFactory) -> AeadFactory:
    def new(key: bytes) -> AeadContext:
        key = bytes(key)
        if len(key) not in allowed:
            raise InvalidKey(f"{name} key of {len(key)} bytes")
        return build(key)

    return new


AEADS: tuple[AeadInfo, ...] = (
    AeadInfo(AeadAlgo.GCM, "AES-GCM", AES_KEYS, GCM_IVS, GCM_TAGS, _keyed(AES_KEYS, "AES-GCM", _GcmContext)),
    AeadInfo(
        AeadAlgo.CCM, "AES-CCM", AES_KEYS, CCM_NONCES, CCM_TAGS, _keyed(AES_KEYS, "AES-CCM", _CcmContext)
    ),
    AeadInfo(
        AeadAlgo.CHACHA20_POLY1305,
        "ChaCha20-Poly1305",
        CHACHA_KEYS,
        CHACHA_NONCES,
        CHACHA_TAGS,
        _keyed(CHACHA_KEYS, "ChaCha20-Poly1305", _ChaChaContext),
    ),
)
