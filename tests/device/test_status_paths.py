"""Every status path of every request type, through the real wire format.

Each test builds the request bytes as a driver would (``vcrypto.spec.encode``, or by hand for
malformed requests) and checks the status the device writes and the used length it reports.
"""

from __future__ import annotations

import struct

import pytest

from vcrypto.device import CryptoDevice, DeviceConfig
from vcrypto.driver import CryptoDriver, StatusError
from vcrypto.spec import encode
from vcrypto.spec import layout as L
from vcrypto.spec.constants import (
    ALL_STATELESS,
    AeadAlgo,
    ChainOrder,
    CipherAlgo,
    Direction,
    Feature,
    HashAlgo,
    HashMode,
    MacAlgo,
    Opcode,
    Service,
    Status,
)
from vcrypto.spec.params import AeadParams, ChainParams, CipherParams, HashParams, MacParams

KEY = bytes(range(16))
IV = bytes(16)
AES_CBC = CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT)
LAYOUTS = [pytest.param(0, id="legacy"), pytest.param(Feature.REVISION_1 | ALL_STATELESS, id="rev1")]


def run(device: CryptoDevice, queue: int, readable: list, sizes: list[int]) -> tuple[bytes, int]:
    writable = [bytearray(size) for size in sizes]
    used = device.process(queue, readable, writable)
    return b"".join(writable), used


def create(device: CryptoDevice, readable: list) -> tuple[int, Status]:
    out, used = run(device, device.control_queue, readable, [16])
    assert used == 16
    session_id, status, _ = L.CREATE_SESSION_INPUT.unpack(out)
    return session_id, Status(status)


def data_status(device: CryptoDevice, readable: list, sizes: list[int]) -> Status:
    out, used = run(device, 0, readable, sizes)
    assert used >= 1
    return Status(out[-1])


def device(features: int = 0, **limits: int) -> CryptoDevice:
    dev = CryptoDevice(DeviceConfig(**limits))
    dev.set_driver_features(features)
    return dev


# --- control queue ------------------------------------------------------------------------------


@pytest.mark.parametrize("features", LAYOUTS)
def test_create_gives_unique_ids_and_destroy_gives_ok_then_err(features: int) -> None:
    dev = device(features)
    rev1 = bool(features)
    ids = set()
    for _ in range(5):
        session_id, status = create(dev, encode.create_session(AES_CBC, rev1))
        assert status == Status.OK
        ids.add(session_id)
    assert len(ids) == 5
    victim = min(ids)
    out, used = run(dev, dev.control_queue, encode.destroy_session(Service.CIPHER, victim, rev1), [1])
    assert (out, used) == (bytes([Status.OK]), 1)
    out, used = run(dev, dev.control_queue, encode.destroy_session(Service.CIPHER, victim, rev1), [1])
    assert (out, used) == (bytes([Status.ERR]), 1)  # already destroyed
    out, _ = run(dev, dev.control_queue, encode.destroy_session(Service.CIPHER, 10**9, rev1), [1])
    assert out == bytes([Status.ERR])  # never existed
    other = max(ids)
    out, _ = run(dev, dev.control_queue, encode.destroy_session(Service.HASH, other, rev1), [1])
    assert out == bytes([Status.ERR])  # a CIPHER session is not destroyed by HASH_DESTROY_SESSION


@pytest.mark.parametrize(
    "params",
    [
        CipherParams(99, KEY, Direction.ENCRYPT),
        CipherParams(CipherAlgo.NO_CIPHER, KEY, Direction.ENCRYPT),
        HashParams(99, 16),
        MacParams(MacAlgo.GMAC_TWOFISH, 16, KEY),
        MacParams(MacAlgo.CBCMAC_KASUMI_F9, 4, KEY),
        AeadParams(99, KEY, 16, 0, Direction.ENCRYPT),
        ChainParams(AES_CBC, ChainOrder.HASH_THEN_CIPHER, HashMode.PLAIN, HashParams(99, 16), 0),
    ],
    ids=["cipher-99", "no-cipher", "hash-99", "gmac-twofish", "cbcmac-kasumi", "aead-99", "chain-hash-99"],
)
@pytest.mark.parametrize("features", LAYOUTS)
def test_unsupported_algorithms_give_notsupp(features: int, params: object) -> None:
    dev = device(features)
    assert create(dev, encode.create_session(params, bool(features)))[1] == Status.NOTSUPP  # type: ignore[arg-type]


