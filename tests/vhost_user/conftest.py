"""A backend served on a temporary socket by a server thread, and frontends to talk to it."""

from __future__ import annotations

import socket
import threading

import pytest

from vcrypto.vhost_user.server import Server
from vcrypto.virtio.mock import MockMemory, MockSplitQueue

from .frontend import FakeDevice, Frontend


class Served:
    def __init__(self, path: str, queues: int, factory) -> None:
        self.path = path
        self.devices: list = []

        def make():
            device = factory()
            self.devices.append(device)
            return device

        self.server = Server(path, queues, make)
        self.server.bind()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.frontends: list[Frontend] = []

    def connect(self) -> Frontend:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.path)
        frontend = Frontend(sock)
        self.frontends.append(frontend)
        return frontend

    def stop(self) -> None:
        for frontend in self.frontends:
            frontend.close()
        self.server.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()
        self.server.close()


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(queues: int = 1, factory=FakeDevice) -> Served:
        served = Served(str(tmp_path / "vcrypto.sock"), queues, factory)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def guest():
    """Guest RAM and one driver-side ring in it."""
    memory = MockMemory(1 << 20)
    driver = MockSplitQueue(memory, size=16)
    yield memory, driver
    memory.close()
