"""Fast paths for the two requests a guest sends most, laid out one field per segment.

Data queues: a session-mode CIPHER request. Control queue: CIPHER session create and any destroy.

Why it exists: the general path (``CryptoDevice._data``) reads any layout through a segment reader
and writer, decodes into request objects and dispatches on their types. That generality costs more
per request than the AES of a short request. Linux lays out every skcipher request the same way
(readable: 72-byte header, IV, source; writable: destination, status), and every session request too
(readable: header, key; writable: the outcome), so for those shapes one ``struct`` unpack of the
header and a few integer comparisons decide everything the general path's decoding would decide.

The fast path only ever *accepts*: for any other shape or any failed check it returns None before
writing anything, and the general path reads the request afresh and answers it (with its own status
for a bad request). So both paths give the same answer for every request; the fast path is never
the one that refuses. It takes only ``ByteViews`` segments (from the chain reader), whose sizes are
exact byte counts.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Sequence

from ..crypto.base import CryptoError
from ..spec import layout as L
from ..spec.buffers import Buffer, ByteViews
from ..spec.constants import (
    CREATE_SESSION_INPUT_SIZE,
    DESTROY_SESSION_OPCODES,
    FLAG_SESSION_MODE,
    Opcode,
    Service,
    Status,
    SymOp,
)
from ..spec.params import CipherParams
from .errors import DeviceError, status_of
from .sessions import CipherSession, Session

log = logging.getLogger(__name__)

# virtio_crypto_op_header (opcode, algo, session_id, flag, padding) then the symmetric request's fixed
# part: cipher_para (iv_len, src_data_len, dst_data_len, padding) padded to 40 bytes, op_type,
# padding. 72 bytes in both layouts (the legacy 48-byte padding is the natural size here).
CIPHER_REQUEST = struct.Struct("<I4xQI4xIII4x24xI4x")
HEADER_SIZE = CIPHER_REQUEST.size

# virtio_crypto_ctrl_header (opcode, algo, flag, reserved), then the CIPHER create-session fixed part:
# cipher_session_para (algo, key_len, op, padding) padded to 48 bytes, op_type, padding. 72 bytes in
# both layouts.
CREATE_CIPHER = struct.Struct("<I12xIII4x32xI4x")
# the control header, then the destroy request's session_id (its fixed part is 8 or 56 bytes)
DESTROY = struct.Struct("<I12xQ")

FastPath = Callable[[int, Sequence[Buffer], Sequence[Buffer]], "int | None"]

assert HEADER_SIZE == CREATE_CIPHER.size == 72


def cipher_fast_path(
    sessions: dict[int, Session], data_queues: int, revision_1: bool, max_size: int
) -> FastPath:
    """The fast path for one device's negotiated state: ``(queue, readable, writable)`` to the used
    length, or None when the general path must take the request."""
    unpack = CIPHER_REQUEST.unpack_from
    lookup = sessions.get
    cipher_op = int(SymOp.CIPHER)
    need_flag = FLAG_SESSION_MODE if revision_1 else 0  # without REVISION_1 the flag is not looked at

    def run(queue: int, readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int | None:
        if (
            type(readable) is not ByteViews
            or type(writable) is not ByteViews
            or len(readable) != 3
            or len(writable) != 2
            or not 0 <= queue < data_queues
        ):
            return None
        header, iv, src = readable
        dst, status = writable
        if header.nbytes != HEADER_SIZE:
            return None
        opcode, session_id, flag, iv_len, src_len, dst_len, op_type = unpack(header)
        session = lookup(session_id)
        if (
            type(session) is not CipherSession
            or session.opcode != opcode  # also: a CIPHER request (the session's service and direction)
            or flag & need_flag != need_flag
            or op_type != cipher_op
            or iv.nbytes != iv_len
            or src.nbytes != src_len
            or dst.nbytes != dst_len
            or dst_len != src_len
            or iv_len + src_len + dst_len > max_size
        ):
            return None
        try:
            session.ctx.crypt(iv, src, dst)
        except CryptoError as exc:  # what the general path answers: the contexts check before writing
            status[-1] = status_of(exc)
            log.debug("data request failed (%s): %s", status_of(exc).name, exc)
            return 1
        except Exception:  # as the general path: a bug of ours must not take the device down
            log.exception("internal error while executing a data request")
            status[-1] = Status.ERR
            return 1
        status[-1] = 0
        return dst_len + 1

    return run


def control_fast_path(
    create: Callable[[CipherParams], int],
    destroy: Callable[[int, Service], Status],
    revision_1: bool,
) -> Callable[[Sequence[Buffer], Sequence[Buffer]], int | None]:
    """The control queue's fast path: ``(readable, writable)`` to the used length, or None.

    ``create`` and ``destroy`` are the device's own ``create_session`` and ``destroy_session``:
    only the decoding is skipped, every check on the parameters is theirs."""
    unpack_create, unpack_destroy = CREATE_CIPHER.unpack_from, DESTROY.unpack_from
    pack_outcome = L.CREATE_SESSION_INPUT.pack_into
    create_opcode, cipher_op = int(Opcode.CIPHER_CREATE_SESSION), int(SymOp.CIPHER)
    destroy_services = {int(opcode): service for service, opcode in DESTROY_SESSION_OPCODES.items()}
    destroy_size = L.CTRL_HEADER.size + L.ctrl_flf_size(L.DESTROY_SESSION_FLF.size, revision_1)

    def run(readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int | None:
        if type(readable) is not ByteViews or type(writable) is not ByteViews or not writable:
            return None
        header = readable[0]
        outcome = writable[0]
        if len(readable) == 2 and header.nbytes == CREATE_CIPHER.size:
            opcode, algo, key_len, op, op_type = unpack_create(header)
            key = readable[1]
            if (
                opcode != create_opcode
                or op_type != cipher_op
                or key.nbytes != key_len
                or outcome.nbytes < CREATE_SESSION_INPUT_SIZE
            ):
                return None
            try:
                session_id, status = create(CipherParams(algo, bytes(key), op)), Status.OK
            except DeviceError as exc:
                log.debug("create session refused (%s): %s", exc.status.name, exc)
                session_id, status = 0, exc.status
            pack_outcome(outcome, 0, session_id, status, 0)
            return CREATE_SESSION_INPUT_SIZE
        if len(readable) == 1 and header.nbytes == destroy_size:
            opcode, session_id = unpack_destroy(header)
            service = destroy_services.get(opcode)
            if service is None:
                return None
            outcome[0] = destroy(session_id, service)
            return 1
        return None

    return run
