"""Algorithm chaining against the composition of the two primitives, computed independently.

The expected values come from ``cryptography``'s AES and the standard library's ``hmac``/``hashlib``,
composed as the device documents: cipher a region of the source, hash AAD || the hash region of the
data as it stands at that step (source for HASH_THEN_CIPHER, destination for CIPHER_THEN_HASH).
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vcrypto.driver import CryptoDriver
from vcrypto.spec.constants import (
    ALL_STATELESS,
    ChainOrder,
    CipherAlgo,
    Direction,
    Feature,
    HashAlgo,
    HashMode,
    MacAlgo,
)
from vcrypto.spec.params import ChainParams, CipherParams, HashParams, MacParams

MODES = [
    pytest.param(0, False, id="legacy-session"),
    pytest.param(Feature.REVISION_1, False, id="rev1-session"),
    pytest.param(Feature.REVISION_1 | ALL_STATELESS, True, id="rev1-stateless"),
]


def aes(mode: modes.Mode, key: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), mode)
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


@pytest.mark.parametrize("features, stateless", MODES)
@pytest.mark.parametrize("order", [ChainOrder.HASH_THEN_CIPHER, ChainOrder.CIPHER_THEN_HASH])
@pytest.mark.parametrize("encrypt", [True, False])
def test_aes_cbc_with_hmac_sha256(features: int, stateless: bool, order: ChainOrder, encrypt: bool) -> None:
    driver = CryptoDriver.open(features)
    key, auth_key, iv = os.urandom(32), os.urandom(40), os.urandom(16)
    data, aad = os.urandom(96), os.urandom(13)
    c_off, c_len, h_off, h_len = 16, 64, 8, 80
    direction = Direction.ENCRYPT if encrypt else Direction.DECRYPT
    params = ChainParams(
        CipherParams(CipherAlgo.AES_CBC, key, direction),
        order, HashMode.AUTH, MacParams(MacAlgo.HMAC_SHA_256, 32, auth_key), len(aad),
    )  # fmt: skip
    target = params if stateless else driver.create_session(params)
    dst, digest = driver.chain(
        encrypt, target, iv, data, aad=aad, cipher_range=(c_off, c_len), hash_range=(h_off, h_len),
        hash_result_len=32,
    )  # fmt: skip

    expected = bytearray(data)
    expected[c_off : c_off + c_len] = aes(modes.CBC(iv), key, data[c_off : c_off + c_len], encrypt)
    hashed = data if order == ChainOrder.HASH_THEN_CIPHER else bytes(expected)
    assert dst == bytes(expected)
    assert digest == hmac.new(auth_key, aad + hashed[h_off : h_off + h_len], hashlib.sha256).digest()


@pytest.mark.parametrize("features, stateless", MODES)
def test_aes_ctr_with_plain_sha1_truncated(features: int, stateless: bool) -> None:
    driver = CryptoDriver.open(features)
    key, iv, data = os.urandom(16), os.urandom(16), os.urandom(37)
    params = ChainParams(
        CipherParams(CipherAlgo.AES_CTR, key, Direction.ENCRYPT),
        ChainOrder.CIPHER_THEN_HASH, HashMode.PLAIN, HashParams(HashAlgo.SHA1, 12), 0,
    )  # fmt: skip
    target = params if stateless else driver.create_session(params)
    dst, digest = driver.chain(True, target, iv, data, hash_result_len=12)
    ciphertext = aes(modes.CTR(iv), key, data, True)
    assert dst == ciphertext
    assert digest == hashlib.sha1(ciphertext).digest()[:12]
