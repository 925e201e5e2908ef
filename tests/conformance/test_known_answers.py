"""The vectors ``vcrypto check`` ships are the published ones: each equals a case of the independent
files the project's tests load (tests/vectors.py, tests/akcipher_vectors.py, the 3GPP data files), and
every algorithm our device implements has one."""

from __future__ import annotations

import json
from pathlib import Path

from tests import akcipher_vectors as A
from tests import vectors as V
from vcrypto.conformance import known_answers as KA
from vcrypto.crypto import registry
from vcrypto.crypto.akcipher import AKCIPHERS

THREEGPP = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


def threegpp(name: str) -> list[dict]:
    return json.loads((THREEGPP / name).read_text())["vectors"]


def test_cipher_vectors_are_published_cases() -> None:
    published = {(c.algo, c.key, c.iv, c.plaintext, c.ciphertext) for c in V.cipher_cases()}
    files = {"KASUMI_F8": "kasumi_f8.json", "SNOW3G_UEA2": "snow3g_uea2.json", "ZUC_EEA3": "zuc_eea3.json"}
    for v in KA.CIPHERS:
        if v.algo.name in files:
            raw = {(r["key"], r["iv"], r["plaintext"], r["ciphertext"]) for r in threegpp(files[v.algo.name])}
            assert (v.key.hex(), v.iv.hex(), v.plaintext.hex(), v.ciphertext.hex()) in raw, v.source
        else:
            assert (v.algo, v.key, v.iv, v.plaintext, v.ciphertext) in published, v.source


def test_hash_mac_aead_vectors_are_published_cases() -> None:
    hashes = {(c.algo, c.message, c.digest) for c in V.hash_cases()}
    assert all((v.algo, v.message, v.digest) in hashes for v in KA.HASHES)
    macs = {(c.algo, c.key, c.message, c.tag) for c in V.mac_cases() if c.valid}
    for v in KA.MACS:
        if v.algo.name in ("SNOW3G_UIA2", "ZUC_EIA3", "KASUMI_F9"):
            name = {"SNOW3G_UIA2": "snow3g_uia2", "ZUC_EIA3": "zuc_eia3", "KASUMI_F9": "kasumi_f9"}[
                v.algo.name
            ]
            assert (v.key.hex(), v.tag.hex()) in {(r["key"], r["mac"]) for r in threegpp(f"{name}.json")}
        else:
            assert (v.algo, v.key, v.message, v.tag) in macs, v.source
    aeads = {(c.algo, c.key, c.iv, c.aad, c.plaintext, c.ciphertext, c.tag, c.valid) for c in V.aead_cases()}
    for v in KA.AEADS:
        assert (v.algo, v.key, v.iv, v.aad, v.plaintext, v.ciphertext, v.tag, v.valid) in aeads, v.source
    assert {v.valid for v in KA.AEADS} == {True, False}  # tampered tags for status.badmsg


def test_akcipher_vectors_are_published_cases() -> None:
    signs = {(c.params.key, c.params.rsa_hash, c.message, c.signature) for c in A.nist_rsa_sign()}
    assert all((v.key, v.rsa_hash, v.digest, v.signature) in signs for v in KA.RSA_SIGNS)
    decrypts = {(c.params.key, c.ciphertext, c.message) for c in A.rsa_labs_decrypt()}
    assert all((v.key, v.ciphertext, v.message) in decrypts for v in KA.RSA_DECRYPTS)
    verifies = {
        (c.params.key, c.params.curve, c.signature, c.message, c.result) for c in A.nist_ecdsa_verify()
    }
    for v in KA.ECDSA_VERIFIES:
        result = "valid" if v.valid else "invalid"
        assert (v.key, v.curve, v.signature, v.digest, result) in verifies, v.source


def test_every_implemented_algorithm_has_a_vector() -> None:
    assert set(registry.CIPHERS) <= {v.algo for v in KA.CIPHERS}
    assert set(registry.HASHES) <= {v.algo for v in KA.HASHES}
    assert set(registry.MACS) <= {v.algo for v in KA.MACS}
    assert set(registry.AEADS) <= {v.algo for v in KA.AEADS}
    assert set(AKCIPHERS) == {1, 2} and KA.RSA_SIGNS and KA.RSA_DECRYPTS and KA.ECDSA_VERIFIES
