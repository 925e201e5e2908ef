"""CIPHER, HASH, MAC and AEAD: known answers and randomised round trips, for every advertised algorithm.

Each task is one (requirement, algorithm) and runs once per layout on a driver negotiated for it; the
runner tallies the layouts. An algorithm with no shipped vector gets a SKIP for its known answer, one
without a reference in pyca ``cryptography`` / ``hashlib`` a SKIP for its round trip: never a PASS.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..driver import CryptoDriver
from ..spec.constants import (
    AeadAlgo,
    ChainOrder,
    CipherAlgo,
    Direction,
    HashAlgo,
    HashMode,
    MacAlgo,
    Service,
)
from ..spec.params import AeadParams, ChainParams, CipherParams, HashParams, MacParams
from . import known_answers as KA
from . import reference
from .attempt import show
from .results import Skipped, expect
from .sessions import handle
from .target import Layout, Offer

TaskBody = Callable[[CryptoDriver, Layout], str | None]


@dataclass(frozen=True, slots=True)
class Task:
    requirement_id: str
    subject: str
    service: Service
    body: TaskBody


def _name(enum: type, algo: int) -> str:
    try:
        return enum(algo).name
    except ValueError:
        return f"algorithm {algo}"


def _skip(reason: str) -> TaskBody:
    def body(driver: CryptoDriver, layout: Layout) -> None:
        raise Skipped(reason)

    return body


# --- CIPHER ------------------------------------------------------------------------------------------


def _cipher_known_answer(algo: int) -> TaskBody:
    vectors = [v for v in KA.CIPHERS if v.algo == algo]

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if not vectors:
            raise Skipped(f"no published vector shipped for {_name(CipherAlgo, algo)}")
        for v in vectors:
            with handle(driver, CipherParams(algo, v.key, Direction.ENCRYPT), layout) as target:
                got = driver.encrypt(target, v.iv, v.plaintext)
            expect(
                got == v.ciphertext, f"{v.source}: encrypt gave {show(got)}, expected {show(v.ciphertext)}"
            )
            with handle(driver, CipherParams(algo, v.key, Direction.DECRYPT), layout) as target:
                got = driver.decrypt(target, v.iv, v.ciphertext)
            expect(got == v.plaintext, f"{v.source}: decrypt gave {show(got)}, expected {show(v.plaintext)}")

    return body


def _cipher_round_trip(algo: int) -> TaskBody:
    ref = reference.CIPHERS.get(algo)
    vector = next((v for v in KA.CIPHERS if v.algo == algo), None)

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if ref is None or vector is None:
            raise Skipped(f"no reference implementation of {_name(CipherAlgo, algo)} in pyca cryptography")
        key, iv = os.urandom(len(vector.key)), os.urandom(len(vector.iv))
        data = os.urandom(3 * ref.data_unit + (5 if ref.data_unit == 1 else 0))
        expected = ref.encrypt(key, iv, data)
        with handle(driver, CipherParams(algo, key, Direction.ENCRYPT), layout) as target:
            got = driver.encrypt(target, iv, data)
        expect(got == expected, f"random encrypt gave {show(got)}, pyca cryptography {show(expected)}")
        with handle(driver, CipherParams(algo, key, Direction.DECRYPT), layout) as target:
            back = driver.decrypt(target, iv, got)
        expect(back == data, f"decrypt of the ciphertext gave {show(back)}, expected {show(data)}")

    return body


def _chaining(cipher: int, auth: HashParams | MacParams, mode: HashMode) -> TaskBody:
    ref = reference.CIPHERS[cipher]
    vector = next(v for v in KA.CIPHERS if v.algo == cipher)

    def digest(data: bytes, key: bytes) -> bytes:
        if isinstance(auth, MacParams):
            return reference.MACS[auth.algo].tag(key, data)[: auth.result_len]
        result = reference.hash_digest(auth.algo, data, auth.result_len)
        assert result is not None
        return result

    def body(driver: CryptoDriver, layout: Layout) -> None:
        key, iv = os.urandom(len(vector.key)), os.urandom(len(vector.iv))
        data = os.urandom(4 * ref.data_unit + (7 if ref.data_unit == 1 else 0))
        auth_key = os.urandom(32) if isinstance(auth, MacParams) else b""
        params_auth = MacParams(auth.algo, auth.result_len, auth_key) if isinstance(auth, MacParams) else auth
        ciphertext = ref.encrypt(key, iv, data)
        for order, hashed in (
            (ChainOrder.CIPHER_THEN_HASH, ciphertext),
            (ChainOrder.HASH_THEN_CIPHER, data),
        ):
            params = ChainParams(CipherParams(cipher, key, Direction.ENCRYPT), order, mode, params_auth, 0)
            with handle(driver, params, layout) as target:
                dst, tag = driver.chain(True, target, iv, data, hash_result_len=auth.result_len)
            expect(dst == ciphertext, f"{order.name}: destination {show(dst)}, expected {show(ciphertext)}")
            want = digest(hashed, auth_key)
            expect(tag == want, f"{order.name}: hash result {show(tag)}, expected {show(want)}")

    return body


def _chaining_tasks(offer: Offer) -> list[Task]:
    ciphers = [a for a in sorted(offer.advertised(Service.CIPHER)) if a in reference.CIPHERS]
    if not ciphers:
        return []
    cipher = CipherAlgo.AES_CBC if CipherAlgo.AES_CBC in ciphers else ciphers[0]
    tasks = []
    hashes = [a for a in sorted(offer.advertised(Service.HASH)) if reference.hash_length(a)]
    if hashes:
        algo = HashAlgo.SHA_256 if HashAlgo.SHA_256 in hashes else hashes[0]
        auth = HashParams(algo, reference.hash_length(algo) or 0)
        subject = f"{_name(CipherAlgo, cipher)}+{_name(HashAlgo, algo)}"
        tasks.append(
            Task("cipher.chaining", subject, Service.CIPHER, _chaining(cipher, auth, HashMode.PLAIN))
        )
    macs = [
        a for a in sorted(offer.advertised(Service.MAC)) if a in reference.MACS and a <= MacAlgo.HMAC_SHA_512
    ]
    if macs:
        algo = MacAlgo.HMAC_SHA_256 if MacAlgo.HMAC_SHA_256 in macs else macs[0]
        mac = MacParams(algo, len(reference.MACS[algo].tag(b"k", b"")), b"")
        subject = f"{_name(CipherAlgo, cipher)}+{_name(MacAlgo, algo)}"
        tasks.append(Task("cipher.chaining", subject, Service.CIPHER, _chaining(cipher, mac, HashMode.AUTH)))
    return tasks


# --- HASH --------------------------------------------------------------------------------------------


def _hash_known_answer(algo: int) -> TaskBody:
    vectors = [v for v in KA.HASHES if v.algo == algo]

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if not vectors:
            raise Skipped(f"no published vector shipped for {_name(HashAlgo, algo)}")
        for v in vectors:
            with handle(driver, HashParams(algo, len(v.digest)), layout) as target:
                got = driver.hash(target, v.message, len(v.digest))
            expect(got == v.digest, f"{v.source}: digest {show(got)}, expected {show(v.digest)}")

    return body


def _hash_round_trip(algo: int) -> TaskBody:
    length = reference.hash_length(algo)

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if not length:
            raise Skipped(f"no reference implementation of {_name(HashAlgo, algo)} in hashlib")
        data = os.urandom(203)
        expected = reference.hash_digest(algo, data, length)
        with handle(driver, HashParams(algo, length), layout) as target:
            got = driver.hash(target, data, length)
        expect(got == expected, f"digest of random data {show(got)}, hashlib {show(expected or b'')}")

    return body


# --- MAC ---------------------------------------------------------------------------------------------


def _mac_known_answer(algo: int) -> TaskBody:
    vectors = [v for v in KA.MACS if v.algo == algo]

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if not vectors:
            raise Skipped(f"no published vector shipped for {_name(MacAlgo, algo)}")
        for v in vectors:
            with handle(driver, MacParams(algo, len(v.tag), v.key), layout) as target:
                got = driver.mac(target, v.message, len(v.tag))
            expect(got == v.tag, f"{v.source}: tag {show(got)}, expected {show(v.tag)}")

    return body


def _mac_round_trip(algo: int) -> TaskBody:
    ref = reference.MACS.get(algo)

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if ref is None:
            raise Skipped(f"no reference implementation of {_name(MacAlgo, algo)} in pyca cryptography")
        key = os.urandom(ref.key_len)
        data = os.urandom(ref.prefix + 5 * ref.data_unit + (3 if ref.data_unit == 1 else 0))
        expected = ref.tag(key, data)
        with handle(driver, MacParams(algo, len(expected), key), layout) as target:
            got = driver.mac(target, data, len(expected))
        expect(got == expected, f"tag of random data {show(got)}, pyca cryptography {show(expected)}")

    return body


# --- AEAD --------------------------------------------------------------------------------------------


def _aead_known_answer(algo: int) -> TaskBody:
    vectors = [v for v in KA.AEADS if v.algo == algo and v.valid]

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if not vectors:
            raise Skipped(f"no published vector shipped for {_name(AeadAlgo, algo)}")
        for v in vectors:
            tag_len, sealed = len(v.tag), v.ciphertext + v.tag
            params = AeadParams(algo, v.key, tag_len, len(v.aad), Direction.ENCRYPT)
            with handle(driver, params, layout) as target:
                got = driver.aead_encrypt(target, v.iv, v.plaintext, v.aad, tag_len)
            expect(got == sealed, f"{v.source}: encrypt gave {show(got)}, expected {show(sealed)}")
            params = AeadParams(algo, v.key, tag_len, len(v.aad), Direction.DECRYPT)
            with handle(driver, params, layout) as target:
                got = driver.aead_decrypt(target, v.iv, sealed, v.aad, tag_len)
            expect(got == v.plaintext, f"{v.source}: decrypt gave {show(got)}, expected {show(v.plaintext)}")

    return body


def _aead_round_trip(algo: int) -> TaskBody:
    ref = reference.AEADS.get(algo)

    def body(driver: CryptoDriver, layout: Layout) -> None:
        if ref is None:
            raise Skipped(f"no reference implementation of {_name(AeadAlgo, algo)} in pyca cryptography")
        key, iv, aad, data = os.urandom(ref.key_len), os.urandom(ref.iv_len), os.urandom(19), os.urandom(77)
        expected = ref.seal(key, iv, aad, data)
        params = AeadParams(algo, key, ref.tag_len, len(aad), Direction.ENCRYPT)
        with handle(driver, params, layout) as target:
            got = driver.aead_encrypt(target, iv, data, aad, ref.tag_len)
        expect(got == expected, f"random encrypt gave {show(got)}, pyca cryptography {show(expected)}")
        params = AeadParams(algo, key, ref.tag_len, len(aad), Direction.DECRYPT)
        with handle(driver, params, layout) as target:
            back = driver.aead_decrypt(target, iv, got, aad, ref.tag_len)
        expect(back == data, f"decrypt gave {show(back)}, expected {show(data)}")

    return body


_SERVICES: tuple[tuple[Service, type, str, Callable[[int], TaskBody], Callable[[int], TaskBody]], ...] = (
    (Service.CIPHER, CipherAlgo, "cipher", _cipher_known_answer, _cipher_round_trip),
    (Service.HASH, HashAlgo, "hash", _hash_known_answer, _hash_round_trip),
    (Service.MAC, MacAlgo, "mac", _mac_known_answer, _mac_round_trip),
    (Service.AEAD, AeadAlgo, "aead", _aead_known_answer, _aead_round_trip),
)


def tasks(offer: Offer) -> list[Task]:
    """Every symmetric task the offer calls for; unreachable services give SKIP tasks."""
    out: list[Task] = []
    for service, enum, area, known_answer, round_trip in _SERVICES:
        unreachable = offer.unreachable(service)
        for algo in sorted(offer.advertised(service)):
            subject = _name(enum, algo)
            if unreachable:
                out.append(Task(f"{area}.known-answer", subject, service, _skip(unreachable)))
                continue
            out.append(Task(f"{area}.known-answer", subject, service, known_answer(algo)))
            out.append(Task(f"{area}.round-trip", subject, service, round_trip(algo)))
        if service == Service.CIPHER and not unreachable:
            out += _chaining_tasks(offer)
    return out
