"""An in-test vhost-user frontend that talks to the backend the way QEMU 7.2's cryptodev does."""

from __future__ import annotations

import os
import select
import socket

from vcrypto.device import DeviceError
from vcrypto.spec.constants import CipherAlgo, Status
from vcrypto.spec.params import CipherParams, SessionParams
from vcrypto.vhost_user import crypto_session as cs
from vcrypto.vhost_user.protocol import (
    F_PROTOCOL_FEATURES,
    HEADER,
    MEMORY_HEADER,
    MEMORY_REGION,
    NEED_REPLY,
    REPLY,
    U64,
    VERSION,
    VRING_ADDR,
    VRING_STATE,
    ProtocolFeature,
    Request,
)
from vcrypto.virtio.mock import MockMemory, MockSplitQueue

TIMEOUT = 5.0


class Frontend:
    """QEMU's side of the socket: sends requests with fds, checks replies as QEMU does."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.settimeout(TIMEOUT)
        self.kick: dict[int, int] = {}
        self.call: dict[int, int] = {}
        self.err: dict[int, int] = {}

    def send(
        self, request: int, payload: bytes = b"", fds: list[int] | tuple = (), flags: int = VERSION
    ) -> None:
        data = HEADER.pack(request, flags, len(payload)) + payload
        if fds:
            socket.send_fds(self.sock, [data], list(fds))
        else:
            self.sock.sendall(data)

    def recv(self) -> tuple[int, int, bytes]:
        header = self._exact(HEADER.size)
        request, flags, size = HEADER.unpack(header)
        return request, flags, self._exact(size)

    def _exact(self, size: int) -> bytes:
        buf = b""
        while len(buf) < size:
            chunk = self.sock.recv(size - len(buf))
            if not chunk:
                raise ConnectionError("backend closed the connection")
            buf += chunk
        return buf

    def pending(self, timeout: float = 0.1) -> bool:
        """Whether the backend sent anything we did not ask for."""
        return bool(select.select([self.sock], [], [], timeout)[0])

    def call_reply(self, request: int, payload: bytes = b"", fds=(), flags: int = VERSION) -> bytes:
        """Send and read the reply, failing as QEMU would on a wrong code or flags."""
        self.send(request, payload, fds, flags)
        code, reply_flags, body = self.recv()
        assert code == request, (code, request)
        assert reply_flags == VERSION | REPLY, hex(reply_flags)
        return body

    def get_u64(self, request: int) -> int:
        body = self.call_reply(request)
        assert len(body) == 8
        return U64.unpack(body)[0]

    def handshake(self, queues: int = 1) -> int:
        """QEMU's vhost_dev_init, once per queue; returns the negotiated protocol features."""
        negotiated = 0
        for index in range(queues):
            features = self.get_u64(Request.GET_FEATURES)
            assert features & F_PROTOCOL_FEATURES
            offered = self.get_u64(Request.GET_PROTOCOL_FEATURES)
            negotiated = offered & ~ProtocolFeature.CONFIG  # QEMU 7.2.22 strips CONFIG
            self.send(Request.SET_PROTOCOL_FEATURES, U64.pack(negotiated))
            if index == 0:
                assert self.get_u64(Request.GET_QUEUE_NUM) >= queues
                self.send(Request.SET_OWNER)
            self.get_u64(Request.GET_FEATURES)
            self.set_fd(Request.SET_VRING_CALL, index, self.call)
            self.set_fd(Request.SET_VRING_ERR, index, self.err)
        return negotiated

    def set_fd(self, request: int, index: int, table: dict[int, int]) -> int:
        fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        if index in table:
            old = table[index]
            if table is self.call and select.select([old], [], [], 0)[0]:
                os.eventfd_write(fd, 1)  # QEMU carries a signal on the masked notifier over
            os.close(old)
        table[index] = fd
        self.send(request, U64.pack(index), [fd])
        return fd

    def set_mem_table(self, memory: MockMemory, need_reply: bool = True) -> int | None:
        payload = MEMORY_HEADER.pack(1, 0) + MEMORY_REGION.pack(
            memory.guest_base, memory.size, memory.user_base, 0
        )
        flags = VERSION | (NEED_REPLY if need_reply else 0)
        if not need_reply:
            self.send(Request.SET_MEM_TABLE, payload, [memory.fd], flags)
            return None
        return U64.unpack(self.call_reply(Request.SET_MEM_TABLE, payload, [memory.fd], flags))[0]

    def start_ring(self, memory: MockMemory, driver: MockSplitQueue, index: int = 0, base: int = 0) -> None:
        """vhost_dev_start as QEMU 7.2 runs it for crypto (no SET_VRING_ENABLE)."""
        self.send(Request.SET_FEATURES, U64.pack(F_PROTOCOL_FEATURES))
        assert self.set_mem_table(memory) == 0
        self.send(Request.SET_VRING_NUM, VRING_STATE.pack(index, driver.size))
        self.send(Request.SET_VRING_BASE, VRING_STATE.pack(index, base))
        desc, avail, used = driver.addresses
        self.send(Request.SET_VRING_ADDR, VRING_ADDR.pack(index, 0, desc, used, avail, 0))
        self.set_fd(Request.SET_VRING_KICK, index, self.kick)
        self.sync()  # so that a signal sent at start is on the old call fd before we swap it
        self.set_fd(Request.SET_VRING_CALL, index, self.call)
        self.sync()

    def sync(self) -> None:
        """Wait until the backend has handled everything sent so far (as QEMU does with GET_FEATURES)."""
        self.get_u64(Request.GET_FEATURES)

    def get_vring_base(self, index: int = 0) -> int:
        body = self.call_reply(Request.GET_VRING_BASE, VRING_STATE.pack(index, 0))
        assert len(body) == VRING_STATE.size
        got_index, num = VRING_STATE.unpack(body)
        assert got_index == index
        return num

    def create_session(self, params: SessionParams, layout: int = cs.SIZE_632) -> int:
        body = self.call_reply(Request.CREATE_CRYPTO_SESSION, cs.encode_create(params, layout))
        assert len(body) == layout
        return cs.session_id_of(body)

    def close_session(self, session_id: int) -> None:
        self.send(Request.CLOSE_CRYPTO_SESSION, U64.pack(session_id))

    def notify(self, index: int = 0) -> None:
        os.eventfd_write(self.kick[index], 1)

    def wait_call(self, index: int = 0, timeout: float = TIMEOUT) -> bool:
        """Whether the backend signalled the call eventfd (and clear it)."""
        fd = self.call[index]
        if not select.select([fd], [], [], timeout)[0]:
            return False
        os.eventfd_read(fd)
        return True

    def close(self) -> None:
        for table in (self.kick, self.call, self.err):
            for fd in table.values():
                os.close(fd)
            table.clear()
        self.sock.close()


class FakeDevice:
    """The device contract, minimal: AES-CBC sessions only; data requests echo and answer OK."""

    def __init__(self) -> None:
        self.sessions: dict[int, SessionParams] = {}
        self.next_id = 1
        self.processed: list[tuple[int, bytes, list[int]]] = []
        self.resets = 0

    def create_session(self, params: SessionParams) -> int:
        if not isinstance(params, CipherParams) or params.algo != CipherAlgo.AES_CBC:
            raise DeviceError(Status.NOTSUPP, "fake device: AES-CBC only")
        session_id, self.next_id = self.next_id, self.next_id + 1
        self.sessions[session_id] = params
        return session_id

    def destroy_session(self, session_id: int) -> Status:
        return Status.OK if self.sessions.pop(session_id, None) else Status.ERR

    def process(self, queue: int, readable, writable) -> int:
        data = b"".join(bytes(v) for v in readable)
        self.processed.append((queue, data, [v.nbytes for v in writable]))
        if not writable:
            return 0
        last = writable[-1]
        last[last.nbytes - 1] = Status.OK
        return 1

    def reset(self) -> None:
        self.resets += 1
        self.sessions.clear()
