"""The device's fast paths (device/fast_path.py) against known answers and against the general path.

A request reaches the fast path only as ``ByteViews`` (what the chain reader builds); the same
request as plain lists goes through the general path. Every case here runs both ways on two devices
in the same state and asserts the same used length and the same bytes in every writable segment;
the cases the fast path is meant for also assert that it answered them itself.
"""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests import vectors as V
from vcrypto.device import CryptoDevice, DeviceConfig
from vcrypto.spec import encode
from vcrypto.spec.buffers import ByteViews
from vcrypto.spec.constants import (
    ALL_STATELESS,
    DESTROY_SESSION_OPCODES,
    CipherAlgo,
    Direction,
    Feature,
    HashAlgo,
    Opcode,
    Service,
    Status,
)
from vcrypto.spec.params import CipherParams, HashParams

KEY = bytes(range(16))
IV = bytes(range(16, 32))
LEGACY, REV1 = 0, int(Feature.REVISION_1)


def views(segments: list[bytes], readonly: bool) -> ByteViews:
    out = ByteViews()
    for segment in segments:
        view = memoryview(bytearray(segment))
        out.append(view.toreadonly() if readonly else view)
    return out


class Twins:
    """Two devices driven identically: ``fast`` gets ByteViews, ``general`` plain lists."""

    def __init__(self, features: int = LEGACY, config: DeviceConfig | None = None) -> None:
        self.devices = []
        for _ in range(2):
            device = CryptoDevice(config or DeviceConfig(features=Feature.REVISION_1 | ALL_STATELESS))
            device.set_driver_features(features)
            self.devices.append(device)
        self.revision_1 = bool(features & Feature.REVISION_1)

    def session(self, params) -> int:
        ids = {device.create_session(params) for device in self.devices}
        assert len(ids) == 1
        return ids.pop()

    def run(self, queue: int, readable: list[bytes], writable: list[int]) -> tuple[int, list[bytes]]:
        """Both ways; asserts they agree and returns (used length, writable bytes)."""
        fast, general = self.devices
        out_fast = views([bytes(n) for n in writable], readonly=False)
        out_general = [bytearray(n) for n in writable]
        used_fast = fast.process(queue, views(readable, readonly=True), out_fast)
        used_general = general.process(queue, [bytes(s) for s in readable], out_general)
        assert used_fast == used_general
        assert [bytes(v) for v in out_fast] == [bytes(b) for b in out_general]
        assert len(fast.sessions) == len(general.sessions)
        return used_fast, [bytes(v) for v in out_fast]

    def taken(self, queue: int, readable: list[bytes], writable: list[int]) -> bool:
        """Whether the fast path answers this request itself (on a scratch copy of the state)."""
        device = CryptoDevice(self.devices[0].config)
        device.set_driver_features(int(self.devices[0].driver_features))
        device.sessions._sessions.update(self.devices[0].sessions.by_id)
        device.sessions._next_id = self.devices[0].sessions._next_id
        out = views([bytes(n) for n in writable], readonly=False)
        readable_views = views(readable, readonly=True)
        if queue == device.control_queue:
            return device._fast_control(readable_views, out) is not None
        return device._fast_data(queue, readable_views, out) is not None


def cipher_request(
    session: int, src: bytes, *, opcode=Opcode.CIPHER_ENCRYPT, iv=IV, dst_len=None, rev1=False
):
    return encode.cipher(opcode, session, iv, src, len(src) if dst_len is None else dst_len, rev1)


@pytest.mark.parametrize("features", [LEGACY, REV1], ids=["legacy", "rev1"])
def test_aes_cbc_known_answers_through_the_fast_path(features: int) -> None:
    twins = Twins(features)
    cases = [c for c in V.cipher_cases() if c.algo == CipherAlgo.AES_CBC]
    assert cases
    for case in cases:
        enc = twins.session(CipherParams(case.algo, case.key, Direction.ENCRYPT))
        dec = twins.session(CipherParams(case.algo, case.key, Direction.DECRYPT))
        size = len(case.plaintext)
        readable = cipher_request(enc, case.plaintext, iv=case.iv, rev1=twins.revision_1)
        assert twins.taken(0, readable, [size, 1]), case.source
        used, (dst, status) = twins.run(0, readable, [size, 1])
        assert (used, dst, status) == (size + 1, case.ciphertext, b"\0"), case.source
        readable = cipher_request(
            dec, case.ciphertext, opcode=Opcode.CIPHER_DECRYPT, iv=case.iv, rev1=twins.revision_1
        )
        assert twins.taken(0, readable, [size, 1])
        used, (dst, status) = twins.run(0, readable, [size, 1])
        assert (used, dst, status) == (size + 1, case.plaintext, b"\0"), case.source


