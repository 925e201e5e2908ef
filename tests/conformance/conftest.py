"""Our own backend served from a thread on a temporary socket, in either mode, with any device."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from vcrypto.device import CryptoDevice, DeviceConfig
from vcrypto.spec.constants import Feature
from vcrypto.vhost_user.protocol import Mode
from vcrypto.vhost_user.server import Server

DeviceFactory = Callable[[DeviceConfig], CryptoDevice]

# A small session table keeps the NOSPC probe quick; every other limit is the default.
FULL = DeviceConfig(max_sessions=64)
CRYPTODEV = DeviceConfig(features=Feature(0))  # what `vcrypto serve --mode cryptodev` serves


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., str]]:
    """``serve(mode, device_class)`` starts a server and returns its socket path."""
    started: list[tuple[Server, threading.Thread]] = []

    def start(mode: Mode, device: DeviceFactory = CryptoDevice) -> str:
        path = str(tmp_path / f"backend{len(started)}.sock")
        config = FULL if mode == Mode.FULL else CRYPTODEV
        server = Server(path, 1, lambda: device(config), mode)
        server.bind()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return path

    yield start
    for server, thread in started:
        server.stop()
        thread.join(10)
        assert not thread.is_alive()
        server.close()
