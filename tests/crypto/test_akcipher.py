"""The AKCIPHER providers against independent vectors (Wycheproof, NIST CAVP, RSA Labs), textbook
arithmetic, and hostile input.

Vector files sign *messages*; the device signs *digests*, so the harness hashes first
(tests/akcipher_vectors.py), as a driver does.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from tests import akcipher_vectors as vectors
except ModuleNotFoundError:  # tests/crypto is not a package: put the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests import akcipher_vectors as vectors

from vcrypto.crypto import _der, _ecdsa, _rsa
from vcrypto.crypto.akcipher import AKCIPHERS, ECDSA_CURVES, RSA_HASHES, RSA_PADDINGS, AkcipherContext
from vcrypto.crypto.base import (
    CryptoError,
    InvalidKey,
    InvalidParameter,
    SignatureRejected,
    UnsupportedAlgorithm,
)
from vcrypto.spec.constants import AkcipherAlgo, AkcipherKeyType, Curve, RsaHash, RsaPadding
from vcrypto.spec.params import AkcipherParams

PUBLIC, PRIVATE = AkcipherKeyType.PUBLIC, AkcipherKeyType.PRIVATE


@cache
def _session(params: AkcipherParams) -> AkcipherContext | CryptoError:
    """A context per distinct session (creating one validates the key), or the error creating it raised."""
    try:
        return AKCIPHERS[params.algo].new(params)
    except CryptoError as exc:
        return exc


def session(params: AkcipherParams) -> AkcipherContext:
    ctx = _session(params)
    if isinstance(ctx, CryptoError):
        raise ctx
    return ctx


def run_verify(case: vectors.VerifyCase) -> str:
    """'accepted', or the name of the error the session or the verification raised."""
    try:
        session(case.params).verify(case.signature, case.message)
    except CryptoError as exc:
        return type(exc).__name__
    return "accepted"


def check_verify_cases(cases: Iterable[vectors.VerifyCase], rejections: set[str]) -> Counter[str]:
    """Run every case; valid ones must verify, invalid ones must be refused with one of ``rejections``."""
    failures: list[str] = []
    seen: Counter[str] = Counter()
    for case in cases:
        outcome = run_verify(case)
        seen.update(case.flags)
        seen["cases"] += 1
        if case.result == "valid" and outcome != "accepted":
            failures.append(f"{case.source} {case.flags}: valid signature refused ({outcome})")
        elif case.result == "invalid" and outcome not in rejections:
            failures.append(f"{case.source} {case.flags}: invalid signature {outcome}")
    assert not failures, "\n".join(failures[:20]) + f"\n({len(failures)} failures)"
    return seen


def raw_numbers(der: bytes) -> rsa.RSAPrivateNumbers:
    key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.private_numbers()


# ================================================================================================
# DER


class TestDer:
    def test_integers_must_be_minimal(self) -> None:
        assert _der.decode_integer(b"\x00\x80") == 128
        assert _der.decode_integer(b"\xff\x7f") == -129
        for bad in (b"", b"\x00\x7f", b"\xff\x80"):
            with pytest.raises(_der.DerError):
                _der.decode_integer(bad)

    @pytest.mark.parametrize(
        "data",
        [
            b"\x30\x80\x00\x00",  # indefinite length
            b"\x30\x81\x02\x02\x00",  # long form for a short length
            b"\x30\x82\x00\x81" + b"\x00" * 0x81,  # leading zero in the length
            b"\x30\x03\x02\x01",  # truncated
            b"\x30\x00\x00",  # trailing octet
            b"\x1f\x01\x00",  # high tag number
        ],
    )
    def test_non_der_is_refused(self, data: bytes) -> None:
        with pytest.raises(_der.DerError):
            _der.read_items(_der.read_single(data, _der.SEQUENCE))

    def test_oid_encoding(self) -> None:
        assert _der.encode_oid("1.2.840.113549.2.5").hex() == "06082a864886f70d0205"
        assert _der.encode_oid("1.3.132.0.35").hex() == "06052b81040023"


# ================================================================================================
# RSA: spec-level behaviour


def test_digest_infos_match_rfc8017() -> None:
    """The DigestInfo prefixes the device builds from OIDs equal the RFC's (MD4: RFC 2313's OID)."""
    for rsa_hash, info in _rsa.DIGEST_INFOS.items():
        if rsa_hash == RsaHash.NO_HASH:
            assert info.prefix == b""
            continue
        assert info.prefix == vectors.DIGEST_INFO_PREFIXES[RsaHash(rsa_hash).name], info.name
        assert info.prefix[-1] == info.digest_size
    assert RsaHash.MD3 not in RSA_HASHES
    assert set(RSA_PADDINGS) == {RsaPadding.RAW, RsaPadding.PKCS1}


@cache
def labs_keys() -> dict[int, bytes]:
    """RSA Labs' PKCS#1 keys by modulus size (1024..1031, 1536, 2048 bits): full CRT, odd sizes."""
    keys: dict[int, bytes] = {}
    for case in vectors.rsa_labs_decrypt():
        n = raw_numbers(case.params.key).public_numbers.n
        keys.setdefault(n.bit_length(), case.params.key)
    return keys


@cache
def wycheproof_keys() -> dict[int, bytes]:
    """One PKCS#1 private key of each size from the Wycheproof decryption files (2048, 3072, 4096)."""
    keys: dict[int, bytes] = {}
    for path in vectors.wycheproof_files("Cipher/wycheproof/rsa_pkcs1_*_test.json"):
        case = next(vectors.wycheproof_rsa_decrypt(path))
        keys[raw_numbers(case.params.key).public_numbers.n.bit_length()] = case.params.key
    return keys


def rsa_public_of(private_der: bytes) -> bytes:
    n = raw_numbers(private_der).public_numbers
    return vectors.rsa_public_der(n.n, n.e)


