"""Sessions: session parameters checked once and bound to crypto contexts, plus the session table.

A stateless request builds the same objects for one request, so both modes share every check and
every execution path. ``build_session`` raises ``DeviceError`` with the spec status to answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..crypto.base import CryptoError
from ..spec.constants import ChainOrder, Direction, HashMode, Opcode, Service, Status
from ..spec.params import (
    AeadParams,
    AkcipherParams,
    ChainParams,
    CipherParams,
    HashParams,
    MacParams,
    SessionParams,
)
from .config import Algorithms, DeviceConfig
from .errors import DeviceError, require, status_of

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CipherSession:
    params: CipherParams
    info: Any  # CipherInfo
    ctx: Any  # CipherContext
    opcode: int = -1  # the data opcode it serves, as a plain int (what the data fast path compares)

    service = Service.CIPHER


@dataclass(slots=True)
class HashSession:
    params: HashParams
    info: Any  # HashInfo
    ctx: Any  # HashContext

    service = Service.HASH


@dataclass(slots=True)
class MacSession:
    params: MacParams
    info: Any  # MacInfo
    ctx: Any  # MacContext

    service = Service.MAC


@dataclass(slots=True)
class ChainSession:
    params: ChainParams
    cipher: CipherSession
    auth: HashSession | MacSession

    service = Service.CIPHER


@dataclass(slots=True)
class AeadSession:
    params: AeadParams
    info: Any  # AeadInfo
    ctx: Any  # AeadContext

    service = Service.AEAD


@dataclass(slots=True)
class AkcipherSession:
    params: AkcipherParams
    ctx: Any  # AkcipherContext

    service = Service.AKCIPHER


Session = CipherSession | HashSession | MacSession | ChainSession | AeadSession | AkcipherSession


def _lookup(table: dict, algo: int, what: str) -> Any:
    info = table.get(algo)
    require(info is not None, f"{what} algorithm {algo} not supported", status=Status.NOTSUPP)
    return info


def _direction(op: int) -> bool:
    require(op in (Direction.ENCRYPT, Direction.DECRYPT), f"invalid direction {op}")
    return op == Direction.ENCRYPT


def _check_key(key: bytes, limit: int, allowed: Any, what: str) -> None:
    require(len(key) <= limit, f"{what} key of {len(key)} bytes exceeds the device limit {limit}")
    require(len(key) in allowed, f"{what} key length {len(key)} not allowed")


def _cipher(params: CipherParams, algos: Algorithms, config: DeviceConfig) -> CipherSession:
    info = _lookup(algos.ciphers, params.algo, "cipher")
    encrypt = _direction(params.op)
    _check_key(params.key, config.max_cipher_key_len, info.key_lengths, info.name)
    opcode = int(Opcode.CIPHER_ENCRYPT if encrypt else Opcode.CIPHER_DECRYPT)
    return CipherSession(params, info, info.new(params.key, encrypt), opcode)


def _hash(params: HashParams, algos: Algorithms) -> HashSession:
    info = _lookup(algos.hashes, params.algo, "hash")
    require(params.result_len in info.result_lengths, f"{info.name} result length {params.result_len}")
    return HashSession(params, info, info.new())


def _mac(params: MacParams, algos: Algorithms, config: DeviceConfig) -> MacSession:
    info = _lookup(algos.macs, params.algo, "MAC")
    _check_key(params.key, config.max_auth_key_len, info.key_lengths, info.name)
    require(params.result_len in info.result_lengths, f"{info.name} result length {params.result_len}")
    return MacSession(params, info, info.new(params.key))


def _chain(params: ChainParams, algos: Algorithms, config: DeviceConfig) -> ChainSession:
    require(
        params.order in (ChainOrder.HASH_THEN_CIPHER, ChainOrder.CIPHER_THEN_HASH),
        f"invalid chaining order {params.order}",
    )
    cipher = _cipher(params.cipher, algos, config)
    auth: HashSession | MacSession
    if params.hash_mode == HashMode.AUTH and isinstance(params.auth, MacParams):
        auth = _mac(params.auth, algos, config)
    elif params.hash_mode == HashMode.PLAIN and isinstance(params.auth, HashParams):
        auth = _hash(params.auth, algos)
    else:
        raise DeviceError(Status.NOTSUPP, f"chaining hash mode {params.hash_mode} not supported")
    return ChainSession(params, cipher, auth)


def _aead(params: AeadParams, algos: Algorithms, config: DeviceConfig) -> AeadSession:
    info = _lookup(algos.aeads, params.algo, "AEAD")
    _direction(params.op)
    _check_key(params.key, config.max_cipher_key_len, info.key_lengths, info.name)
    require(params.tag_len in info.tag_lengths, f"{info.name} tag length {params.tag_len}")
    return AeadSession(params, info, info.new(params.key))


def _akcipher(params: AkcipherParams, algos: Algorithms) -> AkcipherSession:
    info = _lookup(algos.akciphers, params.algo, "AKCIPHER")
    return AkcipherSession(params, info.new(params))


def build_session(params: SessionParams, algos: Algorithms, config: DeviceConfig) -> Session:
    """Check ``params`` and bind them to crypto contexts."""
    try:
        if isinstance(params, CipherParams):
            return _cipher(params, algos, config)
        if isinstance(params, ChainParams):
            return _chain(params, algos, config)
        if isinstance(params, HashParams):
            return _hash(params, algos)
        if isinstance(params, MacParams):
            return _mac(params, algos, config)
        if isinstance(params, AeadParams):
            return _aead(params, algos, config)
        return _akcipher(params, algos)
    except CryptoError as exc:
        raise DeviceError(status_of(exc), f"{type(exc).__name__}: {exc}") from None


class SessionTable:
    """Live sessions by id. Ids are never reused while the device lives, so a stale id stays invalid."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._sessions: dict[int, Session] = {}
        self._next_id = 1

    @property
    def by_id(self) -> dict[int, Session]:
        """The live sessions by id, for look-ups on the data path (read it, never change it)."""
        return self._sessions

    def __len__(self) -> int:
        return len(self._sessions)

    def add(self, session: Session) -> int | None:
        """The new session's id, or None when the table is full."""
        if len(self._sessions) >= self.limit:
            return None
        session_id = self._next_id
        self._next_id += 1
        self._sessions[session_id] = session
        return session_id

    def get(self, session_id: int) -> Session | None:
        return self._sessions.get(session_id)

    def remove(self, session_id: int, service: Service) -> bool:
        """Destroy a session of ``service``; False if there is none with that id and service."""
        session = self._sessions.get(session_id)
        if session is None or session.service != service:
            return False
        del self._sessions[session_id]
        return True

    def clear(self) -> None:
        self._sessions.clear()

    def insert(self, session_id: int, session: Session) -> None:
        """Install ``session`` under an id another copy of this device chose (worker processes
        mirror the main process's table); later ``add`` ids stay above it."""
        self._sessions[session_id] = session
        self._next_id = max(self._next_id, session_id + 1)
