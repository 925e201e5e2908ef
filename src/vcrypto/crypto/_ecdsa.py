"""ECDSA on the spec's NIST curves: RFC 5915 / SEC1 keys, the digest rule, DER signatures.

The arithmetic is OpenSSL's (through ``cryptography``); this module turns the spec's encodings into keys,
and the spec's "data to be signed, usually a digest" into something OpenSSL signs exactly as FIPS 186-5
and SEC1 define it.

Digest rule. The device receives the digest, not the message, and is not told which hash made it. ECDSA
itself only uses ``e = bits2int(digest)``: the leftmost ``N`` bits of the digest, ``N`` the bit length of
the group order (FIPS 186-5 §6.4.1, SEC1 §4.1.3 step 5); a digest shorter than ``N`` bits is used whole.
The device applies exactly that to any digest of 1 to 64 octets (64 octets being the largest digest of any
hash the spec names), and refuses other lengths. To make OpenSSL compute with that ``e`` whatever the
length, the digest is re-encoded as the 64-octet string whose own leftmost ``N`` bits are ``e`` and
handed over as a SHA-512 prehash; for the standard lengths this gives the very same ``e`` OpenSSL would
have used on the original digest. Linux's software ECDSA (crypto/ecdsa.c) keeps the leftmost whole
octets that fit its curve size (zero-extending shorter digests), which gives the same ``e`` for every
digest of at most 64 octets on the curves it has (P-192, P-256, P-384; P-521 since 6.10).

Neither Linux's virtio-crypto driver nor QEMU's backends implement ECDSA (QEMU: "TODO support
DSA&ECDSA"; Linux registers only ``rsa`` and ``pkcs1pad(rsa,sha1)``), so this follows the spec text
alone: private key RFC 5915 ECPrivateKey DER, public key the SEC1 point without its OCTET STRING header,
signature DER Ecdsa-Sig-Value. Linux's own ECDSA decodes signatures as BER; the spec says DER, and
the device holds to that.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InternalError, InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _LibUnsupported
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from vcrypto.spec.constants import AkcipherKeyType, Curve
from vcrypto.spec.params import AkcipherParams

from . import _der
from ._rsa import FaultDetected
from .base import Buffer, InvalidKey, InvalidParameter, SignatureRejected, UnsupportedAlgorithm

MAX_DIGEST_SIZE = 64
_PREHASH = utils.Prehashed(hashes.SHA512())
_PREHASH_BITS = 512
_LIBRARY_ERRORS = (ValueError, TypeError, OverflowError, _LibUnsupported, InternalError)


@dataclass(frozen=True, slots=True)
class CurveInfo:
    name: str
    curve: ec.EllipticCurve
    oid: bytes  # DER OBJECT IDENTIFIER, the RFC 5480 namedCurve
    order: int  # n, the order of the base point (SEC 2 / FIPS 186-5)

    @property
    def order_bits(self) -> int:
        return self.order.bit_length()

    @property
    def scalar_size(self) -> int:
        """Octets of a private key (RFC 5915) and of a field element (SEC1 point); equal on these curves."""
        return (self.order_bits + 7) // 8

    @property
    def max_signature_size(self) -> int:
        """Largest DER Ecdsa-Sig-Value: two INTEGERs below ``n``, each possibly with a sign octet."""
        integer = 2 + self.order_bits // 8 + 1
        body = 2 * integer
        return 1 + len(_der.encode_length(body)) + body


CURVES: dict[int, CurveInfo] = {
    Curve.NIST_P192: CurveInfo(
        "P-192",
        ec.SECP192R1(),
        _der.encode_oid("1.2.840.10045.3.1.1"),
        0xFFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831,
    ),
    Curve.NIST_P224: CurveInfo(
        "P-224",
        ec.SECP224R1(),
        _der.encode_oid("1.3.132.0.33"),
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D,
    ),
    Curve.NIST_P256: CurveInfo(
        "P-256",
        ec.SECP256R1(),
        _der.encode_oid("1.2.840.10045.3.1.7"),
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    Curve.NIST_P384: CurveInfo(
        "P-384",
        ec.SECP384R1(),
        _der.encode_oid("1.3.132.0.34"),
        int(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
            16,
        ),
    ),
    Curve.NIST_P521: CurveInfo(
        "P-521",
        ec.SECP521R1(),
        _der.encode_oid("1.3.132.0.35"),
        int(
            "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5"
            "D03BB5C9B8899C47AEBB6FB71E91386409",
            16,
        ),
    ),
}


def parse_public_key(point: bytes, info: CurveInfo) -> ec.EllipticCurvePublicKey:
    """SEC1 §2.3.4 octet string: 04 || X || Y, or 02/03 || X. Hybrid (06/07) and infinity are refused."""
    size = info.scalar_size
    if not point or not (
        (point[0] == 4 and len(point) == 1 + 2 * size) or (point[0] in (2, 3) and len(point) == 1 + size)
    ):
        raise InvalidKey(f"not a compressed or uncompressed {info.name} point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(info.curve, point)
    except _LIBRARY_ERRORS:
        raise InvalidKey(f"not a point on {info.name}") from None


def parse_private_key(der: bytes, info: CurveInfo) -> ec.EllipticCurvePrivateKey:
    """RFC 5915 ECPrivateKey. The session's curve decides; ``parameters``, if present, must name it, and
    ``publicKey``, if present, must be this private key's point."""
    try:
        items = _der.read_items(_der.read_single(der, _der.SEQUENCE))
        if len(items) < 2 or _der.expect_integer(items[0]) != 1:
            raise _der.DerError("ECPrivateKey starts with version 1")
        tag, secret = items[1]
        if tag != _der.OCTET_STRING:
            raise _der.DerError("privateKey is an OCTET STRING")
        optional = dict(items[2:])
        allowed = [_der.context(0), _der.context(1)]
        if [tag for tag, _ in items[2:]] not in ([], allowed[:1], allowed[1:], allowed):
            raise _der.DerError("only [0] parameters then [1] publicKey may follow")
        parameters = optional.get(_der.context(0))
        if parameters is not None and parameters != info.oid:
            # Only a namedCurve naming the session's curve is acceptable; the spec allows no custom curves.
            raise InvalidKey(f"ECPrivateKey parameters do not name {info.name}")
        encoded_public = optional.get(_der.context(1))
        public_point = None
        if encoded_public is not None:
            bits = _der.read_single(encoded_public, _der.BIT_STRING)
            if not bits or bits[0] != 0:
                raise _der.DerError("publicKey BIT STRING must have no unused bits")
            public_point = bits[1:]
    except _der.DerError as exc:
        raise InvalidKey(f"not a DER ECPrivateKey: {exc}") from None

    # RFC 5915 fixes the octet string at ceil(log2(n)/8) octets; shorter ones (some old encoders dropped
    # leading zeros) are read as the same integer. The scalar must be in [1, n - 1].
    if not 1 <= len(secret) <= info.scalar_size:
        raise InvalidKey(f"{info.name} private key of {len(secret)} octets")
    d = int.from_bytes(secret, "big")
    if not 1 <= d < info.order:
        raise InvalidKey(f"{info.name} private scalar out of range")
    try:
        key = ec.derive_private_key(d, info.curve)
    except _LIBRARY_ERRORS:
        raise InvalidKey(f"invalid {info.name} private key") from None
    if public_point is not None:
        claimed = parse_public_key(public_point, info)
        if claimed.public_numbers() != key.public_key().public_numbers():
            raise InvalidKey("ECPrivateKey publicKey does not belong to its private key")
    return key