class TestRsaRaw:
    """RAW padding (Linux's ``rsa``): textbook RSA, k-octet results, blinded CRT private operation."""

    @pytest.mark.parametrize("bits", [1024, 1025, 1027, 1031, 1536, 2048, 3072, 4096])
    def test_against_textbook_pow(self, bits: int) -> None:
        der = {**labs_keys(), **wycheproof_keys()}[bits]
        numbers = raw_numbers(der)
        n, e, d = numbers.public_numbers.n, numbers.public_numbers.e, numbers.d
        k = (n.bit_length() + 7) // 8
        private = session(vectors.rsa_params(der, PRIVATE, RsaPadding.RAW))
        public = session(vectors.rsa_params(rsa_public_of(der), PUBLIC, RsaPadding.RAW))
        assert private.output_len == public.output_len == k
        randoms = 4 if bits < 3072 else 1  # textbook c^d without CRT is slow on big keys
        for m in [0, 1, n - 1, *(secrets.randbelow(n) for _ in range(randoms))]:
            c = pow(m, e, n)
            assert public.encrypt(m.to_bytes(k, "big")) == c.to_bytes(k, "big")
            assert private.encrypt(m.to_bytes(k, "big")) == c.to_bytes(k, "big")
            assert private.decrypt(c.to_bytes(k, "big")) == pow(c, d, n).to_bytes(k, "big")
            assert private.decrypt(c.to_bytes(k, "big")) == m.to_bytes(k, "big")
        # Inputs are numbers: shorter ones and leading zeros are fine, values >= n are not.
        assert public.encrypt(b"\x02") == pow(2, e, n).to_bytes(k, "big")
        assert public.encrypt(b"\x00" * (k + 3) + b"\x02") == pow(2, e, n).to_bytes(k, "big")
        for too_big in (n, n + 1, 2 ** (8 * k) - 1):
            with pytest.raises(InvalidParameter):
                public.encrypt(too_big.to_bytes(k, "big"))
            with pytest.raises(InvalidParameter):
                private.decrypt(too_big.to_bytes(k, "big"))

    def test_decrypting_pkcs1_ciphertexts_gives_their_encoded_message(self) -> None:
        """RAW decryption of Wycheproof's valid PKCS#1 ciphertexts: EM = 00 02 PS 00 M (RFC 8017 §7.2.1)."""
        count = 0
        for path in vectors.wycheproof_files("Cipher/wycheproof/rsa_pkcs1_*_test.json"):
            for index, case in enumerate(vectors.wycheproof_rsa_decrypt(path)):
                if case.result != "valid" or index % 2:
                    continue
                raw = session(vectors.rsa_params(case.params.key, PRIVATE, RsaPadding.RAW))
                em = raw.decrypt(case.ciphertext)
                assert len(em) == raw.output_len
                assert em[:2] == b"\x00\x02" and em.endswith(b"\x00" + case.message), case.source
                assert 0 not in em[2 : len(em) - len(case.message) - 1]
                count += 1
        assert count >= 50

    def test_raw_sessions_neither_sign_nor_verify(self) -> None:
        der = labs_keys()[1024]
        ctx = session(vectors.rsa_params(der, PRIVATE, RsaPadding.RAW, rsa_hash=RsaHash.MD3))  # hash ignored
        with pytest.raises(UnsupportedAlgorithm):
            ctx.sign(b"\x01" * 20)
        with pytest.raises(UnsupportedAlgorithm):
            ctx.verify(b"\x01" * ctx.output_len, b"\x01" * 20)

    def test_public_key_sessions_cannot_decrypt(self) -> None:
        ctx = session(vectors.rsa_params(rsa_public_of(labs_keys()[1024]), PUBLIC, RsaPadding.RAW))
        with pytest.raises(InvalidParameter):
            ctx.decrypt(b"\x01")

    def test_fault_check_withholds_a_wrong_crt_result(self) -> None:
        numbers = raw_numbers(labs_keys()[1024])
        broken = rsa.RSAPrivateNumbers(
            numbers.p,
            numbers.q,
            numbers.d,
            numbers.dmp1 ^ 2,  # a corrupted CRT exponent, as a fault would leave it
            numbers.dmq1,
            numbers.iqmp,
            numbers.public_numbers,
        )
        operation = _rsa.PrivateOperation(broken)
        with pytest.raises(_rsa.FaultDetected):
            operation(12345)
        assert issubclass(_rsa.FaultDetected, InvalidParameter)

    @settings(max_examples=40, deadline=None)
    @given(st.integers(min_value=0))
    def test_blinded_private_operation_is_exact(self, value: int) -> None:
        numbers = raw_numbers(labs_keys()[1029])
        n = numbers.public_numbers.n
        c = value % n
        assert _rsa.PrivateOperation(numbers)(c) == pow(c, numbers.d, n)


class TestRsaPkcs1Encryption:
    def test_wycheproof_decryption(self) -> None:
        """All three files; invalid paddings must look alike (RFC 8017 §7.2.2): with OpenSSL 3.2+ they all
        decrypt to pseudo-random messages (implicit rejection), otherwise they all raise the same error."""
        padding_outcomes: set[str] = set()
        seen: Counter[str] = Counter()
        for path in vectors.wycheproof_files("Cipher/wycheproof/rsa_pkcs1_*_test.json"):
            expected_flags = vectors.wycheproof_flags(path)
            file_flags: set[str] = set()
            for case in vectors.wycheproof_rsa_decrypt(path):
                file_flags.update(case.flags)
                ctx = session(case.params)
                try:
                    outcome: bytes | str = ctx.decrypt(case.ciphertext)
                except CryptoError as exc:
                    outcome = type(exc).__name__
                if case.result == "valid":
                    assert outcome == case.message, case.source
                else:
                    assert outcome == "InvalidParameter" or (
                        isinstance(outcome, bytes) and outcome != case.message
                    ), case.source
                    if "InvalidPkcs1Padding" in case.flags:
                        padding_outcomes.add("message" if isinstance(outcome, bytes) else outcome)
                seen[case.result] += 1
            assert file_flags == expected_flags, path.name
        assert len(padding_outcomes) == 1
        assert seen["valid"] >= 120 and seen["invalid"] >= 70

    def test_rsa_labs_decryption(self) -> None:
        cases = list(vectors.rsa_labs_decrypt())
        assert len(cases) == 300
        for case in cases:
            assert session(case.params).decrypt(case.ciphertext) == case.message, case.source

    @pytest.mark.parametrize("bits", [1024, 1031, 2048, 4096])
    def test_encryption_round_trip_and_limits(self, bits: int) -> None:
        der = {**labs_keys(), **wycheproof_keys()}[bits]
        library_key = serialization.load_der_private_key(der, None)
        assert isinstance(library_key, rsa.RSAPrivateKey)
        public = session(vectors.rsa_params(rsa_public_of(der), PUBLIC, RsaPadding.PKCS1, RsaHash.SHA1))
        private = session(vectors.rsa_params(der, PRIVATE, RsaPadding.PKCS1, RsaHash.SHA1))
        k = public.output_len
        for message in (b"", b"x", secrets.token_bytes(k - 11)):
            ciphertext = public.encrypt(message)
            assert len(ciphertext) == k
            assert library_key.decrypt(ciphertext, padding.PKCS1v15()) == message  # independent decryption
            assert private.decrypt(ciphertext) == message
        with pytest.raises(InvalidParameter):
            public.encrypt(b"\x00" * (k - 10))
        for wrong_length in (b"\x01" * (k - 1), b"\x00" + b"\x01" * k):
            with pytest.raises(InvalidParameter):
                private.decrypt(wrong_length)
        with pytest.raises(InvalidParameter):
            public.decrypt(b"\x01" * k)


