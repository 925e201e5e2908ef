"""Our backend served by a ``Server`` thread on a temporary socket, and frontends connected to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vcrypto.cli.serve import device_factory
from vcrypto.device import CryptoDevice
from vcrypto.vhost_user.backend import Backend
from vcrypto.vhost_user.frontend import Frontend
from vcrypto.vhost_user.protocol import Mode
from vcrypto.vhost_user.server import Server


def full_device(queues: int) -> CryptoDevice:
    """Every service, REVISION_1 and the stateless bits (what ``vcrypto serve --mode full`` serves)."""
    return device_factory(queues, Mode.FULL)


class Served:
    """A server thread (``workers`` as ``vcrypto serve --workers``); ``connect`` opens frontends that
    are closed when the server stops."""

    def __init__(
        self,
        path: str,
        mode: Mode,
        queues: int,
        factory: Callable[[], CryptoDevice] | None = None,
        workers: int = 0,
    ) -> None:
        self.path = path
        self.mode = mode
        self.queues = queues
        self.server = Server(
            path, queues, factory or (lambda: device_factory(queues, mode)), mode=mode, workers=workers
        )
        self.server.bind()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.frontends: list[Frontend] = []

    def connect(self, **options) -> Frontend:
        frontend = Frontend.connect(self.path, self.mode, **options)
        self.frontends.append(frontend)
        return frontend

    def wait_for_connections(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.server.connections) != count:
            assert time.monotonic() < deadline, f"{len(self.server.connections)} connections, not {count}"
            time.sleep(0.01)

    def backends(self) -> list[Backend]:
        """The backends of the open connections (read from the test thread: call after a round trip)."""
        return [conn.backend for conn in list(self.server.connections)]

    def stop(self) -> None:
        for frontend in self.frontends:
            frontend.close()
        self.server.stop()
        self.thread.join(20)
        assert not self.thread.is_alive()
        self.server.close()


@contextmanager
def serving(
    directory: Path,
    mode: Mode,
    queues: int = 1,
    factory: Callable[[], CryptoDevice] | None = None,
    workers: int = 0,
) -> Iterator[Served]:
    served = Served(str(directory / "vcrypto.sock"), mode, queues, factory, workers)
    try:
        yield served
    finally:
        served.stop()
