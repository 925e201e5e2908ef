"""What the device offers: limits, feature bits and the config space derived from the crypto layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..crypto import registry
from ..crypto.akcipher import AKCIPHERS
from ..spec.config import CryptoConfig, mask
from ..spec.constants import ALL_STATELESS, S_HW_READY, Feature, Service


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """Limits and offers of one device instance; every limit is the guest-visible one."""

    max_dataqueues: int = 1
    max_sessions: int = 4096
    max_size: int = 4 << 20
    max_cipher_key_len: int = 64
    max_auth_key_len: int = 512
    features: Feature = Feature.REVISION_1 | ALL_STATELESS
    services: frozenset[Service] = field(
        default_factory=lambda: frozenset(
            {Service.CIPHER, Service.HASH, Service.MAC, Service.AEAD, Service.AKCIPHER}
        )
    )

    def __post_init__(self) -> None:
        if not 1 <= self.max_dataqueues <= 65535:
            raise ValueError("max_dataqueues must be between 1 and 65535")
        if self.max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        if not 1 <= self.max_size < 1 << 64:
            raise ValueError("max_size must be between 1 and 2**64 - 1")
        if not 0 <= self.max_cipher_key_len < 1 << 32 or not 0 <= self.max_auth_key_len < 1 << 32:
            raise ValueError("key length limits must fit in 32 bits")
        stateless = self.features & ALL_STATELESS
        if stateless and not self.features & Feature.REVISION_1:
            raise ValueError("stateless mode feature bits require REVISION_1")


@dataclass(frozen=True, slots=True)
class Algorithms:
    """The algorithm tables the device serves: the registry, narrowed to the enabled services."""

    ciphers: dict
    hashes: dict
    macs: dict
    aeads: dict
    akciphers: dict

    @classmethod
    def for_services(cls, services: frozenset[Service]) -> Algorithms:
        def pick(service: Service, table: dict) -> dict:
            return dict(table) if service in services else {}

        return cls(
            pick(Service.CIPHER, registry.CIPHERS),
            pick(Service.HASH, registry.HASHES),
            pick(Service.MAC, registry.MACS),
            pick(Service.AEAD, registry.AEADS),
            pick(Service.AKCIPHER, AKCIPHERS),
        )

    def config_space(self, config: DeviceConfig) -> CryptoConfig:
        """The config space: a service and an algorithm are advertised only if implemented."""
        offered = {
            Service.CIPHER: self.ciphers,
            Service.HASH: self.hashes,
            Service.MAC: self.macs,
            Service.AEAD: self.aeads,
            Service.AKCIPHER: self.akciphers,
        }
        return CryptoConfig(
            status=S_HW_READY,
            max_dataqueues=config.max_dataqueues,
            crypto_services=mask(service for service, table in offered.items() if table),
            cipher_algo=mask(self.ciphers),
            hash_algo=mask(self.hashes),
            mac_algo=mask(self.macs),
            aead_algo=mask(self.aeads),
            max_cipher_key_len=config.max_cipher_key_len,
            max_auth_key_len=config.max_auth_key_len,
            akcipher_algo=mask(self.akciphers),
            max_size=config.max_size,
        )
