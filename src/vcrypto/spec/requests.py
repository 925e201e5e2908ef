"""Decoding control and data requests, in both layouts, into plain objects.

The decoders read the fixed part in the size the negotiated layout dictates, then every
variable-length field through ``SegmentReader``, which refuses any length the chain does not hold.
They check the wire format only; whether an algorithm or length is supported is the device's call.
A request that cannot be decoded raises ``DecodeError`` carrying the spec status to answer with.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import layout as L
from .buffers import Buffer, SegmentReader, Truncated
from .constants import (
    AkcipherAlgo,
    HashMode,
    Opcode,
    Service,
    Status,
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


class DecodeError(Exception):
    """A request the device must refuse, with the status it answers."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _need(condition: bool, reason: str, status: Status = Status.ERR) -> None:
    if not condition:
        raise DecodeError(status, reason)


# --- control queue --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateSession:
    params: SessionParams


@dataclass(frozen=True, slots=True)
class DestroySession:
    service: Service
    session_id: int


CREATE_OPCODES = {
    Opcode.CIPHER_CREATE_SESSION: Service.CIPHER,
    Opcode.HASH_CREATE_SESSION: Service.HASH,
    Opcode.MAC_CREATE_SESSION: Service.MAC,
    Opcode.AEAD_CREATE_SESSION: Service.AEAD,
    Opcode.AKCIPHER_CREATE_SESSION: Service.AKCIPHER,
}
DESTROY_OPCODES = {
    Opcode.CIPHER_DESTROY_SESSION: Service.CIPHER,
    Opcode.HASH_DESTROY_SESSION: Service.HASH,
    Opcode.MAC_DESTROY_SESSION: Service.MAC,
    Opcode.AEAD_DESTROY_SESSION: Service.AEAD,
    Opcode.AKCIPHER_DESTROY_SESSION: Service.AKCIPHER,
}


def read_ctrl_header(reader: SegmentReader) -> int:
    """The control request's opcode (the header's other fields carry nothing the device needs)."""
    opcode, _algo, _flag, _reserved = L.CTRL_HEADER.unpack(reader.take(L.CTRL_HEADER.size))
    return opcode


def decode_ctrl(opcode: int, reader: SegmentReader, revision_1: bool) -> CreateSession | DestroySession:
    """Decode the rest of a control request whose header gave ``opcode``."""
    try:
        if opcode in DESTROY_OPCODES:
            flf = reader.take(L.ctrl_flf_size(L.DESTROY_SESSION_FLF.size, revision_1))
            (session_id,) = L.DESTROY_SESSION_FLF.unpack_from(flf)
            return DestroySession(DESTROY_OPCODES[opcode], session_id)  # type: ignore[index]
        service = CREATE_OPCODES.get(opcode)  # type: ignore[call-overload]
        if service is None:
            raise DecodeError(Status.NOTSUPP, f"unknown control opcode {opcode:#06x}")
        return CreateSession(_CREATE_DECODERS[service](reader, revision_1))
    except Truncated as exc:
        raise DecodeError(Status.ERR, str(exc)) from None


def _create_cipher(reader: SegmentReader, revision_1: bool) -> SessionParams:
    flf = reader.take(L.ctrl_flf_size(L.SYM_CREATE_SESSION_FLF.size, revision_1))
    op_flf, op_type, _ = L.SYM_CREATE_SESSION_FLF.unpack_from(flf)
    if op_type == SymOp.CIPHER:
        algo, key_len, op, _ = L.CIPHER_SESSION_FLF.unpack_from(op_flf)
        return CipherParams(algo, reader.take_bytes(key_len), op)
    if op_type == SymOp.ALGORITHM_CHAINING:
        order, hash_mode, cipher_hdr, algo_flf, aad_len, _ = L.ALG_CHAIN_SESSION_FLF.unpack_from(op_flf)
        algo, key_len, op, _ = L.CIPHER_SESSION_FLF.unpack(cipher_hdr)
        auth: HashParams | MacParams
        if hash_mode == HashMode.PLAIN:
            hash_algo, result_len = L.HASH_CREATE_SESSION_FLF.unpack_from(algo_flf)
            cipher = CipherParams(algo, reader.take_bytes(key_len), op)
            auth = HashParams(hash_algo, result_len)
        elif hash_mode == HashMode.AUTH:
            mac_algo, result_len, auth_key_len, _ = L.MAC_CREATE_SESSION_FLF.unpack(algo_flf)
            cipher = CipherParams(algo, reader.take_bytes(key_len), op)
            auth = MacParams(mac_algo, result_len, reader.take_bytes(auth_key_len))
        else:
            raise DecodeError(Status.NOTSUPP, f"chaining hash mode {hash_mode} not supported")
        return ChainParams(cipher, order, hash_mode, auth, aad_len)
    raise DecodeError(Status.NOTSUPP, f"symmetric op_type {op_type} not supported")


