"""MAC providers against independent vectors (tests/vectors.py), their key and result lengths, and
hostile input."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import vectors
from vcrypto.crypto.base import CryptoError, InvalidKey, InvalidParameter, MacInfo
from vcrypto.crypto.macs import MACS
from vcrypto.spec.constants import MacAlgo

INFOS = {int(info.algo): info for info in MACS}
CASES = vectors.mac_cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{MacAlgo(c.algo).name}:{c.source}")
def test_vector(case: vectors.MacCase) -> None:
    info = INFOS[case.algo]
    assert len(case.key) in info.key_lengths and len(case.tag) in info.result_lengths
    tag = info.new(case.key).mac(case.message, len(case.tag))
    assert (tag == case.tag) is case.valid


def test_every_mac_has_vectors() -> None:
    assert set(INFOS) <= {case.algo for case in CASES if case.valid}


def test_one_context_serves_many_requests() -> None:
    """CBC-MAC and XCBC keep a CBC context: every request must start from a zero chaining value."""
    for algo in (MacAlgo.CBCMAC_AES, MacAlgo.XCBC_AES):
        cases = [c for c in CASES if c.algo == algo]
        contexts = {c.key: INFOS[algo].new(c.key) for c in cases}
        for case in cases + cases[::-1]:
            assert contexts[case.key].mac(case.message, len(case.tag)) == case.tag, case.source


def test_iv_layout_documented_only_where_an_iv_is_needed() -> None:
    for info in MACS:
        assert bool(info.iv_layout) == (info.algo == MacAlgo.GMAC_AES), info.name


@pytest.mark.parametrize("info", MACS, ids=lambda i: i.name)
def test_key_lengths(info: MacInfo) -> None:
    for size in range(0, 80):
        if size in info.key_lengths:
            info.new(os.urandom(size))
        else:
            with pytest.raises(InvalidKey):
                info.new(os.urandom(size))


def test_hmac_takes_any_key_length() -> None:
    info = INFOS[MacAlgo.HMAC_SHA_256]
    for size in (0, 1, 64, 65, 512, 65535):
        assert len(info.new(bytes(size)).mac(b"m", 32)) == 32
    with pytest.raises(InvalidKey):
        info.new(bytes(65536))


@pytest.mark.parametrize("info", MACS, ids=lambda i: i.name)
def test_result_lengths(info: MacInfo) -> None:
    ctx = info.new(os.urandom(min(info.key_lengths)))
    data = bytes(32)  # valid for every MAC: two AES blocks, longer than the GMAC IV
    for length in range(-1, 70):
        if length in info.result_lengths:
            assert len(ctx.mac(data, length)) == length
        else:
            with pytest.raises(InvalidParameter):
                ctx.mac(data, length)


def test_gmac_needs_the_iv_in_the_data() -> None:
    ctx = INFOS[MacAlgo.GMAC_AES].new(bytes(16))
    for size in range(12):
        with pytest.raises(InvalidParameter):
            ctx.mac(bytes(size), 16)
    ctx.mac(bytes(12), 16)  # empty message


def test_cbc_mac_needs_whole_blocks() -> None:
    ctx = INFOS[MacAlgo.CBCMAC_AES].new(bytes(16))
    for size in (0, 1, 15, 17, 31):
        with pytest.raises(InvalidParameter):
            ctx.mac(bytes(size), 16)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MACS), st.integers(0, 70), st.binary(max_size=100), st.integers(-1, 70))
def test_only_typed_errors(info: MacInfo, key_len: int, data: bytes, length: int) -> None:
    with contextlib.suppress(CryptoError):
        info.new(os.urandom(key_len)).mac(data, length)
