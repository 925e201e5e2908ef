"""Executing one decoded data request against a session, writing output into the chain.

Each function checks the request's lengths against the session (IV and block lengths are the crypto
context's own checks, per ``crypto.base``), runs the context, and writes the result through the
``SegmentWriter``. Failures raise ``DeviceError`` or a ``CryptoError``; the caller turns either into
the status byte.
"""

from __future__ import annotations

from ..spec.buffers import Buffer, SegmentWriter
from ..spec.constants import ChainOrder, Direction, Opcode, Status
from ..spec.requests import (
    AeadRequest,
    AkcipherRequest,
    ChainRequest,
    CipherRequest,
    DataRequest,
    HashRequest,
)
from .errors import DeviceError, require
from .sessions import (
    AeadSession,
    AkcipherSession,
    ChainSession,
    CipherSession,
    HashSession,
    MacSession,
    Session,
)

_ENCRYPTING = {
    Opcode.CIPHER_ENCRYPT: Direction.ENCRYPT,
    Opcode.CIPHER_DECRYPT: Direction.DECRYPT,
    Opcode.AEAD_ENCRYPT: Direction.ENCRYPT,
    Opcode.AEAD_DECRYPT: Direction.DECRYPT,
}


def _check_direction(opcode: int, op: int) -> None:
    require(_ENCRYPTING[opcode] == op, f"opcode {opcode:#06x} does not match the session's direction {op}")


def cipher(session: CipherSession, opcode: int, request: CipherRequest, out: SegmentWriter) -> None:
    _check_direction(opcode, session.params.op)
    size = len(request.src)
    require(request.dst_len == size, f"dst_data_len {request.dst_len} != src_data_len {size}")
    if not size:
        return
    region = out.region(size)
    if region is not None:  # the usual case: the destination is one guest buffer, written in place
        session.ctx.crypt(request.iv, request.src, region)
        out.skip(size)
    else:
        staging = bytearray(size)
        session.ctx.crypt(request.iv, request.src, memoryview(staging))
        out.write(staging)


def _digest(session: HashSession | MacSession, data: Buffer, length: int) -> bytes:
    if isinstance(session, HashSession):
        return session.ctx.digest(data, length)
    return session.ctx.mac(data, length)


def chain(session: ChainSession, opcode: int, request: ChainRequest, out: SegmentWriter) -> None:
    """Cipher a region of the source and hash (or MAC) a region, in the session's order.

    The destination is the source with the cipher region replaced by its result (so
    ``dst_data_len`` equals ``src_data_len``). The hash input is the AAD followed by the hash region
    of the data as it stands at that step: the source for HASH_THEN_CIPHER, the destination for
    CIPHER_THEN_HASH. The digest follows the destination in the writable area.
    """
    _check_direction(opcode, session.params.cipher.op)
    size = len(request.src)
    c_end = request.cipher_offset + request.cipher_len
    h_end = request.hash_offset + request.hash_len
    require(request.dst_len == size, f"dst_data_len {request.dst_len} != src_data_len {size}")
    require(c_end <= size, f"cipher region ends at {c_end}, beyond the source ({size})")
    require(h_end <= size, f"hash region ends at {h_end}, beyond the source ({size})")
    require(
        request.hash_result_len == session.auth.params.result_len,
        f"hash_result_len {request.hash_result_len} != the session's {session.auth.params.result_len}",
    )
    data = bytearray(request.src)
    region = memoryview(data)[request.cipher_offset : c_end]

    def hash_step() -> bytes:
        hashed = bytes(request.aad) + data[request.hash_offset : h_end]
        return _digest(session.auth, hashed, request.hash_result_len)

    if session.params.order == ChainOrder.HASH_THEN_CIPHER:
        digest = hash_step()
        session.cipher.ctx.crypt(request.iv, bytes(region), region)
    else:
        session.cipher.ctx.crypt(request.iv, bytes(region), region)
        digest = hash_step()
    out.write(data)
    out.write(digest)


def hash_or_mac(session: HashSession | MacSession, request: HashRequest, out: SegmentWriter) -> None:
    expected = session.params.result_len
    require(
        request.result_len == expected, f"hash_result_len {request.result_len} != the session's {expected}"
    )
    out.write(_digest(session, request.src, request.result_len))


def aead(session: AeadSession, opcode: int, request: AeadRequest, out: SegmentWriter) -> None:
    """AEAD encrypt writes ciphertext then tag; decrypt takes ciphertext then tag as the source and
    releases the plaintext only after the tag verified."""
    _check_direction(opcode, session.params.op)
    tag_len = session.params.tag_len
    require(request.tag_len in (0, tag_len), f"tag_len {request.tag_len} != the session's {tag_len}")
    size = len(request.src)
    if opcode == Opcode.AEAD_ENCRYPT:
        require(request.dst_len >= size + tag_len, f"dst_data_len {request.dst_len} < src + tag")
        out.write(session.ctx.encrypt(request.iv, request.aad, request.src, tag_len))
    else:
        require(size >= tag_len, f"source of {size} bytes is shorter than the {tag_len}-byte tag")
        require(request.dst_len >= size - tag_len, f"dst_data_len {request.dst_len} < plaintext length")
        src = memoryview(request.src)
        out.write(session.ctx.decrypt(request.iv, request.aad, src[: size - tag_len], src[size - tag_len :]))


def akcipher(session: AkcipherSession, opcode: int, request: AkcipherRequest, out: SegmentWriter) -> None:
    ctx = session.ctx
    if opcode == Opcode.AKCIPHER_VERIFY:
        ctx.verify(request.src, request.message)
        return
    if opcode == Opcode.AKCIPHER_ENCRYPT:
        result = ctx.encrypt(request.src)
    elif opcode == Opcode.AKCIPHER_DECRYPT:
        result = ctx.decrypt(request.src)
    else:
        result = ctx.sign(request.src)
    require(len(result) <= request.dst_len, f"result of {len(result)} bytes, dst_data_len {request.dst_len}")
    out.write(result)


def execute(session: Session, opcode: int, request: DataRequest, out: SegmentWriter) -> None:
    """Run ``request`` on ``session``; the session's kind must be the request's."""
    if isinstance(request, CipherRequest) and isinstance(session, CipherSession):
        cipher(session, opcode, request, out)
    elif isinstance(request, ChainRequest) and isinstance(session, ChainSession):
        chain(session, opcode, request, out)
    elif isinstance(request, HashRequest) and isinstance(session, HashSession | MacSession):
        hash_or_mac(session, request, out)
    elif isinstance(request, AeadRequest) and isinstance(session, AeadSession):
        aead(session, opcode, request, out)
    elif isinstance(request, AkcipherRequest) and isinstance(session, AkcipherSession):
        akcipher(session, opcode, request, out)
    else:
        raise DeviceError(Status.ERR, f"{type(request).__name__} does not fit a {type(session).__name__}")
