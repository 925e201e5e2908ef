"""Independent references for randomised round trips: pyca ``cryptography`` and the standard library.

Nothing here uses vcrypto's own crypto layer, so a round trip checks the backend against a second
implementation. An algorithm absent from these tables has no reference; its round trip is SKIPped.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4, TripleDES
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from ..spec.constants import AeadAlgo, CipherAlgo, HashAlgo, MacAlgo


@dataclass(frozen=True, slots=True)
class CipherReference:
    data_unit: int  # random data lengths are a multiple of it (the block size; 1 for stream modes)
    encrypt: Callable[[bytes, bytes, bytes], bytes]  # (key, iv, plaintext) -> ciphertext


def _pyca(algorithm: Callable[[bytes], object], mode: Callable[[bytes], object] | None) -> Callable:
    def encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
        cipher = Cipher(algorithm(key), mode(iv) if mode else None)  # type: ignore[arg-type]
        encryptor = cipher.encryptor()
        return encryptor.update(data) + encryptor.finalize()

    return encrypt


def _des(key: bytes) -> object:
    """Single DES is TripleDES with three equal keys; two-key TripleDES is K1 K2 K1."""
    if len(key) == 8:
        return TripleDES(key * 3)
    return TripleDES(key + key[:8] if len(key) == 16 else key)


def _ecb(_iv: bytes) -> modes.Mode:
    return modes.ECB()


CIPHERS: dict[int, CipherReference] = {
    CipherAlgo.ARC4: CipherReference(1, _pyca(ARC4, None)),
    CipherAlgo.AES_ECB: CipherReference(16, _pyca(algorithms.AES, _ecb)),
    CipherAlgo.AES_CBC: CipherReference(16, _pyca(algorithms.AES, modes.CBC)),
    CipherAlgo.AES_CTR: CipherReference(1, _pyca(algorithms.AES, modes.CTR)),
    CipherAlgo.AES_XTS: CipherReference(16, _pyca(algorithms.AES, modes.XTS)),
    CipherAlgo.DES_ECB: CipherReference(8, _pyca(_des, _ecb)),
    CipherAlgo.DES_CBC: CipherReference(8, _pyca(_des, modes.CBC)),
    CipherAlgo.DES3_ECB: CipherReference(8, _pyca(_des, _ecb)),
    CipherAlgo.DES3_CBC: CipherReference(8, _pyca(_des, modes.CBC)),
}

_HASHLIB = {
    HashAlgo.MD5: "md5",
    HashAlgo.SHA1: "sha1",
    HashAlgo.SHA_224: "sha224",
    HashAlgo.SHA_256: "sha256",
    HashAlgo.SHA_384: "sha384",
    HashAlgo.SHA_512: "sha512",
    HashAlgo.SHA3_224: "sha3_224",
    HashAlgo.SHA3_256: "sha3_256",
    HashAlgo.SHA3_384: "sha3_384",
    HashAlgo.SHA3_512: "sha3_512",
    HashAlgo.SHA3_SHAKE128: "shake_128",
    HashAlgo.SHA3_SHAKE256: "shake_256",
}


def hash_digest(algo: int, data: bytes, length: int) -> bytes | None:
    """The first ``length`` bytes of the digest (XOF output of that length), or None without a reference."""
    name = _HASHLIB.get(algo)  # type: ignore[call-overload]
    if name is None:
        return None
    h = hashlib.new(name, data)
    if name.startswith("shake"):
        return h.digest(length)  # type: ignore[call-arg]
    return h.digest()[:length]


def hash_length(algo: int) -> int | None:
    name = _HASHLIB.get(algo)  # type: ignore[call-overload]
    if name is None:
        return None
    return 32 if name.startswith("shake") else hashlib.new(name).digest_size


_HMAC = {
    MacAlgo.HMAC_MD5: "md5",
    MacAlgo.HMAC_SHA1: "sha1",
    MacAlgo.HMAC_SHA_224: "sha224",
    MacAlgo.HMAC_SHA_256: "sha256",
    MacAlgo.HMAC_SHA_384: "sha384",
    MacAlgo.HMAC_SHA_512: "sha512",
}


def _cmac(algorithm: Callable[[bytes], object]) -> Callable[[bytes, bytes], bytes]:
    def tag(key: bytes, data: bytes) -> bytes:
        c = cmac.CMAC(algorithm(key))  # type: ignore[arg-type]
        c.update(data)
        return c.finalize()

    return tag


def _gmac(key: bytes, data: bytes) -> bytes:
    """GMAC: GCM with an empty plaintext; the source is the 12-byte IV, then the authenticated data."""
    return AESGCM(key).encrypt(data[:12], b"", data[12:])


def _cbc_mac(key: bytes, data: bytes) -> bytes:
    return _pyca(algorithms.AES, modes.CBC)(key, bytes(16), data)[-16:]


@dataclass(frozen=True, slots=True)
class MacReference:
    key_len: int
    data_unit: int  # random message lengths are a multiple of it
    prefix: int  # bytes of IV the source starts with (GMAC)
    tag: Callable[[bytes, bytes], bytes]  # (key, data) -> full tag


MACS: dict[int, MacReference] = {
    **{
        algo: MacReference(32, 1, 0, lambda k, d, n=name: hmac.new(k, d, n).digest())
        for algo, name in _HMAC.items()
    },
    MacAlgo.CMAC_AES: MacReference(16, 1, 0, _cmac(algorithms.AES)),
    MacAlgo.CMAC_3DES: MacReference(24, 1, 0, _cmac(_des)),
    MacAlgo.GMAC_AES: MacReference(16, 1, 12, _gmac),
    MacAlgo.CBCMAC_AES: MacReference(16, 16, 0, _cbc_mac),
}


@dataclass(frozen=True, slots=True)
class AeadReference:
    key_len: int
    iv_len: int
    tag_len: int
    seal: Callable[[bytes, bytes, bytes, bytes], bytes]  # (key, iv, aad, plaintext) -> ciphertext || tag


AEADS: dict[int, AeadReference] = {
    AeadAlgo.GCM: AeadReference(16, 12, 16, lambda k, iv, a, p: AESGCM(k).encrypt(iv, p, a)),
    AeadAlgo.CCM: AeadReference(16, 12, 16, lambda k, iv, a, p: AESCCM(k, 16).encrypt(iv, p, a)),
    AeadAlgo.CHACHA20_POLY1305: AeadReference(
        32, 12, 16, lambda k, iv, a, p: ChaCha20Poly1305(k).encrypt(iv, p, a)
    ),
}