def _create_hash(reader: SegmentReader, revision_1: bool) -> SessionParams:
    flf = reader.take(L.ctrl_flf_size(L.HASH_CREATE_SESSION_FLF.size, revision_1))
    algo, result_len = L.HASH_CREATE_SESSION_FLF.unpack_from(flf)
    return HashParams(algo, result_len)


def _create_mac(reader: SegmentReader, revision_1: bool) -> SessionParams:
    flf = reader.take(L.ctrl_flf_size(L.MAC_CREATE_SESSION_FLF.size, revision_1))
    algo, result_len, key_len, _ = L.MAC_CREATE_SESSION_FLF.unpack_from(flf)
    return MacParams(algo, result_len, reader.take_bytes(key_len))


def _create_aead(reader: SegmentReader, revision_1: bool) -> SessionParams:
    flf = reader.take(L.ctrl_flf_size(L.AEAD_CREATE_SESSION_FLF.size, revision_1))
    algo, key_len, tag_len, aad_len, op, _ = L.AEAD_CREATE_SESSION_FLF.unpack_from(flf)
    return AeadParams(algo, reader.take_bytes(key_len), tag_len, aad_len, op)


def akcipher_params(algo: int, key_type: int, key: bytes, algo_flf: Buffer) -> AkcipherParams:
    """AKCIPHER parameters from the algorithm-specific bytes (RSA: padding and hash; ECDSA: curve)."""
    if algo == AkcipherAlgo.RSA:
        padding, hash_algo = L.RSA_SESSION_PARA.unpack_from(algo_flf)
        return AkcipherParams(algo, key_type, key, rsa_padding=padding, rsa_hash=hash_algo)
    if algo == AkcipherAlgo.ECDSA:
        (curve,) = L.ECDSA_SESSION_PARA.unpack_from(algo_flf)
        return AkcipherParams(algo, key_type, key, curve=curve)
    return AkcipherParams(algo, key_type, key)


def _create_akcipher(reader: SegmentReader, revision_1: bool) -> SessionParams:
    flf = reader.take(L.ctrl_flf_size(L.AKCIPHER_CREATE_SESSION_FLF.size, revision_1))
    algo, key_type, key_len, algo_flf = L.AKCIPHER_CREATE_SESSION_FLF.unpack_from(flf)
    return akcipher_params(algo, key_type, reader.take_bytes(key_len), algo_flf)


_CREATE_DECODERS = {
    Service.CIPHER: _create_cipher,
    Service.HASH: _create_hash,
    Service.MAC: _create_mac,
    Service.AEAD: _create_aead,
    Service.AKCIPHER: _create_akcipher,
}


# --- data queue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataHeader:
    opcode: int
    algo: int
    session_id: int
    flag: int

    @property
    def service(self) -> int:
        return self.opcode >> 8


def read_data_header(reader: SegmentReader) -> DataHeader:
    opcode, algo, session_id, flag, _ = L.OP_HEADER.unpack(reader.take(L.OP_HEADER.size))
    return DataHeader(opcode, algo, session_id, flag)


@dataclass(slots=True)
class CipherRequest:
    """CIPHER without chaining. ``params`` is set for a stateless request."""

    params: CipherParams | None
    iv: Buffer
    src: Buffer
    dst_len: int

    @property
    def out_len(self) -> int:
        return self.dst_len

    @property
    def vlf_len(self) -> int:
        return len(self.params.key if self.params else b"") + len(self.iv) + len(self.src) + self.dst_len


@dataclass(slots=True)
class ChainRequest:
    params: ChainParams | None
    iv: Buffer
    src: Buffer
    aad: Buffer
    dst_len: int
    cipher_offset: int
    cipher_len: int
    hash_offset: int
    hash_len: int
    hash_result_len: int

    @property
    def out_len(self) -> int:
        return self.dst_len + self.hash_result_len

    @property
    def vlf_len(self) -> int:
        keys = 0
        if self.params:
            keys = len(self.params.cipher.key) + len(getattr(self.params.auth, "key", b""))
        return keys + len(self.iv) + len(self.src) + len(self.aad) + self.out_len