class TestRsaPkcs1Signatures:
    @pytest.mark.parametrize(
        "path",
        vectors.wycheproof_files("Signature/wycheproof/rsa_signature_*_test.json"),
        ids=lambda p: p.name,
    )
    def test_wycheproof_verification(self, path: Path) -> None:
        """Every case of every RSASSA-PKCS1-v1_5 file (2048..8192 bits). Hashes a session can name are
        verified in a session with that hash; the others (SHA-3, SHA-512/t) through NO_HASH, the harness
        supplying DigestInfo || digest. SHA-2 files up to 4096 bits also go through NO_HASH: same
        verdicts."""
        cases = list(vectors.wycheproof_rsa_verify(path))
        seen = check_verify_cases(cases, {"SignatureRejected"})
        assert set(seen) - {"cases"} == vectors.wycheproof_flags(path), "a category of the file was not run"
        if cases[0].params.rsa_hash != RsaHash.NO_HASH and "8192" not in path.name:
            prefix = _rsa.DIGEST_INFOS[cases[0].params.rsa_hash].prefix
            no_hash = [
                vectors.VerifyCase(
                    case.source + "/no-hash",
                    vectors.rsa_params(case.params.key, PUBLIC, rsa_hash=RsaHash.NO_HASH),
                    case.signature,
                    prefix + case.message,
                    case.result,
                    case.flags,
                )
                for case in cases
            ]
            check_verify_cases(no_hash, {"SignatureRejected"})

    def test_nist_verification(self) -> None:
        """SigVer15_186-3 (P and the five kinds of F) and SigGen15_186-3's published signatures."""
        cases = list(vectors.nist_rsa_verify())
        seen = check_verify_cases(cases, {"SignatureRejected", "InvalidKey"})
        assert seen["cases"] == 700
        assert len([flag for flag in seen if flag.startswith("F")]) == 5

    def _check_sign(self, cases: list[vectors.RsaSignCase], own_path_every: int) -> None:
        """Exact signatures (PKCS#1 v1.5 is deterministic), and the same from the device's own
        EMSA + blinded CRT path (a NO_HASH session given DigestInfo || digest) on a sample."""
        for index, case in enumerate(cases):
            ctx = session(case.params)
            signature = ctx.sign(case.message)
            assert signature == case.signature, case.source
            ctx.verify(signature, case.message)
            if index % own_path_every == 0 and case.params.rsa_hash != RsaHash.NO_HASH:
                prefix = _rsa.DIGEST_INFOS[case.params.rsa_hash].prefix
                own = session(vectors.rsa_params(case.params.key, PRIVATE, rsa_hash=RsaHash.NO_HASH))
                assert own.sign(prefix + case.message) == case.signature, case.source

    def test_wycheproof_signing(self) -> None:
        paths = vectors.wycheproof_files("Signature/wycheproof/rsa_pkcs1_*_sig_gen_test.json")
        assert len(paths) == 5
        cases = [case for path in paths for case in vectors.wycheproof_rsa_sign(path)]
        assert {flag for case in cases for flag in case.flags} == set().union(
            *map(vectors.wycheproof_flags, paths)
        )
        self._check_sign(cases, own_path_every=4)

    def test_nist_signing(self) -> None:
        cases = list(vectors.nist_rsa_sign())
        assert len(cases) == 250
        self._check_sign(cases, own_path_every=10)

    def test_rsa_labs_signing(self) -> None:
        cases = list(vectors.rsa_labs_sign())
        assert len(cases) == 300
        self._check_sign(cases, own_path_every=5)

    def test_no_hash_signs_the_data_as_is(self) -> None:
        """NO_HASH: EM = 00 01 FF..FF 00 || data (Linux's pkcs1pad(rsa) without hash), any length <= k-11."""
        der = labs_keys()[1025]
        numbers = raw_numbers(der)
        n, e = numbers.public_numbers.n, numbers.public_numbers.e
        ctx = session(vectors.rsa_params(der, PRIVATE, rsa_hash=RsaHash.NO_HASH))
        k = ctx.output_len
        for data in (b"", b"\x00", b"abc", secrets.token_bytes(k - 11)):
            signature = ctx.sign(data)
            assert len(signature) == k
            em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
            assert em == b"\x00\x01" + b"\xff" * (k - 3 - len(data)) + b"\x00" + data
            ctx.verify(signature, data)
        with pytest.raises(InvalidParameter):
            ctx.sign(b"\x00" * (k - 10))

    def test_md2_md4_md5_against_pycryptodome(self) -> None:
        """MD2/MD4 DigestInfos go through the device's own EMSA path; pycryptodome (if present) signs the
        same digests independently. MD5 is checked against OpenSSL's path too."""
        crypto_signature = pytest.importorskip("Crypto.Signature.pkcs1_15")
        crypto_rsa = pytest.importorskip("Crypto.PublicKey.RSA")
        modules = {name: pytest.importorskip(f"Crypto.Hash.{name}") for name in ("MD2", "MD4", "MD5")}
        der = wycheproof_keys()[2048]
        signer = crypto_signature.new(crypto_rsa.import_key(der))
        for name, module in modules.items():
            rsa_hash = RsaHash[name]
            h = module.new(b"message for " + RsaHash(rsa_hash).name.encode())
            ctx = session(vectors.rsa_params(der, PRIVATE, rsa_hash=rsa_hash))
            signature = ctx.sign(h.digest())
            assert signature == signer.sign(h)
            ctx.verify(signature, h.digest())

    def test_md5_sha_paths_agree(self) -> None:
        """OpenSSL's signature (hashes it knows) equals the device's own EMSA + CRT path for each hash."""
        der = labs_keys()[1536]
        for rsa_hash in (
            RsaHash.MD5,
            RsaHash.SHA1,
            RsaHash.SHA224,
            RsaHash.SHA256,
            RsaHash.SHA384,
            RsaHash.SHA512,
        ):
            info = _rsa.DIGEST_INFOS[rsa_hash]
            digest = secrets.token_bytes(info.digest_size or 0)
            library = session(vectors.rsa_params(der, PRIVATE, rsa_hash=rsa_hash)).sign(digest)
            own = session(vectors.rsa_params(der, PRIVATE, rsa_hash=RsaHash.NO_HASH)).sign(
                info.prefix + digest
            )
            assert library == own

    def test_size_rules(self) -> None:
        der = labs_keys()[1024]
        ctx = session(vectors.rsa_params(der, PRIVATE, rsa_hash=RsaHash.SHA256))
        k = ctx.output_len
        for wrong in (b"", b"\x01" * 31, b"\x01" * 33):
            with pytest.raises(InvalidParameter):
                ctx.sign(wrong)
            with pytest.raises(InvalidParameter):
                ctx.verify(b"\x01" * k, wrong)
        digest = b"\x07" * 32
        signature = ctx.sign(digest)
        # RFC 8017 §8.2.2: a signature of the wrong length or not below n is an invalid signature.
        n = raw_numbers(der).public_numbers.n
        for bad in (signature[1:], b"\x00" + signature, n.to_bytes(k, "big"), b"\xff" * k):
            with pytest.raises(SignatureRejected):
                ctx.verify(bad, digest)
        with pytest.raises(SignatureRejected):
            ctx.verify(signature, b"\x08" * 32)
        public = session(vectors.rsa_params(rsa_public_of(der), PUBLIC, rsa_hash=RsaHash.SHA256))
        public.verify(signature, digest)
        with pytest.raises(InvalidParameter):
            public.sign(digest)
        # A 512-bit modulus cannot hold a SHA-512 DigestInfo (83 + 11 > 64 octets).
        small = session(vectors.rsa_params(_small_key_der(), PRIVATE, rsa_hash=RsaHash.SHA512))
        with pytest.raises(InvalidParameter):
            small.sign(b"\x01" * 64)


