"""Fixed-size parts of every request and response, as ``struct.Struct`` objects.

One ``Struct`` per spec structure, named after it. The fixed parts (``*_flf``) have their natural size
with VIRTIO_CRYPTO_F_REVISION_1; without it they are zero-padded to 56 bytes (control queue) or 48 bytes
(data queue). ``flf_size`` gives the size in force for a layout.
"""

from __future__ import annotations

import struct

from .constants import (
    ALG_CHAIN_SESS_OP_SPEC_HDR_SIZE,
    CTRLQ_OP_SPEC_HDR_LEGACY,
    DATAQ_OP_SPEC_HDR_LEGACY,
    SYM_DATA_REQ_HDR_SIZE,
    SYM_DATA_REQ_HDR_STATELESS_SIZE,
    SYM_SESS_OP_SPEC_HDR_SIZE,
)

# --- headers and outcomes -------------------------------------------------------------------------

CTRL_HEADER = struct.Struct("<IIII")  # opcode, algo, flag, reserved
OP_HEADER = struct.Struct("<IIQII")  # opcode, algo, session_id, flag, padding
CREATE_SESSION_INPUT = struct.Struct("<QII")  # session_id, status, padding

# --- control queue fixed parts --------------------------------------------------------------------

DESTROY_SESSION_FLF = struct.Struct("<Q")  # session_id
HASH_CREATE_SESSION_FLF = struct.Struct("<II")  # algo, hash_result_len
MAC_CREATE_SESSION_FLF = struct.Struct("<IIII")  # algo, hash_result_len, auth_key_len, padding
CIPHER_SESSION_FLF = struct.Struct("<IIII")  # algo, key_len, op, padding
# alg_chain_order, hash_mode, cipher_hdr (16), algo_flf (16), aad_len, padding
ALG_CHAIN_SESSION_FLF = struct.Struct(f"<II16s{ALG_CHAIN_SESS_OP_SPEC_HDR_SIZE}sII")
SYM_CREATE_SESSION_FLF = struct.Struct(f"<{SYM_SESS_OP_SPEC_HDR_SIZE}sII")  # op_flf, op_type, padding
AEAD_CREATE_SESSION_FLF = struct.Struct("<IIIIII")  # algo, key_len, tag_len, aad_len, op, padding
AKCIPHER_CREATE_SESSION_FLF = struct.Struct("<III44s")  # algo, key_type, key_len, algo_flf
RSA_SESSION_PARA = struct.Struct("<II")  # padding_algo, hash_algo
ECDSA_SESSION_PARA = struct.Struct("<I")  # curve_id

# --- data queue fixed parts (session mode) --------------------------------------------------------

HASH_DATA_FLF = struct.Struct("<II")  # src_data_len, hash_result_len
MAC_DATA_FLF = HASH_DATA_FLF
CIPHER_DATA_FLF = struct.Struct("<IIII")  # iv_len, src_data_len, dst_data_len, padding
# iv_len, src_data_len, dst_data_len, cipher_start_src_offset, len_to_cipher,
# hash_start_src_offset, len_to_hash, aad_len, hash_result_len, reserved
ALG_CHAIN_DATA_FLF = struct.Struct("<10I")
SYM_DATA_FLF = struct.Struct(f"<{SYM_DATA_REQ_HDR_SIZE}sII")  # op_type_flf, op_type, padding
# iv_len, aad_len, src_data_len, dst_data_len, tag_len, reserved
AEAD_DATA_FLF = struct.Struct("<6I")
AKCIPHER_DATA_FLF = struct.Struct("<II")  # src_data_len, dst_data_len

# --- data queue fixed parts (stateless mode, REVISION_1 only) -------------------------------------

HASH_DATA_FLF_STATELESS = struct.Struct("<IIII")  # algo, src_data_len, hash_result_len, reserved
MAC_DATA_FLF_STATELESS = struct.Struct("<IIII")  # algo, auth_key_len, src_data_len, hash_result_len
# algo, key_len, op, iv_len, src_data_len, dst_data_len
CIPHER_DATA_FLF_STATELESS = struct.Struct("<6I")
# alg_chain_order, aad_len, cipher algo/key_len/op, hash algo/auth_key_len/hash_mode,
# iv_len, src_data_len, dst_data_len, cipher_start_src_offset, len_to_cipher,
# hash_start_src_offset, len_to_hash, aad_len, hash_result_len, reserved
ALG_CHAIN_DATA_FLF_STATELESS = struct.Struct("<18I")
SYM_DATA_FLF_STATELESS = struct.Struct(f"<{SYM_DATA_REQ_HDR_STATELESS_SIZE}sI")  # op_type_flf, op_type
# algo, key_len, op, iv_len, tag_len, aad_len, src_data_len, dst_data_len
AEAD_DATA_FLF_STATELESS = struct.Struct("<8I")
# algo, key_type, key_len, algo-specific parameters (8), src_data_len, dst_data_len
AKCIPHER_DATA_FLF_STATELESS = struct.Struct("<III8sII")

assert SYM_CREATE_SESSION_FLF.size == CTRLQ_OP_SPEC_HDR_LEGACY
assert ALG_CHAIN_SESSION_FLF.size == SYM_SESS_OP_SPEC_HDR_SIZE
assert AKCIPHER_CREATE_SESSION_FLF.size == CTRLQ_OP_SPEC_HDR_LEGACY
assert SYM_DATA_FLF.size == DATAQ_OP_SPEC_HDR_LEGACY
assert ALG_CHAIN_DATA_FLF.size == SYM_DATA_REQ_HDR_SIZE
assert ALG_CHAIN_DATA_FLF_STATELESS.size == SYM_DATA_REQ_HDR_STATELESS_SIZE


def ctrl_flf_size(natural: int, revision_1: bool) -> int:
    """Size of a control request's fixed part: natural with REVISION_1, else padded to 56."""
    return natural if revision_1 else CTRLQ_OP_SPEC_HDR_LEGACY


def data_flf_size(natural: int, revision_1: bool) -> int:
    """Size of a data request's fixed part: natural with REVISION_1, else padded to 48."""
    return natural if revision_1 else DATAQ_OP_SPEC_HDR_LEGACY


def pad(fixed: bytes, size: int) -> bytes:
    """Zero-pad an encoded fixed part to the size the layout requires."""
    return fixed + bytes(size - len(fixed))
