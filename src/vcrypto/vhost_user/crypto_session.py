"""VHOST_USER_CREATE_CRYPTO_SESSION / CLOSE_CRYPTO_SESSION payloads ↔ ``vcrypto.spec.params``.

QEMU parses the guest's control queue itself and forwards session creation in one of two
layouts, told apart by size (see shared/facts/qemu-vhost-user-crypto.md):

- 632 bytes (QEMU 7.1-8.0): ``i64 session_id`` at 0, then the symmetric session info.
- 1072 bytes (QEMU 8.1+): ``u64 op_code`` at 0, a union at 8 (symmetric: same offsets as above;
  asymmetric: RSA info and a DER key), ``i64 session_id`` at 1064.

The symmetric info holds two QEMU host pointers (offsets 40-55) that mean nothing here.
The reply is the request with the session id filled in (negative: refused), at the same size.
"""

from __future__ import annotations

import struct

from ..spec.constants import HashMode, Opcode, Status, SymOp
from ..spec.params import AkcipherParams, ChainParams, CipherParams, HashParams, MacParams, SessionParams

SIZE_632 = 632
SIZE_1072 = 1072

I64 = struct.Struct("<q")
U64 = struct.Struct("<Q")
# cipher_alg, key_len, hash_alg, hash_result_len, auth_key_len, add_len,
# op_type, direction, hash_mode, alg_chain_order
SYM_INFO = struct.Struct("<6I4B")
SYM_INFO_AT = 8
CIPHER_KEY_AT, CIPHER_KEY_MAX = 56, 64
AUTH_KEY_AT, AUTH_KEY_MAX = 120, 512
# algo, key_type, key_len, (padding, key pointer), rsa padding_algo, rsa hash_algo
ASYM_INFO = struct.Struct("<III4x8xII")
ASYM_INFO_AT = 8
ASYM_KEY_AT, ASYM_KEY_MAX = 40, 1024
SESSION_ID_AT = {SIZE_632: 0, SIZE_1072: 1064}


class SessionRequestError(Exception):
    """A session request the backend refuses; ``status`` becomes the negative session id."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def is_create_layout(size: int) -> bool:
    """Whether a CREATE_CRYPTO_SESSION payload of ``size`` bytes has a known layout."""
    return size in SESSION_ID_AT


def decode_create(payload: bytes) -> SessionParams:
    """The session parameters of a CREATE_CRYPTO_SESSION payload (either layout)."""
    if len(payload) == SIZE_632:
        return _symmetric(payload)
    if len(payload) != SIZE_1072:
        raise ValueError(f"no session layout of {len(payload)} bytes")
    op_code = U64.unpack_from(payload)[0]
    if op_code == Opcode.CIPHER_CREATE_SESSION:
        return _symmetric(payload)
    if op_code == Opcode.AKCIPHER_CREATE_SESSION:
        return _asymmetric(payload)
    raise SessionRequestError(Status.NOTSUPP, f"session op_code {op_code:#x}")


def _key(payload: bytes, at: int, length: int, limit: int, what: str) -> bytes:
    if length > limit:
        raise SessionRequestError(Status.ERR, f"{what} key of {length} bytes (at most {limit})")
    return bytes(payload[at : at + length])


def _symmetric(payload: bytes) -> SessionParams:
    (cipher_alg, key_len, hash_alg, result_len, auth_key_len, aad_len,
     op_type, direction, hash_mode, order) = SYM_INFO.unpack_from(payload, SYM_INFO_AT)  # fmt: skip
    cipher = CipherParams(
        cipher_alg, _key(payload, CIPHER_KEY_AT, key_len, CIPHER_KEY_MAX, "cipher"), direction
    )
    if op_type == SymOp.CIPHER:
        return cipher
    if op_type != SymOp.ALGORITHM_CHAINING:
        raise SessionRequestError(Status.NOTSUPP, f"symmetric op_type {op_type}")
    auth: HashParams | MacParams
    if hash_mode == HashMode.AUTH:
        auth = MacParams(hash_alg, result_len, _key(payload, AUTH_KEY_AT, auth_key_len, AUTH_KEY_MAX, "MAC"))
    else:  # PLAIN; the device refuses NESTED and anything else
        auth = HashParams(hash_alg, result_len)
    return ChainParams(cipher, order, hash_mode, auth, aad_len)


def _asymmetric(payload: bytes) -> AkcipherParams:
    algo, key_type, key_len, rsa_padding, rsa_hash = ASYM_INFO.unpack_from(payload, ASYM_INFO_AT)
    key = _key(payload, ASYM_KEY_AT, key_len, ASYM_KEY_MAX, "asymmetric")
    return AkcipherParams(algo, key_type, key, rsa_padding=rsa_padding, rsa_hash=rsa_hash)


def encode_create_reply(request: bytes, session_id: int) -> bytes:
    """The reply payload: the request as received with ``session_id`` in its layout's place."""
    reply = bytearray(request)
    I64.pack_into(reply, SESSION_ID_AT[len(request)], session_id)
    return bytes(reply)


