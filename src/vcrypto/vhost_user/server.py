"""The listening socket and the single-threaded poll loop around ``Backend``.

One loop serves every connection: the UNIX socket, each connection's socket and each running
ring's kick eventfd are polled together, so a kick is handled between two messages and nothing
needs a lock. A connection's device lives as long as the connection: when QEMU goes away the
device, its sessions and its mappings go with it and the next VM starts afresh.

With ``workers`` (``vcrypto serve --workers N``) each connection's data rings run in worker
processes (``workers.py``); the loop then also polls each worker's command socket, which only ever
becomes readable when the worker dies: that connection is dropped, the others go on.

``poll`` (not epoll) on purpose: the frontend replaces kick fds at will and fd numbers get
reused; poll keeps no kernel-side registration that could outlive a closed fd.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import socket
import stat
import struct
import subprocess
from collections.abc import Callable, Iterator
from types import FrameType

from ..device import CryptoDevice
from .backend import Backend
from .protocol import HEADER, MAX_FDS, Message, Mode, ProtocolError, parse_header
from .rings import LocalRings, RingHost
from .workers import Worker, WorkerLost, WorkerRings

log = logging.getLogger(__name__)

MESSAGE_TIMEOUT = 5.0  # seconds a frontend may take to finish a message it has begun
EXIT_WAIT = 1.0  # seconds to collect the exit status of a worker whose socket closed
_UCRED = struct.Struct("3i")  # pid, uid, gid
SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes with the terminating NUL


class ServeError(Exception):
    """The server cannot start (socket path taken, not writable, ...)."""


class Connection:
    """One frontend: its socket, its backend, and the kick fds the loop polls for it."""

    def __init__(self, sock: socket.socket, backend: Backend, workers: list[Worker] | None = None) -> None:
        self.sock = sock
        self.backend = backend
        self.workers = workers or []  # their sockets are polled for a worker's death
        self.kicks: dict[int, int] = {}  # kick fd → vring index, as registered in the selector
        self.closed = False

    def read_message(self) -> Message | None:
        """The next message, or None at end of stream. Blocks at most MESSAGE_TIMEOUT mid-message."""
        data, fds, flags, _addr = socket.recv_fds(self.sock, HEADER.size, MAX_FDS)
        msg_fds = list(fds)
        try:
            if not data:
                return None
            if flags & socket.MSG_CTRUNC:
                raise ProtocolError(f"more than {MAX_FDS} fds with one message")
            header = data + self._read_exact(HEADER.size - len(data))
            request, msg_flags, size = parse_header(header)
            payload = self._read_exact(size)
        except BaseException:
            for fd in msg_fds:
                os.close(fd)
            raise
        return Message(request, msg_flags, payload, msg_fds)

    def _read_exact(self, size: int) -> bytes:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = self.sock.recv_into(view[got:])
            if not n:
                raise ProtocolError("connection closed in the middle of a message")
            got += n
        return bytes(buf)

    def close(self) -> None:
        self.closed = True
        self.backend.close()
        self.sock.close()


class Server:
    """A vhost-user crypto backend listening on ``path``; one fresh device per connection, served in
    ``mode`` (QEMU's cryptodev-vhost-user, or the whole device for a generic frontend); with
    ``workers`` > 0 the data rings of each connection run in that many worker processes."""

    def __init__(
        self,
        path: str,
        queues: int,
        device_factory: Callable[[], CryptoDevice],
        mode: Mode = Mode.CRYPTODEV,
        workers: int = 0,
    ) -> None:
        self.path = path
        self.queues = queues
        self.workers = workers
        self.device_factory = device_factory
        self.mode = Mode(mode)
        self.connections: list[Connection] = []
        self._listener: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._selector = selectors.PollSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._stopping = False
        self._count = 0

    # --- life cycle -------------------------------------------------------------------------------

    def bind(self) -> None:
        """Listen on the socket path, taking over a stale socket file left by a dead backend."""
        self._clear_stale()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Listen under a temporary name and rename it into place, so the socket file appears only
        # once connections are accepted: a QEMU started as soon as it exists is never refused.
        staging = f"{self.path}~" if len(os.fsencode(self.path)) < SUN_PATH_MAX else self.path
        try:
            with contextlib.suppress(FileNotFoundError):
                if staging != self.path and stat.S_ISSOCK(os.lstat(staging).st_mode):
                    os.unlink(staging)
            listener.bind(staging)
            listener.listen(4)
            if staging != self.path:
                os.rename(staging, self.path)
        except OSError as exc:
            listener.close()
            raise ServeError(f"cannot listen on {self.path}: {exc.strerror or exc}") from None
        info = os.stat(self.path)
        self._inode = (info.st_dev, info.st_ino)
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ, self._accept)
        self._selector.register(self._wake_r, selectors.EVENT_READ, self._woken)
        log.info(
            "listening on %s (%s mode, queues=%d, workers=%d)",
            self.path, self.mode, self.queues, self.workers,
        )  # fmt: skip

    def _clear_stale(self) -> None:
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise ServeError(f"{self.path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.path)
        except OSError:
            os.unlink(self.path)  # nobody listens: a leftover of a backend that died
            log.info("removed stale socket %s", self.path)
            return
        finally:
            probe.close()
        raise ServeError(f"another backend is listening on {self.path}")

    def stop(self) -> None:
        """Ask the loop to end (from a signal handler or another thread)."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def close(self) -> None:
        """Drop every connection, stop listening and remove the socket file (if still ours)."""
        for conn in list(self.connections):
            self._drop(conn, "backend shutting down")
        if self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None
            with contextlib.suppress(OSError):
                info = os.lstat(self.path)
                if (info.st_dev, info.st_ino) == self._inode:
                    os.unlink(self.path)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def serve_forever(self) -> None:
        """Serve connections until ``stop``."""
        if self._listener is None:
            self.bind()
        while not self._stopping:
            for key, _events in self._selector.select():
                key.data(key)
                if self._stopping:
                    break
        log.info("stopped")

    # --- events -----------------------------------------------------------------------------------

    def _woken(self, key: selectors.SelectorKey) -> None:
        with contextlib.suppress(BlockingIOError):
            self._wake_r.recv(64)

    def _accept(self, key: selectors.SelectorKey) -> None:
        assert self._listener is not None
        try:
            sock, _addr = self._listener.accept()
        except OSError as exc:
            log.warning("accept failed: %s", exc)
            return
        self._count += 1
        name = f"vm{self._count}"
        sock.settimeout(MESSAGE_TIMEOUT)
        log.info("%s: connected (%s), %s mode", name, _peer(sock), self.mode)
        pool: WorkerRings | None = None
        try:
            device = self.device_factory()
            rings: Callable[[LocalRings], RingHost] | None = None
            if self.workers:
                pool = WorkerRings(name, device.config, self.workers, self.queues)
                rings = pool.attach
            backend = Backend(device, self.queues, name, self.mode, rings)
        except Exception:  # a factory that does not fit the mode, no workers: refuse, keep serving
            log.exception("%s: no device for this connection", name)
            if pool is not None:
                pool.close()
            sock.close()
            return
        conn = Connection(sock, backend, pool.workers if pool is not None else None)
        self.connections.append(conn)
        self._selector.register(sock, selectors.EVENT_READ, lambda key: self._message(conn))
        for worker in conn.workers:
            self._selector.register(
                worker.sock, selectors.EVENT_READ, lambda key, w=worker: self._worker_event(conn, w)
            )

    def _message(self, conn: Connection) -> None:
        if conn.closed:  # dropped earlier in the same poll round
            return
        name = conn.backend.name
        try:
            msg = conn.read_message()
            if msg is None:
                self._drop(conn, "disconnected")
                return
            answer = conn.backend.handle(msg)
            if answer is not None:
                conn.sock.sendall(answer)
        except ProtocolError as exc:
            self._drop(conn, f"protocol error: {exc}", logging.ERROR)
            return
        except WorkerLost as exc:
            self._drop(conn, f"worker lost: {exc}", logging.ERROR)
            return
        except OSError as exc:
            self._drop(conn, f"connection lost: {exc}", logging.WARNING)
            return
        except Exception:
            log.exception("%s: internal error while handling a message", name)
            self._drop(conn, "dropped after an internal error", logging.ERROR)
            return
        self._sync_kicks(conn)

    def _kick(self, conn: Connection, index: int) -> None:
        if conn.closed:
            return
        try:
            conn.backend.kick(index)
        except WorkerLost as exc:  # a session created on the control queue could not be handed over
            self._drop(conn, f"worker lost: {exc}", logging.ERROR)
        except Exception:  # the device and the rings never raise on guest data; this is a bug of ours
            log.exception("%s: internal error on vring %d", conn.backend.name, index)
            self._drop(conn, "dropped after an internal error", logging.ERROR)

    def _worker_event(self, conn: Connection, worker: Worker) -> None:
        """A worker's socket is readable outside a request/answer exchange: it died (end of stream)
        or says what it should not; either way its connection cannot go on."""
        if conn.closed:
            return
        try:
            data = worker.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        why = "died" if not data else "sent an unexpected message"
        status = None
        if not data:  # its socket closed as it exits: the status follows at once
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = worker.process.wait(EXIT_WAIT)
        exited = f" ({worker.describe_exit(status)})" if status is not None else ""
        self._drop(conn, f"worker {worker.name} (pid {worker.pid}) {why}{exited}", logging.ERROR)

    def _sync_kicks(self, conn: Connection) -> None:
        """Poll exactly the kick fds of the rings that run now."""
        wanted = conn.backend.kick_fds()
        for fd, index in list(conn.kicks.items()):
            if wanted.get(fd) != index:
                self._selector.unregister(fd)
                del conn.kicks[fd]
        for fd, index in wanted.items():
            if fd not in conn.kicks:
                self._selector.register(fd, selectors.EVENT_READ, lambda key, i=index: self._kick(conn, i))
                conn.kicks[fd] = index

    def _drop(self, conn: Connection, why: str, level: int = logging.INFO) -> None:
        for fd in conn.kicks:
            self._selector.unregister(fd)
        conn.kicks.clear()
        for worker in conn.workers:
            self._selector.unregister(worker.sock)
        self._selector.unregister(conn.sock)
        self.connections.remove(conn)
        log.log(level, "%s: %s (%d sessions created)", conn.backend.name, why, conn.backend.sessions)
        conn.close()


def _peer(sock: socket.socket) -> str:
    try:
        pid, uid, _gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    except OSError:
        return "peer unknown"
    return f"pid {pid}, uid {uid}"


@contextlib.contextmanager
def stop_on_signals(
    server: Server, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
) -> Iterator[None]:
    """Turn SIGINT/SIGTERM into a clean stop of ``server`` while the block runs (main thread only)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("%s received: shutting down", signal.Signals(signum).name)
        server.stop()

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
