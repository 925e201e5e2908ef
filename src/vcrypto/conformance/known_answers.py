"""Published known answers, one or two per algorithm, shipped with ``vcrypto check``.

Every vector comes from a published source named in its ``source`` field (NIST CAVP and SP 800-38A/B/D,
RFC 1321, 2202, 3566, 3711, 4231, 6229, 8439, RSA Laboratories' PKCS#1 examples, 3GPP data as reproduced
by DPDK's test headers), extracted from the independent files the project's own tests load
(tests/vectors.py, tests/akcipher_vectors.py). A few are derived by a rule of the standard, as the source
says: single DES from TDES vectors with three equal keys, 3DES-CTR keystream from TDES-ECB blocks, GMAC
from a GCM vector with an empty plaintext, CBC-MAC from a CBC vector.

Request layouts the virtio spec leaves open follow the project's documented conventions (DPDK's): 3GPP
cipher IVs are the packed COUNT/BEARER/DIRECTION block, SNOW 3G UIA2 / ZUC EIA3 sources start with the
16-byte authentication IV and a le32 bit length, KASUMI f9 sources are the padded string; GMAC sources
start with the 12-byte IV. RSA keys are PKCS#1 DER, ECDSA public keys SEC1 points; signing and verifying
take the digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec.constants import AeadAlgo, CipherAlgo, Curve, HashAlgo, MacAlgo, RsaHash


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


@dataclass(frozen=True, slots=True)
class CipherVector:
    algo: CipherAlgo
    key: bytes
    iv: bytes
    plaintext: bytes
    ciphertext: bytes
    source: str


@dataclass(frozen=True, slots=True)
class HashVector:
    algo: HashAlgo
    message: bytes
    digest: bytes  # its length is the result length asked for
    source: str


@dataclass(frozen=True, slots=True)
class MacVector:
    algo: MacAlgo
    key: bytes
    message: bytes
    tag: bytes  # its length is the result length asked for
    source: str


@dataclass(frozen=True, slots=True)
class AeadVector:
    algo: AeadAlgo
    key: bytes
    iv: bytes
    aad: bytes
    plaintext: bytes  # empty when not valid
    ciphertext: bytes
    tag: bytes
    valid: bool  # False: a tampered tag that decryption must refuse (BADMSG)
    source: str


@dataclass(frozen=True, slots=True)
class RsaSignVector:
    key: bytes  # PKCS#1 RSAPrivateKey DER
    rsa_hash: RsaHash
    digest: bytes
    signature: bytes  # PKCS#1 v1.5 signatures are deterministic
    source: str


@dataclass(frozen=True, slots=True)
class RsaDecryptVector:
    key: bytes  # PKCS#1 RSAPrivateKey DER
    ciphertext: bytes  # PKCS#1 v1.5 padding
    message: bytes
    source: str


@dataclass(frozen=True, slots=True)
class EcdsaVerifyVector:
    curve: Curve
    key: bytes  # uncompressed SEC1 public point
    digest: bytes
    signature: bytes  # DER Ecdsa-Sig-Value
    valid: bool
    source: str


CIPHERS: tuple[CipherVector, ...] = (
    CipherVector(
        algo=CipherAlgo.ARC4,
        key=_h("0102030405060708090a0b0c0d0e0f1011121314"),
        iv=b"",
        plaintext=_h("0000000000000000000000000000000000000000000000000000000000000000"),
        ciphertext=_h("f644d3aa1f242c35f51b71d4faf55383b4ec4b071c79cfe214b460d84d0d4342"),
        source="RFC 6229 §2 ARC4 keystream, key 0102030405060708090a0b0c0d0e0f1011121314",
    ),
    CipherVector(
        algo=CipherAlgo.ARC4,
        key=_h("08ebe51debb46227c6cc8b37641910833222772a"),
        iv=b"",
        plaintext=_h("0000000000000000000000000000000000000000000000000000000000000000"),
        ciphertext=_h("40b068b70cbe9b5115f57c86361c6f20534c0249ce55beadb24e7c16c4eab1ae"),
        source="RFC 6229 §2 ARC4 keystream, key 08ebe51debb46227c6cc8b37641910833222772a",
    ),
    CipherVector(
        algo=CipherAlgo.AES_ECB,
        key=_h("edfdb257cb37cdf182c5455b0c0efebb"),
        iv=b"",
        plaintext=_h("1695fe475421cace3557daca01f445ff"),
        ciphertext=_h("7888beae6e7a426332a7eaa2f808e637"),
        source="NIST CAVP AESAVS ECBMMT128.rsp ENCRYPT #0",
    ),
    CipherVector(
        algo=CipherAlgo.AES_ECB,
        key=_h("7723d87d773a8bbfe1ae5b081235b566"),
        iv=b"",
        plaintext=_h("1b0a69b7bc534c16cecffae02cc5323190ceb413f1db3e9f0f79ba654c54b60e"),
        ciphertext=_h("ad5b089515e7821087c61652dc477ab1f2cc6331a70dfc59c9ffb0c723c682f6"),
        source="NIST CAVP AESAVS ECBMMT128.rsp ENCRYPT #1",
    ),
    CipherVector(
        algo=CipherAlgo.AES_CBC,
        key=_h("1f8e4973953f3fb0bd6b16662e9a3c17"),
        iv=_h("2fe2b333ceda8f98f4a99b40d2cd34a8"),
        plaintext=_h("45cf12964fc824ab76616ae2f4bf0822"),
        ciphertext=_h("0f61c4d44c5147c03c195ad7e2cc12b2"),
        source="NIST CAVP AESAVS CBCMMT128.rsp ENCRYPT #0",
    ),
    CipherVector(
        algo=CipherAlgo.AES_CBC,
        key=_h("0700d603a1c514e46b6191ba430a3a0c"),
        iv=_h("aad1583cd91365e3bb2f0c3430d065bb"),
        plaintext=_h("068b25c7bfb1f8bdd4cfc908f69dffc5ddc726a197f0e5f720f730393279be91"),
        ciphertext=_h("c4dc61d9725967a3020104a9738f23868527ce839aab1752fd8bdb95a82c4d00"),
        source="NIST CAVP AESAVS CBCMMT128.rsp ENCRYPT #1",
    ),
    CipherVector(
        algo=CipherAlgo.AES_CTR,
        key=_h("ae6852f8121067cc4bf7a5765577f39e"),
        iv=_h("00000030000000000000000000000001"),
        plaintext=_h("53696e676c6520626c6f636b206d7367"),
        ciphertext=_h("e4095d4fb7a7b3792d6175a3261311b8"),
        source="NIST SP 800-38A F.5 (cryptography-vectors aes-128-ctr.txt #0)",
    ),
    CipherVector(
        algo=CipherAlgo.AES_CTR,
        key=_h("7e24067817fae0d743d6ce1f32539163"),
        iv=_h("006cb6dbc0543b59da48d90b00000001"),
        plaintext=_h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
        ciphertext=_h("5104a106168a72d9790d41ee8edad388eb2e1efc46da57c8fce630df9141be28"),
        source="NIST SP 800-38A F.5 (cryptography-vectors aes-128-ctr.txt #1)",
    ),
    CipherVector(
        algo=CipherAlgo.DES_ECB,
        key=_h("c44aef545b1331f2"),
        iv=b"",
        plaintext=_h("6c70fa4b7aba00ca"),
        ciphertext=_h("9413638a0b5401bd"),
        source="NIST CAVP TDES TECBMMT1.rsp ENCRYPT #0 (single DES: the TDES keys are equal)",
    ),
    CipherVector(
        algo=CipherAlgo.DES_ECB,
        key=_h("f175d52a388ff4ba"),
        iv=b"",
        plaintext=_h("ff2dd14dcedeaa43b12a26ee8f2d82eaa8fa158426df831c"),
        ciphertext=_h("56535e4661ff6bf892ad5f3593179a0fc7dd647567930dbc"),
        source="NIST CAVP TDES TECBMMT1.rsp ENCRYPT #2 (single DES: the TDES keys are equal)",
    ),
    CipherVector(
        algo=CipherAlgo.DES_CBC,
        key=_h("a4e319510bef76ea"),
        iv=_h("679fdbee166c2e0a"),
        plaintext=_h("36926e3a2720ea9f"),
        ciphertext=_h("c108c0e25ee81ea3"),
        source="NIST CAVP TDES TCBCMMT1.rsp ENCRYPT #0 (single DES: the TDES keys are equal)",
    ),
    CipherVector(
        algo=CipherAlgo.DES_CBC,
        key=_h("989dd9341aec9efd"),
        iv=_h("1dad342c0fb3c9b1"),
        plaintext=_h("aafe7854d34e6730899599c879dcc28ea0397361b2a19d01"),
        ciphertext=_h("69ceb8567acbac1b47d91802a235c4e9e4d0af894c533759"),
        source="NIST CAVP TDES TCBCMMT1.rsp ENCRYPT #2 (single DES: the TDES keys are equal)",
    ),
    CipherVector(
        algo=CipherAlgo.DES3_ECB,
        key=_h("ad192fd064b5579e7a4fb3c8f794f22a"),
        iv=b"",
        plaintext=_h("13bad542f3652d67"),
        ciphertext=_h("908e543cf2cb254f"),
        source="NIST CAVP TDES TECBMMT2.rsp ENCRYPT #0",
    ),
    CipherVector(
        algo=CipherAlgo.DES3_ECB,
        key=_h("326b494cd33ee65737ae5ebf46dff2dc"),
        iv=b"",
        plaintext=_h("0654b84f30cbb2846bccd9d56463d6db9e12f3465b2322ce"),
        ciphertext=_h("dec0c5935e5430f98ad636fa3d7caff1946766bdc201edd9"),
        source="NIST CAVP TDES TECBMMT2.rsp ENCRYPT #2",
    ),
    CipherVector(
        algo=CipherAlgo.DES3_CBC,
        key=_h("34a41a8c293176c1b30732ecfe38ae8a"),
        iv=_h("f55b4855228bd0b4"),
        plaintext=_h("7dd880d2a9ab411c"),
        ciphertext=_h("c91892948b6cadb4"),
        source="NIST CAVP TDES TCBCMMT2.rsp ENCRYPT #0",
    ),
    CipherVector(
        algo=CipherAlgo.DES3_CBC,
        key=_h("e091790be55be0bc0780153861a84adc"),
        iv=_h("fd7d430f86fbbffe"),
        plaintext=_h("03c7fffd7f36499c703dedc9df4de4a92dd4382e576d6ae9"),
        ciphertext=_h("053aeba85dd3a23bfbe8440a432f9578f312be60fb9f0035"),
        source="NIST CAVP TDES TCBCMMT2.rsp ENCRYPT #2",
    ),
    CipherVector(
        algo=CipherAlgo.DES3_CTR,
        key=_h("c44aef545b1331f2c44aef545b1331f2"),
        iv=_h("6c70fa4b7aba00ca"),
        plaintext=_h("6c70fa4b7aba00ca"),
        ciphertext=_h("f86399c171ee0177"),
        source="keystream from NIST CAVP TDES TECBMMT1.rsp ENCRYPT #0 (E(K, counter) = C, SP 800-38A §6.5)",
    ),
    CipherVector(
        algo=CipherAlgo.DES3_CTR,
        key=_h("2cb5642a45dada4c2cb5642a45dada4c"),
        iv=_h("480d56627ca33bfa"),
        plaintext=_h("8155f435c6"),
        ciphertext=_h("c4c26249d5"),
        source="keystream from NIST CAVP TDES TECBMMT1.rsp ENCRYPT #1 (E(K, counter) = C, SP 800-38A §6.5)",
    ),
    CipherVector(
        algo=CipherAlgo.AES_F8,
        key=_h("234829008467be186c3de14aae72d62c32f2870d55555555555555555555"),
        iv=_h("006e5cba50681de55c621599d462564a"),
        plaintext=_h("70736575646f72616e646f6d6e65737320697320746865206e6578742062657374207468696e67"),
        ciphertext=_h("019ce7a26e7854014a6366aa95d4eefd1ad4172a14f9faf455b7f1d4b62bd08f562c0eef7c4802"),
        source="RFC 3711 B.1 AES-f8",
    ),
    CipherVector(
        algo=CipherAlgo.AES_XTS,
        key=_h("a1b90cba3f06ac353b2c343876081762090923026e91771815f29dab01932f2f"),
        iv=_h("4faef7117cda59c66e4b92013e768ad5"),
        plaintext=_h("ebabce95b14d3c8d6fb350390790311c"),
        ciphertext=_h("778ae8b43cb98d5a825081d5be471c63"),
        source="NIST CAVP XTSVS XTSGenAES128.rsp ENCRYPT #1",
    ),
    CipherVector(
        algo=CipherAlgo.AES_XTS,
        key=_h("b7b93f516aef295eff3a29d837cf1f135347e8a21dae616ff5062b2e8d78ce5e"),
        iv=_h("873edea653b643bd8bcf51403197ed14"),
        plaintext=_h("236f8a5b58dd55f6194ed70c4ac1a17f1fe60ec9a6c454d087ccb77d6b638c47"),
        ciphertext=_h("22e6a3c6379dcf7599b052b5a749c7f78ad8a11b9f1aa9430cf3aef445682e19"),
        source="NIST CAVP XTSVS XTSGenAES128.rsp ENCRYPT #101",
    ),
    CipherVector(
        algo=CipherAlgo.KASUMI_F8,
        key=_h("5acb1d644c0d51204ea5f1451010d852"),
        iv=_h("fa556b261c000000"),
        plaintext=_h("ad9c441f890b38c457a49d421407e8"),
        ciphertext=_h("9bc92ca803c67b28a11a4bee5a0c25"),
        source="3GPP via DPDK kasumi_test_case_3",
    ),
    CipherVector(
        algo=CipherAlgo.SNOW3G_UEA2,
        key=_h("5acb1d644c0d51204ea5f1451010d852"),
        iv=_h("fa556b261c000000fa556b261c000000"),
        plaintext=_h("ad9c441f890b38c457a49d421407e8"),
        ciphertext=_h("ba0f31300334c56b52a7497cbac046"),
        source="3GPP via DPDK snow3g_test_case_3",
    ),
    CipherVector(
        algo=CipherAlgo.ZUC_EEA3,
        key=_h("e5bd3ea0eb55ade866c6ac58bd54302a"),
        iv=_h("00056823c400000000056823c4000000"),
        plaintext=_h(
            "14a8ef693d678507bbe7270a7f67ff5006c3525b9807e467c4e56000ba338f5d429559036751822246c80d3b38"
            "f07f4be2d8ff5805f5132229bde93bbbdcaf382bf1ee972fbf9977bada8945847a2a6c9ad34a667554e04d1f7f"
            "a2c33241bd8f01ba220d"
        ),
        ciphertext=_h(
            "131d43e0dea1be5c5a1bfd971d852cbf712d7b4f57961fea3208afa8bca433f456ad09c7417e58bc69cf8866d1"
            "353f74865e80781d202dfb3ecff7fcbc3b190fe82a204ed0e350fc0f6f2613b2f2bca6df5a473a57a4a00d985e"
            "bad880d6f23864a07b01"
        ),
        source="3GPP via DPDK zuc_test_case_cipher_800b",
    ),
)

HASHES: tuple[HashVector, ...] = (
    HashVector(
        algo=HashAlgo.MD5,
        message=_h("61"),
        digest=_h("0cc175b9c0f1b6a831c399e269772661"),
        source='RFC 1321 A.5 test suite ("a")',
    ),
    HashVector(
        algo=HashAlgo.SHA1,
        message=_h("f7fb1be205"),
        digest=_h("60b7d5bb560a1acf6fa45721bd0abb419a841a89"),
        source="NIST CAVP SHAVS SHA1ShortMsg.rsp Len=40",
    ),
    HashVector(
        algo=HashAlgo.SHA_224,
        message=_h("493e14623c"),
        digest=_h("7f631f295e024e74552083245ca8f988a3fb65680ae97c3040d2e65c"),
        source="NIST CAVP SHAVS SHA224ShortMsg.rsp Len=40",
    ),
    HashVector(
        algo=HashAlgo.SHA_256,
        message=_h("c299209682"),
        digest=_h("f0887fe961c9cd3beab957e8222494abb969b1ce4c6557976df8b0f6d20e9166"),
        source="NIST CAVP SHAVS SHA256ShortMsg.rsp Len=40",
    ),
    HashVector(
        algo=HashAlgo.SHA_384,
        message=_h("5c7dde9b3894d73cefe1"),
        digest=_h(
            "f31b22115fa7178e78223e06aae870547ab93c6eb3c3910b0ee16e6106db55935d6c0eb820132a2078ece1067efc81c3"
        ),
        source="NIST CAVP SHAVS SHA384ShortMsg.rsp Len=80",
    ),
    HashVector(
        algo=HashAlgo.SHA_512,
        message=_h("bad7c618f45be207975e"),
        digest=_h(
            "5886828959d1f82254068be0bd14b6a88f59f534061fb20376a0541052dd3635edf3c6f0ca3d08775e13525df9"
            "333a2113c0b2af76515887529910b6c793c8a5"
        ),
        source="NIST CAVP SHAVS SHA512ShortMsg.rsp Len=80",
    ),
    HashVector(
        algo=HashAlgo.SHA3_224,
        message=_h("e723c64b2258b5124f88405f"),
        digest=_h("d09da094cfefaad46b7b335830a9305570f4f4afe79f8629ff9d0c3d"),
        source="NIST CAVP SHAVS SHA3_224ShortMsg.rsp Len=96",
    ),
    HashVector(
        algo=HashAlgo.SHA3_256,
        message=_h("7e8f1fd1882e4a7c49e674"),
        digest=_h("79bef78c78aa71e11a3375394c2562037cd0f82a033b48a6cc932cc43358fd9e"),
        source="NIST CAVP SHAVS SHA3_256ShortMsg.rsp Len=88",
    ),
    HashVector(
        algo=HashAlgo.SHA3_384,
        message=_h("c44a2c58c84c393a"),
        digest=_h(
            "60ad40f964d0edcf19281e415f7389968275ff613199a069c916a0ff7ef65503b740683162a622b913d43a46559e913c"
        ),
        source="NIST CAVP SHAVS SHA3_384ShortMsg.rsp Len=64",
    ),
    HashVector(
        algo=HashAlgo.SHA3_512,
        message=_h("71a986d2f662"),
        digest=_h(
            "def6aac2b08c98d56a0501a8cb93f5b47d6322daf99e03255457c303326395f765576930f8571d89c01e727cc7"
            "9c2d4497f85c45691b554e20da810c2bc865ef"
        ),
        source="NIST CAVP SHAVS SHA3_512ShortMsg.rsp Len=48",
    ),
    HashVector(
        algo=HashAlgo.SHA3_SHAKE128,
        message=_h("805e90c72b97798d936c10c9252bba561ab42736402d35e1fef712dd"),
        digest=_h("53790f771045d51abcd6c79ab7938e3b"),
        source="NIST CAVP SHAVS SHAKE128ShortMsg.rsp Len=224",
    ),
    HashVector(
        algo=HashAlgo.SHA3_SHAKE256,
        message=_h("d6d82f4713267bff5a486c65be9943c628edd1bd9dc6"),
        digest=_h("504f0f9e2c07a2ad8ad2e50723dcfc163119a7136e230f7986f1ec3fc73bc5af"),
        source="NIST CAVP SHAVS SHAKE256ShortMsg.rsp Len=176",
    ),
)

MACS: tuple[MacVector, ...] = (
    MacVector(
        algo=MacAlgo.HMAC_MD5,
        key=_h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        message=_h("4869205468657265"),
        tag=_h("9294727a3638bb1c13f48ef8158bfc9d"),
        source="RFC 2202 test case 1 (HMAC-md5)",
    ),
    MacVector(
        algo=MacAlgo.HMAC_SHA1,
        key=_h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        message=_h("4869205468657265"),
        tag=_h("b617318655057264e28bc0b6fb378c8ef146be00"),
        source="RFC 2202 test case 1 (HMAC-sha1)",
    ),
    MacVector(
        algo=MacAlgo.HMAC_SHA_224,
        key=_h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        message=_h("4869205468657265"),
        tag=_h("896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22"),
        source="RFC 4231 §4.2 test case 1 (HMAC-sha224)",
    ),
    MacVector(
        algo=MacAlgo.HMAC_SHA_256,
        key=_h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        message=_h("4869205468657265"),
        tag=_h("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        source="RFC 4231 §4.2 test case 1 (HMAC-sha256)",
    ),
    MacVector(
        algo=MacAlgo.HMAC_SHA_384,
        key=_h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        message=_h("4869205468657265"),
        tag=_h(
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"
        ),
        source="RFC 4231 §4.2 test case 1 (HMAC-sha384)",
    ),
    MacVector(
        algo=MacAlgo.HMAC_SHA_512,
        key=_h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        message=_h("4869205468657265"),
        tag=_h(
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eae"
            "a3f4e4be9d914eeb61f1702e696c203a126854"
        ),
        source="RFC 4231 §4.2 test case 1 (HMAC-sha512)",
    ),
    MacVector(
        algo=MacAlgo.CMAC_3DES,
        key=_h("8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5"),
        message=b"",
        tag=_h("b7a688e122ffaf95"),
        source="NIST SP 800-38B 3des example (cryptography-vectors CMAC #0)",
    ),
    MacVector(
        algo=MacAlgo.CMAC_AES,
        key=_h("2b7e151628aed2a6abf7158809cf4f3c"),
        message=b"",
        tag=_h("bb1d6929e95937287fa37d129b756746"),
        source="NIST SP 800-38B aes128 example (cryptography-vectors CMAC #0)",
    ),
    MacVector(
        algo=MacAlgo.GMAC_AES,
        key=_h("11754cd72aec309bf52f7687212e8957"),
        message=_h("3c819d9a9bed087615030b65"),
        tag=_h("250327c674aaf477aef2675748cf6971"),
        source="NIST CAVP GCMVS gcmEncryptExtIV128.rsp #0: GCM with an empty plaintext (SP 800-38D §3)",
    ),
    MacVector(
        algo=MacAlgo.CBCMAC_AES,
        key=_h("1f8e4973953f3fb0bd6b16662e9a3c17"),
        message=_h("6a2da1a58112ab3382c8f1a226723c8a"),
        tag=_h("0f61c4d44c5147c03c195ad7e2cc12b2"),
        source="derived from NIST CAVP AESAVS CBCMMT128.rsp ENCRYPT #0 (last CBC block, zero IV folded in)",
    ),
    MacVector(
        algo=MacAlgo.XCBC_AES,
        key=_h("000102030405060708090a0b0c0d0e0f"),
        message=b"",
        tag=_h("75f0251d528ac01c4573dfd584d79f29"),
        source="RFC 3566 §4.6 test case 1",
    ),
    MacVector(
        algo=MacAlgo.SNOW3G_UIA2,
        key=_h("5acb1d644c0d51204ea5f1451010d852"),
        message=_h("fa556b261c000000fa556b261c00000078000000ba0f31300334c56b52a7497cbac046"),
        tag=_h("e8605a3e"),
        source="3GPP via DPDK snow3g_test_case_3 (digest)",
    ),
    MacVector(
        algo=MacAlgo.ZUC_EIA3,
        key=_h("173d14ba5003731d7a60049470f00a29"),
        message=_h(
            "fa556b2618000000fa556b2618000000c8000000a6c85fc66afb8533aafc2518dfe784940ee1e4b030238cc810"
        ),
        tag=_h("2f457d7b"),
        source="3GPP via DPDK zuc_test_case_cipher_200b_auth_200b (digest)",
    ),
    MacVector(
        algo=MacAlgo.KASUMI_F9,
        key=_h("5acb1d644c0d51204ea5f1451010d852"),
        message=_h("38a6f05605d2ec49ad9c441f890b38c457a49d421407e8c0"),
        tag=_h("875fe489"),
        source="3GPP via DPDK kasumi_test_case_3 (digest)",
    ),
)

AEADS: tuple[AeadVector, ...] = (
    AeadVector(
        algo=AeadAlgo.GCM,
        key=_h("bcf1ca1448301114f636fedeadb159fe"),
        iv=_h("66c0b0f6f7ec37d0c54bdd5b"),
        aad=_h("4baba64bc9b6d4d1b3391f3ed984a59bb3070880"),
        plaintext=_h("835fcca70ff1dc9a97e7d84006494ef1"),
        ciphertext=_h("074e9b20745027a796afc3eeb675cb1c"),
        tag=_h("39e2fc37b85e1fbd6c6ff575955aee"),
        valid=True,
        source="NIST CAVP GCMVS gcmEncryptExtIV128.rsp 96/128/160/120#0",
    ),
    AeadVector(
        algo=AeadAlgo.GCM,
        key=_h("46adbfc9f7c0293eb6e84eef2bf31be2"),
        iv=_h("ce536e3eee7e2d6557113920"),
        aad=_h("bea026c17ce7bcb1eaeb0ac131cc1987"),
        plaintext=b"",
        ciphertext=_h("15e9e4c6c921f66b29dd104d5b1ec58c"),
        tag=_h("774524e30b2d891f1005d257f2"),
        valid=False,
        source="NIST CAVP GCMVS gcmDecrypt128.rsp 96/128/128/104#0",
    ),
    AeadVector(
        algo=AeadAlgo.CCM,
        key=_h("54caf96ef6d448734700aadab50faf7a"),
        iv=_h("a3803e752ae849c910d8da36af"),
        aad=_h("c8437dba76"),
        plaintext=_h("41db5b245ea0fab985b93e7fc0a00cd3cca5bdbb642b7ebf"),
        ciphertext=_h("a7801da63843959aef7f46edc205157b2be8798b6ae29e5b"),
        tag=_h("842700619dc1599603f3f3f6cfdf5e0b"),
        valid=True,
        source="NIST CAVP CCM VADT128.rsp #55",
    ),
    AeadVector(
        algo=AeadAlgo.CCM,
        key=_h("197afb02ffbd8f699dacae87094d5243"),
        iv=_h("8ea1594a58fe4a"),
        aad=b"",
        plaintext=b"",
        ciphertext=_h("389547260b354a6cbc909de057d367677049e80613877f6f"),
        tag=_h("bf19f89da977e56f308373c616299ad4"),
        valid=False,
        source="NIST CAVP CCM DVPT128.rsp #80",
    ),
    AeadVector(
        algo=AeadAlgo.CHACHA20_POLY1305,
        key=_h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
        iv=_h("070000004041424344454647"),
        aad=_h("50515253c0c1c2c3c4c5c6c7"),
        plaintext=_h(
            "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a20496620"
            "4920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f722074686520667574757265"
            "2c2073756e73637265656e20776f756c642062652069742e"
        ),
        ciphertext=_h(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da"
            "92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585"
            "808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
        ),
        tag=_h("1ae10b594f09e26a7e902ecbd0600691"),
        valid=True,
        source="RFC 8439 / BoringSSL (cryptography-vectors ChaCha20Poly1305 boringssl.txt #1)",
    ),
    AeadVector(
        algo=AeadAlgo.CHACHA20_POLY1305,
        key=_h("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"),
        iv=_h("000000000102030405060708"),
        aad=_h("f33388860000000000004e91"),
        plaintext=b"",
        ciphertext=_h(
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e38"
            "2d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f9"
            "82b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d"
            "46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04"
            "b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049"
            "e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b"
        ),
        tag=_h("eead9d67890cbb22392336fea1851f39"),
        valid=False,
        source="OpenSSL, tampered tag (cryptography-vectors ChaCha20Poly1305 openssl.txt #2)",
    ),
)

RSA_SIGNS: tuple[RsaSignVector, ...] = (
    RsaSignVector(
        key=_h(
            "3082025d02010002818100c8a2069182394a2ab7c3f4190c15589c56a2d4bc42dca675b34cc950e24663048441"
            "e8aa593b2bc59e198b8c257e882120c62336e5cc745012c7ffb063eebe53f3c6504cba6cfe51baa3b6d1074b2f"
            "398171f4b1982f4d65caf882ea4d56f32ab57d0c44e6ad4e9cf57a4339eb6962406e350c1b15397183fbf1f035"
            "3c9fc99102030100010281805dfcb111072d29565ba1db3ec48f57645d9d8804ed598a4d470268a89067a2c921"
            "dff24ba2e37a3ce834555000dc868ee6588b7493303528b1b3a94f0b71730cf1e86fca5aeedc3afa16f65c0189"
            "d810ddcd81049ebbd0391868c50edec958b3a2aaeff6a575897e2f20a3ab5455c1bfa55010ac51a7799b1ff848"
            "3644a3d425024100f66a2468b1481a0d6b604967f0580389d6061f033a9b57b74d1befe8101198945b80930424"
            "1d02fd5f921fe959fbecdb180054869adb17d321f9d5d598123e73024100d06ffa563bd0b8b97f0072ea075103"
            "ec1ff0b17fd6bdaf94a75ae6035982f680249d77cc1596a654f14c517a13b95f1a8c5de8cc84ad38d2e6aa4fcd"
            "541a32eb024100d4d4b69fca478960ffd64970c1d17334f12b964bb6aa07a825acb498ce90342627a634d505d0"
            "1d0df52703f30c2aa0d857b1a9501d9e90c4667b206b7d0e7ceb0240284fefe7ababe37e24bcee7caaab95899e"
            "67cbbc80c8b0e39c366d53ea84f4adb5e72a9b32f5aef7b0af64f6aa47e8c7d6abf6f14f1bbd68b4a9edc33567"
            "d7bf024100e3bd881c5a8f4afca08cbc047cf0e3897c85189af4f9a700932cf49e72f64404390da5048279ce47"
            "f5af589b1be9e461bbd8cc07ab8bc68baf6cc913b2e62672"
        ),
        rsa_hash=RsaHash.SHA256,
        digest=_h("732213cc64e019b2f20cdb0f3c21dcb5ad83726449a42699107cf5097a0b1db9"),
        signature=_h(
            "0e7cdd121e40323ca6115d1ec6d1f9561738455f0e9e1cd858e8b566ae2da5e8ee63d8f15c3cdd88027e13406d"
            "b609369c88ca99b34fa156c7ee62bc5a3923bb5a1edabd45c1a422aafcbb47e0947f35cfef87970b4b713162b2"
            "1916cafb8c864a3e5b9ffc989401d4eae992312a32c5bc88abbb45f99ac885b54d6b8e61b6ec"
        ),
        source="NIST CAVP FIPS 186-2 SigGen15_186-2.txt #20 (RSA PKCS#1 v1.5, SHA-256)",
    ),
)

RSA_DECRYPTS: tuple[RsaDecryptVector, ...] = (
    RsaDecryptVector(
        key=_h(
            "3082025c02010002818100a8b3b284af8eb50b387034a860f146c4919f318763cd6c5598c8ae4811a1e0abc4c7"
            "e0b082d693a5e7fced675cf4668512772c0cbc64a742c6c630f533c8cc72f62ae833c40bf25842e984bb78bdbf"
            "97c0107d55bdb662f5c4e0fab9845cb5148ef7392dd3aaff93ae1e6b667bb3d4247616d4f5ba10d4cfd226de88"
            "d39f16fb020301000102818053339cfdb79fc8466a655c7316aca85c55fd8f6dd898fdaf119517ef4f52e8fd8e"
            "258df93fee180fa0e4ab29693cd83b152a553d4ac4d1812b8b9fa5af0e7f55fe7304df41570926f3311f15c4d6"
            "5a732c483116ee3d3d2d0af3549ad9bf7cbfb78ad884f84d5beb04724dc7369b31def37d0cf539e9cfcdd3de65"
            "3729ead5d1024100d32737e7267ffe1341b2d5c0d150a81b586fb3132bed2f8d5262864a9cb9f30af38be44859"
            "8d413a172efb802c21acf1c11c520c2f26a471dcad212eac7ca39d024100cc8853d1d54da630fac004f471f281"
            "c7b8982d8224a490edbeb33d3e3d5cc93c4765703d1dd791642f1f116a0dd852be2419b2af72bfe9a030e860b0"
            "288b5d7702400e12bf1718e9cef5599ba1c3882fe8046a90874eefce8f2ccc20e4f2741fb0a33a3848aec9c930"
            "5fbecbd2d76819967d4671acc6431e4037968db37878e695c102410095297b0f95a2fa67d00707d609dfd4fc05"
            "c89dafc2ef6d6ea55bec771ea333734d9251e79082ecda866efef13c459e1a631386b7e354c899f5f112ca85d7"
            "158302404f456c502493bdc0ed2ab756a3a6ed4d67352a697d4216e93212b127a63d5411ce6fa98d5dbefd7326"
            "3e3728142743818166ed7dd63687dd2a8ca1d2f4fbd8e1"
        ),
        ciphertext=_h(
            "50b4c14136bd198c2f3c3ed243fce036e168d56517984a263cd66492b80804f169d210f2b9bdfb48b12f9ea050"
            "09c77da257cc600ccefe3a6283789d8ea0e607ac58e2690ec4ebc10146e8cbaa5ed4d5cce6fe7b0ff9efc1eabb"
            "564dbf498285f449ee61dd7b42ee5b5892cb90601f30cda07bf26489310bcd23b528ceab3c31"
        ),
        message=_h("6628194e12073db03ba94cda9ef9532397d50dba79b987004afefe34"),
        source="RSA Laboratories pkcs1v15crypt-vectors.txt example 1.1",
    ),
)

ECDSA_VERIFIES: tuple[EcdsaVerifyVector, ...] = (
    EcdsaVerifyVector(
        curve=Curve.NIST_P256,
        key=_h(
            "04f3033d1e548d245b5e45ff1147db8cd44db8a1f2823c3c164125be88f9a982c23c078f6cee2f50e95e8916aa"
            "9c4e93de3fdf9b045abac6f707cfcb22d065638e"
        ),
        digest=_h("e8d38e4c6a905a814b04c2841d898ed6da023c34"),
        signature=_h(
            "3045022100d4255db86a416a5a688de4e238071ef16e5f2a20e31b9490c03dee9ae6164c3402204e0ac1e1a672"
            "5bf7c6bd207439b2d370c5f2dea1ff4decf1650ab84c7769efc0"
        ),
        valid=True,
        source="NIST CAVP FIPS 186-3 ECDSA SigVer.rsp #157 (P-256, SHA-256, pass)",
    ),
    EcdsaVerifyVector(
        curve=Curve.NIST_P256,
        key=_h(
            "041198b3c409a8b47edb1347e0982d533cb1813e5cb2a92c824b2881b3cd2f3f4a0bdbac5fa02e41e775f8d602"
            "446d58ecb2209b5a3d79ae69eef399016e992e87"
        ),
        digest=_h("01ed0c41d650479c47057f61433d7e8b24492649"),
        signature=_h(
            "30460221009206d435f148f88c15b2effbf3c506e41b2c620102022b801e371d0767b54bea022100cbc4e1674a"
            "e1af69873946ccf6275946e59e0107278749b2d0010795833d80fa"
        ),
        valid=False,
        source="NIST CAVP FIPS 186-3 ECDSA SigVer.rsp #150 (P-256, SHA-256, S changed: fail)",
    ),
)
