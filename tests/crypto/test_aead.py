"""AEAD providers against independent vectors (tests/vectors.py): NIST CAVP and Wycheproof for GCM
(also sent as J0) and CCM, RFC 7539 / OpenSSL / Wycheproof for ChaCha20-Poly1305; tampering; length
rules; hostile input."""

from __future__ import annotations

import contextlib
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import vectors
from vcrypto.crypto.aead import AEADS
from vcrypto.crypto.base import AeadInfo, CryptoError, InvalidKey, InvalidParameter, InvalidTag
from vcrypto.spec.constants import AeadAlgo

INFOS = {int(info.algo): info for info in AEADS}
CASES = vectors.aead_cases()


def case_id(case: vectors.AeadCase) -> str:
    return f"{AeadAlgo(case.algo).name}:{case.source}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_vector(case: vectors.AeadCase) -> None:
    info = INFOS[case.algo]
    assert len(case.key) in info.key_lengths and len(case.iv) in info.iv_lengths
    assert len(case.tag) in info.tag_lengths
    ctx = info.new(case.key)
    if case.valid:
        assert ctx.encrypt(case.iv, case.aad, case.plaintext, len(case.tag)) == case.ciphertext + case.tag
        assert ctx.decrypt(case.iv, case.aad, case.ciphertext, case.tag) == case.plaintext
    else:
        with pytest.raises(InvalidTag):
            ctx.decrypt(case.iv, case.aad, case.ciphertext, case.tag)


def test_coverage() -> None:
    """Every AEAD, every GCM IV form and tag length, CCM's nonce and tag lengths, and invalid cases."""
    assert set(INFOS) <= {c.algo for c in CASES if c.valid} & {c.algo for c in CASES if not c.valid}
    for algo in INFOS:
        info = INFOS[algo]
        valid = [c for c in CASES if c.algo == algo and c.valid]
        assert {len(c.iv) for c in valid} == set(info.iv_lengths), info.name
        assert {len(c.tag) for c in valid} == set(info.tag_lengths), info.name
        assert {len(c.key) for c in valid} == set(info.key_lengths), info.name


