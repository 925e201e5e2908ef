"""What the main process and a crypto worker process say to each other, and their shared counter.

One ``SOCK_SEQPACKET`` socketpair per worker: each datagram is one command, its fds (memory regions,
eventfds) travel with it as SCM_RIGHTS. Commands go main → worker pickled (the worker trusts the
process that started it; nothing the guest wrote is unpickled). The only answer, to ``RingStop``,
goes worker → main as a fixed struct the main process checks like any peer input.

``SequenceCounter`` is one u64 in a shared memfd page: how many *sequenced* commands (sessions,
features, reset) the main process has sent to every worker of a connection. See ``workers.py`` for
why it lets a worker skip a syscall per request.
"""

from __future__ import annotations

import array
import mmap
import os
import pickle
import socket
import struct
from dataclasses import dataclass
from typing import ClassVar

from ..device import DeviceConfig
from ..spec.params import SessionParams
from .protocol import RegionDesc

MAX_DATAGRAM = 1 << 16  # the largest command: a 1 KiB akcipher key pickled, or 8 memory regions
MAX_COMMAND_FDS = 8  # a memory table's regions; a ring start takes 3
STOP_REPLY = struct.Struct("<III")  # vring index, running (0/1), vring base
COUNTER_SIZE = 4096
_FDS_SPACE = socket.CMSG_SPACE(MAX_COMMAND_FDS * array.array("i").itemsize)


@dataclass(frozen=True, slots=True)
class Command:
    sequenced: ClassVar[bool] = False  # counted by SequenceCounter: sessions, features, reset


@dataclass(frozen=True, slots=True)
class Init(Command):
    """The first command: the worker's name, its device's config and log level; fds: the counter."""

    name: str
    config: DeviceConfig
    log_level: int


@dataclass(frozen=True, slots=True)
class Memory(Command):
    """A new memory table; fds: one per region, in order."""

    regions: tuple[RegionDesc, ...]


@dataclass(frozen=True, slots=True)
class RingStart(Command):
    """Run a vring; fds: those of ``signals`` present (kick always), in the order kick, call, err."""

    index: int
    packed: bool
    size: int
    addr: tuple[int, int, int]
    base: int
    enabled: bool
    has_call: bool
    has_err: bool


@dataclass(frozen=True, slots=True)
class RingSignals(Command):
    """New call/err eventfds for a running vring; fds: those present, call first."""

    index: int
    has_call: bool
    has_err: bool


@dataclass(frozen=True, slots=True)
class RingEnable(Command):
    index: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class RingStop(Command):
    """Stop a vring; answered with ``STOP_REPLY``."""

    index: int


@dataclass(frozen=True, slots=True)
class Features(Command):
    sequenced: ClassVar[bool] = True
    device_features: int


@dataclass(frozen=True, slots=True)
class SessionInstall(Command):
    sequenced: ClassVar[bool] = True
    session_id: int
    params: SessionParams


@dataclass(frozen=True, slots=True)
class SessionRemove(Command):
    sequenced: ClassVar[bool] = True
    session_id: int


@dataclass(frozen=True, slots=True)
class Reset(Command):
    sequenced: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Shutdown(Command):
    pass


def send(sock: socket.socket, command: Command, fds: list[int] | tuple[int, ...] = ()) -> None:
    """One command as one datagram (``OSError`` if the worker is gone or does not read)."""
    data = pickle.dumps(command, protocol=pickle.HIGHEST_PROTOCOL)
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def receive(sock: socket.socket, flags: int = 0) -> tuple[Command, list[int]] | None:
    """The next command and its fds (the caller owns them), or None at end of stream;
    ``BlockingIOError`` with ``MSG_DONTWAIT`` when none is waiting."""
    # Not socket.recv_fds: before Python 3.12 it drops ``flags``.
    data, ancillary, msg_flags, _addr = sock.recvmsg(MAX_DATAGRAM, _FDS_SPACE, flags)
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if not data:
        for fd in fds:
            os.close(fd)
        return None
    if msg_flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        for fd in fds:
            os.close(fd)
        raise ValueError("truncated command datagram")
    command = pickle.loads(data)
    if not isinstance(command, Command):
        raise ValueError(f"not a command: {type(command).__name__}")
    return command, list(fds)


class SequenceCounter:
    """A u64 in a shared page: sequenced commands sent (main process) or to be applied (workers).

    One aligned 8-byte store and load (``memoryview`` of format ``Q``): no torn values on x86-64.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._map = mmap.mmap(fd, COUNTER_SIZE, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self.view = memoryview(self._map).cast("Q")

    @classmethod
    def create(cls) -> SequenceCounter:
        fd = os.memfd_create("vcrypto-sequence", os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, COUNTER_SIZE)
            return cls(fd)
        except BaseException:
            os.close(fd)
            raise

    @property
    def value(self) -> int:
        return self.view[0]

    def bump(self) -> None:
        self.view[0] += 1

    def close(self) -> None:
        self.view.release()
        self._map.close()
        os.close(self.fd)
