"""AKCIPHER through the wire format: Wycheproof and NIST cases via the driver API, every layout and mode.

The provider-level suite (tests/crypto/test_akcipher.py) runs every case; here a deterministic sample
of each file goes through create-session (or a stateless request), the data queue and the status byte.
"""

from __future__ import annotations

import itertools

import pytest

from tests import akcipher_vectors as V
from vcrypto.driver import CryptoDriver, StatusError
from vcrypto.spec.constants import (
    ALL_STATELESS,
    AkcipherKeyType,
    Feature,
    Opcode,
    RsaPadding,
    Service,
    Status,
)
from vcrypto.spec.params import AkcipherParams

MODES = [
    pytest.param(0, False, id="legacy-session"),
    pytest.param(Feature.REVISION_1, False, id="rev1-session"),
    pytest.param(Feature.REVISION_1 | ALL_STATELESS, True, id="rev1-stateless"),
]
EVERY = 23  # sample stride through each vector file


def sample(cases, stride: int = EVERY) -> list:
    return list(itertools.islice(cases, 0, None, stride))


def target(driver: CryptoDriver, params: AkcipherParams, stateless: bool) -> int | AkcipherParams:
    return params if stateless else driver.create_session(params)


def run_verify(driver: CryptoDriver, case: V.VerifyCase, stateless: bool) -> None:
    try:
        handle = target(driver, case.params, stateless)
    except StatusError as exc:  # a key the provider refuses: only acceptable for an invalid case
        assert case.result != "valid", (case.source, exc)
        return
    try:
        driver.verify(handle, case.signature, case.message)
        verdict = "valid"
    except StatusError as exc:
        assert exc.status in (Status.KEY_REJECTED, Status.ERR), (case.source, exc)
        verdict = "invalid"
    finally:
        if not stateless:
            driver.destroy_session(Service.AKCIPHER, handle)  # type: ignore[arg-type]
    if case.result != "acceptable":
        assert verdict == case.result, case.source


@pytest.mark.parametrize("features, stateless", MODES)
def test_rsa_and_ecdsa_verify(features: int, stateless: bool) -> None:
    driver = CryptoDriver.open(features)
    files = V.wycheproof_files(
        "Signature/wycheproof/rsa_signature_2048_sha256_test.json"
    ) + V.wycheproof_files("Signature/wycheproof/ecdsa_secp256r1_sha256_test.json")
    assert files
    cases = []
    for path in files:
        loader = V.wycheproof_ecdsa_verify if "ecdsa" in path.name else V.wycheproof_rsa_verify
        cases += sample(loader(path))
    cases += sample(V.nist_rsa_verify()) + sample(V.nist_ecdsa_verify())
    results = {case.result for case in cases}
    assert {"valid", "invalid"} <= results
    for case in cases:
        run_verify(driver, case, stateless)


@pytest.mark.parametrize("features, stateless", MODES)
def test_rsa_pkcs1_sign_is_exact(features: int, stateless: bool) -> None:
    driver = CryptoDriver.open(features)
    cases = [c for c in sample(V.nist_rsa_sign(), 11) if c.result == "valid"]
    assert cases
    for case in cases:
        handle = target(driver, case.params, stateless)
        signature = driver.akcipher(Opcode.AKCIPHER_SIGN, handle, case.message, len(case.signature))
        assert signature == case.signature, case.source


@pytest.mark.parametrize("features, stateless", MODES)
def test_rsa_pkcs1_decrypt(features: int, stateless: bool) -> None:
    driver = CryptoDriver.open(features)
    cases = []
    for path in V.wycheproof_files("Cipher/wycheproof/rsa_pkcs1_2048_test.json"):
        cases += [c for c in sample(V.wycheproof_rsa_decrypt(path), 5) if c.result == "valid"]
    assert cases
    for case in cases:
        handle = target(driver, case.params, stateless)
        assert driver.akcipher(Opcode.AKCIPHER_DECRYPT, handle, case.ciphertext, 512) == case.message


@pytest.mark.parametrize("features, stateless", MODES)
def test_rsa_raw_is_textbook_modexp(features: int, stateless: bool) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    driver = CryptoDriver.open(features)
    key = rsa.generate_private_key(65537, 2048)
    numbers = key.private_numbers()
    n, e, d = numbers.public_numbers.n, numbers.public_numbers.e, numbers.d
    private = AkcipherParams(1, AkcipherKeyType.PRIVATE, V.rsa_private_der(key), rsa_padding=RsaPadding.RAW)
    public = AkcipherParams(1, AkcipherKeyType.PUBLIC, V.rsa_public_der(n, e), rsa_padding=RsaPadding.RAW)
    message = 0x1234567890ABCDEF << 1000
    ciphertext = driver.akcipher(
        Opcode.AKCIPHER_ENCRYPT, target(driver, public, stateless), message.to_bytes(256), 256
    )
    assert ciphertext == pow(message, e, n).to_bytes(256)
    plaintext = driver.akcipher(Opcode.AKCIPHER_DECRYPT, target(driver, private, stateless), ciphertext, 256)
    assert plaintext == pow(int.from_bytes(ciphertext), d, n).to_bytes(256) == message.to_bytes(256)


def test_akcipher_status_paths() -> None:
    driver = CryptoDriver.open(Feature.REVISION_1)
    with pytest.raises(StatusError) as err:
        driver.create_session(AkcipherParams(1, AkcipherKeyType.PRIVATE, b"\x30\x03\x02\x01\x00"))
    assert err.value.status == Status.ERR  # malformed key
    with pytest.raises(StatusError) as err:
        driver.create_session(AkcipherParams(9, AkcipherKeyType.PRIVATE, b""))
    assert err.value.status == Status.NOTSUPP
    case = next(c for c in V.nist_rsa_verify() if c.result == "valid")
    public = driver.create_session(case.params)
    with pytest.raises(StatusError):  # signing needs the private key
        driver.akcipher(Opcode.AKCIPHER_SIGN, public, case.message, 512)
    with pytest.raises(StatusError) as err:
        driver.verify(public, bytes(len(case.signature)), case.message)
    assert err.value.status == Status.KEY_REJECTED
    driver.verify(public, case.signature, case.message)
