"""Encoding requests as a driver writes them: the device-readable bytes of each request.

Used by the driver API and by tests; the mirror image of ``requests``. Each function returns the
readable part as a list of segments, the way a driver's scatter-gather list lays it out.
"""

from __future__ import annotations

from . import layout as L
from .buffers import Buffer
from .constants import (
    CREATE_SESSION_OPCODES,
    DESTROY_SESSION_OPCODES,
    FLAG_SESSION_MODE,
    AkcipherAlgo,
    Opcode,
    Service,
    SymOp,
)
from .params import (
    AeadParams,
    AkcipherParams,
    ChainParams,
    CipherParams,
    HashParams,
    MacParams,
    SessionParams,
)

Segments = list[Buffer]


def _ctrl(opcode: int, algo: int, flf: bytes, natural: int, revision_1: bool) -> bytes:
    header = L.CTRL_HEADER.pack(opcode, algo, 0, 0)
    return header + L.pad(flf, L.ctrl_flf_size(natural, revision_1))


def _cipher_flf(params: CipherParams) -> bytes:
    return L.CIPHER_SESSION_FLF.pack(params.algo, len(params.key), params.op, 0)


def _akcipher_para(params: AkcipherParams, size: int) -> bytes:
    if params.algo == AkcipherAlgo.RSA:
        para = L.RSA_SESSION_PARA.pack(params.rsa_padding, params.rsa_hash)
    elif params.algo == AkcipherAlgo.ECDSA:
        para = L.ECDSA_SESSION_PARA.pack(params.curve)
    else:
        para = b""
    return L.pad(para, size)


def create_session(params: SessionParams, revision_1: bool) -> Segments:
    """Readable part of a create-session request (the outcome is 16 writable bytes)."""
    opcode = CREATE_SESSION_OPCODES[params.service]
    if isinstance(params, CipherParams):
        flf = L.SYM_CREATE_SESSION_FLF.pack(_cipher_flf(params), SymOp.CIPHER, 0)
        return [_ctrl(opcode, params.algo, flf, L.SYM_CREATE_SESSION_FLF.size, revision_1), params.key]
    if isinstance(params, ChainParams):
        auth = params.auth
        if isinstance(auth, MacParams):
            algo_flf = L.MAC_CREATE_SESSION_FLF.pack(auth.algo, auth.result_len, len(auth.key), 0)
            auth_key = auth.key
        else:
            algo_flf = L.HASH_CREATE_SESSION_FLF.pack(auth.algo, auth.result_len)
            auth_key = b""
        chain = L.ALG_CHAIN_SESSION_FLF.pack(
            params.order, params.hash_mode, _cipher_flf(params.cipher), algo_flf, params.aad_len, 0
        )
        flf = L.SYM_CREATE_SESSION_FLF.pack(chain, SymOp.ALGORITHM_CHAINING, 0)
        header = _ctrl(opcode, params.cipher.algo, flf, L.SYM_CREATE_SESSION_FLF.size, revision_1)
        return [header, params.cipher.key, auth_key]
    if isinstance(params, HashParams):
        flf = L.HASH_CREATE_SESSION_FLF.pack(params.algo, params.result_len)
        return [_ctrl(opcode, params.algo, flf, L.HASH_CREATE_SESSION_FLF.size, revision_1)]
    if isinstance(params, MacParams):
        flf = L.MAC_CREATE_SESSION_FLF.pack(params.algo, params.result_len, len(params.key), 0)
        return [_ctrl(opcode, params.algo, flf, L.MAC_CREATE_SESSION_FLF.size, revision_1), params.key]
    if isinstance(params, AeadParams):
        flf = L.AEAD_CREATE_SESSION_FLF.pack(
            params.algo, len(params.key), params.tag_len, params.aad_len, params.op, 0
        )
        return [_ctrl(opcode, params.algo, flf, L.AEAD_CREATE_SESSION_FLF.size, revision_1), params.key]
    flf = L.AKCIPHER_CREATE_SESSION_FLF.pack(
        params.algo, params.key_type, len(params.key), _akcipher_para(params, 44)
    )
    return [_ctrl(opcode, params.algo, flf, L.AKCIPHER_CREATE_SESSION_FLF.size, revision_1), params.key]


def destroy_session(service: Service, session_id: int, revision_1: bool) -> Segments:
    """Readable part of a destroy-session request (the outcome is 1 writable byte)."""
    flf = L.DESTROY_SESSION_FLF.pack(session_id)
    return [_ctrl(DESTROY_SESSION_OPCODES[service], 0, flf, L.DESTROY_SESSION_FLF.size, revision_1)]


def _header(opcode: int, algo: int, session_id: int | None, revision_1: bool) -> bytes:
    """With REVISION_1 the flag tells session mode from stateless mode; without, it is ignored (0)."""
    flag = FLAG_SESSION_MODE if (revision_1 and session_id is not None) else 0
    return L.OP_HEADER.pack(opcode, algo, session_id or 0, flag, 0)


