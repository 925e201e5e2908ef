"""Our backend served by a ``Server`` thread on a temporary socket, and frontends connected to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vcrypto.cli.serve import device_factory as cryptodev_device
from vcrypto.device import CryptoDevice, DeviceConfig
from vcrypto.vhost_user.backend import Backend
from vcrypto.vhost_user.frontend import Frontend
from vcrypto.vhost_user.protocol import Mode
from vcrypto.vhost_user.server import Server


def full_device(queues: int) -> CryptoDevice:
    """Every service, REVISION_1 and the stateless bits (what ``vcrypto serve --mode full`` serves)."""
    return CryptoDevice(DeviceConfig(max_dataqueues=queues))


class Served:
    """A server thread; ``connect`` opens frontends that are closed when the server stops."""

    def __init__(
        self, path: str, mode: Mode, queues: int, factory: Callable[[], CryptoDevice] | None = None
    ) -> None:
        self.path = path
        self.mode = mode
        default = full_device if mode == Mode.FULL else cryptodev_device
        self.server = Server(path, queues, factory or (lambda: default(queues)), mode=mode)
        self.server.bind()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.frontends: list[Frontend] = []

    def connect(self, **options) -> Frontend:
        frontend = Frontend.connect(self.path, self.mode, **options)
        self.frontends.append(frontend)
        return frontend

    def backends(self) -> list[Backend]:
        """The backends of the open connections (read from the test thread: call after a round trip)."""
        return [conn.backend for conn in list(self.server.connections)]

    def stop(self) -> None:
        for frontend in self.frontends:
            frontend.close()
        self.server.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()
        self.server.close()


@contextmanager
def serving(
    directory: Path, mode: Mode, queues: int = 1, factory: Callable[[], CryptoDevice] | None = None
) -> Iterator[Served]:
    served = Served(str(directory / "vcrypto.sock"), mode, queues, factory)
    try:
        yield served
    finally:
        served.stop()
