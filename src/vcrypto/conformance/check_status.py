"""``session.*`` and ``status.*``: session life cycle and every status a request can be answered with.

Each check opens its own connection in the legacy layout (what every driver speaks), except NOSPC,
which the spec defines only with REVISION_1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from ..driver import CryptoDriver, StatusError
from ..spec import encode
from ..spec import layout as L
from ..spec.constants import (
    AeadAlgo,
    AkcipherKeyType,
    CipherAlgo,
    Direction,
    Feature,
    HashAlgo,
    Opcode,
    Service,
    Status,
)
from ..spec.params import AeadParams, CipherParams, HashParams, SessionParams
from ..vhost_user.protocol import Mode
from . import known_answers as KA
from .attempt import attempt, status_name
from .check_akcipher import ecdsa_params, rsa_params, rsa_public_der
from .results import Mismatch, Result, Skipped, expect
from .samples import any_session, cipher_params, cipher_vector
from .target import Offer, Target, driver

NOSPC_PROBE_LIMIT = 5000  # sessions created at most while looking for NOSPC
UNKNOWN_SESSION = 0x7FFF_FFFF_0000_5EED  # an id no device hands out first
UNDEFINED_OPCODE = (0x0F << 8) | 0x7F  # service 15, operation 127: defined by no spec version


def expect_status(call: Callable[[], object], wanted: Status, what: str) -> str:
    """``call`` must fail with ``wanted`` (a StatusError from the driver)."""
    try:
        call()
    except StatusError as exc:
        expect(exc.status == wanted, f"{what}: expected {wanted.name}, got {exc.status.name}")
        return f"{what}: {wanted.name}"
    raise Mismatch(f"{what}: expected {wanted.name}, got OK")


def _destroy(drv: CryptoDriver, params: SessionParams, session_id: int) -> None:
    drv.destroy_session(params.service, session_id)


# --- session.* -------------------------------------------------------------------------------------


def _create_destroy(target: Target, offer: Offer) -> str:
    params = any_session(offer)
    with driver(target, 0) as drv:
        first = drv.create_session(params)
        second = drv.create_session(params)
        expect(first != second, f"two live sessions were both given id {first}")
        _destroy(drv, params, first)
        _destroy(drv, params, second)
    return f"{params.service.name} sessions {first} and {second}"


def _destroy_unknown(target: Target, offer: Offer) -> str:
    if offer.mode == Mode.CRYPTODEV:
        raise Skipped(
            "cryptodev mode: QEMU answers destroy requests itself (CLOSE_CRYPTO_SESSION has no reply)"
        )
    params = any_session(offer)
    with driver(target, 0) as drv:
        expect_status(lambda: _destroy(drv, params, UNKNOWN_SESSION), Status.ERR, "destroy of an unknown id")
        session_id = drv.create_session(params)
        _destroy(drv, params, session_id)
        expect_status(lambda: _destroy(drv, params, session_id), Status.ERR, "second destroy")
    return "ERR for an unknown and for a destroyed id"


# --- status.* --------------------------------------------------------------------------------------


def _ok(target: Target, offer: Offer) -> str:
    vector = cipher_vector(offer)
    with driver(target, 0) as drv:
        session_id = drv.create_session(cipher_params(vector))
        size = len(vector.plaintext)
        readable = encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, vector.iv, vector.plaintext, size, False)
        out, used = drv.channel.submit(drv.data_queue, readable, [size, 1])
    expect(out[-1] == Status.OK, f"{vector.source}: status {status_name(out[-1])}")
    expect(used == size + 1, f"used length {used}, expected {size + 1} (output and status byte)")
    return f"{vector.algo.name}: OK, used length {used}"


def _err_key(target: Target, offer: Offer) -> str:
    vector = cipher_vector(offer)
    params = CipherParams(vector.algo, vector.key + b"\x00", Direction.ENCRYPT)
    with driver(target, 0) as drv:
        return expect_status(
            lambda: drv.create_session(params),
            Status.ERR,
            f"{vector.algo.name} key of {len(params.key)} bytes",
        )


def _err_lengths(target: Target, offer: Offer) -> str:
    vector = cipher_vector(offer)
    size = len(vector.plaintext)
    with driver(target, 0) as drv:
        session_id = drv.create_session(cipher_params(vector))
        readable = encode.cipher(
            Opcode.CIPHER_ENCRYPT, session_id, vector.iv, vector.plaintext, size - 1, False
        )
        out, used = drv.channel.submit(drv.data_queue, readable, [size - 1, 1])
    expect(used >= 1, "the device wrote no status")
    expect(out[-1] == Status.ERR, f"dst_data_len < src_data_len: expected ERR, got {status_name(out[-1])}")
    return "dst_data_len < src_data_len: ERR"


def _unadvertised(offer: Offer, service: Service, enum: type) -> int:
    """A spec-defined algorithm the config does not advertise (full mode), else an undefined number.

    In cryptodev mode the advertised set is QEMU's, not the backend's: only a number no spec defines
    is certainly unsupported."""
    if offer.mode == Mode.FULL:
        for algo in enum:
            if algo and algo not in offer.advertised(service):
                return int(algo)
    return 63


def _notsupp_algorithm(target: Target, offer: Offer) -> str:
    # QEMU reports every session the backend refuses as ERR (it only looks at the reply's sign).
    wanted = Status.ERR if offer.mode == Mode.CRYPTODEV else Status.NOTSUPP
    notes = []
    with driver(target, 0) as drv:
        if not offer.unreachable(Service.CIPHER):
            algo = _unadvertised(offer, Service.CIPHER, CipherAlgo)
            params = CipherParams(algo, bytes(16), Direction.ENCRYPT)
            notes.append(expect_status(lambda: drv.create_session(params), wanted, f"cipher {algo}"))
        if not offer.unreachable(Service.HASH):
            algo = _unadvertised(offer, Service.HASH, HashAlgo)
            notes.append(
                expect_status(lambda: drv.create_session(HashParams(algo, 16)), wanted, f"hash {algo}")
            )
        if not offer.unreachable(Service.AEAD):
            algo = _unadvertised(offer, Service.AEAD, AeadAlgo)
            params_aead = AeadParams(algo, bytes(16), 16, 0, Direction.ENCRYPT)
            notes.append(expect_status(lambda: drv.create_session(params_aead), wanted, f"aead {algo}"))
    if not notes:
        raise Skipped("no CIPHER, HASH or AEAD sessions reach the backend")
    return "; ".join(notes)


def _notsupp_opcode(target: Target, offer: Offer) -> str:
    with driver(target, 0) as drv:
        readable = [L.OP_HEADER.pack(UNDEFINED_OPCODE, 0, UNKNOWN_SESSION, 0, 0) + bytes(48)]
        out, used = drv.channel.submit(drv.data_queue, readable, [16, 1])
    expect(used >= 1, "the device wrote no status")
    got = status_name(out[-1])
    expect(out[-1] == Status.NOTSUPP, f"opcode {UNDEFINED_OPCODE:#06x}: expected NOTSUPP, got {got}")
    return f"opcode {UNDEFINED_OPCODE:#06x}: NOTSUPP"


def _invsess(target: Target, offer: Offer) -> str:
    vector = cipher_vector(offer)
    with driver(target, 0) as drv:
        expect_status(
            lambda: drv.encrypt(UNKNOWN_SESSION, vector.iv, vector.plaintext),
            Status.INVSESS,
            "unknown session",
        )
        session_id = drv.create_session(cipher_params(vector))
        drv.encrypt(session_id, vector.iv, vector.plaintext)
        drv.destroy_session(Service.CIPHER, session_id)
        expect_status(
            lambda: drv.encrypt(session_id, vector.iv, vector.plaintext), Status.INVSESS, "destroyed session"
        )
    return "unknown and destroyed sessions: INVSESS"


def _badmsg(target: Target, offer: Offer) -> str:
    reason = offer.unreachable(Service.AEAD)
    if reason:
        raise Skipped(reason)
    vectors = [v for v in KA.AEADS if v.algo in offer.advertised(Service.AEAD)]
    if not vectors:
        raise Skipped("no advertised AEAD algorithm with a shipped vector")
    notes = []
    with driver(target, 0) as drv:
        for v in vectors:
            tag = v.tag if not v.valid else bytes([v.tag[0] ^ 1]) + v.tag[1:]
            params = AeadParams(v.algo, v.key, len(tag), len(v.aad), Direction.DECRYPT)
            session_id = drv.create_session(params)
            sealed = v.ciphertext + tag
            what = f"{v.algo.name} {'tampered' if v.valid else 'invalid'} tag ({v.source})"
            notes.append(
                expect_status(
                    partial(drv.aead_decrypt, session_id, v.iv, sealed, v.aad, len(tag)),
                    Status.BADMSG,
                    what,
                )
            )
            drv.destroy_session(Service.AEAD, session_id)
    return f"{len(notes)} tampered tags: BADMSG"


def _key_rejected(target: Target, offer: Offer) -> str:
    reason = offer.unreachable(Service.AKCIPHER)
    if reason:
        raise Skipped(reason)
    advertised = offer.advertised(Service.AKCIPHER)
    notes = []
    with driver(target, 0) as drv:
        if 1 in advertised:
            for v in KA.RSA_SIGNS:
                params = rsa_params(rsa_public_der(v.key), AkcipherKeyType.PUBLIC, v.rsa_hash)
                session_id = drv.create_session(params)
                bad = bytes([v.signature[0] ^ 1]) + v.signature[1:]
                what = "RSA signature with a flipped bit"
                notes.append(
                    expect_status(partial(drv.verify, session_id, bad, v.digest), Status.KEY_REJECTED, what)
                )
                drv.destroy_session(Service.AKCIPHER, session_id)
        if 2 in advertised:
            for e in KA.ECDSA_VERIFIES:
                if e.valid:
                    continue
                session_id = drv.create_session(ecdsa_params(e.key, AkcipherKeyType.PUBLIC, e.curve))
                what = f"ECDSA {e.source}"
                notes.append(
                    expect_status(
                        partial(drv.verify, session_id, e.signature, e.digest), Status.KEY_REJECTED, what
                    )
                )
                drv.destroy_session(Service.AKCIPHER, session_id)
    if not notes:
        raise Skipped("neither RSA nor ECDSA is advertised")
    return "; ".join(notes)


def _nospc(target: Target, offer: Offer) -> str:
    if offer.mode == Mode.CRYPTODEV or not offer.device_features & Feature.REVISION_1:
        raise Skipped("NOSPC is defined only with REVISION_1, which this backend does not negotiate")
    params = any_session(offer)
    with driver(target, Feature.REVISION_1) as drv:
        for count in range(NOSPC_PROBE_LIMIT):
            try:
                drv.create_session(params)
            except StatusError as exc:
                expect(
                    exc.status == Status.NOSPC, f"session {count + 1}: expected NOSPC, got {exc.status.name}"
                )
                return f"NOSPC after {count} sessions"
    raise Skipped(f"no NOSPC within {NOSPC_PROBE_LIMIT} sessions: the table is not bounded that low")


_CHECKS: dict[str, Callable[[Target, Offer], str]] = {
    "session.create-destroy": _create_destroy,
    "session.destroy-unknown": _destroy_unknown,
    "status.ok": _ok,
    "status.err-key": _err_key,
    "status.err-lengths": _err_lengths,
    "status.notsupp-algorithm": _notsupp_algorithm,
    "status.notsupp-opcode": _notsupp_opcode,
    "status.invsess": _invsess,
    "status.badmsg": _badmsg,
    "status.key-rejected": _key_rejected,
    "status.nospc": _nospc,
}


def check_status(target: Target, offer: Offer) -> Iterator[Result]:
    for requirement_id, check in _CHECKS.items():
        yield attempt(requirement_id, lambda check=check: check(target, offer))
