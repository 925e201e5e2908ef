"""Property tests: whatever a guest puts in a chain, the device answers with a status and never raises.

The device catches its own internal errors to keep serving, so "never raises" alone proves little;
these tests also fail on any internal-error log record, which is how such a bug would show.
"""

from __future__ import annotations

import logging
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vcrypto.device import CryptoDevice, DeviceConfig
from vcrypto.spec import encode
from vcrypto.spec.constants import (
    ALL_STATELESS,
    AeadAlgo,
    ChainOrder,
    CipherAlgo,
    Direction,
    Feature,
    HashAlgo,
    HashMode,
    MacAlgo,
    Opcode,
    Status,
)
from vcrypto.spec.params import AeadParams, ChainParams, CipherParams, HashParams, MacParams

FEATURES = st.sampled_from([0, Feature.REVISION_1, Feature.REVISION_1 | ALL_STATELESS])
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VALID_STATUSES = {int(s) for s in Status}


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


def make_device(features: int) -> CryptoDevice:
    device = CryptoDevice(DeviceConfig(max_size=1 << 16, max_sessions=64))
    device.set_driver_features(features)
    key = bytes(range(32))
    rev1 = bool(features)
    for params in (
        CipherParams(CipherAlgo.AES_CBC, key[:16], Direction.ENCRYPT),
        HashParams(HashAlgo.SHA_256, 32),
        MacParams(MacAlgo.HMAC_SHA1, 20, key),
        AeadParams(AeadAlgo.GCM, key[:16], 16, 0, Direction.DECRYPT),
        ChainParams(
            CipherParams(CipherAlgo.AES_CTR, key[:16], Direction.ENCRYPT),
            ChainOrder.CIPHER_THEN_HASH,
            HashMode.AUTH,
            MacParams(MacAlgo.HMAC_SHA_256, 16, key),
            0,
        ),
    ):
        writable = [bytearray(16)]
        device.process(device.control_queue, encode.create_session(params, rev1), writable)
        assert struct.unpack_from("<QI", writable[0])[1] == Status.OK
    return device


def valid_requests(rev1: bool) -> list[bytes]:
    """Well-formed requests on sessions 1..5 (as created above), as seeds for mutation."""
    return [
        b"".join(encode.create_session(CipherParams(CipherAlgo.AES_CBC, bytes(16), Direction.ENCRYPT), rev1)),
        b"".join(encode.create_session(MacParams(MacAlgo.CMAC_AES, 16, bytes(16)), rev1)),
        b"".join(encode.cipher(Opcode.CIPHER_ENCRYPT, 1, bytes(16), bytes(64), 64, rev1)),
        b"".join(encode.hash_(2, b"abc" * 9, 32, rev1)),
        b"".join(encode.mac(3, b"abc" * 9, 20, rev1)),
        b"".join(encode.aead(Opcode.AEAD_DECRYPT, 4, bytes(12), bytes(40), b"aad", 24, 16, rev1)),
        b"".join(
            encode.chain(
                Opcode.CIPHER_ENCRYPT,
                5,
                bytes(16),
                bytes(48),
                b"",
                dst_len=48,
                cipher_offset=16,
                cipher_len=32,
                hash_offset=0,
                hash_len=48,
                hash_result_len=16,
                revision_1=rev1,
            )
        ),
        b"".join(encode.hash_(HashParams(HashAlgo.SHA_256, 32), b"x", 32, True)),
        b"".join(
            encode.cipher(
                Opcode.CIPHER_ENCRYPT,
                CipherParams(CipherAlgo.AES_CTR, bytes(16), 1),
                bytes(16),
                b"y" * 33,
                33,
                True,
            )
        ),
    ]


@pytest.fixture
def no_internal_errors(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="vcrypto")
    yield
    internal = [r for r in caplog.records if "internal error" in r.getMessage()]
    assert not internal, internal[0].getMessage()


def check_answer(device: CryptoDevice, queue: int, readable: list[bytes], sizes: list[int]) -> None:
    writable = [bytearray(size) for size in sizes]
    used = device.process(queue, readable, writable)
    capacity = sum(sizes)
    assert 0 <= used <= capacity
    if queue != device.control_queue and capacity:
        last = [segment for segment in writable if segment][-1]
        assert used >= 1 and last[-1] in VALID_STATUSES


@SETTINGS
@given(
    features=FEATURES,
    queue=st.sampled_from([0, 1]),
    data=st.binary(max_size=400),
    cuts=st.lists(st.integers(0, 400), max_size=5),
    sizes=st.lists(st.integers(0, 300), max_size=4),
)
def test_random_chains_always_get_a_status(no_internal_errors, features, queue, data, cuts, sizes) -> None:
    device = make_device(features)
    check_answer(device, queue, split(data, cuts), sizes)


@SETTINGS
@given(
    features=FEATURES,
    index=st.integers(0, 8),
    edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=6),
    u32=st.lists(
        st.tuples(st.integers(0, 50), st.sampled_from([0, 1, 15, 16, 17, 2**31, 2**32 - 1])), max_size=3
    ),
    cut=st.integers(0, 400),
    cuts=st.lists(st.integers(0, 400), max_size=4),
    sizes=st.lists(st.integers(0, 200), min_size=1, max_size=3),
)
def test_mutated_requests_always_get_a_status(
    no_internal_errors, features, index, edits, u32, cut, cuts, sizes
) -> None:
    device = make_device(features)
    seeds = valid_requests(bool(features))
    request = bytearray(seeds[index])
    for position, value in edits:
        if position < len(request):
            request[position] = value
    for word, value in u32:  # lengths and offsets are u32 fields: set some to extreme values
        if 4 * word + 4 <= len(request):
            struct.pack_into("<I", request, 4 * word, value)
    request = request[: max(cut, 16)]
    queue = device.control_queue if index < 2 else 0
    check_answer(device, queue, split(bytes(request), cuts), sizes)
