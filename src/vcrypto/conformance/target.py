"""The backend under check: fresh connections to it, and what it offers (config, features, layouts).

Every check group opens its own connection (a driver negotiates once per device start), so a check
that breaks a connection cannot spoil the next one, and a hostile check can prove the backend still
serves a fresh connection afterwards.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..driver import CryptoDriver
from ..spec.config import CryptoConfig
from ..spec.constants import ALL_STATELESS, STATELESS_FEATURE, AkcipherAlgo, Feature, Service
from ..vhost_user.frontend import Frontend
from ..vhost_user.protocol import Mode

log = logging.getLogger(__name__)


class Target(Protocol):
    """How checks reach a backend: each ``connect`` is a new connection (a ``Frontend``)."""

    mode: Mode

    def connect(self, ram_size: int | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class VhostUserTarget:
    """A vhost-user crypto backend listening on ``path``, driven by our Python frontend."""

    path: str
    mode: Mode = Mode.FULL
    session_layout: int = 632
    timeout: float = 5.0
    ram_size: int = 16 << 20

    def connect(self, ram_size: int | None = None) -> Frontend:
        return Frontend.connect(
            self.path,
            self.mode,
            ram_size=ram_size or self.ram_size,
            timeout=self.timeout,
            session_layout=self.session_layout,
        )


def close_quietly(connection: Any) -> None:
    """Close a connection that may already be broken (a hostile check may have stopped its queue)."""
    try:
        connection.close()
    except Exception as exc:  # the backend may have dropped us: nothing left to release but the fds
        log.debug("closing a connection: %s", exc)


@contextlib.contextmanager
def driver(target: Target, features: int, ram_size: int | None = None) -> Iterator[CryptoDriver]:
    """A driver on a fresh connection, negotiated with ``features``; closed afterwards."""
    connection = target.connect(ram_size)
    try:
        yield CryptoDriver(connection, features)
    finally:
        close_quietly(connection)


@dataclass(frozen=True, slots=True)
class Layout:
    """A request format a check runs in: legacy, REVISION_1 session mode, REVISION_1 stateless mode."""

    name: str
    features: int
    stateless: bool = False

    def serves(self, service: Service) -> bool:
        return not self.stateless or bool(self.features & STATELESS_FEATURE[service])


@dataclass(frozen=True, slots=True)
class Offer:
    """What the backend offers, read once from a probe connection."""

    mode: Mode
    config: CryptoConfig
    device_features: int  # the device-specific bits offered (0 when the frontend hides them)
    services: frozenset[Service]  # services whose sessions reach the backend
    layouts: tuple[Layout, ...] = field(default=())

    def advertised(self, service: Service) -> frozenset[int]:
        """Algorithm numbers the config advertises for ``service``."""
        mask = {
            Service.CIPHER: self.config.cipher_algo,
            Service.HASH: self.config.hash_algo,
            Service.MAC: self.config.mac_algo,
            Service.AEAD: self.config.aead_algo,
            Service.AKCIPHER: self.config.akcipher_algo,
        }[service]
        if not self.config.crypto_services & (1 << service):
            return frozenset()
        return frozenset(bit for bit in range(64) if mask >> bit & 1)

    def unreachable(self, service: Service) -> str | None:
        """Why sessions of ``service`` never reach the backend, or None when they do."""
        if service in self.services:
            return None
        if self.mode == Mode.CRYPTODEV:
            return f"QEMU's cryptodev-vhost-user does not forward {service.name} sessions to the backend"
        return f"the config does not offer the {service.name} service"


def _offered_features(connection: Any) -> int:
    """The device-specific feature bits the backend offered (bits 0-23 of GET_FEATURES)."""
    for name in ("device_features", "backend_features"):
        value = getattr(connection, name, None)
        if isinstance(value, int):
            return value & 0xFFFFFF
    return 0


def probe(target: Target) -> Offer:
    """Connect once, read the config space and the offered feature bits."""
    connection = target.connect()
    try:
        config = CryptoConfig.decode(connection.read_config())
        offered = _offered_features(connection) if target.mode == Mode.FULL else 0
    finally:
        close_quietly(connection)
    services = {s for s in Service if s != Service.IPSEC and config.crypto_services & (1 << s)}
    if target.mode == Mode.CRYPTODEV:
        forwarded = {Service.CIPHER}
        if config.akcipher_algo & (1 << AkcipherAlgo.RSA):
            forwarded.add(Service.AKCIPHER)  # the 1072-byte session layout (QEMU 8.1+)
        services &= forwarded
    layouts = [Layout("legacy", 0)]
    if offered & Feature.REVISION_1:
        layouts.append(Layout("rev1", Feature.REVISION_1))
        stateless = offered & ALL_STATELESS
        if stateless:
            layouts.append(Layout("stateless", Feature.REVISION_1 | stateless, stateless=True))
    return Offer(target.mode, config, offered, frozenset(services), tuple(layouts))


class Link:
    """A driver on a connection, opened on first use and reopened after a failed check (which may
    have left the connection broken or the queue stopped)."""

    def __init__(self, target: Target, features: int) -> None:
        self.target = target
        self.features = features
        self._connection: Any = None
        self._driver: CryptoDriver | None = None

    @property
    def driver(self) -> CryptoDriver:
        if self._driver is None:
            self._connection = self.target.connect()
            try:
                self._driver = CryptoDriver(self._connection, self.features)
            except BaseException:
                self.reset()
                raise
        return self._driver

    def reset(self) -> None:
        if self._connection is not None:
            close_quietly(self._connection)
        self._connection = None
        self._driver = None

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.reset()
