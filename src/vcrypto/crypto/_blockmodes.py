"""Block-cipher building blocks shared by the cipher and MAC providers.

Creating an OpenSSL cipher context through ``cryptography`` costs several microseconds per request,
while feeding one that already exists costs a fraction of that. So the contexts here are created once per
key and kept for the session:

* ``Ecb`` has no chaining state at all.
* ``CbcChain`` keeps one CBC context whose only state is its chaining block, which it tracks; a request's
  own IV is injected by XOR-ing (IV xor chaining block) into the first input block (encrypt) or the first
  output block (decrypt). CBC-MAC, XCBC and the F8 keystream are CBC encryptions too.

``cryptography`` releases the GIL inside ``update``, and a context used by two threads at once raises
``RuntimeError('Already borrowed')``, so every kept context is used under its own lock.
"""

from __future__ import annotations

import sys
import threading
from array import array

from cryptography.exceptions import UnsupportedAlgorithm as _LibUnsupported
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes

from .base import Buffer, InvalidKey, InvalidParameter, UnsupportedAlgorithm

try:  # cryptography >= 43 keeps the legacy ciphers in the decrepit module
    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4, TripleDES
except ImportError:  # pragma: no cover - older layouts
    from cryptography.hazmat.primitives.ciphers.algorithms import (  # type: ignore[attr-defined,no-redef]
        ARC4,
        TripleDES,
    )

__all__ = ["ARC4", "CbcChain", "Ecb", "TripleDES", "aes", "check_lengths", "counter_blocks", "tdes", "xor"]

_LITTLE = sys.byteorder == "little"
_M64 = 1 << 64
_WIDE_ARRAYS = array("Q").itemsize == 8
_JOIN_LIMIT = 4096  # up to this size, CBC input is joined and fed in one call
_SCRATCH_LIMIT = 1 << 16  # longer CBC input, up to this size, goes through the shared scratch buffer
_FEW_BLOCKS = 24  # up to this many counter blocks, they are built one by one


def aes(key: bytes) -> algorithms.AES:
    """The AES algorithm object for ``key`` (16, 24 or 32 bytes), or ``InvalidKey``."""
    try:
        return algorithms.AES(key)
    except (ValueError, TypeError) as exc:
        raise InvalidKey(f"AES key of {len(key)} bytes") from exc


def tdes(key: bytes) -> TripleDES:
    """Triple-DES for a 24-, 16- (K1 K2 K1) or 8-byte (single DES: K K K) key, or ``InvalidKey``.

    The short forms are expanded here: ``cryptography`` deprecates taking them itself.
    """
    if len(key) == 8:
        key = key * 3
    elif len(key) == 16:
        key = key + key[:8]
    try:
        return TripleDES(key)
    except (ValueError, TypeError) as exc:
        raise InvalidKey(f"DES key of {len(key)} bytes") from exc


def xor(a: Buffer, b: Buffer) -> bytes:
    """``a`` XOR the first ``len(a)`` bytes of ``b`` (``b`` is at least as long), through Python's big
    integers: C speed, no per-byte loop."""
    n = len(a)
    if len(b) != n:
        b = memoryview(b)[:n]
    return (int.from_bytes(a) ^ int.from_bytes(b)).to_bytes(n)


def _counters64(start: int, count: int) -> array:
    values = array("Q", range(start, min(start + count, _M64)))
    if start + count > _M64:  # the whole block wraps to zero
        values.extend(range(start + count - _M64))
    return values


def counter_blocks(start: int, count: int, size: int) -> bytes:
    """``count`` big-endian counter blocks of ``size`` (8 or 16) bytes from ``start``.

    The whole block is the counter: it is incremented modulo 2**(8*size), carrying across all bytes.
    """
    if count <= _FEW_BLOCKS or not _WIDE_ARRAYS:  # few blocks: cheaper than building arrays
        mask = (1 << (8 * size)) - 1
        return b"".join([((start + i) & mask).to_bytes(size) for i in range(count)])
    if size == 8:
        words = _counters64(start, count)
    else:
        hi, lo = divmod(start, _M64)
        words = array("Q", bytes(16 * count))
        words[1::2] = _counters64(lo, count)
        first = min(count, _M64 - lo)  # blocks before the low half wraps and carries into the high half
        words[0 : 2 * first : 2] = array("Q", [hi]) * first
        if first < count:
            words[2 * first :: 2] = array("Q", [(hi + 1) % _M64]) * (count - first)
    if _LITTLE:
        words.byteswap()
    return words.tobytes()


class Ecb:
    """An ECB context kept for a key: ECB has no state between calls, so one context serves them all."""

    __slots__ = ("_lock", "_update")

    def __init__(self, algorithm: BlockCipherAlgorithm, encrypt: bool = True) -> None:
        try:
            cipher = Cipher(algorithm, modes.ECB())
            ctx = cipher.encryptor() if encrypt else cipher.decryptor()
        except _LibUnsupported as exc:
            raise UnsupportedAlgorithm(f"{algorithm.name}-ECB is not available") from exc
        self._update = ctx.update
        self._lock = threading.Lock()

    def __call__(self, data: Buffer) -> bytes:
        """ECB of ``data``, a whole number of blocks."""
        with self._lock:
            return self._update(data)