@pytest.mark.parametrize("features", LAYOUTS)
def test_sym_op_none_and_nested_hash_give_notsupp(features: int) -> None:
    dev = device(features)
    rev1 = bool(features)
    readable = encode.create_session(AES_CBC, rev1)
    header = bytearray(readable[0])
    struct.pack_into("<I", header, 16 + 48, 0)  # op_type = VIRTIO_CRYPTO_SYM_OP_NONE
    assert create(dev, [bytes(header), KEY])[1] == Status.NOTSUPP
    chain = ChainParams(
        AES_CBC, ChainOrder.HASH_THEN_CIPHER, HashMode.PLAIN, HashParams(HashAlgo.SHA1, 20), 0
    )
    header = bytearray(encode.create_session(chain, rev1)[0])
    struct.pack_into("<I", header, 16 + 4, HashMode.NESTED)
    assert create(dev, [bytes(header), KEY])[1] == Status.NOTSUPP


@pytest.mark.parametrize("features", LAYOUTS)
def test_bad_key_and_length_parameters_give_err(features: int) -> None:
    dev = device(features, max_cipher_key_len=32, max_auth_key_len=64)
    rev1 = bool(features)
    bad = [
        CipherParams(CipherAlgo.AES_CBC, bytes(17), Direction.ENCRYPT),  # not an AES key size
        CipherParams(CipherAlgo.AES_XTS, bytes(64), Direction.ENCRYPT),  # over max_cipher_key_len
        CipherParams(CipherAlgo.AES_CBC, KEY, 7),  # no such direction
        HashParams(HashAlgo.SHA_256, 33),  # longer than the digest
        HashParams(HashAlgo.SHA_256, 0),
        MacParams(MacAlgo.HMAC_SHA_256, 32, bytes(65)),  # over max_auth_key_len
        MacParams(MacAlgo.CMAC_AES, 16, bytes(15)),
        AeadParams(AeadAlgo.GCM, KEY, 17, 0, Direction.ENCRYPT),  # tag too long
        AeadParams(AeadAlgo.GCM, bytes(15), 16, 0, Direction.ENCRYPT),
    ]
    for params in bad:
        assert create(dev, encode.create_session(params, rev1)) == (0, Status.ERR), params


@pytest.mark.parametrize("features", LAYOUTS)
def test_truncated_control_requests_give_err(features: int) -> None:
    dev = device(features)
    readable = encode.create_session(AES_CBC, bool(features))
    whole = b"".join(readable)
    for cut in (0, 5, 16, 40, len(whole) - 1):
        assert create(dev, [whole[:cut]]) == (0, Status.ERR)


def test_unknown_control_opcode_gives_notsupp() -> None:
    dev = device()
    out, used = run(dev, dev.control_queue, [L.CTRL_HEADER.pack(0x0999, 0, 0, 0) + bytes(56)], [16])
    assert used == 16 and L.CREATE_SESSION_INPUT.unpack(out)[1] == Status.NOTSUPP
    out, used = run(dev, dev.control_queue, [L.CTRL_HEADER.pack(0x0999, 0, 0, 0) + bytes(56)], [1])
    assert (out, used) == (bytes([Status.NOTSUPP]), 1)


def test_session_limit_gives_nospc_with_revision_1_and_err_without() -> None:
    for features, expected in ((Feature.REVISION_1, Status.NOSPC), (0, Status.ERR)):
        dev = device(features, max_sessions=2)
        rev1 = bool(features)
        assert create(dev, encode.create_session(AES_CBC, rev1))[1] == Status.OK
        assert create(dev, encode.create_session(AES_CBC, rev1))[1] == Status.OK
        assert create(dev, encode.create_session(AES_CBC, rev1)) == (0, expected)


def test_create_without_room_for_the_outcome_creates_nothing() -> None:
    dev = device()
    assert run(dev, dev.control_queue, encode.create_session(AES_CBC, False), [8]) == (bytes(8), 0)
    assert len(dev.sessions) == 0


# --- data queues --------------------------------------------------------------------------------


