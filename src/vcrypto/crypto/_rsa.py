"""RSA for the AKCIPHER service: PKCS#1 keys, the blinded private operation, EMSA-PKCS1-v1_5.

``cryptography`` does the PKCS#1 v1.5 encryption, decryption and the signatures whose DigestInfo it knows.
What it cannot do is here: RSA without padding (the Linux guest's ``rsa``), signatures with no hash or with
MD2/MD4 DigestInfos, and parsing the spec's key encodings strictly (its loaders also accept PKCS#8, SPKI...).
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InternalError
from cryptography.exceptions import UnsupportedAlgorithm as _LibUnsupported
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from vcrypto.spec.constants import AkcipherKeyType, RsaHash, RsaPadding
from vcrypto.spec.params import AkcipherParams

from . import _der
from .base import Buffer, InvalidKey, InvalidParameter, SignatureRejected, UnsupportedAlgorithm

# Modulus sizes accepted. 512 bits is the smallest the Linux guest's self-test uses and the smallest OpenSSL
# will operate on; 8192 bits bounds the time one request can take in the pure-Python private operation
# (about 0.4 s), which is what RAW padding and the hashes OpenSSL lacks run on.
MIN_MODULUS_BITS = 512
MAX_MODULUS_BITS = 8192
# OpenSSL refuses public exponents over 64 bits on moduli over 3072 bits (a cheap denial-of-service guard);
# refusing such keys at session creation keeps every later operation consistent with that.
_SMALL_MODULUS_BITS = 3072
_MAX_LARGE_KEY_EXPONENT_BITS = 64
_PKCS1_OVERHEAD = 11  # 00 || 01-or-02 || at least 8 padding octets || 00
_BLINDING_BITS = 64  # size of the random multiple of (p - 1) added to each CRT exponent
_BLINDING_ATTEMPTS = 64


class FaultDetected(InvalidParameter):
    """A private-key result failed its consistency check, so it is withheld (status ERR).

    A wrong RSA-CRT result reveals a factor of the modulus (the Bellcore attack) and a faulty ECDSA
    signature can reveal the private key, so no result leaves the device unchecked: an RSA result must
    re-encrypt to the input, an ECDSA signature must verify.
    """


@dataclass(frozen=True, slots=True)
class DigestInfo:
    """How EMSA-PKCS1-v1_5 wraps a digest: ``prefix || digest`` is the DER DigestInfo (RFC 8017 §9.2)."""

    name: str
    digest_size: int | None  # None: NO_HASH, any length that fits the modulus
    prefix: bytes
    library_hash: hashes.HashAlgorithm | None  # lets OpenSSL do the signature when it knows the hash


def _digest_info(name: str, oid: str, size: int, library_hash: hashes.HashAlgorithm | None) -> DigestInfo:
    algorithm = _der.encode_sequence(_der.encode_oid(oid), _der.encode_tlv(_der.NULL, b""))
    body_len = len(algorithm) + 2 + size  # the digest's OCTET STRING header is 2 octets (size < 128)
    prefix = (
        bytes([_der.SEQUENCE]) + _der.encode_length(body_len) + algorithm + bytes([_der.OCTET_STRING, size])
    )
    return DigestInfo(name, size, prefix, library_hash)


# OIDs: MD2/MD4/MD5 from RFC 1319/1320/1321 (and PKCS#1 v1.5, RFC 2313), SHA-1 from OIW, SHA-2 from NIST.
# MD3 has no OID at all, so a DigestInfo for it cannot be built.
DIGEST_INFOS: dict[int, DigestInfo] = {
    RsaHash.NO_HASH: DigestInfo("none", None, b"", None),
    RsaHash.MD2: _digest_info("MD2", "1.2.840.113549.2.2", 16, None),
    RsaHash.MD4: _digest_info("MD4", "1.2.840.113549.2.4", 16, None),
    RsaHash.MD5: _digest_info("MD5", "1.2.840.113549.2.5", 16, hashes.MD5()),
    RsaHash.SHA1: _digest_info("SHA1", "1.3.14.3.2.26", 20, hashes.SHA1()),
    RsaHash.SHA224: _digest_info("SHA224", "2.16.840.1.101.3.4.2.4", 28, hashes.SHA224()),
    RsaHash.SHA256: _digest_info("SHA256", "2.16.840.1.101.3.4.2.1", 32, hashes.SHA256()),
    RsaHash.SHA384: _digest_info("SHA384", "2.16.840.1.101.3.4.2.2", 48, hashes.SHA384()),
    RsaHash.SHA512: _digest_info("SHA512", "2.16.840.1.101.3.4.2.3", 64, hashes.SHA512()),
}

_LIBRARY_ERRORS = (ValueError, TypeError, OverflowError, _LibUnsupported, InternalError)


def _check_public(n: int, e: int) -> rsa.RSAPublicNumbers:
    if not MIN_MODULUS_BITS <= n.bit_length() <= MAX_MODULUS_BITS:
        raise InvalidKey(
            f"RSA modulus of {n.bit_length()} bits (allowed {MIN_MODULUS_BITS}..{MAX_MODULUS_BITS})"
        )
    if n % 2 == 0 or e < 3 or e % 2 == 0 or e >= n:
        raise InvalidKey("RSA modulus must be odd and the public exponent odd, at least 3, below the modulus")
    if n.bit_length() > _SMALL_MODULUS_BITS and e.bit_length() > _MAX_LARGE_KEY_EXPONENT_BITS:
        raise InvalidKey("RSA public exponent over 64 bits on a modulus over 3072 bits")
    return rsa.RSAPublicNumbers(e, n)


def parse_public_key(der: bytes) -> rsa.RSAPublicNumbers:
    """RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1)."""
    try:
        items = _der.read_items(_der.read_single(der, _der.SEQUENCE))
        if len(items) != 2:
            raise _der.DerError("RSAPublicKey has two fields")
        n, e = (_der.expect_integer(item) for item in items)
    except _der.DerError as exc:
        raise InvalidKey(f"not a DER RSAPublicKey: {exc}") from None
    return _check_public(n, e)


def parse_private_key(der: bytes) -> rsa.RSAPrivateNumbers:
    """RSAPrivateKey (RFC 8017 A.1.2), two-prime form (version 0).

    Multi-prime keys (version 1 with otherPrimeInfos) are valid PKCS#1 but not supported. A key whose five
    CRT fields are all zero (what Linux's test keys carried before 2022; Linux's own RSA used only n, e, d)
    is accepted: p and q are recovered from n, e, d. Every other key must be consistent (see
    ``_check_consistency``).
    """
    try:
        items = _der.read_items(_der.read_single(der, _der.SEQUENCE))
        if len(items) < 9:
            raise _der.DerError("RSAPrivateKey has at least nine fields")
        version = _der.expect_integer(items[0])
        if version == 1 and len(items) == 10 and items[9][0] == _der.SEQUENCE:
            raise UnsupportedAlgorithm("multi-prime RSA keys are not supported")
        if version != 0 or len(items) != 9:
            raise _der.DerError("a two-prime RSAPrivateKey has version 0 and nine fields")
        n, e, d, p, q, dp, dq, qinv = (_der.expect_integer(item) for item in items[1:])
    except _der.DerError as exc:
        raise InvalidKey(f"not a DER RSAPrivateKey: {exc}") from None
    public = _check_public(n, e)
    if not 0 < d < n:
        raise InvalidKey("RSA private exponent out of range")
    if p == q == dp == dq == qinv == 0:
        try:
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
        except _LIBRARY_ERRORS:
            raise InvalidKey("RSA key without CRT fields whose n, e, d do not factor n") from None
        p, q = max(p, q), min(p, q)  # PKCS#1 convention, as OpenSSL writes them
        dp, dq, qinv = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
    _check_consistency(n, e, d, p, q, dp, dq, qinv)
    return rsa.RSAPrivateNumbers(p, q, d, dp, dq, qinv, public)


def _check_consistency(n: int, e: int, d: int, p: int, q: int, dp: int, dq: int, qinv: int) -> None:
    """Every identity the private operations rely on, checked with a few multiplications.

    What is not checked is that p and q are prime: OpenSSL's full key check does that with primality
    tests costing 50 ms (2048 bits) to 300 ms (4096 bits) per session, and a composite "prime" only
    makes the guest's own results wrong, which the checks after every private operation catch anyway
    (``PrivateOperation``'s here; OpenSSL re-encrypts its CRT results too and falls back to ``d``).
    """
    if not (1 < q < p or 1 < p < q) or p * q != n:
        raise InvalidKey("RSA primes do not multiply to the modulus")
    if not (0 < dp < p - 1 and 0 < dq < q - 1 and 0 < qinv < p):
        raise InvalidKey("RSA CRT fields out of range")
    if e * dp % (p - 1) != 1 or e * dq % (q - 1) != 1 or q * qinv % p != 1:
        raise InvalidKey("RSA CRT fields do not match the key")
    p1, q1 = p - 1, q - 1
    carmichael = p1 * q1 // math.gcd(p1, q1)
    if e * d % carmichael != 1:
        raise InvalidKey("RSA private exponent does not match the public exponent")


def build_private_key(numbers: rsa.RSAPrivateNumbers) -> rsa.RSAPrivateKey:
    """The library key. ``parse_private_key`` has checked its consistency, so OpenSSL's slow check
    (primality tests) is skipped."""
    try:
        return numbers.private_key(unsafe_skip_rsa_key_validation=True)
    except _LIBRARY_ERRORS:
        raise InvalidKey("invalid RSA private key") from None


def build_public_key(numbers: rsa.RSAPublicNumbers) -> rsa.RSAPublicKey:
    try:
        return numbers.public_key()
    except _LIBRARY_ERRORS:
        raise InvalidKey("invalid RSA public key") from None


class PrivateOperation:
    """``c -> c^d mod n`` with the countermeasures a device handling guest-chosen inputs needs.

    Python's ``pow`` is not constant-time: its running time follows the bits of the exponent and the
    value of the base. So the secret exponent is never used as such, and the guest's input is never the
    base:

    * base blinding: a fresh random ``r`` per call; the device exponentiates ``c * r^e`` (uniformly random
      and unknown to the guest) and multiplies the result by ``r^-1``, since ``(c r^e)^d = c^d r``;
    * exponent blinding: each CRT half uses ``d_p + k (p - 1)`` with a fresh random 64-bit ``k``, which
      gives the same result (Fermat) but a different bit pattern every call, so timings do not add up to
      the exponent;
    * CRT (Garner's recombination) for speed;
    * fault check: the result is re-encrypted with the public exponent and must give back ``c``, otherwise
      nothing is returned (a faulty CRT half would let anyone factor ``n`` from the output).
    """

    __slots__ = ("_dp", "_dq", "_e", "_n", "_p", "_q", "_qinv")

    def __init__(self, numbers: rsa.RSAPrivateNumbers) -> None:
        self._n = numbers.public_numbers.n
        self._e = numbers.public_numbers.e
        self._p, self._q = numbers.p, numbers.q
        self._dp, self._dq, self._qinv = numbers.dmp1, numbers.dmq1, numbers.iqmp

    def __call__(self, c: int) -> int:
        n, e, p, q = self._n, self._e, self._p, self._q
        if not 0 <= c < n:
            raise InvalidParameter("RSA input must be below the modulus")
        for _ in range(_BLINDING_ATTEMPTS):
            r = secrets.randbelow(n - 2) + 2
            try:
                r_inv = pow(r, -1, n)
                break
            except ValueError:  # r shares a factor with n: negligible for a real key, draw again
                continue
        else:
            raise FaultDetected("no invertible blinding factor: the key's primes are not primes")
        blinded = c * pow(r, e, n) % n
        m_p = pow(blinded % p, self._dp + secrets.randbits(_BLINDING_BITS) * (p - 1), p)
        m_q = pow(blinded % q, self._dq + secrets.randbits(_BLINDING_BITS) * (q - 1), q)
        h = self._qinv * (m_p - m_q) % p
        m = (m_q + h * q) * r_inv % n
        if pow(m, e, n) != c:
            raise FaultDetected("RSA private operation failed its consistency check")
        return m


def emsa_pkcs1_v15(t: bytes, k: int) -> bytes:
    """EM = 00 || 01 || FF...FF || 00 || T, ``k`` octets, at least 8 octets of FF (RFC 8017 §9.2)."""
    if len(t) > k - _PKCS1_OVERHEAD:
        raise InvalidParameter(f"{len(t)}-octet DigestInfo too long for a {k}-octet modulus")
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def _int(data: Buffer) -> int:
    return int.from_bytes(data, "big")


class RsaContext:
    """An RSA session: one key, one padding, one hash."""

    def __init__(self, params: AkcipherParams) -> None:
        if params.rsa_padding == RsaPadding.RAW:
            self._raw = True
            self._digest = DIGEST_INFOS[RsaHash.NO_HASH]  # the spec: hash_algo is ignored
        elif params.rsa_padding == RsaPadding.PKCS1:
            self._raw = False
            try:
                self._digest = DIGEST_INFOS[params.rsa_hash]
            except KeyError:
                raise UnsupportedAlgorithm(f"RSA PKCS#1 hash {params.rsa_hash} is not supported") from None
        else:
            raise UnsupportedAlgorithm(f"RSA padding {params.rsa_padding} is not supported")

        key = bytes(params.key)
        self._private: rsa.RSAPrivateKey | None = None
        self._private_op: PrivateOperation | None = None
        if params.key_type == AkcipherKeyType.PRIVATE:
            numbers = parse_private_key(key)
            self._private = build_private_key(numbers)
            # Use the library's view of the numbers from now on (it may have normalised them).
            numbers = self._private.private_numbers()
            self._private_op = PrivateOperation(numbers)
            public_numbers = numbers.public_numbers
        elif params.key_type == AkcipherKeyType.PUBLIC:
            public_numbers = parse_public_key(key)
        else:
            raise InvalidKey(f"AKCIPHER key type {params.key_type} is neither public nor private")
        self._public = build_public_key(public_numbers)
        self._n, self._e = public_numbers.n, public_numbers.e
        self.output_len = (self._n.bit_length() + 7) // 8  # every result is exactly this long, except
        # a PKCS#1 decryption, which returns the message (shorter)

    # -- public-key operations ------------------------------------------------------------------

    def encrypt(self, src: Buffer) -> bytes:
        k = self.output_len
        if self._raw:
            m = _int(src)
            if m >= self._n:
                raise InvalidParameter("RSA input must be below the modulus")
            return pow(m, self._e, self._n).to_bytes(k, "big")
        if len(src) > k - _PKCS1_OVERHEAD:
            raise InvalidParameter(f"PKCS#1 v1.5 message of {len(src)} octets too long for {k}-octet key")
        try:
            return self._public.encrypt(bytes(src), padding.PKCS1v15())
        except _LIBRARY_ERRORS:
            raise InvalidParameter("RSA PKCS#1 v1.5 encryption failed") from None

    def verify(self, signature: Buffer, message: Buffer) -> None:
        if self._raw:
            raise UnsupportedAlgorithm("RSA sessions with RAW padding cannot verify (spec)")
        t = self._digest_info(message)
        k = self.output_len
        expected = emsa_pkcs1_v15(t, k)
        # RFC 8017 §8.2.2: a signature that is not k octets long or not below n is an invalid signature.
        if len(signature) != k:
            raise SignatureRejected(f"RSA signature of {len(signature)} octets, the modulus has {k}")
        s = _int(signature)
        if s >= self._n:
            raise SignatureRejected("RSA signature not below the modulus")
        if not hmac.compare_digest(pow(s, self._e, self._n).to_bytes(k, "big"), expected):
            raise SignatureRejected("RSA PKCS#1 v1.5 signature does not match")

    # -- private-key operations -----------------------------------------------------------------

    def _require_private(self) -> tuple[rsa.RSAPrivateKey, PrivateOperation]:
        if self._private is None or self._private_op is None:
            raise InvalidParameter("this operation needs a session with a private key")
        return self._private, self._private_op

    def decrypt(self, src: Buffer) -> bytes:
        private, private_op = self._require_private()
        k = self.output_len
        if self._raw:
            return private_op(_int(src)).to_bytes(k, "big")
        if len(src) != k:
            raise InvalidParameter(f"PKCS#1 v1.5 ciphertext of {len(src)} octets, the modulus has {k}")
        # One error for every failure, whatever its cause, and OpenSSL (3.2+) answers a bad padding with
        # a pseudo-random message instead (implicit rejection): no padding oracle for the guest.
        try:
            return private.decrypt(bytes(src), padding.PKCS1v15())
        except _LIBRARY_ERRORS:
            raise InvalidParameter("RSA PKCS#1 v1.5 decryption error") from None

    def sign(self, src: Buffer) -> bytes:
        if self._raw:
            raise UnsupportedAlgorithm("RSA sessions with RAW padding cannot sign (spec)")
        private, private_op = self._require_private()
        digest = bytes(src)
        t = self._digest_info(digest)
        k = self.output_len
        em = emsa_pkcs1_v15(t, k)
        library_hash = self._digest.library_hash
        if library_hash is not None:
            try:
                return private.sign(digest, padding.PKCS1v15(), utils.Prehashed(library_hash))
            except _LIBRARY_ERRORS:
                raise InvalidParameter("RSA PKCS#1 v1.5 signature failed") from None
        return private_op(_int(em)).to_bytes(k, "big")

    def _digest_info(self, digest: Buffer) -> bytes:
        size = self._digest.digest_size
        if size is not None and len(digest) != size:
            raise InvalidParameter(f"{self._digest.name} digest must be {size} octets, got {len(digest)}")
        return self._digest.prefix + bytes(digest)
