"""A crypto worker process: serves the data vrings the main process hands it, with its own device.

Started by ``workers.Worker`` as ``python -m vcrypto.vhost_user.worker_process FD``; FD is its end of
a ``SOCK_SEQPACKET`` socketpair (``worker_wire``). It maps the guest memory itself, polls its rings'
kick eventfds and its command socket in one loop, and exits at ``Shutdown`` or when the main process
goes away (end of stream). SIGINT is ignored: a terminal's Ctrl-C reaches the whole process group,
and the main process shuts its workers down itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
from collections.abc import Callable

from ..device import CryptoDevice, DeviceError, FeatureError
from ..virtio.chain import Chain
from ..virtio.memory import GuestMemory, MemoryRegion
from ..virtio.queue import DeviceQueue, QueueError
from . import worker_wire as wire
from .rings import BAD_CHAIN_WARNINGS, make_queue, refuse_bad_chain
from .rings import signal as signal_fd

log = logging.getLogger(__name__)

CATCH_UP_TIMEOUT = 5.0  # seconds; commands the counter announces are already queued, so this never waits


class _Ring:
    """One running vring: its queue and this process's copies of its eventfds."""

    __slots__ = ("broken_reported", "call", "enabled", "err", "index", "kick", "queue")

    def __init__(self, index: int, queue: DeviceQueue, kick: int, call: int | None, err: int | None) -> None:
        self.index = index
        self.queue = queue
        self.kick = kick
        self.call = call
        self.err = err
        self.enabled = False
        self.broken_reported = False

    def close(self) -> int:
        """Release the queue and the fds; the vring base."""
        state = self.queue.state
        self.queue.release()
        for fd in (self.kick, self.call, self.err):
            if fd is not None:
                os.close(fd)
        return state


