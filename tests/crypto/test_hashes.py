"""HASH providers against NIST CAVP and RFC 1321 vectors (tests/vectors.py), and their result lengths."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import vectors
from vcrypto.crypto.base import CryptoError, HashInfo, InvalidParameter
from vcrypto.crypto.hashes import HASHES, XOF_MAX
from vcrypto.spec.constants import HashAlgo

INFOS = {int(info.algo): info for info in HASHES}
CASES = vectors.hash_cases()
XOFS = (HashAlgo.SHA3_SHAKE128, HashAlgo.SHA3_SHAKE256)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{HashAlgo(c.algo).name}:{c.source}")
def test_vector(case: vectors.HashCase) -> None:
    info = INFOS[case.algo]
    assert len(case.digest) in info.result_lengths
    assert info.new().digest(case.message, len(case.digest)) == case.digest


def test_every_hash_has_vectors() -> None:
    assert set(INFOS) <= {case.algo for case in CASES}


@pytest.mark.parametrize("info", HASHES, ids=lambda i: i.name)
def test_result_lengths(info: HashInfo) -> None:
    ctx = info.new()
    top = XOF_MAX if info.algo in XOFS else max(info.result_lengths)
    assert list(info.result_lengths) == list(range(1, top + 1))
    assert len(ctx.digest(b"abc", top)) == top
    for bad in (0, -1, top + 1):
        with pytest.raises(InvalidParameter):
            ctx.digest(b"abc", bad)


def test_xof_output_is_a_prefix_of_longer_output() -> None:
    ctx = INFOS[HashAlgo.SHA3_SHAKE128].new()
    assert ctx.digest(b"x", 1000)[:33] == ctx.digest(b"x", 33)


def test_large_and_memoryview_input() -> None:
    data = bytes(range(256)) * 4096
    ctx = INFOS[HashAlgo.SHA_256].new()
    assert ctx.digest(memoryview(data), 32) == hashlib.sha256(data).digest()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(HASHES), st.binary(max_size=300), st.integers(-2, 70000))
def test_only_typed_errors(info: HashInfo, data: bytes, length: int) -> None:
    try:
        out = info.new().digest(data, length)
    except CryptoError:
        assert length not in info.result_lengths
    else:
        assert len(out) == length