_scratch = memoryview(bytearray(_SCRATCH_LIMIT + 32))  # the CBC contexts' shared output buffer
_scratch_lock = threading.Lock()


class CbcChain:
    """A CBC context kept for a key; every call starts a new chain from its own IV.

    The context's chaining block (``_state``) is the last ciphertext block it saw. For a call with
    IV ``v`` the first block is corrected by ``v xor _state``:

    * encrypt: C1 = E(P1 xor v) = E((P1 xor v xor _state) xor _state), so the first plaintext block is
      fed as ``P1 xor v xor _state``;
    * decrypt: the context outputs D(C1) xor _state, and P1 = D(C1) xor v.

    Long inputs go through ``update_into`` into a scratch buffer, then one copy into ``dst``: no new
    result object per request. ``update_into`` cannot write into ``dst`` itself (it wants a block of
    slack past the output), and the copy comes after every read of ``src``, so ``src`` and ``dst``
    may overlap in any way. The scratch buffer is one for the process (under its own lock, taken
    after the context's), so thousands of sessions do not each keep one as large as their largest
    request; inputs longer than it get a buffer of their own.
    """

    __slots__ = ("_algorithm", "_bs", "_encrypt", "_lock", "_state", "_update", "_update_into")

    def __init__(self, algorithm: BlockCipherAlgorithm, encrypt: bool) -> None:
        self._algorithm = algorithm
        self._encrypt = encrypt
        self._bs = algorithm.block_size // 8
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        try:
            cipher = Cipher(self._algorithm, modes.CBC(bytes(self._bs)))
            ctx = cipher.encryptor() if self._encrypt else cipher.decryptor()
        except _LibUnsupported as exc:
            raise UnsupportedAlgorithm(f"{self._algorithm.name}-CBC is not available") from exc
        self._update = ctx.update
        self._update_into = ctx.update_into
        self._state = 0

    def crypt_into(self, iv: int, src: Buffer, dst: memoryview) -> None:
        """CBC of ``src`` (whole blocks, at least one) from ``iv`` into ``dst`` (same length)."""
        bs = self._bs
        size = len(src)
        with self._lock:
            try:
                if size <= _JOIN_LIMIT:  # one library call; copying a short input is cheaper than two
                    if self._encrypt:
                        out = self._update(
                            (int.from_bytes(src[:bs]) ^ iv ^ self._state).to_bytes(bs) + src[bs:]
                        )
                        self._state = int.from_bytes(out[-bs:])
                        dst[:] = out
                    else:
                        out = self._update(src)
                        head = (int.from_bytes(out[:bs]) ^ iv ^ self._state).to_bytes(bs)
                        self._state = int.from_bytes(src[-bs:])  # read before dst is written: they may alias
                        dst[:] = out
                        dst[:bs] = head
                    return
                if size <= _SCRATCH_LIMIT:
                    with _scratch_lock:
                        self._long_into(iv, src, dst, _scratch)
                else:
                    self._long_into(iv, src, dst, memoryview(bytearray(size + bs)))
            except BaseException:
                self._reset()
                raise

    def _long_into(self, iv: int, src: Buffer, dst: memoryview, scratch: memoryview) -> None:
        """``crypt_into`` through ``scratch`` (at least ``len(src)`` plus a block); the lock is held."""
        bs, size = self._bs, len(src)
        if self._encrypt:
            head = self._update((int.from_bytes(src[:bs]) ^ iv ^ self._state).to_bytes(bs))
            self._update_into(memoryview(src)[bs:], scratch)
            self._state = int.from_bytes(scratch[size - 2 * bs : size - bs])
            dst[bs:] = scratch[: size - bs]
        else:
            self._update_into(src, scratch)
            head = (int.from_bytes(scratch[:bs]) ^ iv ^ self._state).to_bytes(bs)
            self._state = int.from_bytes(src[-bs:])
            dst[bs:] = scratch[bs:size]
        dst[:bs] = head

    def last_block(self, iv: int, data: Buffer) -> bytes:
        """The last ciphertext block of the CBC encryption of ``data`` (whole blocks, at least one)."""
        bs = self._bs
        with self._lock:
            try:
                first = (int.from_bytes(data[:bs]) ^ iv ^ self._state).to_bytes(bs)
                out = self._update(first)
                if len(data) > bs:
                    out = self._update(memoryview(data)[bs:])
                last = out[-bs:]
                self._state = int.from_bytes(last)
            except BaseException:
                self._reset()
                raise
        return last


def check_lengths(iv: Buffer, src: Buffer, dst: memoryview, iv_len: int, block: int) -> None:
    """The checks every cipher context makes before touching data."""
    if len(iv) != iv_len:
        raise InvalidParameter(f"IV of {len(iv)} bytes, {iv_len} expected")
    if len(src) % block:
        raise InvalidParameter(f"data of {len(src)} bytes is not a multiple of the {block}-byte block")
    if len(dst) != len(src):
        raise InvalidParameter(f"destination of {len(dst)} bytes for {len(src)} bytes of data")
