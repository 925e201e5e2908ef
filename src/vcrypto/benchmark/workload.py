"""What the benchmark asks a backend to do: one catalogue entry per algorithm name.

Each ``Algorithm`` knows its session parameters, how a driver encodes one request of a given size
(``vcrypto.spec.encode``, either layout), what the device must write back (computed with pyca
``cryptography`` on a fresh context: independent of vcrypto's own crypto layer), and one operation
of the same work on a kept OpenSSL context, the floor a backend is compared with.
Keys, IVs and data are deterministic (seeded by name, size and slot), so runs are comparable.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from ..spec import encode
from ..spec.buffers import Buffer
from ..spec.constants import AeadAlgo, CipherAlgo, Direction, HashAlgo, MacAlgo, Opcode, Service, Status
from ..spec.params import AeadParams, CipherParams, HashParams, MacParams, SessionParams

MAX_DESCRIPTORS = 6  # the longest chain here: AEAD header, IV, source, AAD; destination, status
AEAD_TAG = 16
AEAD_AAD = 16
AEAD_NONCE = 12
STATUS_OK = bytes([Status.OK])


def _bytes(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass(frozen=True)
class Request:
    """One request as the driver lays it out, and the writable bytes the device must produce."""

    readable: list[Buffer]
    writable: list[int]
    expected: bytes  # the whole writable area: output then the status byte (OK)

    @property
    def used(self) -> int:
        return len(self.expected)


class Algorithm:
    """A benchmarked algorithm; subclasses fill in the service-specific parts."""

    service: Service

    def __init__(self, name: str, key_len: int, key: bytes | None = None) -> None:
        """``key`` defaults to ``key_len`` bytes seeded by the name."""
        self.name = name
        self.key = _bytes(f"{name}/key", key_len) if key is None else key

    def size_error(self, size: int) -> str | None:
        """Why ``size`` bytes of data are not a valid request for this algorithm (None if they are)."""
        return None if size >= 1 else "the size must be at least 1"

    def session(self) -> SessionParams:
        raise NotImplementedError

    def request(self, session_id: int, size: int, slot: int, revision_1: bool) -> Request:
        raise NotImplementedError

    def reference(self, data: bytes, iv: bytes = b"", aad: bytes = b"") -> bytes:
        """What the device must output for ``data`` (OpenSSL on a fresh context, this key)."""
        raise NotImplementedError

    def openssl(self, size: int) -> Callable[[], object]:
        """One operation of ``size`` bytes on a context kept across calls."""
        raise NotImplementedError

    def payload(self, size: int, slot: int) -> bytes:
        return _bytes(f"{self.name}/{size}/{slot}/data", size)


class CipherAlgorithm(Algorithm):
    """AES encryption, no chaining: destination as long as the source."""

    service = Service.CIPHER

    def __init__(
        self, name: str, algo: CipherAlgo, key_len: int, mode: Callable[[bytes], modes.Mode], iv_len: int,
        block: int, key: bytes | None = None,
    ) -> None:  # fmt: skip
        super().__init__(name, key_len, key)
        self.algo = algo
        self.mode = mode
        self.iv_len = iv_len
        self.block = block

    def size_error(self, size: int) -> str | None:
        if size < max(self.block, 1):
            return f"{self.name} needs at least {max(self.block, 1)} bytes"
        if self.algo in (CipherAlgo.AES_CBC, CipherAlgo.AES_ECB) and size % self.block:
            return f"{self.name} needs a multiple of {self.block} bytes"
        return None

    def session(self) -> SessionParams:
        return CipherParams(self.algo, self.key, Direction.ENCRYPT)

    def _cipher(self, iv: bytes) -> Cipher:
        return Cipher(algorithms.AES(self.key), self.mode(iv))

    def request(self, session_id: int, size: int, slot: int, revision_1: bool) -> Request:
        iv = _bytes(f"{self.name}/{size}/{slot}/iv", self.iv_len)
        data = self.payload(size, slot)
        readable = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, iv, data, size, revision_1)
        return Request(readable, [size, 1], self.reference(data, iv) + STATUS_OK)

    def reference(self, data: bytes, iv: bytes = b"", aad: bytes = b"") -> bytes:
        encryptor = self._cipher(iv).encryptor()
        return encryptor.update(data) + encryptor.finalize()

    def openssl(self, size: int) -> Callable[[], object]:
        encryptor = self._cipher(_bytes(f"{self.name}/iv", self.iv_len)).encryptor()
        data = self.payload(size, 0)
        out = bytearray(size + 15)
        return lambda: encryptor.update_into(data, out)


class HashAlgorithm(Algorithm):
    service = Service.HASH

    def __init__(self, name: str, algo: HashAlgo, hash_: hashes.HashAlgorithm) -> None:
        super().__init__(name, 0)
        self.algo = algo
        self.hash = hash_

    def session(self) -> SessionParams:
        return HashParams(self.algo, self.hash.digest_size)

    def request(self, session_id: int, size: int, slot: int, revision_1: bool) -> Request:
        data = self.payload(size, slot)
        readable = encode.hash_(session_id, data, self.hash.digest_size, revision_1)
        return Request(readable, [self.hash.digest_size, 1], self.reference(data) + STATUS_OK)

    def reference(self, data: bytes, iv: bytes = b"", aad: bytes = b"") -> bytes:
        digest = hashes.Hash(self.hash)
        digest.update(data)
        return digest.finalize()

    def openssl(self, size: int) -> Callable[[], object]:
        kept = hashes.Hash(self.hash)
        data = self.payload(size, 0)

        def op() -> bytes:
            digest = kept.copy()
            digest.update(data)
            return digest.finalize()

        return op


class HmacAlgorithm(Algorithm):
    service = Service.MAC

    def __init__(
        self, name: str, algo: MacAlgo, hash_: hashes.HashAlgorithm, key: bytes | None = None
    ) -> None:
        super().__init__(name, hash_.digest_size, key)
        self.algo = algo
        self.hash = hash_

    def session(self) -> SessionParams:
        return MacParams(self.algo, self.hash.digest_size, self.key)

    def request(self, session_id: int, size: int, slot: int, revision_1: bool) -> Request:
        data = self.payload(size, slot)
        readable = encode.mac(session_id, data, self.hash.digest_size, revision_1)
        return Request(readable, [self.hash.digest_size, 1], self.reference(data) + STATUS_OK)

    def reference(self, data: bytes, iv: bytes = b"", aad: bytes = b"") -> bytes:
        mac = hmac.HMAC(self.key, self.hash)
        mac.update(data)
        return mac.finalize()

    def openssl(self, size: int) -> Callable[[], object]:
        kept = hmac.HMAC(self.key, self.hash)  # keyed once, as a session is
        data = self.payload(size, 0)

        def op() -> bytes:
            mac = kept.copy()
            mac.update(data)
            return mac.finalize()

        return op


class AeadAlgorithm(Algorithm):
    """AEAD encryption with a 12-byte nonce, 16 bytes of AAD and a 16-byte tag."""

    service = Service.AEAD

    def __init__(
        self, name: str, algo: AeadAlgo, key_len: int, factory: Callable[[bytes], AESGCM | ChaCha20Poly1305],
        key: bytes | None = None,
    ) -> None:  # fmt: skip
        super().__init__(name, key_len, key)
        self.algo = algo
        self.factory = factory

    def session(self) -> SessionParams:
        return AeadParams(self.algo, self.key, AEAD_TAG, AEAD_AAD, Direction.ENCRYPT)

    def request(self, session_id: int, size: int, slot: int, revision_1: bool) -> Request:
        nonce = _bytes(f"{self.name}/{size}/{slot}/nonce", AEAD_NONCE)
        aad = _bytes(f"{self.name}/{size}/{slot}/aad", AEAD_AAD)
        data = self.payload(size, slot)
        readable = encode.aead(
            Opcode.AEAD_ENCRYPT, session_id, nonce, data, aad, size + AEAD_TAG, AEAD_TAG, revision_1
        )
        return Request(readable, [size + AEAD_TAG, 1], self.reference(data, nonce, aad) + STATUS_OK)

    def reference(self, data: bytes, iv: bytes = b"", aad: bytes = b"") -> bytes:
        """Ciphertext then the 16-byte tag."""
        return self.factory(self.key).encrypt(iv, data, aad)

    def openssl(self, size: int) -> Callable[[], object]:
        kept = self.factory(self.key)
        nonce, aad = _bytes(f"{self.name}/nonce", AEAD_NONCE), _bytes(f"{self.name}/aad", AEAD_AAD)
        data = self.payload(size, 0)
        return lambda: kept.encrypt(nonce, data, aad)


def _catalogue() -> dict[str, Algorithm]:
    entries: list[Algorithm] = []
    for bits in (128, 192, 256):
        entries.append(CipherAlgorithm(f"aes-{bits}-cbc", CipherAlgo.AES_CBC, bits // 8, modes.CBC, 16, 16))
        entries.append(CipherAlgorithm(f"aes-{bits}-ctr", CipherAlgo.AES_CTR, bits // 8, modes.CTR, 16, 1))
        entries.append(
            CipherAlgorithm(f"aes-{bits}-ecb", CipherAlgo.AES_ECB, bits // 8, lambda _: modes.ECB(), 0, 16)
        )
    for bits in (128, 256):
        entries.append(CipherAlgorithm(f"aes-{bits}-xts", CipherAlgo.AES_XTS, bits // 4, modes.XTS, 16, 16))
        entries.append(AeadAlgorithm(f"aes-{bits}-gcm", AeadAlgo.GCM, bits // 8, AESGCM))
    entries.append(AeadAlgorithm("chacha20-poly1305", AeadAlgo.CHACHA20_POLY1305, 32, ChaCha20Poly1305))
    for name, algo, hash_ in (
        ("sha1", HashAlgo.SHA1, hashes.SHA1()),
        ("sha256", HashAlgo.SHA_256, hashes.SHA256()),
        ("sha512", HashAlgo.SHA_512, hashes.SHA512()),
    ):
        entries.append(HashAlgorithm(name, algo, hash_))
    for name, algo, hash_ in (
        ("hmac-sha1", MacAlgo.HMAC_SHA1, hashes.SHA1()),
        ("hmac-sha256", MacAlgo.HMAC_SHA_256, hashes.SHA256()),
        ("hmac-sha512", MacAlgo.HMAC_SHA_512, hashes.SHA512()),
    ):
        entries.append(HmacAlgorithm(name, algo, hash_))
    return {entry.name: entry for entry in entries}


ALGORITHMS: dict[str, Algorithm] = _catalogue()
