"""AKCIPHER (RSA, ECDSA): published known answers and cross-checks against pyca ``cryptography``.

Keys travel in the spec's encodings (PKCS#1 DER for RSA, RFC 5915 DER private and SEC1 public points
for ECDSA); signing and verifying take the digest, which the check computes with ``cryptography``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from ..driver import CryptoDriver
from ..spec.constants import AkcipherAlgo, AkcipherKeyType, Curve, Opcode, RsaHash, RsaPadding, Service
from ..spec.params import AkcipherParams
from . import known_answers as KA
from .attempt import show
from .check_symmetric import Task, TaskBody, _skip
from .results import expect
from .sessions import handle
from .target import Layout, Offer

# A private key's DER must fit QEMU's 1024-byte limit on forwarded keys (cryptodev mode, 1072 layout).
RSA_BITS = 1024


def rsa_params(key: bytes, key_type: int, rsa_hash: int = RsaHash.NO_HASH) -> AkcipherParams:
    return AkcipherParams(AkcipherAlgo.RSA, key_type, key, rsa_padding=RsaPadding.PKCS1, rsa_hash=rsa_hash)


def ecdsa_params(key: bytes, key_type: int, curve: int) -> AkcipherParams:
    return AkcipherParams(AkcipherAlgo.ECDSA, key_type, key, curve=curve)


def rsa_public_der(private_der: bytes) -> bytes:
    """The PKCS#1 RSAPublicKey DER of a PKCS#1 private key."""
    key = serialization.load_der_private_key(private_der, None)
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def _private_der(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _rsa_known_answer(driver: CryptoDriver, layout: Layout) -> None:
    for v in KA.RSA_SIGNS:
        with handle(driver, rsa_params(v.key, AkcipherKeyType.PRIVATE, v.rsa_hash), layout) as target:
            got = driver.akcipher(Opcode.AKCIPHER_SIGN, target, v.digest, len(v.signature))
        expect(got == v.signature, f"{v.source}: signature {show(got)}, expected {show(v.signature)}")
    for d in KA.RSA_DECRYPTS:
        with handle(driver, rsa_params(d.key, AkcipherKeyType.PRIVATE), layout) as target:
            got = driver.akcipher(Opcode.AKCIPHER_DECRYPT, target, d.ciphertext, len(d.ciphertext))
        expect(got == d.message, f"{d.source}: decryption {show(got)}, expected {show(d.message)}")


def _ecdsa_known_answer(driver: CryptoDriver, layout: Layout) -> None:
    for v in KA.ECDSA_VERIFIES:
        if v.valid:
            with handle(driver, ecdsa_params(v.key, AkcipherKeyType.PUBLIC, v.curve), layout) as target:
                driver.verify(target, v.signature, v.digest)


def _rsa_round_trip(driver: CryptoDriver, layout: Layout) -> None:
    key = rsa.generate_private_key(65537, RSA_BITS)
    size = RSA_BITS // 8
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    message = os.urandom(40)
    with handle(driver, rsa_params(public, AkcipherKeyType.PUBLIC), layout) as target:
        ciphertext = driver.akcipher(Opcode.AKCIPHER_ENCRYPT, target, message, size)
    try:
        plain = key.decrypt(ciphertext, padding.PKCS1v15())
    except ValueError:
        plain = b""
    expect(plain == message, f"pyca cryptography decrypts the device's ciphertext to {show(plain)}")
    digest = os.urandom(32)
    with handle(driver, rsa_params(_private_der(key), AkcipherKeyType.PRIVATE, RsaHash.SHA256), layout) as t:
        signature = driver.akcipher(Opcode.AKCIPHER_SIGN, t, digest, size)
    try:
        key.public_key().verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        verified = True
    except InvalidSignature:
        verified = False
    expect(verified, f"pyca cryptography rejects the device's RSA signature {show(signature)}")


def _ecdsa_round_trip(driver: CryptoDriver, layout: Layout) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    digest = os.urandom(32)
    with handle(
        driver, ecdsa_params(_private_der(key), AkcipherKeyType.PRIVATE, Curve.NIST_P256), layout
    ) as t:
        signature = driver.akcipher(Opcode.AKCIPHER_SIGN, t, digest, 72)
    try:
        key.public_key().verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        verified = True
    except InvalidSignature:
        verified = False
    expect(verified, f"pyca cryptography rejects the device's ECDSA signature {show(signature)}")
    theirs = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    with handle(driver, ecdsa_params(point, AkcipherKeyType.PUBLIC, Curve.NIST_P256), layout) as target:
        driver.verify(target, theirs, digest)


_BODIES: dict[int, tuple[TaskBody, TaskBody]] = {
    AkcipherAlgo.RSA: (_rsa_known_answer, _rsa_round_trip),
    AkcipherAlgo.ECDSA: (_ecdsa_known_answer, _ecdsa_round_trip),
}


def tasks(offer: Offer) -> list[Task]:
    out: list[Task] = []
    unreachable = offer.unreachable(Service.AKCIPHER)
    for algo in sorted(offer.advertised(Service.AKCIPHER)):
        try:
            subject = AkcipherAlgo(algo).name
        except ValueError:
            subject = f"algorithm {algo}"
        bodies = _BODIES.get(algo)
        if unreachable or bodies is None:
            reason = unreachable or f"no vector and no reference for AKCIPHER {subject}"
            out.append(Task("akcipher.known-answer", subject, Service.AKCIPHER, _skip(reason)))
            continue
        out.append(Task("akcipher.known-answer", subject, Service.AKCIPHER, bodies[0]))
        out.append(Task("akcipher.round-trip", subject, Service.AKCIPHER, bodies[1]))
    return out