def bits2int(digest: bytes, order_bits: int) -> int:
    """FIPS 186-5 / SEC1: the leftmost ``order_bits`` bits of the digest, as an integer."""
    value = int.from_bytes(digest, "big")
    excess = 8 * len(digest) - order_bits
    return value >> excess if excess > 0 else value


def normalize_digest(digest: Buffer, info: CurveInfo) -> bytes:
    """The 64-octet prehash on which OpenSSL's own bits2int yields the same ``e`` as ``digest`` does."""
    if not 1 <= len(digest) <= MAX_DIGEST_SIZE:
        raise InvalidParameter(f"ECDSA digest must be 1..{MAX_DIGEST_SIZE} octets, got {len(digest)}")
    e = bits2int(bytes(digest), info.order_bits)
    shift = _PREHASH_BITS - info.order_bits
    # For N < 512 OpenSSL keeps the leftmost N bits of the 512: put e there. For P-521 (N > 512) it uses
    # all 512 bits, and e has at most 512 bits since the digest has at most 64 octets.
    return (e << shift if shift > 0 else e).to_bytes(MAX_DIGEST_SIZE, "big")


def parse_signature(signature: bytes, info: CurveInfo) -> tuple[int, int]:
    """Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in DER (RFC 3279), 1 <= r, s < n."""
    try:
        items = _der.read_items(_der.read_single(signature, _der.SEQUENCE))
        if len(items) != 2:
            raise _der.DerError("two INTEGERs")
        r, s = (_der.expect_integer(item) for item in items)
    except _der.DerError as exc:
        raise SignatureRejected(f"not a DER ECDSA signature: {exc}") from None
    if not (0 < r < info.order and 0 < s < info.order):
        raise SignatureRejected("ECDSA signature values out of range")
    return r, s