@pytest.mark.parametrize("size", [16, 64, 4096, 4112, 16384, 65536, 65552])
def test_every_size_the_same_both_ways(size: int) -> None:
    """Short (one library call), long (shared scratch buffer) and longer inputs (a buffer of their
    own), encrypt and decrypt, IVs changing between requests."""
    twins = Twins()
    enc = twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
    dec = twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.DECRYPT))
    plain = bytes((7 * i + 3) & 0xFF for i in range(size))
    for round_ in range(3):  # the kept context's chaining state must not leak between requests
        iv = bytes([round_]) * 16
        used, (cipher, status) = twins.run(0, cipher_request(enc, plain, iv=iv), [size, 1])
        assert (used, status) == (size + 1, b"\0")
        reference = Cipher(algorithms.AES(KEY), modes.CBC(iv)).encryptor().update(plain)
        assert cipher == reference
        used, (back, status) = twins.run(
            0, cipher_request(dec, cipher, opcode=Opcode.CIPHER_DECRYPT, iv=iv), [size, 1]
        )
        assert (used, back, status) == (size + 1, plain, b"\0")


def _refusals(twins: Twins, enc: int, dec: int, hash_session: int) -> list[tuple[list[bytes], list[int]]]:
    data = bytes(64)
    ok = cipher_request(enc, data)
    header = bytearray(ok[0])
    bad_op_type = bytearray(header)
    struct.pack_into("<I", bad_op_type, 24 + 40, 2)  # ALGORITHM_CHAINING
    return [
        (cipher_request(999, data), [64, 1]),  # no such session: INVSESS
        (cipher_request(hash_session, data), [64, 1]),  # a HASH session: INVSESS
        (cipher_request(enc, data, opcode=Opcode.CIPHER_DECRYPT), [64, 1]),  # wrong direction
        (cipher_request(dec, data), [64, 1]),
        (cipher_request(enc, data, dst_len=48), [48, 1]),  # dst_len != src_len
        (cipher_request(enc, bytes(60)), [60, 1]),  # not whole blocks: the context refuses
        (cipher_request(enc, data, iv=bytes(8)), [64, 1]),  # IV of the wrong length
        (cipher_request(enc, data, iv=b""), [64, 1]),
        (cipher_request(enc, data), [32, 1]),  # destination too short
        (cipher_request(enc, data), [64]),  # no room for the status after the output
        (cipher_request(enc, data), [64, 4]),  # status in a longer segment: last byte
        (cipher_request(enc, data), [16, 48, 1]),  # output over two segments
        ([bytes(header) + IV, data], [64, 1]),  # IV in the header's segment
        ([bytes(header), IV + data], [64, 1]),
        ([bytes(header)[:71], IV, data], [64, 1]),  # truncated header
        ([bytes(bad_op_type), IV, data], [64, 1]),
        ([bytes(header), IV, data, b"trailing"], [64, 1]),
        ([bytes(header), IV], [64, 1]),  # no source
        (cipher_request(enc, b""), [1]),  # empty request
    ]


@pytest.mark.parametrize("features", [LEGACY, REV1 | ALL_STATELESS], ids=["legacy", "rev1-stateless"])
def test_every_other_shape_answers_as_the_general_path(features: int) -> None:
    twins = Twins(features)
    enc = twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
    dec = twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.DECRYPT))
    hash_session = twins.session(HashParams(HashAlgo.SHA_256, 32))
    statuses = set()
    for readable, writable in _refusals(twins, enc, dec, hash_session):
        readable = [bytes(part) for part in readable]
        variants = [readable]
        if twins.revision_1:  # as built (flag 0: a stateless request), and in session mode
            variants.append([readable[0][:16] + struct.pack("<I", 1) + readable[0][20:], *readable[1:]])
        for variant in variants:
            used, out = twins.run(0, variant, writable)
            if used:
                statuses.add(out[-1][-1])
    assert {Status.OK, Status.ERR, Status.INVSESS} <= statuses


def test_max_size_is_enforced_on_the_fast_path() -> None:
    twins = Twins(config=DeviceConfig(max_size=100))
    enc = twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
    assert twins.run(0, cipher_request(enc, bytes(32)), [32, 1])[1][1] == b"\0"  # 16 + 32 + 32 <= 100
    used, (_, status) = twins.run(0, cipher_request(enc, bytes(48)), [48, 1])  # 16 + 48 + 48 > 100
    assert (used, status) == (1, bytes([Status.ERR]))


def test_stateless_request_is_never_taken_for_a_session_one() -> None:
    twins = Twins(REV1 | ALL_STATELESS)
    twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
    params = CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT)
    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, params, IV, bytes(32), 32, True)
    assert not twins.taken(0, [bytes(p) for p in readable], [32, 1])
    used, (dst, status) = twins.run(0, [bytes(p) for p in readable], [32, 1])
    assert (used, status) == (33, b"\0")
    session_mode = encode.cipher(Opcode.CIPHER_ENCRYPT, 1, IV, bytes(32), 32, True)
    assert twins.taken(0, [bytes(p) for p in session_mode], [32, 1])
    assert twins.run(0, [bytes(p) for p in session_mode], [32, 1])[1][0] == dst


def test_a_queue_that_does_not_exist_is_not_taken() -> None:
    twins = Twins()
    enc = twins.session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
    assert twins.run(5, cipher_request(enc, bytes(16)), [16, 1]) == (0, [bytes(16), b"\0"])


# --- control queue --------------------------------------------------------------------------------


