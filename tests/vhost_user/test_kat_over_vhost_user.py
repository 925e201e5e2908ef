"""The core's known-answer suites through frontend → UNIX socket → backend → rings in a memfd.

The same independent vectors as tests/device/test_kat.py and tests/device/test_akcipher_device.py
(tests/vectors.py, tests/akcipher_vectors.py: NIST CAVP, RFCs, Wycheproof), sent by the driver API
over our vhost-user frontend to our ``Server`` in a thread:

- full mode, split and packed rings, in the legacy layout, REVISION_1 sessions and REVISION_1
  stateless requests: every symmetric suite, AKCIPHER (RSA and ECDSA) and algorithm chaining;
- cryptodev mode (QEMU's split of the work), split and packed rings, legacy layout: what QEMU
  forwards to a backend, i.e. cipher sessions (every cipher algorithm, chaining included) and, in
  QEMU 8.1's 1072-byte session layout, RSA sessions.

Big AKCIPHER files are sampled with a fixed stride (as the device-level suite does); every
symmetric case runs.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests import akcipher_vectors as AV
from tests import vectors as V
from vcrypto.driver import CryptoDriver, StatusError
from vcrypto.spec.constants import (
    ALL_STATELESS,
    AkcipherAlgo,
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
from vcrypto.vhost_user import crypto_session as cs
from vcrypto.vhost_user.frontend import QEMU_MAX_ASYM_KEY
from vcrypto.vhost_user.protocol import Mode

from .serving import serving

LAYOUTS = [
    (0, False, False, "legacy"),
    (Feature.REVISION_1, False, True, "rev1-session"),
    (Feature.REVISION_1 | ALL_STATELESS, True, False, "rev1-stateless"),
]
FULL = [
    pytest.param(packed, features, stateless, indirect, id=f"full-{'packed' if packed else 'split'}-{name}")
    for packed in (False, True)
    for features, stateless, indirect, name in LAYOUTS
]
SPREAD = 3  # full mode: each parametrization runs every 3rd symmetric case, offset by its position
CRYPTODEV = [pytest.param(False, id="cryptodev-split"), pytest.param(True, id="cryptodev-packed")]
STRIDE = 47  # sample stride through each AKCIPHER vector file (the device-level suite runs 23)


class Runner:
    """A driver over a fresh connection; opens sessions (or passes stateless parameters)."""

    def __init__(self, driver: CryptoDriver, stateless: bool) -> None:
        self.driver = driver
        self.stateless = stateless

    def target(self, params):
        return params if self.stateless else self.driver.create_session(params)

    def done(self, service: Service, target) -> None:
        if not self.stateless:
            self.driver.destroy_session(service, target)


OpenRunner = Callable[..., Runner]


@pytest.fixture
def connect(tmp_path) -> Iterator[OpenRunner]:
    """``connect(mode, packed, features, stateless, indirect=False, session_layout=632)``."""
    with ExitStack() as stack:

        def open_runner(
            mode: Mode,
            packed: bool,
            features: int = 0,
            stateless: bool = False,
            indirect: bool = False,
            session_layout: int = cs.SIZE_632,
        ) -> Runner:
            served = stack.enter_context(serving(tmp_path, mode))
            frontend = served.connect(packed=packed, indirect=indirect, session_layout=session_layout)
            return Runner(CryptoDriver(frontend, features), stateless)

        yield open_runner


def sample(cases, stride: int = STRIDE) -> list:
    return list(itertools.islice(cases, 0, None, stride))


def spread(cases: list, request: pytest.FixtureRequest) -> list:
    """Every ``SPREAD``-th case, offset by the parametrization's position so that the six full-mode
    runs together cover every case twice, plus the first case of every algorithm in each run."""
    offset = request.node.callspec.indices["packed"] % SPREAD
    seen: set[int] = set()
    picked = []
    for index, case in enumerate(cases):
        if index % SPREAD == offset or case.algo not in seen:
            picked.append(case)
        seen.add(case.algo)
    return picked


# --- symmetric suites -----------------------------------------------------------------------------


def run_ciphers(run: Runner, cases: list[V.CipherCase]) -> None:
    for case in cases:
        enc = run.target(CipherParams(case.algo, case.key, Direction.ENCRYPT))
        dec = run.target(CipherParams(case.algo, case.key, Direction.DECRYPT))
        assert run.driver.encrypt(enc, case.iv, case.plaintext) == case.ciphertext, case.source
        assert run.driver.decrypt(dec, case.iv, case.ciphertext) == case.plaintext, case.source
        run.done(Service.CIPHER, enc)
        run.done(Service.CIPHER, dec)


def run_arc4(run: Runner) -> None:
    for case in V.arc4_keystream_cases():
        target = run.target(CipherParams(CipherAlgo.ARC4, case.key, Direction.ENCRYPT))
        out = run.driver.encrypt(target, b"", bytes(case.offset + len(case.keystream)))
        assert out[case.offset :] == case.keystream, case.source
        run.done(Service.CIPHER, target)


@pytest.mark.parametrize("packed, features, stateless, indirect", FULL)
def test_ciphers(connect: OpenRunner, request, packed, features, stateless, indirect) -> None:
    run = connect(Mode.FULL, packed, features, stateless, indirect)
    cases = spread(V.cipher_cases(), request)
    assert len({case.algo for case in cases}) == len({case.algo for case in V.cipher_cases()}) >= 10
    run_ciphers(run, cases)
    run_arc4(run)


@pytest.mark.parametrize("packed, features, stateless, indirect", FULL)
def test_hashes_and_macs(connect: OpenRunner, request, packed, features, stateless, indirect) -> None:
    run = connect(Mode.FULL, packed, features, stateless, indirect)
    for case in spread(V.hash_cases(), request):
        target = run.target(HashParams(case.algo, len(case.digest)))
        assert run.driver.hash(target, case.message, len(case.digest)) == case.digest, case.source
        run.done(Service.HASH, target)
    for case in spread(V.mac_cases(), request):
        target = run.target(MacParams(case.algo, len(case.tag), case.key))
        tag = run.driver.mac(target, case.message, len(case.tag))
        assert (tag == case.tag) == case.valid, case.source
        run.done(Service.MAC, target)


@pytest.mark.parametrize("packed, features, stateless, indirect", FULL)
def test_aeads(connect: OpenRunner, request, packed, features, stateless, indirect) -> None:
    run = connect(Mode.FULL, packed, features, stateless, indirect)
    forged = 0
    for case in spread(V.aead_cases(), request):
        tag_len = len(case.tag)
        dec_params = AeadParams(case.algo, case.key, tag_len, len(case.aad), Direction.DECRYPT)
        sealed = case.ciphertext + case.tag
        if not case.valid:
            with pytest.raises(StatusError) as err:
                run.driver.aead_decrypt(run.target(dec_params), case.iv, sealed, case.aad, tag_len)
            assert err.value.status in (Status.BADMSG, Status.ERR), case.source
            forged += err.value.status == Status.BADMSG
            continue
        enc = run.target(AeadParams(case.algo, case.key, tag_len, len(case.aad), Direction.ENCRYPT))
        assert run.driver.aead_encrypt(enc, case.iv, case.plaintext, case.aad, tag_len) == sealed, case.source
        dec = run.target(dec_params)
        assert run.driver.aead_decrypt(dec, case.iv, sealed, case.aad, tag_len) == case.plaintext, case.source
        run.done(Service.AEAD, enc)
        run.done(Service.AEAD, dec)
    assert forged > 50 // SPREAD  # forged tags answered BADMSG, not just refused parameters


# --- algorithm chaining, against the two primitives composed independently --------------------------


def aes(mode: modes.Mode, key: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), mode)
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def run_chaining(run: Runner) -> None:
    for order, encrypt in itertools.product(ChainOrder, (True, False)):
        key, auth_key, iv = os.urandom(32), os.urandom(40), os.urandom(16)
        data, aad = os.urandom(96), os.urandom(13)
        c_off, c_len, h_off, h_len = 16, 64, 8, 80
        params = ChainParams(
            CipherParams(CipherAlgo.AES_CBC, key, Direction.ENCRYPT if encrypt else Direction.DECRYPT),
            order, HashMode.AUTH, MacParams(MacAlgo.HMAC_SHA_256, 32, auth_key), len(aad),
        )  # fmt: skip
        target = run.target(params)
        dst, digest = run.driver.chain(
            encrypt, target, iv, data, aad=aad, cipher_range=(c_off, c_len), hash_range=(h_off, h_len),
            hash_result_len=32,
        )  # fmt: skip
        expected = bytearray(data)
        expected[c_off : c_off + c_len] = aes(modes.CBC(iv), key, data[c_off : c_off + c_len], encrypt)
        hashed = data if order == ChainOrder.HASH_THEN_CIPHER else bytes(expected)
        assert dst == bytes(expected)
        assert digest == hmac.new(auth_key, aad + hashed[h_off : h_off + h_len], hashlib.sha256).digest()
        run.done(Service.CIPHER, target)
    key, iv, data = os.urandom(16), os.urandom(16), os.urandom(37)
    params = ChainParams(
        CipherParams(CipherAlgo.AES_CTR, key, Direction.ENCRYPT),
        ChainOrder.CIPHER_THEN_HASH, HashMode.PLAIN, HashParams(HashAlgo.SHA1, 12), 0,
    )  # fmt: skip
    target = run.target(params)
    dst, digest = run.driver.chain(True, target, iv, data, hash_result_len=12)
    assert dst == aes(modes.CTR(iv), key, data, True)
    assert digest == hashlib.sha1(dst).digest()[:12]
    run.done(Service.CIPHER, target)


@pytest.mark.parametrize("packed, features, stateless, indirect", FULL)
def test_chaining(connect: OpenRunner, packed, features, stateless, indirect) -> None:
    run_chaining(connect(Mode.FULL, packed, features, stateless, indirect))


# --- AKCIPHER -------------------------------------------------------------------------------------


def run_verify(run: Runner, case: AV.VerifyCase) -> None:
    try:
        handle = run.target(case.params)
    except StatusError as exc:  # a key the provider refuses: only acceptable for an invalid case
        assert case.result != "valid", (case.source, exc)
        return
    try:
        run.driver.verify(handle, case.signature, case.message)
        verdict = "valid"
    except StatusError as exc:
        assert exc.status in (Status.KEY_REJECTED, Status.ERR), (case.source, exc)
        verdict = "invalid"
    finally:
        run.done(Service.AKCIPHER, handle)
    if case.result != "acceptable":
        assert verdict == case.result, case.source


def run_rsa(run: Runner, key_limit: int | None = None) -> None:
    """RSA verify (Wycheproof, NIST), PKCS#1 v1.5 sign (NIST, RSA Labs: exact signatures) and
    decrypt (Wycheproof, RSA Labs). ``key_limit``: the largest DER key the link carries (QEMU's
    1024-byte session buffer): bigger private keys are left out, and one is checked to be refused."""
    cases = []
    for path in AV.wycheproof_files("Signature/wycheproof/rsa_signature_2048_sha256_test.json"):
        cases += sample(AV.wycheproof_rsa_verify(path))
    cases += sample(AV.nist_rsa_verify())
    assert {"valid", "invalid"} <= {case.result for case in cases}
    for case in cases:
        run_verify(run, case)

    def fits(case) -> bool:
        return key_limit is None or len(case.params.key) <= key_limit

    signs = [c for c in sample(AV.nist_rsa_sign(), 11) + sample(AV.rsa_labs_sign()) if c.result == "valid"]
    assert signs and any(not fits(c) for c in signs) == (key_limit is not None)
    for case in filter(fits, signs):
        handle = run.target(case.params)
        signature = run.driver.akcipher(Opcode.AKCIPHER_SIGN, handle, case.message, len(case.signature))
        assert signature == case.signature, case.source
        run.done(Service.AKCIPHER, handle)
    decrypts = sample(AV.rsa_labs_decrypt())
    for path in AV.wycheproof_files("Cipher/wycheproof/rsa_pkcs1_2048_test.json"):
        decrypts += [c for c in sample(AV.wycheproof_rsa_decrypt(path), 5) if c.result == "valid"]
    assert decrypts
    for case in filter(fits, decrypts):
        handle = run.target(case.params)
        assert run.driver.akcipher(Opcode.AKCIPHER_DECRYPT, handle, case.ciphertext, 512) == case.message
        run.done(Service.AKCIPHER, handle)
    if key_limit is not None:
        too_big = next(c for c in signs if not fits(c))
        with pytest.raises(StatusError) as err:
            run.target(too_big.params)
        assert err.value.status == Status.ERR


def run_ecdsa(run: Runner) -> None:
    cases = []
    for path in AV.wycheproof_files("Signature/wycheproof/ecdsa_secp256r1_sha256_test.json"):
        cases += sample(AV.wycheproof_ecdsa_verify(path))
    cases += sample(AV.nist_ecdsa_verify())
    assert {"valid", "invalid"} <= {case.result for case in cases}
    for case in cases:
        run_verify(run, case)


@pytest.mark.parametrize("packed, features, stateless, indirect", FULL)
def test_akcipher(connect: OpenRunner, packed, features, stateless, indirect) -> None:
    run = connect(Mode.FULL, packed, features, stateless, indirect)
    run_rsa(run)
    run_ecdsa(run)


# --- cryptodev mode: what QEMU forwards -----------------------------------------------------------


@pytest.mark.parametrize("packed", CRYPTODEV)
def test_cryptodev_cipher_sessions(connect: OpenRunner, packed) -> None:
    run = connect(Mode.CRYPTODEV, packed)
    cases = V.cipher_cases()
    assert len({case.algo for case in cases}) >= 10
    run_ciphers(run, cases)
    run_arc4(run)
    run_chaining(run)


@pytest.mark.parametrize("packed", CRYPTODEV)
def test_cryptodev_rsa_sessions_in_the_1072_layout(connect: OpenRunner, packed) -> None:
    run = connect(Mode.CRYPTODEV, packed, indirect=True, session_layout=cs.SIZE_1072)
    assert run.driver.config.akcipher_algo == 1 << AkcipherAlgo.RSA
    run_rsa(run, key_limit=QEMU_MAX_ASYM_KEY)