def cipher(
    opcode: Opcode,
    target: int | CipherParams,
    iv: Buffer,
    src: Buffer,
    dst_len: int,
    revision_1: bool,
) -> Segments:
    """CIPHER_ENCRYPT/DECRYPT without chaining; ``target`` is a session id or stateless parameters."""
    if isinstance(target, CipherParams):
        flf = L.CIPHER_DATA_FLF_STATELESS.pack(
            target.algo, len(target.key), target.op, len(iv), len(src), dst_len
        )
        fixed = L.SYM_DATA_FLF_STATELESS.pack(flf, SymOp.CIPHER)
        return [_header(opcode, target.algo, None, True) + fixed, target.key, iv, src]
    flf = L.CIPHER_DATA_FLF.pack(len(iv), len(src), dst_len, 0)
    fixed = L.SYM_DATA_FLF.pack(flf, SymOp.CIPHER, 0)
    return [_header(opcode, 0, target, revision_1) + fixed, iv, src]


def chain(
    opcode: Opcode,
    target: int | ChainParams,
    iv: Buffer,
    src: Buffer,
    aad: Buffer,
    *,
    dst_len: int,
    cipher_offset: int,
    cipher_len: int,
    hash_offset: int,
    hash_len: int,
    hash_result_len: int,
    revision_1: bool,
) -> Segments:
    """CIPHER_ENCRYPT/DECRYPT with algorithm chaining."""
    lengths = (
        len(iv), len(src), dst_len, cipher_offset, cipher_len, hash_offset, hash_len, len(aad),
        hash_result_len, 0,
    )  # fmt: skip
    if isinstance(target, ChainParams):
        auth_key = getattr(target.auth, "key", b"")
        c = target.cipher
        flf = L.ALG_CHAIN_DATA_FLF_STATELESS.pack(
            target.order, len(aad), c.algo, len(c.key), c.op, target.auth.algo, len(auth_key),
            target.hash_mode, *lengths,
        )  # fmt: skip
        fixed = L.SYM_DATA_FLF_STATELESS.pack(flf, SymOp.ALGORITHM_CHAINING)
        return [_header(opcode, c.algo, None, True) + fixed, c.key, auth_key, iv, aad, src]
    fixed = L.SYM_DATA_FLF.pack(L.ALG_CHAIN_DATA_FLF.pack(*lengths), SymOp.ALGORITHM_CHAINING, 0)
    return [_header(opcode, 0, target, revision_1) + fixed, iv, src, aad]


def hash_(target: int | HashParams, src: Buffer, result_len: int, revision_1: bool) -> Segments:
    if isinstance(target, HashParams):
        flf = L.HASH_DATA_FLF_STATELESS.pack(target.algo, len(src), result_len, 0)
        return [_header(Opcode.HASH, target.algo, None, True) + flf, src]
    flf = L.pad(L.HASH_DATA_FLF.pack(len(src), result_len), L.data_flf_size(L.HASH_DATA_FLF.size, revision_1))
    return [_header(Opcode.HASH, 0, target, revision_1) + flf, src]


def mac(target: int | MacParams, src: Buffer, result_len: int, revision_1: bool) -> Segments:
    if isinstance(target, MacParams):
        flf = L.MAC_DATA_FLF_STATELESS.pack(target.algo, len(target.key), len(src), result_len)
        return [_header(Opcode.MAC, target.algo, None, True) + flf, target.key, src]
    flf = L.pad(L.MAC_DATA_FLF.pack(len(src), result_len), L.data_flf_size(L.MAC_DATA_FLF.size, revision_1))
    return [_header(Opcode.MAC, 0, target, revision_1) + flf, src]


def aead(
    opcode: Opcode,
    target: int | AeadParams,
    iv: Buffer,
    src: Buffer,
    aad: Buffer,
    dst_len: int,
    tag_len: int,
    revision_1: bool,
) -> Segments:
    if isinstance(target, AeadParams):
        flf = L.AEAD_DATA_FLF_STATELESS.pack(
            target.algo, len(target.key), target.op, len(iv), tag_len, len(aad), len(src), dst_len
        )
        return [_header(opcode, target.algo, None, True) + flf, target.key, iv, src, aad]
    natural = L.AEAD_DATA_FLF.pack(len(iv), len(aad), len(src), dst_len, tag_len, 0)
    flf = L.pad(natural, L.data_flf_size(L.AEAD_DATA_FLF.size, revision_1))
    return [_header(opcode, 0, target, revision_1) + flf, iv, src, aad]


def akcipher(
    opcode: Opcode,
    target: int | AkcipherParams,
    src: Buffer,
    dst_len: int,
    revision_1: bool,
    message: Buffer = b"",
) -> Segments:
    """AKCIPHER operations; for VERIFY ``src`` is the signature and ``message`` the signed data."""
    if opcode == Opcode.AKCIPHER_VERIFY:
        dst_len = len(message)
    if isinstance(target, AkcipherParams):
        flf = L.AKCIPHER_DATA_FLF_STATELESS.pack(
            target.algo, target.key_type, len(target.key), _akcipher_para(target, 8), len(src), dst_len
        )
        return [_header(opcode, target.algo, None, True) + flf, target.key, src, message]
    natural = L.AKCIPHER_DATA_FLF.pack(len(src), dst_len)
    flf = L.pad(natural, L.data_flf_size(L.AKCIPHER_DATA_FLF.size, revision_1))
    return [_header(opcode, 0, target, revision_1) + flf, src, message]
