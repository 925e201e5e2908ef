"""``vcrypto serve``: the vhost-user backend for QEMU's cryptodev-vhost-user.

Start it before QEMU (QEMU's chardev connects as a client at start-up)::

    vcrypto -v serve --socket-path /tmp/vcrypto.sock --queues 1
    qemu-system-x86_64 ... -chardev socket,id=vc0,path=/tmp/vcrypto.sock \\
        -object cryptodev-vhost-user,id=cd0,chardev=vc0,queues=1 \\
        -device virtio-crypto-pci,cryptodev=cd0

It serves VM after VM until SIGINT or SIGTERM, then removes its socket.
"""

from __future__ import annotations

import argparse
import os

from ..device import CryptoDevice, DeviceConfig
from ..spec.constants import Feature
from ..vhost_user.server import SUN_PATH_MAX, ServeError, Server, stop_on_signals
from .errors import CliError

MAX_QUEUES = 65535


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve a vhost-user crypto backend on a UNIX socket",
        description="Serve QEMU's cryptodev-vhost-user on a UNIX socket, one fresh device per connection.",
    )
    parser.add_argument("--socket-path", required=True, metavar="PATH", help="UNIX socket to listen on")
    parser.add_argument(
        "--queues", default="1", metavar="N", help="data queues, as QEMU's queues=N (1-65535, default 1)"
    )
    parser.set_defaults(run=run)


def _queues(text: str) -> int:
    try:
        queues = int(text)
    except ValueError:
        raise CliError(f"--queues must be a number, not {text!r}") from None
    if not 1 <= queues <= MAX_QUEUES:
        raise CliError(f"--queues must be between 1 and {MAX_QUEUES}, not {queues}")
    return queues


def _check_path(path: str) -> None:
    if not path:
        raise CliError("--socket-path must not be empty")
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise CliError(f"--socket-path is longer than {SUN_PATH_MAX} bytes, the limit of a UNIX socket")
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise CliError(f"directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CliError(f"directory {directory} is not writable")


def device_factory(queues: int) -> CryptoDevice:
    """The device QEMU's vhost-user frontend fits: it offers the guest no device feature bits, so
    the guest speaks the legacy (72-byte) layouts and session mode only."""
    return CryptoDevice(DeviceConfig(max_dataqueues=queues, features=Feature(0)))


def run(args: argparse.Namespace) -> int:
    queues = _queues(args.queues)
    _check_path(args.socket_path)
    server = Server(args.socket_path, queues, lambda: device_factory(queues))
    try:
        server.bind()
    except ServeError as exc:
        server.close()
        raise CliError(str(exc)) from None
    try:
        with stop_on_signals(server):
            server.serve_forever()
    finally:
        server.close()
    return 0
