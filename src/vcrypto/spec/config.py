"""``struct virtio_crypto_config``: the device configuration space (56 bytes, little-endian)."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

CONFIG = struct.Struct("<12IQ")
CONFIG_SIZE = CONFIG.size


def mask(bits: Iterable[int]) -> int:
    """A bit mask with the given bit numbers set (algorithm values are bit numbers)."""
    value = 0
    for bit in bits:
        value |= 1 << int(bit)
    return value


@dataclass(frozen=True, slots=True)
class CryptoConfig:
    status: int
    max_dataqueues: int
    crypto_services: int
    cipher_algo: int  # 64-bit mask, split into cipher_algo_l/_h on the wire
    hash_algo: int
    mac_algo: int  # 64-bit mask, split into mac_algo_l/_h on the wire
    aead_algo: int
    max_cipher_key_len: int
    max_auth_key_len: int
    akcipher_algo: int
    max_size: int

    def encode(self) -> bytes:
        low = 0xFFFFFFFF
        return CONFIG.pack(
            self.status,
            self.max_dataqueues,
            self.crypto_services,
            self.cipher_algo & low,
            self.cipher_algo >> 32,
            self.hash_algo,
            self.mac_algo & low,
            self.mac_algo >> 32,
            self.aead_algo,
            self.max_cipher_key_len,
            self.max_auth_key_len,
            self.akcipher_algo,
            self.max_size,
        )

    @classmethod
    def decode(cls, data: bytes) -> CryptoConfig:
        (status, queues, services, cl, ch, hashes, ml, mh, aead, ckey, akey, akc, max_size) = (
            CONFIG.unpack_from(data)
        )
        return cls(
            status, queues, services, cl | ch << 32, hashes, ml | mh << 32, aead, ckey, akey, akc, max_size
        )
