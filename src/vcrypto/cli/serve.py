"""``vcrypto serve``: the vhost-user backend, for QEMU's cryptodev-vhost-user or as the whole device.

Start it before QEMU (QEMU's chardev connects as a client at start-up)::

    vcrypto -v serve --socket-path /tmp/vcrypto.sock --queues 1
    qemu-system-x86_64 ... -chardev socket,id=vc0,path=/tmp/vcrypto.sock \\
        -object cryptodev-vhost-user,id=cd0,chardev=vc0,queues=1 \\
        -device virtio-crypto-pci,cryptodev=cd0

``--mode full`` serves the whole virtio-crypto device (control queue, config space, feature bits)
to a generic vhost-user frontend. ``--workers N`` serves the data queues in N worker processes
(data queue i in worker i % N), so one backend uses several cores. It serves VM after VM until
SIGINT or SIGTERM, then removes its socket.
"""

from __future__ import annotations

import argparse
import os

from ..device import CryptoDevice, DeviceConfig
from ..spec.constants import Feature
from ..vhost_user.protocol import Mode
from ..vhost_user.server import SUN_PATH_MAX, ServeError, Server, stop_on_signals
from ..vhost_user.workers import MAX_WORKERS
from .errors import CliError

MAX_QUEUES = 65535


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve a vhost-user crypto backend on a UNIX socket",
        description="Serve QEMU's cryptodev-vhost-user, or the whole virtio-crypto device to a generic "
        "vhost-user frontend, on a UNIX socket; one fresh device per connection.",
    )
    parser.add_argument("--socket-path", required=True, metavar="PATH", help="UNIX socket to listen on")
    parser.add_argument(
        "--queues", default="1", metavar="N", help="data queues, as QEMU's queues=N (1-65535, default 1)"
    )
    parser.add_argument(
        "--mode",
        default=Mode.CRYPTODEV.value,
        metavar="MODE",
        help="cryptodev: QEMU's cryptodev-vhost-user keeps the control queue and config space (default); "
        "full: the whole device, control queue included, for a generic vhost-user frontend",
    )
    parser.add_argument(
        "--workers",
        default="0",
        metavar="N",
        help=f"crypto worker processes per connection serving the data queues (0-{MAX_WORKERS}; "
        "default 0: everything in this process)",
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


def _workers(text: str) -> int:
    try:
        workers = int(text)
    except ValueError:
        raise CliError(f"--workers must be a number, not {text!r}") from None
    if not 0 <= workers <= MAX_WORKERS:
        raise CliError(f"--workers must be between 0 and {MAX_WORKERS}, not {workers}")
    return workers


def _mode(text: str) -> Mode:
    try:
        return Mode(text)
    except ValueError:
        choices = " or ".join(m.value for m in Mode)
        raise CliError(f"--mode must be {choices}, not {text!r}") from None


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


def device_factory(queues: int, mode: Mode = Mode.CRYPTODEV) -> CryptoDevice:
    """The device the frontend fits. QEMU's cryptodev-vhost-user offers the guest no device feature
    bits, so its guest speaks the legacy (72-byte) layouts and session mode only; the full device
    offers every service, REVISION_1 and the stateless bits."""
    if mode is Mode.FULL:
        return CryptoDevice(DeviceConfig(max_dataqueues=queues))
    return CryptoDevice(DeviceConfig(max_dataqueues=queues, features=Feature(0)))


def run(args: argparse.Namespace) -> int:
    queues = _queues(args.queues)
    mode = _mode(args.mode)
    workers = _workers(args.workers)
    _check_path(args.socket_path)
    server = Server(args.socket_path, queues, lambda: device_factory(queues, mode), mode, workers)
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