@pytest.mark.parametrize("features", [LEGACY, REV1], ids=["legacy", "rev1"])
def test_session_create_and_destroy_both_ways(features: int) -> None:
    twins = Twins(features)
    ctrl = twins.devices[0].control_queue
    params = CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT)
    create = [bytes(p) for p in encode.create_session(params, twins.revision_1)]
    assert twins.taken(ctrl, create, [16])
    used, (outcome,) = twins.run(ctrl, create, [16])
    session_id, status, _ = struct.unpack("<QII", outcome)
    assert (used, status, session_id) == (16, Status.OK, 1)
    # the session works, through either path
    used, (dst, _) = twins.run(0, cipher_request(session_id, bytes(16), rev1=twins.revision_1), [16, 1])
    assert dst == Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor().update(bytes(16))
    destroy = [bytes(p) for p in encode.destroy_session(Service.CIPHER, session_id, twins.revision_1)]
    assert twins.taken(ctrl, destroy, [1])
    assert twins.run(ctrl, destroy, [1]) == (1, [bytes([Status.OK])])
    assert twins.run(ctrl, destroy, [1]) == (1, [bytes([Status.ERR])])  # gone
    assert len(twins.devices[0].sessions) == 0


def test_session_refusals_both_ways() -> None:
    twins = Twins()
    ctrl = twins.devices[0].control_queue
    cases = [
        (CipherParams(CipherAlgo.AES_CBC, bytes(15), Direction.ENCRYPT), [16]),  # bad key length
        (CipherParams(CipherAlgo.AES_CBC, KEY, 7), [16]),  # bad direction
        (CipherParams(999, KEY, Direction.ENCRYPT), [16]),  # unknown algorithm: NOTSUPP
        (CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT), [15]),  # no room for the outcome
        (CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT), [8, 8]),
        (CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT), [32]),
        (HashParams(HashAlgo.SHA_256, 32), [16]),  # another service: the general path
    ]
    statuses = []
    for params, writable in cases:
        used, out = twins.run(ctrl, [bytes(p) for p in encode.create_session(params, False)], writable)
        if used == 16:
            statuses.append(struct.unpack_from("<QI", b"".join(out))[1])
    assert {Status.ERR, Status.NOTSUPP, Status.OK} <= set(statuses)
    key_too_long = [bytes(p) for p in encode.create_session(CipherParams(1, KEY, 1), False)]
    key_too_long[1] = key_too_long[1] + b"x"  # the key segment is longer than key_len says
    twins.run(ctrl, key_too_long, [16])
    truncated = [key_too_long[0], KEY[:8]]
    twins.run(ctrl, truncated, [16])
    for service in DESTROY_SESSION_OPCODES:  # session 1 is a CIPHER session: the others are ERR
        destroy = [bytes(p) for p in encode.destroy_session(service, 1, False)]
        twins.run(ctrl, [destroy[0][:40]], [1])  # truncated
        twins.run(ctrl, [destroy[0] + b"x"], [1])  # longer than the fixed part
        twins.run(ctrl, destroy, [4])
        twins.run(ctrl, destroy, [1])
    unknown = bytearray(encode.destroy_session(Service.CIPHER, 1, False)[0])
    struct.pack_into("<I", unknown, 0, 0x0FFF)
    assert twins.run(ctrl, [bytes(unknown)], [1]) == (1, [bytes([Status.NOTSUPP])])


def test_table_full_both_ways() -> None:
    twins = Twins(REV1, DeviceConfig(max_sessions=2, features=Feature.REVISION_1))
    ctrl = twins.devices[0].control_queue
    create = [bytes(p) for p in encode.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, 1), True)]
    outcomes = [twins.run(ctrl, create, [16])[1][0] for _ in range(3)]
    assert [struct.unpack_from("<QI", o)[1] for o in outcomes] == [Status.OK, Status.OK, Status.NOSPC]


@pytest.mark.parametrize("size", [64, 16384, 65552])
@pytest.mark.parametrize("as_ring", [True, False], ids=["fast", "general"])
def test_in_place_requests(size: int, as_ring: bool) -> None:
    """Linux encrypts in place (the destination is the source's memory): the result is still right."""
    device = CryptoDevice()
    enc = device.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.ENCRYPT))
    dec = device.create_session(CipherParams(CipherAlgo.AES_CBC, KEY, Direction.DECRYPT))
    plain = bytes((5 * i + 1) & 0xFF for i in range(size))
    reference = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor().update(plain)
    data = memoryview(bytearray(plain))
    status = memoryview(bytearray(1))
    kind = ByteViews if as_ring else list
    for session, opcode, expected in (
        (enc, Opcode.CIPHER_ENCRYPT, reference),
        (dec, Opcode.CIPHER_DECRYPT, plain),
    ):
        header, iv, _ = encode.cipher(opcode, session, IV, data, size, False)
        readable = kind([memoryview(bytes(header)), memoryview(bytes(iv)), data.toreadonly()])
        assert device.process(0, readable, kind([data, status])) == size + 1
        assert (bytes(data), status[0]) == (expected, Status.OK)
