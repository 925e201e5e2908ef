"""The AKCIPHER service's providers: RSA (RAW and PKCS#1 v1.5 padding) and ECDSA (NIST P-192..P-521).

A context is bound to one session's key and parameters (``AkcipherParams``). Its four operations take the
request's source data as the spec defines it; ``verify`` takes the two halves the device cuts out of
``src_data`` (signature first, then the signed data). ``output_len`` bounds every result, so the device can
check the guest's ``dst_data_len`` before computing anything.

Errors, and the status each maps to: ``UnsupportedAlgorithm`` (NOTSUPP) for a padding, hash, curve or
operation this device does not do, e.g. an RSA hash of MD3 (it has no OID), RSA RAW sessions asked to sign
or verify, ECDSA asked to encrypt; ``InvalidKey`` (ERR) for keys that are not the spec's DER or do not match
the key type, the curve, or themselves; ``InvalidParameter`` (ERR) for inputs whose size or value does not
fit the key and for private-key operations on a public-key session; ``SignatureRejected`` (KEY_REJECTED)
for any signature that does not verify, malformed ones included. ``FaultDetected`` (an
``InvalidParameter``, so ERR) when a private-key result fails its self-check and is withheld.

Spec decisions, in detail in ``_rsa`` and ``_ecdsa``:

* RSA outputs are ``k`` octets (the modulus size), left-padded with zeros, except PKCS#1 decryption,
  which returns the message. RAW inputs are read as big-endian numbers and must be below ``n``.
* PKCS#1 signing and verification take the digest: its length must be the session hash's digest size;
  with NO_HASH the data is signed as it is (EMSA-PKCS1-v1_5 without a DigestInfo, like Linux's
  ``pkcs1pad(rsa)``), any length up to ``k - 11``. A verify whose signature is not exactly ``k`` octets is
  a rejected signature (RFC 8017 §8.2.2).
* ECDSA takes a digest of 1..64 octets and uses its leftmost ``N`` bits (FIPS 186-5 bits2int).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vcrypto.spec.constants import AkcipherAlgo, Curve, RsaHash, RsaPadding
from vcrypto.spec.params import AkcipherParams

from ._ecdsa import CURVES, EcdsaContext
from ._rsa import DIGEST_INFOS, FaultDetected, RsaContext
from .base import Buffer, UnsupportedAlgorithm


class AkcipherContext(Protocol):
    output_len: int  # the largest result any operation of this key can produce

    def encrypt(self, src: Buffer) -> bytes:
        """Public-key encryption of ``src``."""
        ...

    def decrypt(self, src: Buffer) -> bytes:
        """Private-key decryption of ``src``."""
        ...

    def sign(self, src: Buffer) -> bytes:
        """Signature of ``src``, the already computed digest (or, RSA NO_HASH, the data to sign)."""
        ...

    def verify(self, signature: Buffer, message: Buffer) -> None:
        """Return if ``signature`` is valid for ``message`` (the digest), else raise ``SignatureRejected``."""
        ...


@dataclass(frozen=True, slots=True)
class AkcipherInfo:
    algo: int
    name: str
    new: Callable[[AkcipherParams], AkcipherContext]


def _bound(
    algo: AkcipherAlgo, factory: Callable[[AkcipherParams], AkcipherContext]
) -> Callable[[AkcipherParams], AkcipherContext]:
    def new(params: AkcipherParams) -> AkcipherContext:
        if params.algo != algo:
            raise UnsupportedAlgorithm(f"AKCIPHER algorithm {params.algo} given to the {algo.name} provider")
        return factory(params)

    return new


AKCIPHERS: dict[int, AkcipherInfo] = {
    AkcipherAlgo.RSA: AkcipherInfo(AkcipherAlgo.RSA, "RSA", _bound(AkcipherAlgo.RSA, RsaContext)),
    AkcipherAlgo.ECDSA: AkcipherInfo(AkcipherAlgo.ECDSA, "ECDSA", _bound(AkcipherAlgo.ECDSA, EcdsaContext)),
}

# What the providers accept, for capability reporting.
RSA_PADDINGS: frozenset[int] = frozenset({RsaPadding.RAW, RsaPadding.PKCS1})
RSA_HASHES: frozenset[int] = frozenset(RsaHash(value) for value in DIGEST_INFOS)
ECDSA_CURVES: frozenset[int] = frozenset(Curve(value) for value in CURVES)

__all__ = [
    "AKCIPHERS",
    "ECDSA_CURVES",
    "RSA_HASHES",
    "RSA_PADDINGS",
    "AkcipherContext",
    "AkcipherInfo",
    "FaultDetected",
]
