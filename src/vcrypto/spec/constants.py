"""Every constant of the virtio-crypto device section (OASIS virtio spec, device ID 20).

Names follow the spec with the ``VIRTIO_CRYPTO_`` prefix dropped; values are the spec's.
Algorithm values double as bit numbers in the config-space masks.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

DEVICE_ID = 20


class Service(IntEnum):
    CIPHER = 0
    HASH = 1
    MAC = 2
    AEAD = 3
    AKCIPHER = 4
    IPSEC = 5


class CipherAlgo(IntEnum):
    NO_CIPHER = 0
    ARC4 = 1
    AES_ECB = 2
    AES_CBC = 3
    AES_CTR = 4
    DES_ECB = 5
    DES_CBC = 6
    DES3_ECB = 7
    DES3_CBC = 8
    DES3_CTR = 9
    KASUMI_F8 = 10
    SNOW3G_UEA2 = 11
    AES_F8 = 12
    AES_XTS = 13
    ZUC_EEA3 = 14


class HashAlgo(IntEnum):
    NO_HASH = 0
    MD5 = 1
    SHA1 = 2
    SHA_224 = 3
    SHA_256 = 4
    SHA_384 = 5
    SHA_512 = 6
    SHA3_224 = 7
    SHA3_256 = 8
    SHA3_384 = 9
    SHA3_512 = 10
    SHA3_SHAKE128 = 11
    SHA3_SHAKE256 = 12


class MacAlgo(IntEnum):
    NO_MAC = 0
    HMAC_MD5 = 1
    HMAC_SHA1 = 2
    HMAC_SHA_224 = 3
    HMAC_SHA_256 = 4
    HMAC_SHA_384 = 5
    HMAC_SHA_512 = 6
    CMAC_3DES = 25
    CMAC_AES = 26
    KASUMI_F9 = 27
    SNOW3G_UIA2 = 28
    GMAC_AES = 41
    GMAC_TWOFISH = 42
    CBCMAC_AES = 49
    CBCMAC_KASUMI_F9 = 50
    XCBC_AES = 53
    ZUC_EIA3 = 54


class AeadAlgo(IntEnum):
    NO_AEAD = 0
    GCM = 1
    CCM = 2
    CHACHA20_POLY1305 = 3


class AkcipherAlgo(IntEnum):
    NO_AKCIPHER = 0
    RSA = 1
    ECDSA = 2


class Status(IntEnum):
    OK = 0
    ERR = 1
    BADMSG = 2
    NOTSUPP = 3
    INVSESS = 4
    NOSPC = 5
    KEY_REJECTED = 6
    IPSEC_SA_SOFT_EXPIRY = 7


class Feature(IntFlag):
    """Device-specific feature bits (bits 0-5 of the feature word)."""

    REVISION_1 = 1 << 0
    CIPHER_STATELESS_MODE = 1 << 1
    HASH_STATELESS_MODE = 1 << 2
    MAC_STATELESS_MODE = 1 << 3
    AEAD_STATELESS_MODE = 1 << 4
    AKCIPHER_STATELESS_MODE = 1 << 5


ALL_STATELESS = (
    Feature.CIPHER_STATELESS_MODE
    | Feature.HASH_STATELESS_MODE
    | Feature.MAC_STATELESS_MODE
    | Feature.AEAD_STATELESS_MODE
    | Feature.AKCIPHER_STATELESS_MODE
)

STATELESS_FEATURE: dict[Service, Feature] = {
    Service.CIPHER: Feature.CIPHER_STATELESS_MODE,
    Service.HASH: Feature.HASH_STATELESS_MODE,
    Service.MAC: Feature.MAC_STATELESS_MODE,
    Service.AEAD: Feature.AEAD_STATELESS_MODE,
    Service.AKCIPHER: Feature.AKCIPHER_STATELESS_MODE,
}

# Generic virtio feature bits a crypto device deals with.
VIRTIO_F_INDIRECT_DESC = 1 << 28
VIRTIO_F_EVENT_IDX = 1 << 29
VIRTIO_F_VERSION_1 = 1 << 32
VIRTIO_F_RING_PACKED = 1 << 34

# virtio_crypto_config.status
S_HW_READY = 1 << 0

# virtio_crypto_op_header.flag
FLAG_SESSION_MODE = 1


def opcode(service: Service, op: int) -> int:
    """VIRTIO_CRYPTO_OPCODE(service, op)."""
    return (int(service) << 8) | op


class Opcode(IntEnum):
    # control queue
    CIPHER_CREATE_SESSION = 0x0002
    CIPHER_DESTROY_SESSION = 0x0003
    HASH_CREATE_SESSION = 0x0102
    HASH_DESTROY_SESSION = 0x0103
    MAC_CREATE_SESSION = 0x0202
    MAC_DESTROY_SESSION = 0x0203
    AEAD_CREATE_SESSION = 0x0302
    AEAD_DESTROY_SESSION = 0x0303
    AKCIPHER_CREATE_SESSION = 0x0404
    AKCIPHER_DESTROY_SESSION = 0x0405
    # data queues
    CIPHER_ENCRYPT = 0x0000
    CIPHER_DECRYPT = 0x0001
    HASH = 0x0100
    MAC = 0x0200
    AEAD_ENCRYPT = 0x0300
    AEAD_DECRYPT = 0x0301
    AKCIPHER_ENCRYPT = 0x0400
    AKCIPHER_DECRYPT = 0x0401
    AKCIPHER_SIGN = 0x0402
    AKCIPHER_VERIFY = 0x0403
    IPSEC_OUTBOUND = 0x0500
    IPSEC_INBOUND = 0x0501

    @property
    def service(self) -> Service:
        return Service(self.value >> 8)


CREATE_SESSION_OPCODES = {
    Service.CIPHER: Opcode.CIPHER_CREATE_SESSION,
    Service.HASH: Opcode.HASH_CREATE_SESSION,
    Service.MAC: Opcode.MAC_CREATE_SESSION,
    Service.AEAD: Opcode.AEAD_CREATE_SESSION,
    Service.AKCIPHER: Opcode.AKCIPHER_CREATE_SESSION,
}
DESTROY_SESSION_OPCODES = {
    Service.CIPHER: Opcode.CIPHER_DESTROY_SESSION,
    Service.HASH: Opcode.HASH_DESTROY_SESSION,
    Service.MAC: Opcode.MAC_DESTROY_SESSION,
    Service.AEAD: Opcode.AEAD_DESTROY_SESSION,
    Service.AKCIPHER: Opcode.AKCIPHER_DESTROY_SESSION,
}


class Direction(IntEnum):
    """VIRTIO_CRYPTO_OP_ENCRYPT / VIRTIO_CRYPTO_OP_DECRYPT in session parameters."""

    ENCRYPT = 1
    DECRYPT = 2


class SymOp(IntEnum):
    NONE = 0
    CIPHER = 1
    ALGORITHM_CHAINING = 2


class ChainOrder(IntEnum):
    HASH_THEN_CIPHER = 1
    CIPHER_THEN_HASH = 2


class HashMode(IntEnum):
    PLAIN = 1
    AUTH = 2
    NESTED = 3


class AkcipherKeyType(IntEnum):
    PUBLIC = 1
    PRIVATE = 2


class RsaPadding(IntEnum):
    RAW = 0
    PKCS1 = 1


class RsaHash(IntEnum):
    NO_HASH = 0
    MD2 = 1
    MD3 = 2
    MD4 = 3
    MD5 = 4
    SHA1 = 5
    SHA256 = 6
    SHA384 = 7
    SHA512 = 8
    SHA224 = 9


class Curve(IntEnum):
    UNKNOWN = 0
    NIST_P192 = 1
    NIST_P224 = 2
    NIST_P256 = 3
    NIST_P384 = 4
    NIST_P521 = 5


# Capability and resource-object identifiers of the IPSEC service (admin queue).
IPSEC_RESOURCE_CAP = 0x0800
IPSEC_SA_CAP = 0x0801
RESOURCE_OBJ_IPSEC_OUTBOUND_SA = 0x0200
RESOURCE_OBJ_IPSEC_INBOUND_SA = 0x0201

# Fixed sizes of the wire structures.
CTRL_HEADER_SIZE = 16  # virtio_crypto_ctrl_header
DATA_HEADER_SIZE = 24  # virtio_crypto_op_header
CTRLQ_OP_SPEC_HDR_LEGACY = 56  # control fixed part without REVISION_1
DATAQ_OP_SPEC_HDR_LEGACY = 48  # data fixed part without REVISION_1
SYM_SESS_OP_SPEC_HDR_SIZE = 48
ALG_CHAIN_SESS_OP_SPEC_HDR_SIZE = 16
AKCIPHER_SESS_ALGO_SPEC_HDR_SIZE = 44
SYM_DATA_REQ_HDR_SIZE = 40
SYM_DATA_REQ_HDR_STATELESS_SIZE = 72
CREATE_SESSION_INPUT_SIZE = 16  # virtio_crypto_create_session_input
DESTROY_SESSION_INPUT_SIZE = 1  # virtio_crypto_destroy_session_input
INHDR_SIZE = 1  # virtio_crypto_inhdr