@pytest.mark.parametrize("features", LAYOUTS)
def test_invalid_session_gives_invsess(features: int) -> None:
    dev = device(features)
    rev1 = bool(features)
    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, 12345, IV, bytes(16), 16, rev1)
    assert data_status(dev, readable, [16, 1]) == Status.INVSESS
    hash_id, _ = create(dev, encode.create_session(HashParams(HashAlgo.SHA1, 20), rev1))
    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, hash_id, IV, bytes(16), 16, rev1)
    assert data_status(dev, readable, [16, 1]) == Status.INVSESS  # a HASH session for a CIPHER request


def test_stateless_request_needs_its_feature_bit() -> None:
    stateless = CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT)
    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, stateless, IV, bytes(16), 16, True)
    dev = device(Feature.REVISION_1 | Feature.HASH_STATELESS_MODE)
    assert data_status(dev, readable, [16, 1]) == Status.NOTSUPP
    dev = device(Feature.REVISION_1 | Feature.CIPHER_STATELESS_MODE)
    assert data_status(dev, readable, [16, 1]) == Status.OK


def test_flag_is_ignored_without_revision_1() -> None:
    dev = device(0)
    session_id, _ = create(dev, encode.create_session(AES_CBC, False))
    header = bytearray(encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(16), 16, False)[0])
    for flag in (0, 1, 0xFFFFFFFF):
        struct.pack_into("<I", header, 16, flag)
        assert data_status(dev, [bytes(header), IV, bytes(16)], [16, 1]) == Status.OK


@pytest.mark.parametrize("features", LAYOUTS)
def test_unknown_and_ipsec_data_opcodes_give_notsupp(features: int) -> None:
    dev = device(features)
    for opcode in (Opcode.IPSEC_OUTBOUND, Opcode.IPSEC_INBOUND, 0x0007, 0x0901):
        readable = [L.OP_HEADER.pack(opcode, 0, 1, 1, 0) + bytes(48)]
        assert data_status(dev, readable, [64, 1]) == Status.NOTSUPP


@pytest.mark.parametrize("features", LAYOUTS)
def test_length_errors_give_err(features: int) -> None:
    dev = device(features, max_size=4096)
    rev1 = bool(features)
    session_id, _ = create(dev, encode.create_session(AES_CBC, rev1))
    cases = [
        (encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(32), 16, rev1), [16, 1]),  # dst != src
        (encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV[:8], bytes(16), 16, rev1), [16, 1]),  # short IV
        (encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(15), 15, rev1), [15, 1]),  # not blocks
        (encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(16), 16, rev1), [8, 1]),  # no room
        (encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(4096), 4096, rev1), [4096, 1]),  # > max
        (encode.cipher(Opcode.CIPHER_DECRYPT, session_id, IV, bytes(16), 16, rev1), [16, 1]),  # direction
    ]
    for readable, sizes in cases:
        assert data_status(dev, readable, sizes) == Status.ERR


@pytest.mark.parametrize("features", LAYOUTS)
def test_truncated_data_requests_give_err_in_the_last_byte(features: int) -> None:
    dev = device(features)
    rev1 = bool(features)
    session_id, _ = create(dev, encode.create_session(AES_CBC, rev1))
    whole = b"".join(encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(32), 32, rev1))
    for cut in (0, 10, 24, 71, 72 + 15, len(whole) - 1):
        out, used = run(dev, 0, [whole[:cut]], [32, 1])
        assert (out[-1], used, out[:32]) == (Status.ERR, 1, bytes(32))


def test_data_request_without_writable_bytes_is_dropped_quietly() -> None:
    dev = device()
    assert dev.process(0, [b"\x00" * 72], []) == 0
    assert dev.process(7, [b"\x00" * 72], [bytearray(1)]) == 0  # no such queue


