"""HASH service providers: MD5, SHA-1, SHA-2, SHA-3 and the SHAKE XOFs.

The engine here is ``hashlib`` (CPython's binding of OpenSSL's digests, SHA-3 from its own HACL*
code): a one-shot digest costs ~0.75 µs there against ~1.9 µs through ``cryptography``'s ``Hash``
(64-byte SHA-256, measured), and a hash request needs no key schedule that ``cryptography`` could keep.
It also releases the GIL on large inputs.

A fixed-length hash's result may be truncated (result length 1..digest size: the leftmost bytes); an
XOF's result length is its output length, 1..65535 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..spec.constants import HashAlgo
from .base import Buffer, HashInfo, InvalidParameter

XOF_MAX = 65535


class _DigestContext:
    """A fixed-length hash, its result truncated to the requested length."""

    __slots__ = ("_new", "_size")

    def __init__(self, new: Callable[[Buffer], Any], size: int) -> None:
        self._new = new
        self._size = size

    def digest(self, data: Buffer, length: int) -> bytes:
        if not 1 <= length <= self._size:
            raise InvalidParameter(f"result length {length}, allowed 1..{self._size}")
        return self._new(data).digest()[:length]


class _XofContext:
    """SHAKE128/256: the result length is the XOF output length."""

    __slots__ = ("_new",)

    def __init__(self, new: Callable[[Buffer], Any]) -> None:
        self._new = new

    def digest(self, data: Buffer, length: int) -> bytes:
        if not 1 <= length <= XOF_MAX:
            raise InvalidParameter(f"result length {length}, allowed 1..{XOF_MAX}")
        return self._new(data).digest(length)


def _fixed(algo: HashAlgo, name: str, new: Callable[[Buffer], Any]) -> HashInfo | None:
    try:
        size = new(b"").digest_size
    except ValueError:  # e.g. MD5 on a host in FIPS mode: then it is not offered
        return None
    return HashInfo(algo, name, range(1, size + 1), lambda: _DigestContext(new, size))


def _xof(algo: HashAlgo, name: str, new: Callable[[Buffer], Any]) -> HashInfo:
    return HashInfo(algo, name, range(1, XOF_MAX + 1), lambda: _XofContext(new))


_ALL: tuple[HashInfo | None, ...] = (
    _fixed(HashAlgo.MD5, "MD5", hashlib.md5),
    _fixed(HashAlgo.SHA1, "SHA-1", hashlib.sha1),
    _fixed(HashAlgo.SHA_224, "SHA-224", hashlib.sha224),
    _fixed(HashAlgo.SHA_256, "SHA-256", hashlib.sha256),
    _fixed(HashAlgo.SHA_384, "SHA-384", hashlib.sha384),
    _fixed(HashAlgo.SHA_512, "SHA-512", hashlib.sha512),
    _fixed(HashAlgo.SHA3_224, "SHA3-224", hashlib.sha3_224),
    _fixed(HashAlgo.SHA3_256, "SHA3-256", hashlib.sha3_256),
    _fixed(HashAlgo.SHA3_384, "SHA3-384", hashlib.sha3_384),
    _fixed(HashAlgo.SHA3_512, "SHA3-512", hashlib.sha3_512),
    _xof(HashAlgo.SHA3_SHAKE128, "SHAKE128", hashlib.shake_128),
    _xof(HashAlgo.SHA3_SHAKE256, "SHAKE256", hashlib.shake_256),
)

HASHES: tuple[HashInfo, ...] = tuple(info for info in _ALL if info is not None)