@dataclass(slots=True)
class HashRequest:
    """HASH, or MAC (``params`` then ``MacParams``); ``params`` is set for a stateless request."""

    params: HashParams | MacParams | None
    src: Buffer
    result_len: int

    @property
    def out_len(self) -> int:
        return self.result_len

    @property
    def vlf_len(self) -> int:
        return len(getattr(self.params, "key", b"")) + len(self.src) + self.result_len


@dataclass(slots=True)
class AeadRequest:
    params: AeadParams | None
    iv: Buffer
    src: Buffer
    aad: Buffer
    dst_len: int
    tag_len: int

    @property
    def out_len(self) -> int:
        return self.dst_len

    @property
    def vlf_len(self) -> int:
        key = len(self.params.key) if self.params else 0
        return key + len(self.iv) + len(self.src) + len(self.aad) + self.dst_len


@dataclass(slots=True)
class AkcipherRequest:
    """For VERIFY, ``src`` is the signature and ``message`` the signed data; ``dst_len`` is 0."""

    params: AkcipherParams | None
    src: Buffer
    message: Buffer
    dst_len: int

    @property
    def out_len(self) -> int:
        return self.dst_len

    @property
    def vlf_len(self) -> int:
        key = len(self.params.key) if self.params else 0
        return key + len(self.src) + len(self.message) + self.dst_len


DataRequest = CipherRequest | ChainRequest | HashRequest | AeadRequest | AkcipherRequest


def decode_data(header: DataHeader, reader: SegmentReader, revision_1: bool, stateless: bool) -> DataRequest:
    """Decode the rest of a data request (``stateless`` only with REVISION_1)."""
    try:
        if header.opcode in (Opcode.CIPHER_ENCRYPT, Opcode.CIPHER_DECRYPT):
            if stateless:
                return _sym_stateless(reader)
            return _sym(reader, revision_1)
        if header.opcode == Opcode.HASH:
            if stateless:
                algo, src_len, result_len, _ = L.HASH_DATA_FLF_STATELESS.unpack(
                    reader.take(L.HASH_DATA_FLF_STATELESS.size)
                )
                return HashRequest(HashParams(algo, result_len), reader.take(src_len), result_len)
            return _hash(reader, revision_1)
        if header.opcode == Opcode.MAC:
            if stateless:
                algo, key_len, src_len, result_len = L.MAC_DATA_FLF_STATELESS.unpack(
                    reader.take(L.MAC_DATA_FLF_STATELESS.size)
                )
                params = MacParams(algo, result_len, reader.take_bytes(key_len))
                return HashRequest(params, reader.take(src_len), result_len)
            return _hash(reader, revision_1)
        if header.opcode in (Opcode.AEAD_ENCRYPT, Opcode.AEAD_DECRYPT):
            return _aead_stateless(reader) if stateless else _aead(reader, revision_1)
        if header.opcode in (
            Opcode.AKCIPHER_ENCRYPT,
            Opcode.AKCIPHER_DECRYPT,
            Opcode.AKCIPHER_SIGN,
            Opcode.AKCIPHER_VERIFY,
        ):
            verify = header.opcode == Opcode.AKCIPHER_VERIFY
            return _akcipher_stateless(reader, verify) if stateless else _akcipher(reader, revision_1, verify)
    except Truncated as exc:
        raise DecodeError(Status.ERR, str(exc)) from None
    raise DecodeError(Status.NOTSUPP, f"unknown data opcode {header.opcode:#06x}")


def _sym(reader: SegmentReader, revision_1: bool) -> DataRequest:
    flf = reader.take(L.data_flf_size(L.SYM_DATA_FLF.size, revision_1))
    op_flf, op_type, _ = L.SYM_DATA_FLF.unpack_from(flf)
    if op_type == SymOp.CIPHER:
        iv_len, src_len, dst_len, _ = L.CIPHER_DATA_FLF.unpack_from(op_flf)
        return CipherRequest(None, reader.take(iv_len), reader.take(src_len), dst_len)
    if op_type == SymOp.ALGORITHM_CHAINING:
        (iv_len, src_len, dst_len, c_off, c_len, h_off, h_len, aad_len, result_len, _) = (
            L.ALG_CHAIN_DATA_FLF.unpack_from(op_flf)
        )
        iv = reader.take(iv_len)
        src = reader.take(src_len)
        aad = reader.take(aad_len)
        return ChainRequest(None, iv, src, aad, dst_len, c_off, c_len, h_off, h_len, result_len)
    raise DecodeError(Status.NOTSUPP, f"symmetric op_type {op_type} not supported")