@cache
def _small_key_der() -> bytes:
    """A 512-bit key (the smallest accepted; Linux's self-test has one). ``cryptography`` no longer
    generates keys that small, so the primes are drawn here."""
    e = 65537
    while True:
        p, q = _random_prime(256), _random_prime(256)
        n, phi = p * q, (p - 1) * (q - 1)
        if n.bit_length() == 512 and p != q and phi % e:
            d = pow(e, -1, phi)
            return _private_der(
                [0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)],
            )


def _random_prime(bits: int) -> int:
    """Miller-Rabin with 40 random bases: the error probability is below 2^-80."""
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        odd, twos = candidate - 1, 0
        while odd % 2 == 0:
            odd, twos = odd // 2, twos + 1
        for _ in range(40):
            x = pow(secrets.randbelow(candidate - 3) + 2, odd, candidate)
            if x in (1, candidate - 1):
                continue
            for _ in range(twos - 1):
                x = x * x % candidate
                if x == candidate - 1:
                    break
            else:
                break
        else:
            return candidate


class TestRsaKeys:
    def test_key_type_and_encoding_must_match(self) -> None:
        der = labs_keys()[1024]
        library_key = serialization.load_der_private_key(der, None)
        pkcs8 = library_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        spki = library_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        public = rsa_public_of(der)
        for key, key_type in [
            (public, PRIVATE),
            (der, PUBLIC),
            (pkcs8, PRIVATE),
            (spki, PUBLIC),
            (der + b"\x00", PRIVATE),
            (der, 0),
            (der, 3),
            (public, 3),
            (b"", PUBLIC),
        ]:
            with pytest.raises(InvalidKey):
                AKCIPHERS[AkcipherAlgo.RSA].new(vectors.rsa_params(key, key_type))

    def test_inconsistent_private_keys(self) -> None:
        numbers = raw_numbers(labs_keys()[1024])
        n, e = numbers.public_numbers.n, numbers.public_numbers.e
        good = [0, n, e, numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp]
        for index in range(3, 9):
            fields = list(good)
            fields[index] += 2
            with pytest.raises(InvalidKey):
                AKCIPHERS[AkcipherAlgo.RSA].new(vectors.rsa_params(_private_der(fields), PRIVATE))
        with pytest.raises(InvalidKey):  # version 1 without otherPrimeInfos
            AKCIPHERS[AkcipherAlgo.RSA].new(vectors.rsa_params(_private_der([1, *good[1:]]), PRIVATE))
        other_primes = _der.encode_sequence(_der.encode_sequence(*(_der.encode_integer(3) for _ in range(3))))
        multi_prime = _private_der([1, *good[1:]], extra=other_primes)
        with pytest.raises(UnsupportedAlgorithm):
            AKCIPHERS[AkcipherAlgo.RSA].new(vectors.rsa_params(multi_prime, PRIVATE))

    def test_key_without_crt_fields_is_recovered(self) -> None:
        """Linux's old test keys carried n, e, d and zeros for p, q, dp, dq, qinv."""
        numbers = raw_numbers(labs_keys()[1024])
        n, e, d = numbers.public_numbers.n, numbers.public_numbers.e, numbers.d
        ctx = session(vectors.rsa_params(_private_der([0, n, e, d, 0, 0, 0, 0, 0]), PRIVATE, RsaPadding.RAW))
        c = secrets.randbelow(n)
        assert ctx.decrypt(c.to_bytes(128, "big")) == pow(c, d, n).to_bytes(128, "big")
        with pytest.raises(InvalidKey):  # zeros, but n, e, d do not factor n
            AKCIPHERS[AkcipherAlgo.RSA].new(
                vectors.rsa_params(_private_der([0, n, e, d + 2, 0, 0, 0, 0, 0]), PRIVATE)
            )

    def test_modulus_and_exponent_bounds(self) -> None:
        with pytest.raises(InvalidKey):
            AKCIPHERS[AkcipherAlgo.RSA].new(
                vectors.rsa_params(vectors.rsa_public_der(2**255 + 1, 65537), PUBLIC)
            )
        n = raw_numbers(labs_keys()[1024]).public_numbers.n
        for e in (1, 2, 65536, n, n + 2):
            with pytest.raises(InvalidKey):
                AKCIPHERS[AkcipherAlgo.RSA].new(vectors.rsa_params(vectors.rsa_public_der(n, e), PUBLIC))
        big_n = raw_numbers(wycheproof_keys()[4096]).public_numbers.n
        with pytest.raises(InvalidKey):  # > 64-bit exponent on a > 3072-bit modulus (OpenSSL's limit)
            AKCIPHERS[AkcipherAlgo.RSA].new(
                vectors.rsa_params(vectors.rsa_public_der(big_n, 2**65 + 1), PUBLIC)
            )
        session(vectors.rsa_params(_small_key_der(), PRIVATE))

    def test_unsupported_parameters(self) -> None:
        der = labs_keys()[1024]
        for padding_algo, rsa_hash in [(2, 0), (RsaPadding.PKCS1, RsaHash.MD3), (RsaPadding.PKCS1, 10)]:
            with pytest.raises(UnsupportedAlgorithm):
                AKCIPHERS[AkcipherAlgo.RSA].new(vectors.rsa_params(der, PRIVATE, padding_algo, rsa_hash))
        with pytest.raises(UnsupportedAlgorithm):
            AKCIPHERS[AkcipherAlgo.RSA].new(vectors.ecdsa_params(der, PRIVATE, Curve.NIST_P256))