class WorkerProcess:
    """The worker's state: its device, guest memory, rings, and how far it followed the main process."""

    def __init__(self, sock: socket.socket, init: wire.Init, counter: wire.SequenceCounter) -> None:
        self.sock = sock
        self.name = init.name
        self.device = CryptoDevice(init.config)
        self.counter = counter
        self.applied = 0  # sequenced commands applied; the counter says how many were sent
        self.memory = GuestMemory()
        self.rings: dict[int, _Ring] = {}
        self.by_kick: dict[int, _Ring] = {}
        self.deferred: list[tuple[wire.Command, list[int]]] = []
        self.poller = select.poll()
        self.poller.register(sock, select.POLLIN)
        self.stopping = False
        self._bad_chains = 0
        self._handlers: dict[type, Callable[[wire.Command, list[int]], None]] = {
            wire.Memory: self._memory,
            wire.RingStart: self._ring_start,
            wire.RingSignals: self._ring_signals,
            wire.RingEnable: self._ring_enable,
            wire.RingStop: self._ring_stop,
            wire.Features: self._features,
            wire.SessionInstall: self._session_install,
            wire.SessionRemove: self._session_remove,
            wire.Reset: lambda c, f: self.device.reset(),
            wire.Shutdown: self._shutdown,
        }

    # --- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        while not self.stopping:
            while self.deferred and not self.stopping:
                command, fds = self.deferred.pop(0)
                self._apply(command, fds)
            if self.stopping:
                break
            for fd, _events in self.poller.poll():
                if fd == self.sock.fileno():
                    self._drain()
                else:
                    ring = self.by_kick.get(fd)
                    if ring is not None:
                        with contextlib.suppress(BlockingIOError):
                            os.read(fd, 8)
                        self._serve(ring)
                if self.stopping or self.deferred:
                    break
        self.close()

    def _drain(self) -> None:
        """Apply the commands waiting on the socket, in order. A command deferred by a catch-up
        came before everything still queued: the loop applies it first, so draining stops there."""
        while not self.stopping and not self.deferred:
            try:
                received = wire.receive(self.sock, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            if received is None:
                log.info("%s: main process gone", self.name)
                self.stopping = True
                return
            self._apply(*received)

    def _apply(self, command: wire.Command, fds: list[int]) -> None:
        if command.sequenced:
            self.applied += 1
        handler = self._handlers.get(type(command))
        try:
            if handler is None:
                log.error("%s: unknown command %s", self.name, type(command).__name__)
            else:
                handler(command, fds)
        finally:
            for fd in fds:  # whatever the handler did not keep
                os.close(fd)
            fds.clear()

    def _catch_up(self) -> None:
        """Apply the sequenced commands the counter announces before answering a request; other
        commands met on the way are kept for the loop (a ring must not change under its own
        ``process``). They are in the socket already: the main process sends, then counts."""
        target = self.counter.value
        waiter = select.poll()
        waiter.register(self.sock, select.POLLIN)
        while self.applied < target and not self.stopping:
            if not waiter.poll(int(CATCH_UP_TIMEOUT * 1000)):
                log.error("%s: commands announced but not received; stopping", self.name)
                self.stopping = True
                return
            received = wire.receive(self.sock, socket.MSG_DONTWAIT)
            if received is None:
                self.stopping = True
                return
            command, fds = received
            if command.sequenced:
                self._apply(command, fds)
            else:
                self.deferred.append((command, fds))

    # --- rings ------------------------------------------------------------------------------------

    def _answer(self, index: int) -> Callable[[Chain], int | None]:
        counter, process = self.counter.view, self.device.process

        def answer(chain: Chain) -> int | None:
            # The queue read the avail index (or the packed flags) that made this chain visible
            # before this load: every sequenced command sent before then is counted here.
            if counter[0] > self.applied:
                self._catch_up()
            if chain.error is None:
                return process(index, chain.readable, chain.writable)
            self._bad_chains += 1
            level = logging.WARNING if self._bad_chains <= BAD_CHAIN_WARNINGS else logging.DEBUG
            log.log(level, "%s: vring %d: bad chain %d: %s", self.name, index, chain.head, chain.error)
            return refuse_bad_chain(chain)

        return answer

    def _serve(self, ring: _Ring) -> None:
        if not ring.enabled:
            return
        call = ring.call
        ring.queue.process(self._answer(ring.index), lambda: signal_fd(call))
        if ring.queue.broken and not ring.broken_reported:
            ring.broken_reported = True
            log.error("%s: vring %d stopped: %s", self.name, ring.index, ring.queue.broken)
            signal_fd(ring.err)

    def _stop(self, index: int) -> int | None:
        ring = self.rings.pop(index, None)
        if ring is None:
            return None
        self.by_kick.pop(ring.kick, None)
        self.poller.unregister(ring.kick)
        return ring.close()

    def _ring_start(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.RingStart)
        self._stop(command.index)
        expected = 1 + command.has_call + command.has_err
        if len(fds) != expected:
            log.error("%s: vring %d: %d fds, expected %d", self.name, command.index, len(fds), expected)
            return
        try:
            queue = make_queue(self.memory, command.packed, command.size, command.addr, command.base)
        except QueueError as exc:
            log.error("%s: vring %d cannot start: %s", self.name, command.index, exc)
            return
        kick = fds.pop(0)
        call = fds.pop(0) if command.has_call else None
        err = fds.pop(0) if command.has_err else None
        ring = _Ring(command.index, queue, kick, call, err)
        ring.enabled = command.enabled
        self.rings[command.index] = ring
        self.by_kick[kick] = ring
        self.poller.register(kick, select.POLLIN)
        log.debug("%s: vring %d started at base %#x", self.name, command.index, command.base)
        self._serve(ring)

    def _ring_signals(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.RingSignals)
        ring = self.rings.get(command.index)
        if ring is None or len(fds) != command.has_call + command.has_err:
            return
        for which, present in (("call", command.has_call), ("err", command.has_err)):
            old = getattr(ring, which)
            if old is not None:
                os.close(old)
            setattr(ring, which, fds.pop(0) if present else None)

    def _ring_enable(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.RingEnable)
        ring = self.rings.get(command.index)
        if ring is not None:
            ring.enabled = command.enabled
            self._serve(ring)

    def _ring_stop(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.RingStop)
        state = self._stop(command.index)
        reply = wire.STOP_REPLY.pack(command.index, state is not None, state or 0)
        self.sock.sendall(reply)

    def _memory(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.Memory)
        regions: list[MemoryRegion] = []
        try:
            for desc, fd in zip(command.regions, fds, strict=True):
                regions.append(MemoryRegion(fd, desc.guest_addr, desc.size, desc.user_addr, desc.mmap_offset))
            memory = GuestMemory(regions)
        except (OSError, ValueError) as exc:  # the main process mapped the same table: not expected
            for region in regions:
                region.close()
            log.error("%s: memory table refused: %s", self.name, exc)
            return
        for index in list(self.rings):  # the main process stopped them first; none may outlive its mapping
            log.warning("%s: vring %d still running at a new memory table: stopped", self.name, index)
            self._stop(index)
        old, self.memory = self.memory, memory
        old.close()

    # --- device state -----------------------------------------------------------------------------

    def _features(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.Features)
        try:
            self.device.set_driver_features(command.device_features)
        except FeatureError as exc:
            log.error("%s: driver features %#x refused: %s", self.name, command.device_features, exc)

    def _session_install(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.SessionInstall)
        try:
            self.device.install_session(command.session_id, command.params)
        except DeviceError as exc:
            log.error("%s: session %d not installed: %s", self.name, command.session_id, exc)

    def _session_remove(self, command: wire.Command, fds: list[int]) -> None:
        assert isinstance(command, wire.SessionRemove)
        self.device.destroy_session(command.session_id)

    def _shutdown(self, command: wire.Command, fds: list[int]) -> None:
        self.stopping = True

    def close(self) -> None:
        for index in list(self.rings):
            self._stop(index)
        self.memory.close()
        self.counter.close()
        self.sock.close()


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if len(argv) != 1 or not argv[0].isdigit():
        sys.stderr.write("usage: python -m vcrypto.vhost_user.worker_process FD\n")
        return 2
    sock = socket.socket(fileno=int(argv[0]))
    received = wire.receive(sock)
    if received is None:
        return 0
    init, fds = received
    if not isinstance(init, wire.Init) or len(fds) != 1:
        return 2
    logging.basicConfig(
        level=init.log_level, format=f"%(asctime)s %(name)s[{init.name}] %(levelname)s: %(message)s"
    )
    worker = WorkerProcess(sock, init, wire.SequenceCounter(fds[0]))
    log.debug("%s: worker started (pid %d)", init.name, os.getpid())
    worker.run()
    log.debug("%s: worker exits", init.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