class EcdsaContext:
    """An ECDSA session: one key on one of the spec's curves."""

    def __init__(self, params: AkcipherParams) -> None:
        try:
            self._info = CURVES[params.curve]
        except KeyError:
            raise UnsupportedAlgorithm(f"ECDSA curve {params.curve} is not supported") from None
        key = bytes(params.key)
        self._private: ec.EllipticCurvePrivateKey | None = None
        if params.key_type == AkcipherKeyType.PRIVATE:
            self._private = parse_private_key(key, self._info)
            self._public = self._private.public_key()
        elif params.key_type == AkcipherKeyType.PUBLIC:
            self._public = parse_public_key(key, self._info)
        else:
            raise InvalidKey(f"AKCIPHER key type {params.key_type} is neither public nor private")
        self.output_len = self._info.max_signature_size

    def encrypt(self, src: Buffer) -> bytes:
        raise UnsupportedAlgorithm("ECDSA cannot encrypt")

    def decrypt(self, src: Buffer) -> bytes:
        raise UnsupportedAlgorithm("ECDSA cannot decrypt")

    def sign(self, src: Buffer) -> bytes:
        if self._private is None:
            raise InvalidParameter("signing needs a session with a private key")
        prehash = normalize_digest(src, self._info)
        try:
            signature = self._private.sign(prehash, ec.ECDSA(_PREHASH))
        except _LIBRARY_ERRORS:
            raise InvalidParameter("ECDSA signature failed") from None
        # A faulty signature computation can leak the private key: check before releasing it.
        try:
            self._public.verify(signature, prehash, ec.ECDSA(_PREHASH))
        except (InvalidSignature, *_LIBRARY_ERRORS):
            raise FaultDetected("fresh ECDSA signature did not verify") from None
        return signature

    def verify(self, signature: Buffer, message: Buffer) -> None:
        prehash = normalize_digest(message, self._info)
        r, s = parse_signature(bytes(signature), self._info)
        try:
            self._public.verify(utils.encode_dss_signature(r, s), prehash, ec.ECDSA(_PREHASH))
        except (InvalidSignature, *_LIBRARY_ERRORS):
            raise SignatureRejected("ECDSA signature does not verify") from None