def _private_der(fields: list[int], extra: bytes = b"") -> bytes:
    return _der.encode_sequence(*(_der.encode_integer(value) for value in fields), extra)


# ================================================================================================
# ECDSA


def _curve(curve: int) -> _ecdsa.CurveInfo:
    return _ecdsa.CURVES[curve]


def textbook_e(digest: bytes, curve: int) -> int:
    """FIPS 186-5 §6.4.1 / SEC1 §4.1.3: e = the leftmost N bits of the digest (N = bit length of n)."""
    order_bits = _curve(curve).order.bit_length()
    bits = "".join(f"{byte:08b}" for byte in digest)[:order_bits]
    return int(bits, 2) % _curve(curve).order if bits else 0


def scalar_mult_x(k: int, curve: int) -> int:
    """x-coordinate of k*G (the library's scalar multiplication, nothing of the device's)."""
    return ec.derive_private_key(k, vectors.LIBRARY_CURVES[curve]).public_key().public_numbers().x


def textbook_sign(d: int, digest: bytes, curve: int, k: int) -> tuple[int, int]:
    n = _curve(curve).order
    r = scalar_mult_x(k, curve) % n
    s = pow(k, -1, n) * (textbook_e(digest, curve) + r * d) % n
    return r, s


def assert_signed_with_textbook_e(signature: bytes, digest: bytes, d: int, curve: int) -> None:
    """Recover the nonce from (r, s) assuming the device used e = bits2int(digest); it is the right one
    only if k*G has x = r. Any other e gives another k, so this pins down what the device computed."""
    n = _curve(curve).order
    r, s = utils.decode_dss_signature(signature)
    k = pow(s, -1, n) * (textbook_e(digest, curve) + r * d) % n
    assert scalar_mult_x(k, curve) % n == r


@cache
def nist_sign_cases() -> list[vectors.EcdsaSignCase]:
    return list(vectors.nist_ecdsa_sign())


@cache
def ec_key(curve: int) -> tuple[int, bytes]:
    """(d, RFC 5915 DER) of the first NIST SigGen key on the curve."""
    case = next(case for case in nist_sign_cases() if case.params.curve == curve)
    return case.d, case.params.key


ALL_CURVES = sorted(ECDSA_CURVES)


class TestEcdsaVectors:
    @pytest.mark.parametrize(
        "path",
        [
            path
            for path in vectors.wycheproof_files("Signature/wycheproof/ecdsa_secp*r1_*_test.json")
            if "secp256k1" not in path.name
        ],
        ids=lambda p: p.name,
    )
    def test_wycheproof_verification(self, path: Path) -> None:
        """Every file for the five curves (SHA-2 and SHA-3 digests; the P1363 files re-encoded in DER),
        every invalid category. The files of P-256 also run with compressed points."""
        seen = check_verify_cases(vectors.wycheproof_ecdsa_verify(path), {"SignatureRejected"})
        if "p1363" not in path.name:
            assert set(seen) - {"cases"} == vectors.wycheproof_flags(path), (
                "a category of the file was not run"
            )
        if "secp256r1" in path.name:
            check_verify_cases(vectors.wycheproof_ecdsa_verify(path, compressed=True), {"SignatureRejected"})

    def test_nist_verification(self) -> None:
        cases = list(vectors.nist_ecdsa_verify())
        seen = check_verify_cases(cases, {"SignatureRejected", "InvalidKey"})
        assert seen["cases"] == 525
        assert {curve for case in cases for curve in [case.params.curve]} == set(ALL_CURVES)
        assert len([flag for flag in seen if flag.startswith("F")]) == 4

    def test_nist_signing(self) -> None:
        """FIPS 186-3 SigGen, all five curves and SHA-1..SHA-512: the published (R, S) verifies; the
        published k, R, S, d fix e = S k - R d mod n, which must be the device's bits2int of the digest;
        the device's own signature verifies with an independent verifier over the *message*, and was made
        with the textbook e."""
        cases = nist_sign_cases()
        assert len(cases) == 375 and {case.params.curve for case in cases} == set(ALL_CURVES)
        for index, case in enumerate(cases):
            curve = case.params.curve
            n = _curve(curve).order
            ctx = session(case.params)
            public = session(vectors.ecdsa_params(case.public_point, PUBLIC, curve))
            published = utils.encode_dss_signature(case.r, case.s)
            public.verify(published, case.digest)
            ctx.verify(published, case.digest)
            assert (case.s * case.k - case.r * case.d) % n == _ecdsa.bits2int(case.digest, n.bit_length()) % n
            assert textbook_sign(case.d, case.digest, curve, case.k) == (case.r, case.s)
            signature = ctx.sign(case.digest)
            assert len(signature) <= ctx.output_len
            library_public = ec.EllipticCurvePublicKey.from_encoded_point(
                vectors.LIBRARY_CURVES[curve], case.public_point
            )
            library_public.verify(signature, case.message, ec.ECDSA(vectors.library_hash(case.hash_name)))
            if index % 3 == 0:
                assert_signed_with_textbook_e(signature, case.digest, case.d, curve)


