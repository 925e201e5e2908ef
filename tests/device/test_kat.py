"""Known-answer tests through the wire format: every independent vector of tests/vectors.py, sent by the
driver API as real requests, in the legacy layout, in REVISION_1 session mode and in stateless mode."""

from __future__ import annotations

import pytest

from tests import vectors as V
from vcrypto.driver import CryptoDriver, StatusError
from vcrypto.spec.constants import ALL_STATELESS, CipherAlgo, Direction, Feature, Service, Status
from vcrypto.spec.params import AeadParams, CipherParams, HashParams, MacParams

MODES = [
    pytest.param(0, False, id="legacy-session"),
    pytest.param(Feature.REVISION_1, False, id="rev1-session"),
    pytest.param(Feature.REVISION_1 | ALL_STATELESS, True, id="rev1-stateless"),
]


class Runner:
    """Opens sessions (or passes stateless parameters) and destroys them after use."""

    def __init__(self, features: int, stateless: bool) -> None:
        self.driver = CryptoDriver.open(features)
        self.stateless = stateless

    def target(self, params):
        return params if self.stateless else self.driver.create_session(params)

    def done(self, service: Service, target) -> None:
        if not self.stateless:
            self.driver.destroy_session(service, target)


@pytest.mark.parametrize("features, stateless", MODES)
def test_ciphers(features: int, stateless: bool) -> None:
    run = Runner(features, stateless)
    cases = V.cipher_cases()
    assert len({case.algo for case in cases}) >= 10
    for case in cases:
        enc = run.target(CipherParams(case.algo, case.key, Direction.ENCRYPT))
        dec = run.target(CipherParams(case.algo, case.key, Direction.DECRYPT))
        assert run.driver.encrypt(enc, case.iv, case.plaintext) == case.ciphertext, case.source
        assert run.driver.decrypt(dec, case.iv, case.ciphertext) == case.plaintext, case.source
        run.done(Service.CIPHER, enc)
        run.done(Service.CIPHER, dec)


@pytest.mark.parametrize("features, stateless", MODES)
def test_arc4_keystream(features: int, stateless: bool) -> None:
    run = Runner(features, stateless)
    for case in V.arc4_keystream_cases():
        target = run.target(CipherParams(CipherAlgo.ARC4, case.key, Direction.ENCRYPT))
        out = run.driver.encrypt(target, b"", bytes(case.offset + len(case.keystream)))
        assert out[case.offset :] == case.keystream, case.source


@pytest.mark.parametrize("features, stateless", MODES)
def test_hashes(features: int, stateless: bool) -> None:
    run = Runner(features, stateless)
    for case in V.hash_cases():
        target = run.target(HashParams(case.algo, len(case.digest)))
        assert run.driver.hash(target, case.message, len(case.digest)) == case.digest, case.source
        run.done(Service.HASH, target)


@pytest.mark.parametrize("features, stateless", MODES)
def test_macs(features: int, stateless: bool) -> None:
    run = Runner(features, stateless)
    for case in V.mac_cases():
        target = run.target(MacParams(case.algo, len(case.tag), case.key))
        tag = run.driver.mac(target, case.message, len(case.tag))
        assert (tag == case.tag) == case.valid, case.source
        run.done(Service.MAC, target)


@pytest.mark.parametrize("features, stateless", MODES)
def test_aeads(features: int, stateless: bool) -> None:
    run = Runner(features, stateless)
    invalid = 0
    for case in V.aead_cases():
        tag_len = len(case.tag)
        dec_params = AeadParams(case.algo, case.key, tag_len, len(case.aad), Direction.DECRYPT)
        sealed = case.ciphertext + case.tag
        if not case.valid:
            with pytest.raises(StatusError) as err:
                run.driver.aead_decrypt(run.target(dec_params), case.iv, sealed, case.aad, tag_len)
            assert err.value.status in (Status.BADMSG, Status.ERR), case.source
            invalid += err.value.status == Status.BADMSG
            continue
        enc = run.target(AeadParams(case.algo, case.key, tag_len, len(case.aad), Direction.ENCRYPT))
        assert run.driver.aead_encrypt(enc, case.iv, case.plaintext, case.aad, tag_len) == sealed, case.source
        dec = run.target(dec_params)
        assert run.driver.aead_decrypt(dec, case.iv, sealed, case.aad, tag_len) == case.plaintext, case.source
        run.done(Service.AEAD, enc)
        run.done(Service.AEAD, dec)
    assert invalid > 50  # forged tags answered BADMSG, not just refused parameters
