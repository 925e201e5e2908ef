"""The 632- and 1072-byte session messages, field by field, against hand-built payloads."""

from __future__ import annotations

import struct

import pytest

from vcrypto.spec.constants import (
    AkcipherAlgo,
    AkcipherKeyType,
    ChainOrder,
    CipherAlgo,
    Direction,
    HashAlgo,
    HashMode,
    MacAlgo,
    RsaHash,
    RsaPadding,
    Status,
)
from vcrypto.spec.params import AkcipherParams, ChainParams, CipherParams, HashParams, MacParams
from vcrypto.vhost_user import crypto_session as cs


def qemu_sym(layout: int, fields: tuple, key: bytes, auth_key: bytes = b"", session_id: int = 0) -> bytes:
    """Built from the facts file's table, independently of the module under test."""
    payload = bytearray(layout)
    if layout == 632:
        struct.pack_into("<q", payload, 0, session_id)
    else:
        struct.pack_into("<Q", payload, 0, 0x0002)
        struct.pack_into("<q", payload, 1064, session_id)
    struct.pack_into("<IIIIIIBBBB", payload, 8, *fields)
    struct.pack_into("<QQ", payload, 40, 0x5555_0000_1111, 0x5555_0000_2222)  # QEMU's host pointers
    payload[56 : 56 + len(key)] = key
    payload[120 : 120 + len(auth_key)] = auth_key
    return bytes(payload)


@pytest.mark.parametrize("layout", [632, 1072])
def test_cipher_session(layout):
    key = bytes(range(16))
    payload = qemu_sym(layout, (CipherAlgo.AES_CBC, 16, 0, 0, 0, 0, 1, Direction.DECRYPT, 0, 0), key)
    assert cs.decode_create(payload) == CipherParams(CipherAlgo.AES_CBC, key, Direction.DECRYPT)
    expected = bytearray(payload)
    expected[40:56] = bytes(16)  # the host pointers are QEMU's own; an encoder leaves them zero
    assert cs.encode_create(CipherParams(CipherAlgo.AES_CBC, key, Direction.DECRYPT), layout) == expected


@pytest.mark.parametrize("layout", [632, 1072])
def test_chain_session_with_mac(layout):
    key, auth_key = b"k" * 32, b"a" * 100
    fields = (CipherAlgo.AES_CTR, 32, MacAlgo.HMAC_SHA_256, 16, 100, 8, 2, Direction.ENCRYPT, HashMode.AUTH,
              ChainOrder.CIPHER_THEN_HASH)  # fmt: skip
    params = cs.decode_create(qemu_sym(layout, fields, key, auth_key))
    assert params == ChainParams(
        CipherParams(CipherAlgo.AES_CTR, key, Direction.ENCRYPT),
        ChainOrder.CIPHER_THEN_HASH, HashMode.AUTH, MacParams(MacAlgo.HMAC_SHA_256, 16, auth_key), 8,
    )  # fmt: skip
    assert cs.decode_create(cs.encode_create(params, layout)) == params


@pytest.mark.parametrize("layout", [632, 1072])
def test_chain_session_with_plain_hash(layout):
    fields = (CipherAlgo.AES_CBC, 16, HashAlgo.SHA1, 20, 0, 0, 2, Direction.ENCRYPT, HashMode.PLAIN,
              ChainOrder.HASH_THEN_CIPHER)  # fmt: skip
    params = cs.decode_create(qemu_sym(layout, fields, b"k" * 16))
    assert params.auth == HashParams(HashAlgo.SHA1, 20)
    assert params.order == ChainOrder.HASH_THEN_CIPHER


def test_asymmetric_session_1072():
    der = bytes(range(256)) * 2
    payload = bytearray(1072)
    struct.pack_into("<Q", payload, 0, 0x0404)
    struct.pack_into("<III", payload, 8, AkcipherAlgo.RSA, AkcipherKeyType.PRIVATE, len(der))
    struct.pack_into("<Q", payload, 24, 0x5555_0000_3333)
    struct.pack_into("<II", payload, 32, RsaPadding.PKCS1, RsaHash.SHA1)
    payload[40 : 40 + len(der)] = der
    params = cs.decode_create(bytes(payload))
    assert params == AkcipherParams(
        AkcipherAlgo.RSA, AkcipherKeyType.PRIVATE, der, RsaPadding.PKCS1, RsaHash.SHA1
    )
    assert cs.decode_create(cs.encode_create(params, 1072)) == params


@pytest.mark.parametrize(
    ("layout", "offset", "value", "status"),
    [
        (632, 12, 65, Status.ERR),  # cipher key longer than the 64-byte field
        (632, 24, 513, Status.ERR),  # auth key longer than the 512-byte field (chaining, AUTH)
        (632, 32, 7, Status.NOTSUPP),  # unknown op_type
        (1072, 0, 0x0102, Status.NOTSUPP),  # a HASH create session: QEMU does not forward those
    ],
)
def test_refusals(layout, offset, value, status):
    fields = (CipherAlgo.AES_CBC, 16, MacAlgo.HMAC_SHA1, 20, 20, 0, 2, 1, HashMode.AUTH, 1)
    payload = bytearray(qemu_sym(layout, fields, b"k" * 16, b"a" * 20))
    struct.pack_into("<Q" if offset == 0 else "<I", payload, offset, value)
    if offset == 32:
        payload[32] = value
    with pytest.raises(cs.SessionRequestError) as info:
        cs.decode_create(bytes(payload))
    assert info.value.status == status


def test_asymmetric_key_too_long():
    payload = bytearray(1072)
    struct.pack_into("<QIII", payload, 0, 0x0404, AkcipherAlgo.RSA, AkcipherKeyType.PUBLIC, 1025)
    with pytest.raises(cs.SessionRequestError):
        cs.decode_create(bytes(payload))


@pytest.mark.parametrize(("layout", "at"), [(632, 0), (1072, 1064)])
def test_reply_keeps_the_request_and_sets_the_id(layout, at):
    request = qemu_sym(layout, (CipherAlgo.AES_CBC, 16, 0, 0, 0, 0, 1, 1, 0, 0), b"k" * 16)
    for session_id in (7, -3):
        reply = cs.encode_create_reply(request, session_id)
        assert len(reply) == layout
        assert struct.unpack_from("<q", reply, at)[0] == session_id
        assert cs.session_id_of(reply) == session_id
        assert reply[:at] + reply[at + 8 :] == request[:at] + request[at + 8 :]


def test_refusal_ids_are_negative():
    assert all(cs.refusal_id(status) < 0 for status in Status)


def test_close_payload():
    assert cs.decode_close(struct.pack("<Q", 42)) == 42


def test_layouts():
    assert cs.is_create_layout(632) and cs.is_create_layout(1072)
    assert not cs.is_create_layout(636)
