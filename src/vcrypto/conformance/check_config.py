"""``config.*``: the config space (struct virtio_crypto_config) is sane and its limits hold.

In cryptodev mode QEMU builds the config space itself and never asks the backend: what the driver
reads says nothing about the backend, so those checks are SKIPped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..driver import StatusError
from ..spec.constants import S_HW_READY, Direction, MacAlgo, Service, Status
from ..spec.params import CipherParams, MacParams
from ..vhost_user.protocol import Mode
from . import known_answers as KA
from .attempt import attempt
from .results import Mismatch, Result, expect, skipped
from .samples import cipher_vector
from .target import Offer, Target, driver

SYNTHETIC = "cryptodev mode: QEMU builds the config space itself, the backend's is never read"
KNOWN_SERVICES = 0x3F  # CIPHER..IPSEC
_MASKS = ("cipher_algo", "hash_algo", "mac_algo", "aead_algo", "akcipher_algo")


def _services(offer: Offer) -> str:
    services = offer.config.crypto_services
    expect(services != 0, "crypto_services is 0: no service offered")
    expect(not services & ~KNOWN_SERVICES, f"crypto_services {services:#x} has undefined bits")
    return f"crypto_services {services:#x}"


def _masks(offer: Offer) -> str:
    config = offer.config
    for service, name in zip(Service, _MASKS, strict=False):
        mask = getattr(config, name)
        if config.crypto_services & (1 << service):
            expect(mask != 0, f"{service.name} is offered but {name} is 0")
        else:
            expect(mask == 0, f"{service.name} is not offered but {name} is {mask:#x}")
    return "every mask matches crypto_services"


def _refuses(call: object, what: str) -> None:
    try:
        call()  # type: ignore[operator]
    except StatusError as exc:
        expect(exc.status != Status.OK, f"{what}: answered OK")
        return
    raise Mismatch(f"{what}: the session was created")


def _key_lengths(target: Target, offer: Offer) -> str:
    config = offer.config
    for v in KA.CIPHERS:
        if v.algo in offer.advertised(Service.CIPHER):
            expect(
                len(v.key) <= config.max_cipher_key_len,
                f"max_cipher_key_len {config.max_cipher_key_len} < the {len(v.key)}-byte key of {v.source}",
            )
    hmacs = [a for a in offer.advertised(Service.MAC) if MacAlgo.HMAC_MD5 <= a <= MacAlgo.HMAC_SHA_512]
    vector = cipher_vector(offer)
    with driver(target, 0) as drv:
        long_key = bytes(config.max_cipher_key_len + 1)
        _refuses(
            lambda: drv.create_session(CipherParams(vector.algo, long_key, Direction.ENCRYPT)),
            f"cipher key of {len(long_key)} bytes (max_cipher_key_len {config.max_cipher_key_len})",
        )
        if hmacs and not offer.unreachable(Service.MAC):
            long_key = bytes(config.max_auth_key_len + 1)
            _refuses(
                lambda: drv.create_session(MacParams(min(hmacs), 16, long_key)),
                f"HMAC session with a {len(long_key)}-byte key (max_auth_key_len {config.max_auth_key_len})",
            )
    return f"max_cipher_key_len {config.max_cipher_key_len}, max_auth_key_len {config.max_auth_key_len}"


def check_config(target: Target, offer: Offer) -> Iterator[Result]:
    config = offer.config
    checks = {
        "config.hw-ready": lambda: expect(config.status & S_HW_READY != 0, f"status is {config.status:#x}"),
        "config.max-dataqueues": lambda: expect(
            config.max_dataqueues >= 1, f"max_dataqueues is {config.max_dataqueues}"
        ),
        "config.services": lambda: _services(offer),
        "config.algorithm-masks": lambda: _masks(offer),
        "config.max-size": lambda: expect(config.max_size > 0, "max_size is 0"),
        "config.key-lengths": lambda: _key_lengths(target, offer),
    }
    for requirement_id, body in checks.items():
        if offer.mode == Mode.CRYPTODEV:
            yield skipped(requirement_id, SYNTHETIC)
        else:
            yield attempt(requirement_id, body)
