"""``features.*``: the feature-bit rules of the crypto device (full mode: the backend negotiates them).

In cryptodev mode QEMU negotiates no device feature bits with the backend at all, so nothing is checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..driver import CryptoDriver
from ..spec import encode
from ..spec.constants import ALL_STATELESS, Direction, Feature, Opcode, Status
from ..spec.params import CipherParams
from ..vhost_user.protocol import Mode
from .attempt import attempt, status_name
from .results import Mismatch, Result, Skipped, expect, skipped
from .samples import cipher_vector
from .target import Offer, Target, close_quietly, driver

NOT_NEGOTIATED = "cryptodev mode: QEMU negotiates no device feature bits with the backend"


def _stateless_needs_revision_1(target: Target, offer: Offer) -> str:
    stateless = offer.device_features & ALL_STATELESS
    if not stateless:
        raise Skipped("the backend offers no stateless mode bit")
    bit = Feature(stateless & -stateless)
    connection = target.connect()
    try:
        CryptoDriver(connection, bit)
    except Exception as exc:  # refused: how the frontend reports it (REPLY_ACK failure, FEATURES_OK cleared)
        return f"{bit.name} alone refused ({type(exc).__name__})"
    finally:
        close_quietly(connection)
    raise Mismatch(f"features {int(bit):#x} ({bit.name} without REVISION_1) were accepted")


def _stateless_request_needs_bit(target: Target, offer: Offer) -> str:
    if not offer.device_features & Feature.REVISION_1:
        raise Skipped("the backend does not offer REVISION_1")
    vector = cipher_vector(offer)
    params = CipherParams(vector.algo, vector.key, Direction.ENCRYPT)
    with driver(target, Feature.REVISION_1) as drv:
        readable = encode.cipher(
            Opcode.CIPHER_ENCRYPT, params, vector.iv, vector.plaintext, len(vector.plaintext), True
        )
        out, used = drv.channel.submit(drv.data_queue, readable, [len(vector.plaintext), 1])
    expect(used >= 1, "the device wrote no status")
    expect(out[-1] != Status.OK, "a stateless CIPHER request without CIPHER_STATELESS_MODE was answered OK")
    return f"answered {status_name(out[-1])}"


def check_features(target: Target, offer: Offer) -> Iterator[Result]:
    checks = {
        "features.stateless-needs-revision-1": lambda: _stateless_needs_revision_1(target, offer),
        "features.stateless-request-needs-bit": lambda: _stateless_request_needs_bit(target, offer),
    }
    for requirement_id, body in checks.items():
        if offer.mode == Mode.CRYPTODEV:
            yield skipped(requirement_id, NOT_NEGOTIATED)
        else:
            yield attempt(requirement_id, body)
