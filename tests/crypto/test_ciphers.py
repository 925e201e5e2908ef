"""CIPHER providers against independent vectors (tests/vectors.py), their length rules, and hostile
lengths; plus the properties vectors cannot show: counter wrap, kept-context reuse, threads, in-place."""

from __future__ import annotations

import os
import threading
from collections import defaultdict

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import vectors
from vcrypto.crypto.base import CipherInfo, CryptoError, InvalidKey, InvalidParameter
from vcrypto.crypto.ciphers import CIPHERS, _AesCtrContext
from vcrypto.spec.constants import CipherAlgo

INFOS = {int(info.algo): info for info in CIPHERS}
CASES = vectors.cipher_cases()


def crypt(info: CipherInfo, key: bytes, encrypt: bool, iv: bytes, data: bytes) -> bytes:
    out = bytearray(len(data))
    info.new(key, encrypt).crypt(iv, data, memoryview(out))
    return bytes(out)


def case_id(case: vectors.CipherCase) -> str:
    return f"{CipherAlgo(case.algo).name}:{case.source}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_vector_both_directions(case: vectors.CipherCase) -> None:
    info = INFOS[case.algo]
    assert len(case.key) in info.key_lengths and len(case.iv) in info.iv_lengths
    assert len(case.plaintext) % info.block_size == 0
    assert crypt(info, case.key, True, case.iv, case.plaintext) == case.ciphertext
    assert crypt(info, case.key, False, case.iv, case.ciphertext) == case.plaintext


def test_every_cipher_has_vectors() -> None:
    covered = {case.algo for case in CASES}
    ours = {algo for algo in INFOS}
    assert ours <= covered


def test_one_context_serves_many_requests() -> None:
    """Kept contexts (ECB, CBC, F8, 3DES-CTR) must start each request afresh: run every vector of a key
    through a single context, forwards then backwards, in both directions."""
    by_key: dict[tuple[int, bytes], list[vectors.CipherCase]] = defaultdict(list)
    for case in CASES:
        by_key[(case.algo, case.key)].append(case)
    for (algo, key), cases in by_key.items():
        enc, dec = INFOS[algo].new(key, True), INFOS[algo].new(key, False)
        for case in cases + cases[::-1]:
            out = memoryview(bytearray(len(case.plaintext)))
            enc.crypt(case.iv, case.plaintext, out)
            assert out == case.ciphertext, case.source
            dec.crypt(case.iv, case.ciphertext, out)
            assert out == case.plaintext, case.source


def test_arc4_keystream_offsets() -> None:
    """RFC 6229 gives keystream bytes up to offset 4096+16: encrypt zeros that far."""
    by_key: dict[bytes, list[vectors.KeystreamCase]] = defaultdict(list)
    for case in vectors.arc4_keystream_cases():
        by_key[case.key].append(case)
    assert len(by_key) == 16
    for key, cases in by_key.items():
        end = max(c.offset + len(c.keystream) for c in cases)
        stream = crypt(INFOS[CipherAlgo.ARC4], key, True, b"", bytes(end))
        for c in cases:
            assert stream[c.offset : c.offset + len(c.keystream)] == c.keystream, c.source


@pytest.mark.parametrize("short", [0, 1 << 20], ids=["new-context-path", "ecb-path"])
def test_aes_ctr_both_paths(short: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """AES-CTR takes a kept-ECB path for short requests and a new CTR context for long ones: every
    vector through each."""
    monkeypatch.setattr(_AesCtrContext, "SHORT", short)
    info = INFOS[CipherAlgo.AES_CTR]
    for case in (c for c in CASES if c.algo == CipherAlgo.AES_CTR):
        assert crypt(info, case.key, True, case.iv, case.plaintext) == case.ciphertext, case.source
        assert crypt(info, case.key, False, case.iv, case.ciphertext) == case.plaintext, case.source


def _ecb(algorithm: object, blocks: list[bytes]) -> bytes:
    return Cipher(algorithm, modes.ECB()).encryptor().update(b"".join(blocks))  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [40, 300])  # both AES-CTR paths