def refusal_id(status: Status) -> int:
    """The negative session id that tells QEMU a create failed (it only checks the sign)."""
    return -max(int(status), 1)


def decode_close(payload: bytes) -> int:
    """CLOSE_CRYPTO_SESSION: the u64 session id."""
    return U64.unpack(payload)[0]


# --- the frontend side, for tests and tools that stand in for QEMU ---------------------------------


def encode_create(params: SessionParams, layout: int = SIZE_632) -> bytes:
    """A CREATE_CRYPTO_SESSION payload as QEMU builds it (host pointers left zero)."""
    payload = bytearray(layout)
    if isinstance(params, AkcipherParams):
        if layout != SIZE_1072:
            raise ValueError("asymmetric sessions exist only in the 1072-byte layout")
        U64.pack_into(payload, 0, Opcode.AKCIPHER_CREATE_SESSION)
        ASYM_INFO.pack_into(
            payload,
            ASYM_INFO_AT,
            params.algo,
            params.key_type,
            len(params.key),
            params.rsa_padding,
            params.rsa_hash,
        )
        payload[ASYM_KEY_AT : ASYM_KEY_AT + len(params.key)] = params.key
        return bytes(payload)
    if layout == SIZE_1072:
        U64.pack_into(payload, 0, Opcode.CIPHER_CREATE_SESSION)
    if isinstance(params, CipherParams):
        cipher, op_type, hash_alg, result_len, auth_key, aad_len, hash_mode, order = (
            params, SymOp.CIPHER, 0, 0, b"", 0, 0, 0,
        )  # fmt: skip
    elif isinstance(params, ChainParams):
        cipher, op_type, aad_len, hash_mode, order = (
            params.cipher, SymOp.ALGORITHM_CHAINING, params.aad_len, params.hash_mode, params.order,
        )  # fmt: skip
        hash_alg, result_len = params.auth.algo, params.auth.result_len
        auth_key = params.auth.key if isinstance(params.auth, MacParams) else b""
    else:
        raise ValueError(f"QEMU forwards no {type(params).__name__} sessions")
    SYM_INFO.pack_into(
        payload, SYM_INFO_AT, cipher.algo, len(cipher.key), hash_alg, result_len, len(auth_key), aad_len,
        op_type, cipher.op, hash_mode, order,
    )  # fmt: skip
    payload[CIPHER_KEY_AT : CIPHER_KEY_AT + len(cipher.key)] = cipher.key
    payload[AUTH_KEY_AT : AUTH_KEY_AT + len(auth_key)] = auth_key
    return bytes(payload)


def session_id_of(reply_payload: bytes) -> int:
    """The session id in a CREATE_CRYPTO_SESSION reply."""
    return I64.unpack_from(reply_payload, SESSION_ID_AT[len(reply_payload)])[0]