@pytest.mark.parametrize("features", LAYOUTS)
def test_hash_and_mac_result_length_must_match_the_session(features: int) -> None:
    dev = device(features)
    rev1 = bool(features)
    hash_id, _ = create(dev, encode.create_session(HashParams(HashAlgo.SHA_256, 32), rev1))
    assert data_status(dev, encode.hash_(hash_id, b"abc", 16, rev1), [16, 1]) == Status.ERR
    assert data_status(dev, encode.hash_(hash_id, b"abc", 32, rev1), [32, 1]) == Status.OK
    mac_id, _ = create(dev, encode.create_session(MacParams(MacAlgo.HMAC_SHA_256, 32, KEY), rev1))
    assert data_status(dev, encode.mac(mac_id, b"abc", 20, rev1), [20, 1]) == Status.ERR
    assert data_status(dev, encode.hash_(mac_id, b"abc", 32, rev1), [32, 1]) == Status.INVSESS


@pytest.mark.parametrize("features", LAYOUTS)
def test_aead_bad_tag_gives_badmsg_and_releases_nothing(features: int) -> None:
    rev1 = bool(features)
    dev = device(features)
    enc, _ = create(dev, encode.create_session(AeadParams(AeadAlgo.GCM, KEY, 16, 0, Direction.ENCRYPT), rev1))
    dec, _ = create(dev, encode.create_session(AeadParams(AeadAlgo.GCM, KEY, 16, 0, Direction.DECRYPT), rev1))
    nonce, plaintext = bytes(12), b"attack at dawn!!"
    sealed, used = run(
        dev, 0, encode.aead(Opcode.AEAD_ENCRYPT, enc, nonce, plaintext, b"", 32, 16, rev1), [32, 1]
    )
    assert used == 33 and sealed[-1] == Status.OK
    forged = bytearray(sealed[:32])
    forged[-1] ^= 1
    out, used = run(dev, 0, encode.aead(Opcode.AEAD_DECRYPT, dec, nonce, forged, b"", 16, 16, rev1), [16, 1])
    assert (out, used) == (bytes(16) + bytes([Status.BADMSG]), 1)
    out, used = run(
        dev, 0, encode.aead(Opcode.AEAD_DECRYPT, dec, nonce, sealed[:32], b"", 16, 16, rev1), [16, 1]
    )
    assert (out[:16], out[-1], used) == (plaintext, Status.OK, 17)
    # a tag_len that contradicts the session, and a source shorter than the tag
    assert data_status(
        dev, encode.aead(Opcode.AEAD_DECRYPT, dec, nonce, sealed[:32], b"", 16, 12, rev1), [16, 1]
    ) == (Status.ERR)
    assert data_status(
        dev, encode.aead(Opcode.AEAD_DECRYPT, dec, nonce, sealed[:8], b"", 0, 16, rev1), [1]
    ) == (Status.ERR)


@pytest.mark.parametrize("features", LAYOUTS)
def test_chain_regions_outside_the_source_give_err(features: int) -> None:
    rev1 = bool(features)
    dev = device(features)
    params = ChainParams(
        AES_CBC, ChainOrder.CIPHER_THEN_HASH, HashMode.PLAIN, HashParams(HashAlgo.SHA1, 20), 0
    )
    session_id, status = create(dev, encode.create_session(params, rev1))
    assert status == Status.OK

    def status_for(c_off: int, c_len: int, h_off: int, h_len: int, result_len: int = 20) -> Status:
        readable = encode.chain(
            Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(64), b"", dst_len=64, cipher_offset=c_off,
            cipher_len=c_len, hash_offset=h_off, hash_len=h_len, hash_result_len=result_len, revision_1=rev1,
        )  # fmt: skip
        return data_status(dev, readable, [64, result_len, 1])

    assert status_for(16, 48, 0, 64) == Status.OK
    assert status_for(16, 64, 0, 64) == Status.ERR
    assert status_for(0, 64, 1, 64) == Status.ERR
    assert status_for(2**32 - 16, 32, 0, 64) == Status.ERR  # offsets that would wrap in 32 bits
    assert status_for(0, 64, 0, 64, result_len=16) == Status.ERR


def test_used_length_counts_output_and_status() -> None:
    driver = CryptoDriver.open(0)
    session_id = driver.create_session(AES_CBC)
    out, used = driver.channel.submit(
        0, encode.cipher(Opcode.CIPHER_ENCRYPT, session_id, IV, bytes(48), 48, False), [48, 1]
    )
    assert used == 49 and out[-1] == Status.OK
    with pytest.raises(StatusError) as err:
        driver.decrypt(session_id, IV, bytes(16))
    assert err.value.status == Status.ERR