class TestEcdsaDigestRule:
    @pytest.mark.parametrize("curve", ALL_CURVES, ids=lambda c: Curve(c).name)
    def test_any_digest_length_from_1_to_64(self, curve: int) -> None:
        d, der = ec_key(curve)
        ctx = session(vectors.ecdsa_params(der, PRIVATE, curve))
        n = _curve(curve).order
        for length in (1, 2, 17, 20, 23, 24, 28, 31, 32, 33, 47, 48, 57, 63, 64):
            digest = secrets.token_bytes(length)
            signature = ctx.sign(digest)
            assert_signed_with_textbook_e(signature, digest, d, curve)
            r, s = textbook_sign(d, digest, curve, secrets.randbelow(n - 1) + 1)
            ctx.verify(utils.encode_dss_signature(r, s), digest)
            with pytest.raises(SignatureRejected):
                ctx.verify(utils.encode_dss_signature(r, s), bytes([digest[0] ^ 0x80]) + digest[1:])
        for length in (0, 65, 66, 100):
            with pytest.raises(InvalidParameter):
                ctx.sign(b"\x01" * length)
            with pytest.raises(InvalidParameter):
                ctx.verify(ctx.sign(b"\x01"), b"\x01" * length)

    def test_digests_differing_only_past_n_bits_are_the_same(self) -> None:
        _, der = ec_key(Curve.NIST_P192)
        ctx = session(vectors.ecdsa_params(der, PRIVATE, Curve.NIST_P192))
        digest = secrets.token_bytes(32)
        ctx.verify(ctx.sign(digest), digest[:24] + bytes(8))


