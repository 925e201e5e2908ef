"""Structure sizes against the numbers the spec text states (virtio spec, crypto device section)."""

from vcrypto.spec import layout as L
from vcrypto.spec.config import CONFIG_SIZE, CryptoConfig
from vcrypto.spec.constants import Opcode, Service, opcode


def test_headers_and_legacy_fixed_parts() -> None:
    # "16-byte header + 56-byte fixed part" (control) and "24 + 48" (data) without REVISION_1
    assert L.CTRL_HEADER.size == 16
    assert L.OP_HEADER.size == 24
    assert L.ctrl_flf_size(L.HASH_CREATE_SESSION_FLF.size, revision_1=False) == 56
    assert L.data_flf_size(L.HASH_DATA_FLF.size, revision_1=False) == 48
    assert L.CREATE_SESSION_INPUT.size == 16


def test_natural_sizes_with_revision_1() -> None:
    assert L.HASH_CREATE_SESSION_FLF.size == 8
    assert L.MAC_CREATE_SESSION_FLF.size == 16
    assert L.AEAD_CREATE_SESSION_FLF.size == 24
    assert L.SYM_CREATE_SESSION_FLF.size == 56  # 48-byte op_flf + op_type + padding
    assert L.AKCIPHER_CREATE_SESSION_FLF.size == 56  # algo, key_type, key_len + 44-byte algo_flf
    assert L.DESTROY_SESSION_FLF.size == 8
    assert L.SYM_DATA_FLF.size == 48  # 40-byte op_type_flf + op_type + padding
    assert L.SYM_DATA_FLF_STATELESS.size == 76  # 72-byte op_type_flf + op_type
    assert L.AEAD_DATA_FLF.size == 24
    assert L.AEAD_DATA_FLF_STATELESS.size == 32
    assert L.HASH_DATA_FLF_STATELESS.size == 16
    assert L.MAC_DATA_FLF_STATELESS.size == 16
    assert L.AKCIPHER_DATA_FLF.size == 8
    assert L.AKCIPHER_DATA_FLF_STATELESS.size == 28


def test_opcodes_follow_the_spec_macro() -> None:
    assert opcode(Service.CIPHER, 0x02) == Opcode.CIPHER_CREATE_SESSION
    assert opcode(Service.AKCIPHER, 0x04) == Opcode.AKCIPHER_CREATE_SESSION
    assert opcode(Service.AKCIPHER, 0x05) == Opcode.AKCIPHER_DESTROY_SESSION
    assert opcode(Service.AEAD, 0x01) == Opcode.AEAD_DECRYPT
    assert opcode(Service.IPSEC, 0x01) == Opcode.IPSEC_INBOUND
    assert Opcode.AKCIPHER_VERIFY.service == Service.AKCIPHER


def test_config_space_round_trip_and_split_masks() -> None:
    config = CryptoConfig(1, 3, 0x1F, (1 << 40) | 8, 0x1FFE, (1 << 54) | 4, 0xE, 64, 512, 0x6, 1 << 40)
    raw = config.encode()
    assert len(raw) == CONFIG_SIZE == 56
    assert raw[12:16] == (8).to_bytes(4, "little")  # cipher_algo_l
    assert raw[16:20] == (1 << 8).to_bytes(4, "little")  # cipher_algo_h holds bit 40
    assert raw[28:32] == (1 << 22).to_bytes(4, "little")  # mac_algo_h holds bit 54
    assert raw[48:56] == (1 << 40).to_bytes(8, "little")  # max_size is le64
    assert CryptoConfig.decode(raw) == config
