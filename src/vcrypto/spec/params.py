"""Decoded session parameters: what a create-session request (or a stateless request's
``sess_para``) asks for, independent of the layout it came in."""

from __future__ import annotations

from dataclasses import dataclass

from .constants import Service


@dataclass(frozen=True, slots=True)
class CipherParams:
    algo: int  # CipherAlgo
    key: bytes
    op: int  # Direction

    service = Service.CIPHER


@dataclass(frozen=True, slots=True)
class HashParams:
    algo: int  # HashAlgo
    result_len: int

    service = Service.HASH


@dataclass(frozen=True, slots=True)
class MacParams:
    algo: int  # MacAlgo
    result_len: int
    key: bytes

    service = Service.MAC


@dataclass(frozen=True, slots=True)
class ChainParams:
    """CIPHER session with algorithm chaining: a cipher plus a hash (PLAIN) or MAC (AUTH)."""

    cipher: CipherParams
    order: int  # ChainOrder
    hash_mode: int  # HashMode
    auth: HashParams | MacParams
    aad_len: int

    service = Service.CIPHER


@dataclass(frozen=True, slots=True)
class AeadParams:
    algo: int  # AeadAlgo
    key: bytes
    tag_len: int
    aad_len: int
    op: int  # Direction

    service = Service.AEAD


@dataclass(frozen=True, slots=True)
class AkcipherParams:
    algo: int  # AkcipherAlgo
    key_type: int  # AkcipherKeyType
    key: bytes
    rsa_padding: int = 0  # RsaPadding (RSA only)
    rsa_hash: int = 0  # RsaHash (RSA only)
    curve: int = 0  # Curve (ECDSA only)

    service = Service.AKCIPHER


SessionParams = CipherParams | ChainParams | HashParams | MacParams | AeadParams | AkcipherParams