class TestEcdsaKeys:
    @pytest.mark.parametrize("curve", ALL_CURVES, ids=lambda c: Curve(c).name)
    def test_rfc5915_variants(self, curve: int) -> None:
        d, full = ec_key(curve)
        info = _curve(curve)
        secret = d.to_bytes(info.scalar_size, "big")
        public = ec.derive_private_key(d, vectors.LIBRARY_CURVES[curve]).public_key()
        point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        compressed = public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        version = _der.encode_integer(1)
        octets = _der.encode_tlv(_der.OCTET_STRING, secret)
        params = _der.encode_tlv(0xA0, info.oid)
        public_field = _der.encode_tlv(0xA1, _der.encode_tlv(_der.BIT_STRING, b"\x00" + point))
        accepted = [
            full,
            _der.encode_sequence(version, octets),
            _der.encode_sequence(version, octets, params),
            _der.encode_sequence(version, octets, public_field),
            _der.encode_sequence(
                version, octets, _der.encode_tlv(0xA1, _der.encode_tlv(_der.BIT_STRING, b"\x00" + compressed))
            ),
        ]
        digest = b"\x5a" * 32
        for der in accepted:
            ctx = session(vectors.ecdsa_params(der, PRIVATE, curve))
            session(vectors.ecdsa_params(point, PUBLIC, curve)).verify(ctx.sign(digest), digest)
        session(vectors.ecdsa_params(compressed, PUBLIC, curve)).verify(ctx.sign(digest), digest)

        other_curve = next(c for c in ALL_CURVES if c != curve)
        other_point = ec.derive_private_key(1, vectors.LIBRARY_CURVES[other_curve]).public_key()
        other_public_field = _der.encode_tlv(
            0xA1,
            _der.encode_tlv(
                _der.BIT_STRING,
                b"\x00"
                + ec.derive_private_key(d % 1000 + 1, vectors.LIBRARY_CURVES[curve])
                .public_key()
                .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint),
            ),
        )
        pkcs8 = ec.derive_private_key(d, vectors.LIBRARY_CURVES[curve]).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        refused = [
            _der.encode_sequence(_der.encode_integer(0), octets),  # version
            _der.encode_sequence(version, _der.encode_tlv(0xA0, _curve(other_curve).oid)),  # no privateKey
            _der.encode_sequence(version, octets, _der.encode_tlv(0xA0, _curve(other_curve).oid)),  # curve
            _der.encode_sequence(version, octets, _der.encode_tlv(0xA0, _der.encode_tlv(_der.NULL, b""))),
            _der.encode_sequence(version, octets, other_public_field),  # someone else's public key
            _der.encode_sequence(version, octets, public_field, params),  # wrong order
            _der.encode_sequence(version, octets, params, params),  # duplicate
            _der.encode_sequence(
                version, _der.encode_tlv(_der.OCTET_STRING, bytes(info.scalar_size))
            ),  # d = 0
            _der.encode_sequence(
                version, _der.encode_tlv(_der.OCTET_STRING, info.order.to_bytes(info.scalar_size, "big"))
            ),
            _der.encode_sequence(version, _der.encode_tlv(_der.OCTET_STRING, b"\x01" + secret)),  # too long
            full + b"\x00",
            pkcs8,
            point,
        ]
        for der in refused:
            with pytest.raises(InvalidKey):
                AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(der, PRIVATE, curve))
        size = info.scalar_size
        off_curve = point[:-1] + bytes([point[-1] ^ 1])
        hybrid = bytes([6 + (point[-1] & 1)]) + point[1:]
        for bad_point in [
            off_curve,
            hybrid,
            b"\x00",
            point[:-1],
            compressed + b"\x00",
            b"\x04" + bytes(2 * size),
            full,
            other_point.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            ),
            public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        ]:
            with pytest.raises(InvalidKey):
                AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(bad_point, PUBLIC, curve))

    def test_short_private_key_octets_are_read_as_the_integer(self) -> None:
        """RFC 5915 wants ceil(log2(n)/8) octets; some old encoders dropped leading zeros."""
        info = _curve(Curve.NIST_P256)
        short = _der.encode_sequence(_der.encode_integer(1), _der.encode_tlv(_der.OCTET_STRING, b"\x05"))
        full = _der.encode_sequence(
            _der.encode_integer(1), _der.encode_tlv(_der.OCTET_STRING, (5).to_bytes(info.scalar_size, "big"))
        )
        digest = b"\x33" * 32
        signature = session(vectors.ecdsa_params(short, PRIVATE, Curve.NIST_P256)).sign(digest)
        session(vectors.ecdsa_params(full, PRIVATE, Curve.NIST_P256)).verify(signature, digest)
        assert_signed_with_textbook_e(signature, digest, 5, Curve.NIST_P256)

    def test_curve_orders(self) -> None:
        """(n - 1) G = -G: same x as G, so the hard-coded orders are right."""
        for curve in ALL_CURVES:
            assert scalar_mult_x(_curve(curve).order - 1, curve) == scalar_mult_x(1, curve)

    def test_output_len_bounds_every_signature(self) -> None:
        expected = {
            Curve.NIST_P192: 56,
            Curve.NIST_P224: 64,
            Curve.NIST_P256: 72,
            Curve.NIST_P384: 104,
            Curve.NIST_P521: 139,
        }
        for curve in ALL_CURVES:
            _, der = ec_key(curve)
            ctx = session(vectors.ecdsa_params(der, PRIVATE, curve))
            assert ctx.output_len == expected[curve]
            n = _curve(curve).order
            largest = utils.encode_dss_signature(n - 1, n - 1)
            assert len(largest) == ctx.output_len
            assert max(len(ctx.sign(secrets.token_bytes(32))) for _ in range(20)) <= ctx.output_len

    def test_operations_and_parameters(self) -> None:
        _, der = ec_key(Curve.NIST_P256)
        ctx = session(vectors.ecdsa_params(der, PRIVATE, Curve.NIST_P256))
        with pytest.raises(UnsupportedAlgorithm):
            ctx.encrypt(b"x")
        with pytest.raises(UnsupportedAlgorithm):
            ctx.decrypt(b"x")
        point = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(),
            next(c for c in nist_sign_cases() if c.params.curve == Curve.NIST_P256).public_point,
        ).public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        public = session(vectors.ecdsa_params(point, PUBLIC, Curve.NIST_P256))
        with pytest.raises(InvalidParameter):
            public.sign(b"\x01" * 32)
        for curve in (Curve.UNKNOWN, 6, 0xFFFFFFFF):
            with pytest.raises(UnsupportedAlgorithm):
                AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(der, PRIVATE, curve))
        for key_type in (0, 3):
            with pytest.raises(InvalidKey):
                AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(der, key_type, Curve.NIST_P256))
        with pytest.raises(UnsupportedAlgorithm):
            AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.rsa_params(der, PRIVATE))
        # The key on another curve than the session's: its scalar may fit, its point does not.
        with pytest.raises(InvalidKey):
            AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(point, PUBLIC, Curve.NIST_P384))
        with pytest.raises(InvalidKey):
            AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(der, PRIVATE, Curve.NIST_P384))

    def test_secp256k1_keys_are_not_p256_keys(self) -> None:
        path = vectors.WYCHEPROOF / "Signature/wycheproof/ecdsa_secp256k1_sha256_test.json"
        group = vectors._load_json(path)["testGroups"][0]
        point = bytes.fromhex(group["publicKey"]["uncompressed"])
        with pytest.raises(InvalidKey):
            AKCIPHERS[AkcipherAlgo.ECDSA].new(vectors.ecdsa_params(point, PUBLIC, Curve.NIST_P256))

    def test_signatures_must_be_der(self) -> None:
        _, der = ec_key(Curve.NIST_P256)
        ctx = session(vectors.ecdsa_params(der, PRIVATE, Curve.NIST_P256))
        digest = b"\x11" * 32
        r, s = utils.decode_dss_signature(ctx.sign(digest))
        n = _curve(Curve.NIST_P256).order
        body = _der.encode_integer(r) + _der.encode_integer(s)
        for bad in [
            b"\x30\x81" + bytes([len(body)]) + body,  # long-form length
            _der.encode_sequence(body, b"\x00\x00"),  # junk inside
            _der.encode_sequence(body) + b"\x00",  # junk after
            _der.encode_sequence(_der.encode_integer(r)),  # one INTEGER
            utils.encode_dss_signature(r, s + n),  # s >= n
            utils.encode_dss_signature(r, 0),
            utils.encode_dss_signature(r, s ^ 1),
            b"",
        ]:
            with pytest.raises(SignatureRejected):
                ctx.verify(bad, digest)


# ================================================================================================
# Registry and hostile input


def test_registry() -> None:
    assert set(AKCIPHERS) == {AkcipherAlgo.RSA, AkcipherAlgo.ECDSA}
    for algo, info in AKCIPHERS.items():
        assert info.algo == algo and info.name == AkcipherAlgo(algo).name
    assert set(ECDSA_CURVES) == {
        Curve.NIST_P192,
        Curve.NIST_P224,
        Curve.NIST_P256,
        Curve.NIST_P384,
        Curve.NIST_P521,
    }
    expected_hashes = {RsaHash.NO_HASH, RsaHash.MD2, RsaHash.MD4, RsaHash.MD5, RsaHash.SHA1, RsaHash.SHA224}
    assert expected_hashes | {RsaHash.SHA256, RsaHash.SHA384, RsaHash.SHA512} == RSA_HASHES


