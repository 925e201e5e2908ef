"""Crypto worker processes: data vrings served outside the main process (``vcrypto serve --workers N``).

One Python process uses one core at most. With ``N`` workers, each connection gets ``N`` processes
(``worker_process.py``); data vring ``i`` runs in worker ``i % N``, which maps the guest memory itself,
polls the ring's kick eventfd, answers with its own ``CryptoDevice`` (same config) and signals the
call eventfd: rings complete independently of each other. The main process keeps the vhost-user
socket and every message, the control queue (full mode) and the session messages 26/27
(cryptodev mode), and forwards to every worker what its copy of the device must follow: the memory
table, the driver's feature bits, each session created or destroyed, device resets.

Ordering. A guest may submit a data request the moment it sees its create-session completed, on any
ring. The main process therefore (1) sends the session to every worker; the send returns once the
datagram is in the worker's receive queue; (2) then increments ``SequenceCounter``, a u64 in a page
both processes map, counting such *sequenced* commands; (3) only then completes the control request
(or replies to message 26). A worker counts the sequenced commands it applied; before answering
each chain it loads the counter, and if the counter is ahead it reads its socket until it has
applied that many (other commands met on the way wait for its loop). The load happens after the
ring read that made the chain visible (the split avail index or the packed descriptor's flags).
If that chain was submitted after the guest saw the completion, the chain's visibility is causally
after step (2): x86-64 keeps loads in order and stores are seen in one causal order (TSO), so the
counter load returns at least the count of step (2), and every command counted there is already
queued on the socket, so the catch-up never waits. No syscall per request: one shared-memory load.
Destroys and resets are sequenced the same way (a request sent after a destroy completed gets
INVSESS). Ring commands (start, stop, enable, eventfds) are not sequenced: the main process sends
them between vhost-user messages, before the frontend may rely on them.

Failure: a worker that dies closes its socket; the server polls it and drops that connection with
an ERROR (the others go on). A worker that stops answering a ring stop (GET_VRING_BASE) within
``REPLY_TIMEOUT`` is treated as dead. Closing a connection shuts its workers down and reaps them
(killed if they do not exit within ``CLOSE_TIMEOUT``): no zombies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from ..device import DeviceConfig
from ..spec.params import SessionParams
from ..virtio.memory import GuestMemory
from . import worker_wire as wire
from .protocol import RegionDesc
from .rings import LocalRings, Vring, make_queue

log = logging.getLogger(__name__)

REPLY_TIMEOUT = 5.0  # seconds a worker may take to stop a ring (or to take a command)
CLOSE_TIMEOUT = 2.0  # seconds a worker may take to exit after Shutdown before it is killed
MAX_WORKERS = 64
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding ``vcrypto``


class WorkerLost(Exception):
    """A worker died, or stopped answering: its connection cannot go on."""


class Worker:
    """One worker process and its end of the command socketpair."""

    def __init__(self, name: str, config: DeviceConfig, counter_fd: int, log_level: int) -> None:
        self.name = name
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vcrypto.vhost_user.worker_process", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.pid = self.process.pid
        parent.settimeout(REPLY_TIMEOUT)
        self.sock = parent
        self._closed = False
        log.info("%s: worker started (pid %d)", name, self.pid)
        self.send(wire.Init(name, config, log_level), [counter_fd])

    def send(self, command: wire.Command, fds: list[int] | tuple[int, ...] = ()) -> None:
        try:
            wire.send(self.sock, command, fds)
        except OSError as exc:
            raise WorkerLost(f"{self.name} (pid {self.pid}) does not take commands: {exc}") from None

    def stop_ring(self, index: int) -> int | None:
        """Stop vring ``index``; its vring base, or None if the worker was not running it."""
        self.send(wire.RingStop(index))
        try:
            data = self.sock.recv(64)
        except OSError as exc:
            raise WorkerLost(f"{self.name} (pid {self.pid}) did not stop vring {index}: {exc}") from None
        if not data:
            raise WorkerLost(f"{self.name} (pid {self.pid}) died")
        if len(data) != wire.STOP_REPLY.size:
            raise WorkerLost(f"{self.name} (pid {self.pid}): ring stop answer of {len(data)} bytes")
        answered, running, state = wire.STOP_REPLY.unpack(data)
        if answered != index or running > 1:
            raise WorkerLost(f"{self.name} (pid {self.pid}): ring stop answer {answered}/{running}")
        return state if running else None

    def close(self) -> int:
        """Shut the worker down and reap it; its exit status (negative: the signal that ended it)."""
        if not self._closed:
            self._closed = True
            self.sock.setblocking(False)
            with contextlib.suppress(OSError):
                wire.send(self.sock, wire.Shutdown())
            self.sock.close()  # end of stream: a worker that missed Shutdown exits too
        try:
            return self.process.wait(CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.error("%s: worker (pid %d) did not exit: killed", self.name, self.pid)
            self.process.kill()
            return self.process.wait()

    def describe_exit(self, status: int) -> str:
        if status < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-status).name}"
        return f"exit status {status}"


class WorkerRings:
    """A connection's ``RingHost`` with workers: data vrings run in them, the control vring (full
    mode) in this process through ``LocalRings``; device-wide changes go to every worker."""

    def __init__(self, name: str, config: DeviceConfig, count: int, data_vrings: int) -> None:
        if not 1 <= count <= MAX_WORKERS:
            raise ValueError(f"{count} workers: between 1 and {MAX_WORKERS}")
        self.name = name
        self.data_vrings = data_vrings
        self.counter = wire.SequenceCounter.create()
        self.workers: list[Worker] = []
        self.local: LocalRings | None = None
        self._remote: dict[int, Worker] = {}  # vrings running in a worker
        self._enabled: dict[int, bool] = {}  # the enabled state each of them was last sent
        self.closed = False
        level = logging.getLogger("vcrypto").getEffectiveLevel()
        try:
            for i in range(count):
                self.workers.append(Worker(f"{name}/worker{i}", config, self.counter.fd, level))
        except BaseException:
            self.close()
            raise

    def attach(self, local: LocalRings) -> WorkerRings:
        """Take the in-process host for the rings that stay here (``Backend(rings=...)``)."""
        self.local = local
        return self

    def _worker(self, vring: Vring) -> Worker | None:
        if vring.index < self.data_vrings:
            return self.workers[vring.index % len(self.workers)]
        return None

    def _here(self) -> LocalRings:
        assert self.local is not None, "attach() first"
        return self.local

    # --- rings ------------------------------------------------------------------------------------

    def running(self, vring: Vring) -> bool:
        return vring.index in self._remote or self._here().running(vring)

    def start(self, vring: Vring, memory: GuestMemory, packed: bool, base: int) -> None:
        worker = self._worker(vring)
        if worker is None:
            self._here().start(vring, memory, packed, base)
            return
        assert vring.addr is not None and vring.kick is not None
        # Checked here, so a ring that cannot run is refused (and logged) as an in-process one is.
        make_queue(memory, packed, vring.size, vring.addr, base).release()
        fds = [fd for fd in (vring.kick, vring.call, vring.err) if fd is not None]
        command = wire.RingStart(
            vring.index, packed, vring.size, vring.addr, base, vring.enabled,
            vring.call is not None, vring.err is not None,
        )  # fmt: skip
        worker.send(command, fds)
        self._remote[vring.index] = worker
        self._enabled[vring.index] = vring.enabled
        vring.broken_reported = False

    def serve(self, vring: Vring) -> None:
        worker = self._remote.get(vring.index)
        if worker is None:
            self._here().serve(vring)
        elif self._enabled.get(vring.index) != vring.enabled:  # the worker serves on its kicks
            worker.send(wire.RingEnable(vring.index, vring.enabled))
            self._enabled[vring.index] = vring.enabled

    def stop(self, vring: Vring) -> int | None:
        worker = self._remote.pop(vring.index, None)
        if worker is None:
            return self._here().stop(vring)
        self._enabled.pop(vring.index, None)
        if self.closed:
            return None
        return worker.stop_ring(vring.index)

    def fds_changed(self, vring: Vring) -> None:
        worker = self._remote.get(vring.index)
        if worker is not None:
            fds = [fd for fd in (vring.call, vring.err) if fd is not None]
            worker.send(wire.RingSignals(vring.index, vring.call is not None, vring.err is not None), fds)

    # --- what every copy of the device follows ---------------------------------------------------

    def set_memory(self, regions: list[RegionDesc], fds: list[int]) -> None:
        for worker in self.workers:
            worker.send(wire.Memory(tuple(regions)), fds)

    def set_features(self, device_features: int) -> None:
        self._sequenced(wire.Features(device_features))

    def session_created(self, session_id: int, params: SessionParams) -> None:
        self._sequenced(wire.SessionInstall(session_id, params))

    def session_destroyed(self, session_id: int) -> None:
        self._sequenced(wire.SessionRemove(session_id))

    def reset(self) -> None:
        self._sequenced(wire.Reset())

    def _sequenced(self, command: wire.Command) -> None:
        """Send to every worker, then count: see the module docstring for why in this order."""
        for worker in self.workers:
            worker.send(command)
        self.counter.bump()

    def close(self) -> None:
        """Shut every worker down and reap it."""
        if self.closed:
            return
        self.closed = True
        self._remote.clear()
        for worker in self.workers:
            status = worker.close()
            level = logging.DEBUG if status == 0 else logging.WARNING
            log.log(level, "%s (pid %d) ended: %s", worker.name, worker.pid, worker.describe_exit(status))
        self.counter.close()
