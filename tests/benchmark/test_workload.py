"""The benchmark's references and its settings: each catalogue algorithm's expected output against
NIST CAVP / RFC / Wycheproof known answers (tests/vectors.py), percentiles, and what settings refuse."""

from __future__ import annotations

import copy

import pytest

from vcrypto.benchmark import ALGORITHMS, Settings, SettingsError
from vcrypto.benchmark.results import Latency, percentile
from vcrypto.benchmark.workload import (
    AEAD_NONCE,
    AEAD_TAG,
    AeadAlgorithm,
    Algorithm,
    CipherAlgorithm,
    HashAlgorithm,
    HmacAlgorithm,
)
from vcrypto.spec.constants import Status
from vcrypto.vhost_user.protocol import Mode

from ..vectors import aead_cases, cipher_cases, hash_cases, mac_cases

PER_ALGORITHM = 4


def keyed(algorithm: Algorithm, key: bytes) -> Algorithm:
    clone = copy.copy(algorithm)
    clone.key = key
    return clone


def known_answers(algorithm: Algorithm) -> list[tuple[Algorithm, bytes, bytes, bytes, bytes]]:
    """(algorithm with the vector's key, data, iv, aad, expected output prefix) for this entry."""
    found: list[tuple[Algorithm, bytes, bytes, bytes, bytes]] = []
    if isinstance(algorithm, CipherAlgorithm):
        for case in cipher_cases():
            if (
                case.algo == algorithm.algo and len(case.key) == len(algorithm.key) and case.plaintext
                and algorithm.size_error(len(case.plaintext)) is None
            ):  # fmt: skip
                found.append((keyed(algorithm, case.key), case.plaintext, case.iv, b"", case.ciphertext))
    elif isinstance(algorithm, HashAlgorithm):
        for case in hash_cases():
            if case.algo == algorithm.algo:
                found.append((algorithm, case.message, b"", b"", case.digest))
    elif isinstance(algorithm, HmacAlgorithm):
        for case in mac_cases():
            if case.algo == algorithm.algo and case.valid:
                found.append((keyed(algorithm, case.key), case.message, b"", b"", case.tag))
    elif isinstance(algorithm, AeadAlgorithm):
        for case in aead_cases():
            if (
                case.algo == algorithm.algo and case.valid and len(case.key) == len(algorithm.key)
                and len(case.iv) == AEAD_NONCE and len(case.tag) == AEAD_TAG
            ):  # fmt: skip
                found.append(
                    (
                        keyed(algorithm, case.key),
                        case.plaintext,
                        case.iv,
                        case.aad,
                        case.ciphertext + case.tag,
                    )
                )
    step = max(1, len(found) // PER_ALGORITHM)
    return found[::step][:PER_ALGORITHM]


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_references_match_known_answers(name):
    cases = known_answers(ALGORITHMS[name])
    assert cases, f"no known answer for {name}"
    for algorithm, data, iv, aad, expected in cases:
        output = algorithm.reference(data, iv, aad)
        assert output[: len(expected)] == expected


def test_requests_expect_the_reference_and_status_ok():
    algorithm = ALGORITHMS["aes-128-cbc"]
    request = algorithm.request(7, 64, 3, revision_1=True)
    assert request.writable == [64, 1]
    assert request.expected[-1] == Status.OK and len(request.expected) == request.used == 65
    data = algorithm.payload(64, 3)
    iv = bytes(request.readable[1])
    assert bytes(request.readable[2]) == data
    assert request.expected[:-1] == algorithm.reference(data, iv)
    # slots differ: every one is verified on its own
    assert algorithm.request(7, 64, 4, True).expected != request.expected


def test_percentile_is_nearest_rank():
    samples = list(range(1, 101))
    assert percentile(samples, 0.5) == 50
    assert percentile(samples, 0.99) == 99
    assert percentile(samples, 1.0) == 100
    assert percentile([5], 0.99) == 5
    latency = Latency.of([3000, 1000, 2000])
    assert (latency.min_us, latency.p50_us, latency.max_us, latency.mean_us) == (1.0, 2.0, 3.0, 2.0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"socket_path": ""}, "--socket-path is required"),
        ({"algorithms": ("aes-128-foo",)}, "unknown algorithm"),
        ({"algorithms": ("sha256",), "mode": Mode.CRYPTODEV}, "cipher sessions only"),
        ({"sizes": (65,)}, "multiple of 16"),
        ({"sizes": (0,)}, "between 1 and"),
        ({"algorithms": ("aes-128-xts",), "sizes": (8,)}, "at least 16"),
        ({"depth": 0}, "--depth"),
        ({"queues": 65}, "--queues"),
        ({"count": 10}, "either --seconds or --count"),
        ({"seconds": None}, "either --seconds or --count"),
        ({"seconds": -1.0}, "--seconds"),
        ({"sizes": (1 << 20,), "depth": 1024, "queues": 8}, "MiB of guest RAM"),
    ],
)
def test_settings_refuse(changes, message):
    with pytest.raises(SettingsError, match=message):
        Settings(**{"socket_path": "/tmp/x.sock", **changes}).validate()


def test_queue_size_holds_the_depth():
    assert Settings("/tmp/x.sock").queue_size() == 256
    assert Settings("/tmp/x.sock", depth=100).queue_size() == 1024  # 600 descriptors