def test_aes_ctr_counter_wraps_over_all_128_bits(size: int) -> None:
    key = os.urandom(16)
    data = os.urandom(size)
    stream = _ecb(algorithms.AES(key), [b"\xff" * 16] + [i.to_bytes(16) for i in range(size // 16)])
    assert crypt(INFOS[CipherAlgo.AES_CTR], key, True, b"\xff" * 16, data) == bytes(
        a ^ b for a, b in zip(data, stream, strict=False)
    )


@pytest.mark.parametrize("key_len", [16, 24])
def test_des3_ctr_counter_wraps_over_all_64_bits(key_len: int) -> None:
    key = os.urandom(key_len)
    data = os.urandom(20)
    start = b"\xff" * 7 + b"\xfe"
    stream = _ecb(TripleDES(key + key[:8] if key_len == 16 else key), [start, b"\xff" * 8, bytes(8)])
    assert crypt(INFOS[CipherAlgo.DES3_CTR], key, True, start, data) == bytes(
        a ^ b for a, b in zip(data, stream, strict=False)
    )


def _f8_textbook(key: bytes, iv: bytes, data: bytes) -> bytes:
    """RFC 3711 §4.1.2.1 transcribed block by block (reference for the AES-192/256 keys RFC 3711 has no
    vector for)."""
    k_e, k_s = key[:-14], key[-14:]
    mask = k_s + b"\x55" * (len(k_e) - 14)
    iv_prime = _ecb(algorithms.AES(bytes(a ^ b for a, b in zip(k_e, mask, strict=True))), [iv])
    out, s = bytearray(), bytes(16)
    for j in range(0, len(data), 16):
        block = (int.from_bytes(iv_prime) ^ (j // 16) ^ int.from_bytes(s)).to_bytes(16)
        s = _ecb(algorithms.AES(k_e), [block])
        out += bytes(a ^ b for a, b in zip(data[j : j + 16], s, strict=False))
    return bytes(out)


@pytest.mark.parametrize("key_len", [30, 38, 46])
@pytest.mark.parametrize("size", [1, 16, 17, 100, 4096])
def test_f8_matches_the_rfc_recurrence(key_len: int, size: int) -> None:
    key, iv, data = os.urandom(key_len), os.urandom(16), os.urandom(size)
    expected = _f8_textbook(key, iv, data)
    info = INFOS[CipherAlgo.AES_F8]
    assert crypt(info, key, True, iv, data) == expected
    assert crypt(info, key, False, iv, expected) == data


_REFERENCE_MODES = {
    CipherAlgo.AES_CBC: modes.CBC,
    CipherAlgo.DES3_CBC: modes.CBC,
    CipherAlgo.AES_CTR: modes.CTR,
    CipherAlgo.AES_ECB: None,
}


@pytest.mark.parametrize("algo", list(_REFERENCE_MODES))
@pytest.mark.parametrize("size", [16 * 256, 16 * 4096 + 16])
def test_large_data(algo: CipherAlgo, size: int) -> None:
    """Multi-call paths (the kept CBC context feeds head and tail separately) on big inputs, against
    cryptography's own mode as the reference."""
    info = INFOS[algo]
    key = os.urandom(info.key_lengths[-1])  # type: ignore[index]
    iv = os.urandom(next(iter(info.iv_lengths)))
    data = os.urandom(size)
    algorithm = algorithms.AES(key) if info.name.startswith("AES") else TripleDES(key)  # 24-byte key
    mode = _REFERENCE_MODES[algo]
    reference = Cipher(algorithm, mode(iv) if mode else modes.ECB()).encryptor().update(data)
    assert crypt(info, key, True, iv, data) == reference
    assert crypt(info, key, False, iv, reference) == data


def _longest_vectors() -> dict[int, vectors.CipherCase]:
    best: dict[int, vectors.CipherCase] = {}
    for case in CASES:
        if case.algo not in best or len(case.plaintext) > len(best[case.algo].plaintext):
            best[case.algo] = case
    return best


@pytest.mark.parametrize("case", _longest_vectors().values(), ids=case_id)
def test_in_place(case: vectors.CipherCase) -> None:
    """The destination may be the source (a guest can point both at the same memory)."""
    info = INFOS[case.algo]
    directions = ((True, case.plaintext, case.ciphertext), (False, case.ciphertext, case.plaintext))
    for encrypt, src, want in directions:
        buf = bytearray(src)
        view = memoryview(buf)
        info.new(case.key, encrypt).crypt(case.iv, view, view)
        assert buf == want


def test_threads_share_a_kept_context() -> None:
    """cryptography releases the GIL in update(); the kept CBC context must stay consistent."""
    key = os.urandom(16)
    enc = INFOS[CipherAlgo.AES_CBC].new(key, True)
    failures: list[str] = []

    def work() -> None:
        for _ in range(100):
            iv, data = os.urandom(16), os.urandom(16 * 64)
            out = memoryview(bytearray(len(data)))
            enc.crypt(iv, data, out)
            if out != Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor().update(data):
                failures.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


# --------------------------------------------------------------------------------------------------
# Length rules


def _valid(info: CipherInfo) -> tuple[bytes, bytes, int]:
    key = os.urandom(next(iter(info.key_lengths)))
    if info.algo == CipherAlgo.AES_XTS:
        key = bytes(range(len(key)))
    return key, bytes(next(iter(info.iv_lengths))), max(info.block_size, 16)


@pytest.mark.parametrize("info", CIPHERS, ids=lambda i: i.name)
def test_key_lengths(info: CipherInfo) -> None:
    for size in range(0, 80):
        key = bytes(range(size))
        if size in info.key_lengths:
            info.new(key, True)
            info.new(key, False)
        else:
            with pytest.raises(InvalidKey):
                info.new(key, True)


@pytest.mark.parametrize("info", CIPHERS, ids=lambda i: i.name)
def test_iv_and_data_lengths(info: CipherInfo) -> None:
    key, iv, size = _valid(info)
    ctx = info.new(key, True)
    for iv_len in range(0, 40):
        if iv_len not in info.iv_lengths:
            with pytest.raises(InvalidParameter):
                ctx.crypt(bytes(iv_len), bytes(size), memoryview(bytearray(size)))
    for bad in range(1, info.block_size):
        with pytest.raises(InvalidParameter):
            ctx.crypt(iv, bytes(size + bad), memoryview(bytearray(size + bad)))
    with pytest.raises(InvalidParameter):
        ctx.crypt(iv, bytes(size), memoryview(bytearray(size + 1)))  # dst must match src


def test_xts_rules() -> None:
    info = INFOS[CipherAlgo.AES_XTS]
    with pytest.raises(InvalidKey):
        info.new(bytes(16) * 2, True)  # equal halves
    ctx = info.new(bytes(range(32)), True)
    for size in (0, 1, 15):
        with pytest.raises(InvalidParameter):
            ctx.crypt(bytes(16), bytes(size), memoryview(bytearray(size)))
    ctx.crypt(bytes(16), bytes(17), memoryview(bytearray(17)))  # ciphertext stealing


def test_empty_data_is_a_no_op() -> None:
    for info in CIPHERS:
        if info.algo != CipherAlgo.AES_XTS:
            key, iv, _ = _valid(info)
            info.new(key, True).crypt(iv, b"", memoryview(bytearray()))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CIPHERS),
    st.booleans(),
    st.integers(0, 70),
    st.integers(0, 40),
    st.integers(0, 300),
    st.integers(0, 2),
)
def test_only_typed_errors(
    info: CipherInfo, encrypt: bool, key_len: int, iv_len: int, size: int, dst_delta: int
) -> None:
    try:
        ctx = info.new(bytes(range(key_len)), encrypt)
        ctx.crypt(bytes(iv_len), os.urandom(size), memoryview(bytearray(size + dst_delta)))
    except CryptoError:
        pass