def _valid_cases(algo: AeadAlgo, count: int) -> list[vectors.AeadCase]:
    cases = [c for c in CASES if c.algo == algo and c.valid and c.plaintext and c.aad]
    return cases[:: max(1, len(cases) // count)][:count]


@pytest.mark.parametrize("case", [c for algo in AeadAlgo if algo for c in _valid_cases(algo, 6)], ids=case_id)
@pytest.mark.parametrize("part", ["ciphertext", "tag", "aad", "iv"])
def test_tampering_is_detected(case: vectors.AeadCase, part: str) -> None:
    fields = {"iv": case.iv, "aad": case.aad, "ciphertext": case.ciphertext, "tag": case.tag}
    changed = bytearray(fields[part])
    changed[len(changed) // 2] ^= 0x01
    fields[part] = bytes(changed)
    ctx = INFOS[case.algo].new(case.key)
    with pytest.raises(InvalidTag):
        ctx.decrypt(fields["iv"], fields["aad"], fields["ciphertext"], fields["tag"])


# --------------------------------------------------------------------------------------------------
# GCM from J0, against SP 800-38D transcribed (GCTR with inc32, GHASH): the counter's low 32 bits wrap
# without carrying into the rest of the block, which random vectors almost never reach.


def _inc32(block: bytes) -> bytes:
    return block[:12] + ((int.from_bytes(block[12:]) + 1) % (1 << 32)).to_bytes(4)


def _reference_gcm(key: bytes, j0: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    h = int.from_bytes(ecb.update(bytes(16)))
    stream, counter = b"", _inc32(j0)
    while len(stream) < len(plaintext):
        stream += ecb.update(counter)
        counter = _inc32(counter)
    ciphertext = bytes(a ^ b for a, b in zip(plaintext, stream, strict=False))
    blocks = aad + bytes(-len(aad) % 16) + ciphertext + bytes(-len(ciphertext) % 16)
    blocks += (8 * len(aad)).to_bytes(8) + (8 * len(ciphertext)).to_bytes(8)
    s = 0
    for i in range(0, len(blocks), 16):
        s = vectors._gf_mul(s ^ int.from_bytes(blocks[i : i + 16]), h)
    tag = (s ^ int.from_bytes(ecb.update(j0))).to_bytes(16)
    return ciphertext, tag


@pytest.mark.parametrize("low", [0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFA, 0, 1234])
@pytest.mark.parametrize("key_len", [16, 24, 32])
def test_gcm_j0_counter_wraps_in_32_bits(low: int, key_len: int) -> None:
    key, aad, plaintext = os.urandom(key_len), os.urandom(20), os.urandom(100)
    j0 = b"\xff" * 12 + low.to_bytes(4)  # a carry into the upper 96 bits would be visible here
    ciphertext, tag = _reference_gcm(key, j0, aad, plaintext)
    ctx = INFOS[AeadAlgo.GCM].new(key)
    assert ctx.encrypt(j0, aad, plaintext, 16) == ciphertext + tag
    assert ctx.encrypt(j0, aad, plaintext, 12) == ciphertext + tag[:12]
    assert ctx.decrypt(j0, aad, ciphertext, tag[:8]) == plaintext


def test_gcm_short_tag_decrypt() -> None:
    ctx = INFOS[AeadAlgo.GCM].new(bytes(16))
    iv, aad, data = bytes(12), b"hdr", os.urandom(50)
    for tag_len in (4, 8, 12, 13, 14, 15, 16):
        sealed = ctx.encrypt(iv, aad, data, tag_len)
        ciphertext, tag = sealed[:-tag_len], sealed[-tag_len:]
        assert ctx.decrypt(iv, aad, ciphertext, tag) == data
        with pytest.raises(InvalidTag):
            ctx.decrypt(iv, aad, ciphertext, bytes([tag[0] ^ 0x80]) + tag[1:])


def test_empty_inputs() -> None:
    for info in AEADS:
        ctx = info.new(bytes(max(info.key_lengths)))
        iv, tag_len = bytes(max(info.iv_lengths)), max(info.tag_lengths)
        sealed = ctx.encrypt(iv, b"", b"", tag_len)
        assert len(sealed) == tag_len
        assert ctx.decrypt(iv, b"", b"", sealed) == b""


def test_ccm_data_too_long_for_the_nonce() -> None:
    """A 13-byte nonce leaves a 2-byte length field: at most 65535 bytes."""
    ctx = INFOS[AeadAlgo.CCM].new(bytes(16))
    ctx.encrypt(bytes(13), b"", bytes(65535), 16)
    with pytest.raises(InvalidParameter):
        ctx.encrypt(bytes(13), b"", bytes(65536), 16)


def test_buffers_of_any_kind() -> None:
    for info in AEADS:
        ctx = info.new(bytes(max(info.key_lengths)))
        iv, tag_len = bytes(max(info.iv_lengths)), max(info.tag_lengths)
        sealed = ctx.encrypt(memoryview(iv), bytearray(b"a"), memoryview(b"data"), tag_len)
        ciphertext, tag = memoryview(sealed)[:-tag_len], bytearray(sealed[-tag_len:])
        assert ctx.decrypt(bytearray(iv), memoryview(b"a"), ciphertext, tag) == b"data"


# --------------------------------------------------------------------------------------------------
# Length rules


@pytest.mark.parametrize("info", AEADS, ids=lambda i: i.name)
def test_key_lengths(info: AeadInfo) -> None:
    for size in range(0, 80):
        if size in info.key_lengths:
            info.new(os.urandom(size))
        else:
            with pytest.raises(InvalidKey):
                info.new(os.urandom(size))


@pytest.mark.parametrize("info", AEADS, ids=lambda i: i.name)
def test_iv_and_tag_lengths(info: AeadInfo) -> None:
    ctx = info.new(bytes(max(info.key_lengths)))
    iv, tag_len = bytes(max(info.iv_lengths)), max(info.tag_lengths)
    for size in range(0, 40):
        if size not in info.iv_lengths:
            with pytest.raises(InvalidParameter):
                ctx.encrypt(bytes(size), b"", b"x", tag_len)
            with pytest.raises(InvalidParameter):
                ctx.decrypt(bytes(size), b"", b"x", bytes(tag_len))
    for size in range(-1, 40):
        if size not in info.tag_lengths:
            with pytest.raises(InvalidParameter):
                ctx.encrypt(iv, b"", b"x", size)
            with pytest.raises(InvalidParameter):
                ctx.decrypt(iv, b"", b"x", bytes(max(size, 0)))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(AEADS),
    st.integers(0, 40),
    st.integers(0, 20),
    st.binary(max_size=40),
    st.binary(max_size=100),
    st.integers(-1, 20),
)
def test_only_typed_errors(
    info: AeadInfo, key_len: int, iv_len: int, aad: bytes, data: bytes, tag_len: int
) -> None:
    try:
        ctx = info.new(os.urandom(key_len))
    except CryptoError:
        return
    for call in (
        lambda: ctx.encrypt(bytes(iv_len), aad, data, tag_len),
        lambda: ctx.decrypt(bytes(iv_len), aad, data, bytes(max(tag_len, 0))),
    ):
        with contextlib.suppress(CryptoError):
            call()
