"""What the device needs from an algorithm implementation: typed errors, contexts, descriptors.

A *descriptor* (``CipherInfo``, ``HashInfo``...) states an algorithm's exact length rules, so the device
can reject a request before touching any key material, and builds a *context* bound to one key.
Contexts are created once per session and used for every request of that session.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

Buffer = bytes | bytearray | memoryview


class CryptoError(Exception):
    """Base of every error the crypto layer raises on bad input."""


class UnsupportedAlgorithm(CryptoError):
    """The algorithm or mode is not implemented (device status NOTSUPP)."""


class InvalidKey(CryptoError):
    """The key is malformed or of a length the algorithm does not allow (status ERR)."""


class InvalidParameter(CryptoError):
    """An IV, data, tag or result length the algorithm does not allow (status ERR)."""


class InvalidTag(CryptoError):
    """AEAD authentication failed; no plaintext is released (status BADMSG)."""


class SignatureRejected(CryptoError):
    """AKCIPHER signature verification failed (status KEY_REJECTED)."""


class CipherContext(Protocol):
    def crypt(self, iv: Buffer, src: Buffer, dst: memoryview) -> None:
        """Encrypt or decrypt ``src`` into ``dst`` (same length) with a fresh ``iv``."""
        ...


class HashContext(Protocol):
    def digest(self, data: Buffer, length: int) -> bytes:
        """Digest of ``data``, ``length`` bytes long (truncated, or the XOF output length)."""
        ...


class MacContext(Protocol):
    def mac(self, data: Buffer, length: int) -> bytes:
        """Tag of ``data``, ``length`` bytes long.

        MACs that need an IV (GMAC, the 3GPP ones) take it from the start of ``data``, in the
        layout their descriptor's ``iv_layout`` documents.
        """
        ...


class AeadContext(Protocol):
    def encrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag_len: int) -> bytes:
        """Ciphertext followed by a ``tag_len``-byte tag."""
        ...

    def decrypt(self, iv: Buffer, aad: Buffer, src: Buffer, tag: Buffer) -> bytes:
        """Plaintext of ``src`` if ``tag`` verifies, else ``InvalidTag``."""
        ...


@dataclass(frozen=True, slots=True)
class CipherInfo:
    algo: int
    name: str
    key_lengths: Collection[int]
    iv_lengths: Collection[int]
    block_size: int  # the data length must be a multiple of it (1 for stream modes)
    new: Callable[[bytes, bool], CipherContext]  # (key, encrypt)


@dataclass(frozen=True, slots=True)
class HashInfo:
    algo: int
    name: str
    result_lengths: Collection[int]
    new: Callable[[], HashContext]


@dataclass(frozen=True, slots=True)
class MacInfo:
    algo: int
    name: str
    key_lengths: Collection[int]
    result_lengths: Collection[int]
    new: Callable[[bytes], MacContext]  # (key)
    iv_layout: str = ""  # for MACs that need an IV: how it leads the source data


@dataclass(frozen=True, slots=True)
class AeadInfo:
    algo: int
    name: str
    key_lengths: Collection[int]
    iv_lengths: Collection[int]
    tag_lengths: Collection[int]
    new: Callable[[bytes], AeadContext]  # (key)
