"""Picking what a status or hostile check uses: an advertised, reachable algorithm with a shipped vector."""

from __future__ import annotations

from ..spec.constants import CipherAlgo, Direction, Service
from ..spec.params import CipherParams, HashParams, SessionParams
from . import known_answers as KA
from .known_answers import CipherVector
from .results import Skipped
from .target import Offer


def cipher_vector(offer: Offer) -> CipherVector:
    """A vector of an advertised block/stream cipher with fixed key sizes (AES-CBC if offered)."""
    reason = offer.unreachable(Service.CIPHER)
    if reason:
        raise Skipped(reason)
    advertised = offer.advertised(Service.CIPHER)
    usable = [v for v in KA.CIPHERS if v.algo in advertised and v.algo != CipherAlgo.ARC4]
    if not usable:
        raise Skipped("no advertised cipher with a shipped vector")
    return next((v for v in usable if v.algo == CipherAlgo.AES_CBC), usable[0])


def cipher_params(vector: CipherVector, direction: int = Direction.ENCRYPT) -> CipherParams:
    return CipherParams(vector.algo, vector.key, direction)


def any_session(offer: Offer) -> SessionParams:
    """Parameters of some session the backend can create: a cipher if it can, else a hash."""
    try:
        return cipher_params(cipher_vector(offer))
    except Skipped:
        pass
    if not offer.unreachable(Service.HASH):
        for v in KA.HASHES:
            if v.algo in offer.advertised(Service.HASH):
                return HashParams(v.algo, len(v.digest))
    raise Skipped("no advertised CIPHER or HASH algorithm with a shipped vector reaches the backend")