def _sym_stateless(reader: SegmentReader) -> DataRequest:
    op_flf, op_type = L.SYM_DATA_FLF_STATELESS.unpack(reader.take(L.SYM_DATA_FLF_STATELESS.size))
    if op_type == SymOp.CIPHER:
        algo, key_len, op, iv_len, src_len, dst_len = L.CIPHER_DATA_FLF_STATELESS.unpack_from(op_flf)
        params = CipherParams(algo, reader.take_bytes(key_len), op)
        return CipherRequest(params, reader.take(iv_len), reader.take(src_len), dst_len)
    if op_type == SymOp.ALGORITHM_CHAINING:
        (order, _sess_aad_len, c_algo, key_len, op, h_algo, auth_key_len, hash_mode,
         iv_len, src_len, dst_len, c_off, c_len, h_off, h_len, aad_len, result_len, _) = (
            L.ALG_CHAIN_DATA_FLF_STATELESS.unpack(op_flf)
        )  # fmt: skip
        cipher = CipherParams(c_algo, reader.take_bytes(key_len), op)
        auth_key = reader.take_bytes(auth_key_len)
        auth: HashParams | MacParams
        if hash_mode == HashMode.PLAIN:
            auth = HashParams(h_algo, result_len)
        elif hash_mode == HashMode.AUTH:
            auth = MacParams(h_algo, result_len, auth_key)
        else:
            raise DecodeError(Status.NOTSUPP, f"chaining hash mode {hash_mode} not supported")
        params = ChainParams(cipher, order, hash_mode, auth, aad_len)
        iv = reader.take(iv_len)
        aad = reader.take(aad_len)
        src = reader.take(src_len)
        return ChainRequest(params, iv, src, aad, dst_len, c_off, c_len, h_off, h_len, result_len)
    raise DecodeError(Status.NOTSUPP, f"symmetric op_type {op_type} not supported")


def _hash(reader: SegmentReader, revision_1: bool) -> DataRequest:
    flf = reader.take(L.data_flf_size(L.HASH_DATA_FLF.size, revision_1))
    src_len, result_len = L.HASH_DATA_FLF.unpack_from(flf)
    return HashRequest(None, reader.take(src_len), result_len)


def _aead(reader: SegmentReader, revision_1: bool) -> DataRequest:
    flf = reader.take(L.data_flf_size(L.AEAD_DATA_FLF.size, revision_1))
    iv_len, aad_len, src_len, dst_len, tag_len, _ = L.AEAD_DATA_FLF.unpack_from(flf)
    iv = reader.take(iv_len)
    src = reader.take(src_len)
    aad = reader.take(aad_len)
    return AeadRequest(None, iv, src, aad, dst_len, tag_len)


def _aead_stateless(reader: SegmentReader) -> DataRequest:
    algo, key_len, op, iv_len, tag_len, aad_len, src_len, dst_len = L.AEAD_DATA_FLF_STATELESS.unpack(
        reader.take(L.AEAD_DATA_FLF_STATELESS.size)
    )
    params = AeadParams(algo, reader.take_bytes(key_len), tag_len, aad_len, op)
    iv = reader.take(iv_len)
    src = reader.take(src_len)
    aad = reader.take(aad_len)
    return AeadRequest(params, iv, src, aad, dst_len, tag_len)


def _akcipher(reader: SegmentReader, revision_1: bool, verify: bool) -> DataRequest:
    flf = reader.take(L.data_flf_size(L.AKCIPHER_DATA_FLF.size, revision_1))
    src_len, dst_len = L.AKCIPHER_DATA_FLF.unpack_from(flf)
    return _akcipher_vlf(None, reader, src_len, dst_len, verify)


def _akcipher_stateless(reader: SegmentReader, verify: bool) -> DataRequest:
    algo, key_type, key_len, algo_para, src_len, dst_len = L.AKCIPHER_DATA_FLF_STATELESS.unpack(
        reader.take(L.AKCIPHER_DATA_FLF_STATELESS.size)
    )
    params = akcipher_params(algo, key_type, reader.take_bytes(key_len), algo_para)
    return _akcipher_vlf(params, reader, src_len, dst_len, verify)


def _akcipher_vlf(
    params: AkcipherParams | None, reader: SegmentReader, src_len: int, dst_len: int, verify: bool
) -> DataRequest:
    src = reader.take(src_len)
    if verify:  # the signed data follows the signature; nothing is written but the status
        return AkcipherRequest(params, src, reader.take(dst_len), 0)
    return AkcipherRequest(params, src, b"", dst_len)