def test_any_buffer_type_is_accepted() -> None:
    """The device hands over memoryviews of guest memory."""
    der = labs_keys()[1024]
    for rsa_padding, rsa_hash in ((RsaPadding.RAW, 0), (RsaPadding.PKCS1, RsaHash.SHA1)):
        ctx = session(vectors.rsa_params(der, PRIVATE, rsa_padding, rsa_hash))
        ciphertext = ctx.encrypt(memoryview(b"\x00\x01abc"))
        assert ctx.decrypt(bytearray(ciphertext)).endswith(b"\x01abc")
        if rsa_padding == RsaPadding.PKCS1:
            signature = ctx.sign(memoryview(b"\x01" * 20))
            ctx.verify(memoryview(signature), bytearray(b"\x01" * 20))
    _, ec_der = ec_key(Curve.NIST_P384)
    ctx = session(vectors.ecdsa_params(ec_der, PRIVATE, Curve.NIST_P384))
    ctx.verify(memoryview(ctx.sign(bytearray(48))), memoryview(bytes(48)))


def test_ecdsa_fault_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signature that does not verify (as a computation fault would leave it) is never returned."""
    _, der = ec_key(Curve.NIST_P256)
    ctx = _ecdsa.EcdsaContext(vectors.ecdsa_params(der, PRIVATE, Curve.NIST_P256))
    private = ctx._private
    assert private is not None

    class Faulty:
        def sign(self, data: bytes, algorithm: ec.ECDSA) -> bytes:
            r, s = utils.decode_dss_signature(private.sign(data, algorithm))
            return utils.encode_dss_signature(r, s ^ 4)

    monkeypatch.setattr(ctx, "_private", Faulty())
    with pytest.raises(_rsa.FaultDetected):
        ctx.sign(b"\x01" * 32)


def _operations(ctx: AkcipherContext, data: bytes, other: bytes) -> list[Callable[[], object]]:
    return [
        lambda: ctx.encrypt(data),
        lambda: ctx.decrypt(data),
        lambda: ctx.sign(data),
        lambda: ctx.verify(data, other),
        lambda: ctx.verify(other, data),
    ]


def _only_typed_errors(params: AkcipherParams, inputs: list[tuple[bytes, bytes]]) -> None:
    try:
        ctx = AKCIPHERS[params.algo].new(params)
    except CryptoError:
        return
    for data, other in inputs:
        for operation in _operations(ctx, data, other):
            with contextlib.suppress(CryptoError):
                operation()


@cache
def _hostile_keys() -> list[AkcipherParams]:
    """Valid keys of both kinds and both algorithms, whose DER the fuzzers below mutate."""
    keys: list[AkcipherParams] = []
    der = labs_keys()[1024]
    for padding_algo, rsa_hash in [
        (RsaPadding.RAW, 0),
        (RsaPadding.PKCS1, RsaHash.SHA1),
        (RsaPadding.PKCS1, 0),
    ]:
        keys.append(vectors.rsa_params(der, PRIVATE, padding_algo, rsa_hash))
        keys.append(vectors.rsa_params(rsa_public_of(der), PUBLIC, padding_algo, rsa_hash))
    for curve in (Curve.NIST_P256, Curve.NIST_P521):
        case = next(c for c in nist_sign_cases() if c.params.curve == curve)
        keys.append(case.params)
        keys.append(vectors.ecdsa_params(case.public_point, PUBLIC, curve))
    return keys


_byte_strings = st.binary(max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    algo=st.sampled_from([AkcipherAlgo.RSA, AkcipherAlgo.ECDSA, 0, 3]),
    key_type=st.integers(min_value=0, max_value=3),
    key=_byte_strings,
    rsa_padding=st.integers(min_value=0, max_value=2),
    rsa_hash=st.integers(min_value=0, max_value=10),
    curve=st.integers(min_value=0, max_value=6),
)
def test_random_keys_raise_only_typed_errors(
    algo: int, key_type: int, key: bytes, rsa_padding: int, rsa_hash: int, curve: int
) -> None:
    params = AkcipherParams(algo, key_type, key, rsa_padding, rsa_hash, curve)
    info = AKCIPHERS.get(algo)
    if info is None:
        return
    with contextlib.suppress(CryptoError):
        info.new(params)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0),
    position=st.integers(min_value=0),
    value=st.integers(min_value=0, max_value=255),
    cut=st.booleans(),
    inputs=st.lists(st.tuples(_byte_strings, _byte_strings), min_size=1, max_size=3),
)
def test_mutated_keys_and_random_inputs_raise_only_typed_errors(
    index: int, position: int, value: int, cut: bool, inputs: list[tuple[bytes, bytes]]
) -> None:
    base = _hostile_keys()[index % len(_hostile_keys())]
    key = bytearray(base.key)
    position %= len(key)
    if cut:
        del key[position:]
    else:
        key[position] = value
    mutated = AkcipherParams(
        base.algo, base.key_type, bytes(key), base.rsa_padding, base.rsa_hash, base.curve
    )
    _only_typed_errors(mutated, inputs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0), data=st.data())
def test_valid_keys_with_hostile_inputs(index: int, data: st.DataObject) -> None:
    """Inputs of the sizes that matter (around k and the digest sizes) as well as random ones."""
    params = _hostile_keys()[index % len(_hostile_keys())]
    ctx = session(params)
    sizes = st.sampled_from(
        [
            0,
            1,
            16,
            20,
            32,
            64,
            65,
            ctx.output_len - 11,
            ctx.output_len - 1,
            ctx.output_len,
            ctx.output_len + 1,
        ]
    )
    blob = sizes.flatmap(lambda size: st.binary(min_size=max(size, 0), max_size=max(size, 0)))
    inputs = data.draw(st.lists(st.tuples(blob, blob | _byte_strings), min_size=1, max_size=4))
    _only_typed_errors(params, inputs)
