"""Feature negotiation rules and the config space a driver reads."""

import pytest

from vcrypto.crypto import registry
from vcrypto.device import CryptoDevice, DeviceConfig, FeatureError
from vcrypto.spec.config import CryptoConfig, mask
from vcrypto.spec.constants import ALL_STATELESS, S_HW_READY, Feature, Service


def test_offers_revision_1_and_the_five_stateless_bits_by_default() -> None:
    assert CryptoDevice().device_features == Feature.REVISION_1 | ALL_STATELESS == 0x3F


def test_stateless_without_revision_1_is_refused() -> None:
    device = CryptoDevice()
    for bit in (Feature.CIPHER_STATELESS_MODE, Feature.AKCIPHER_STATELESS_MODE):
        with pytest.raises(FeatureError):
            device.set_driver_features(bit)
    device.set_driver_features(Feature.REVISION_1 | Feature.CIPHER_STATELESS_MODE)
    assert device.revision_1


def test_bits_not_offered_are_refused() -> None:
    device = CryptoDevice(DeviceConfig(features=Feature.REVISION_1))
    with pytest.raises(FeatureError):
        device.set_driver_features(Feature.REVISION_1 | Feature.HASH_STATELESS_MODE)
    with pytest.raises(FeatureError):
        device.set_driver_features(1 << 7)


def test_config_rejects_impossible_limits() -> None:
    with pytest.raises(ValueError):
        DeviceConfig(max_dataqueues=0)
    with pytest.raises(ValueError):
        DeviceConfig(max_dataqueues=65536)
    with pytest.raises(ValueError):
        DeviceConfig(features=Feature.HASH_STATELESS_MODE)


def test_config_space_advertises_exactly_the_registry() -> None:
    config = CryptoConfig.decode(
        CryptoDevice(DeviceConfig(max_dataqueues=4, max_size=1 << 20)).config_space()
    )
    assert config.status == S_HW_READY
    assert config.max_dataqueues == 4
    assert config.max_size == 1 << 20
    assert config.cipher_algo == mask(registry.CIPHERS)
    assert config.hash_algo == mask(registry.HASHES)
    assert config.mac_algo == mask(registry.MACS)
    assert config.aead_algo == mask(registry.AEADS)
    for service in (Service.CIPHER, Service.HASH, Service.MAC, Service.AEAD):
        assert config.crypto_services >> service & 1
    assert not config.crypto_services >> Service.IPSEC & 1
    assert config.max_cipher_key_len == 64 and config.max_auth_key_len == 512


def test_disabled_services_are_not_advertised_and_their_sessions_refused() -> None:
    device = CryptoDevice(DeviceConfig(services=frozenset({Service.HASH})))
    config = CryptoConfig.decode(device.config_space())
    assert config.crypto_services == 1 << Service.HASH
    assert config.cipher_algo == config.mac_algo == config.aead_algo == 0


def test_reset_forgets_sessions_and_features() -> None:
    from vcrypto.spec.params import HashParams

    device = CryptoDevice()
    device.set_driver_features(Feature.REVISION_1)
    device.create_session(HashParams(2, 20))
    device.reset()
    assert len(device.sessions) == 0 and not device.revision_1
