"""The registry: what the device may advertise is exactly what is implemented (and has vectors)."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from tests import vectors
from vcrypto.crypto import registry, threegpp
from vcrypto.spec.constants import AeadAlgo, CipherAlgo, HashAlgo, MacAlgo, Service

EXPECTED = {
    Service.CIPHER: {
        CipherAlgo.ARC4,
        CipherAlgo.AES_ECB,
        CipherAlgo.AES_CBC,
        CipherAlgo.AES_CTR,
        CipherAlgo.DES_ECB,
        CipherAlgo.DES_CBC,
        CipherAlgo.DES3_ECB,
        CipherAlgo.DES3_CBC,
        CipherAlgo.DES3_CTR,
        CipherAlgo.AES_F8,
        CipherAlgo.AES_XTS,
    },
    Service.HASH: set(HashAlgo) - {HashAlgo.NO_HASH},
    Service.MAC: {
        MacAlgo.HMAC_MD5,
        MacAlgo.HMAC_SHA1,
        MacAlgo.HMAC_SHA_224,
        MacAlgo.HMAC_SHA_256,
        MacAlgo.HMAC_SHA_384,
        MacAlgo.HMAC_SHA_512,
        MacAlgo.CMAC_3DES,
        MacAlgo.CMAC_AES,
        MacAlgo.GMAC_AES,
        MacAlgo.CBCMAC_AES,
        MacAlgo.XCBC_AES,
    },
    Service.AEAD: {AeadAlgo.GCM, AeadAlgo.CCM, AeadAlgo.CHACHA20_POLY1305},
}
TABLES = {
    Service.CIPHER: registry.CIPHERS,
    Service.HASH: registry.HASHES,
    Service.MAC: registry.MACS,
    Service.AEAD: registry.AEADS,
}
THREEGPP = {
    Service.CIPHER: {int(i.algo) for i in threegpp.CIPHERS},
    Service.MAC: {int(i.algo) for i in threegpp.MACS},
}


@pytest.mark.parametrize("service", list(TABLES), ids=lambda s: s.name)
def test_tables(service: Service) -> None:
    table = TABLES[service]
    assert set(table) == {int(a) for a in EXPECTED[service]} | THREEGPP.get(service, set())
    assert registry.supported()[service] == frozenset(table)
    for number, info in table.items():
        assert type(number) is int and int(info.algo) == number
    assert len({info.name for info in table.values()}) == len(table)


def test_unimplementable_algorithms_are_not_offered() -> None:
    assert MacAlgo.GMAC_TWOFISH not in registry.MACS
    assert MacAlgo.CBCMAC_KASUMI_F9 not in registry.MACS
    assert 0 not in registry.CIPHERS and 0 not in registry.HASHES
    assert 0 not in registry.MACS and 0 not in registry.AEADS


def _lengths(info: object) -> list[Collection[int]]:
    names = ("key_lengths", "iv_lengths", "result_lengths", "tag_lengths")
    return [getattr(info, name) for name in names if hasattr(info, name)]


@pytest.mark.parametrize("service", list(TABLES), ids=lambda s: s.name)
def test_length_rules_are_finite_sets_of_naturals(service: Service) -> None:
    for info in TABLES[service].values():
        for lengths in _lengths(info):
            assert len(lengths) > 0, info.name
            assert min(lengths) >= 0 and all(isinstance(n, int) for n in lengths), info.name
        assert getattr(info, "block_size", 1) >= 1


def test_every_symmetric_algorithm_of_ours_has_independent_vectors() -> None:
    """3GPP algorithms are tested with their own 3GPP vectors elsewhere."""
    covered = {
        Service.CIPHER: {c.algo for c in vectors.cipher_cases()},
        Service.HASH: {c.algo for c in vectors.hash_cases()},
        Service.MAC: {c.algo for c in vectors.mac_cases() if c.valid},
        Service.AEAD: {c.algo for c in vectors.aead_cases() if c.valid},
    }
    for service, table in TABLES.items():
        assert set(table) - THREEGPP.get(service, set()) <= covered[service], service.name
