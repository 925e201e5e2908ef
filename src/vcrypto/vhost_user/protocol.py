"""vhost-user wire format: message codes, header, payload structures (docs/interop/vhost-user.rst).

Every message is a 12-byte little-endian header (request, flags, payload size) and a payload; file
descriptors travel as SCM_RIGHTS with the header's first byte. Replies carry flags exactly
``VERSION | REPLY`` (0x5): QEMU refuses any other value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag, StrEnum

HEADER = struct.Struct("<III")  # request, flags, size
U64 = struct.Struct("<Q")
VRING_STATE = struct.Struct("<II")  # index, num
VRING_ADDR = struct.Struct("<IIQQQQ")  # index, flags, desc, used, avail, log (frontend addresses)
MEMORY_HEADER = struct.Struct("<II")  # nregions, padding
MEMORY_REGION = struct.Struct("<QQQQ")  # guest_phys_addr, memory_size, userspace_addr, mmap_offset
CONFIG_HEADER = struct.Struct("<III")  # offset, size, flags; the config bytes follow

VERSION = 0x1
VERSION_MASK = 0x3
REPLY = 0x4
NEED_REPLY = 0x8

MAX_PAYLOAD = 4096  # the largest message QEMU sends is the 1072-byte crypto session
MAX_FDS = 8  # VHOST_MEMORY_BASELINE_NREGIONS: one fd per memory region at most
MAX_REGIONS = 8

VRING_IDX_MASK = 0xFF
VRING_NOFD = 0x100

F_PROTOCOL_FEATURES = 1 << 30  # VHOST_USER_F_PROTOCOL_FEATURES, a virtio feature bit
F_LOG_ALL = 1 << 26
DEVICE_FEATURE_MASK = (1 << 24) - 1  # virtio feature bits 0-23 belong to the device type

CONFIG_F_WRITABLE = 0  # SET_CONFIG flags: the guest writes a writable field
CONFIG_F_MIGRATION = 1  # the destination of a live migration restores the config space


class Request(IntEnum):
    """Frontend-to-backend requests."""

    NONE = 0
    GET_FEATURES = 1
    SET_FEATURES = 2
    SET_OWNER = 3
    RESET_OWNER = 4
    SET_MEM_TABLE = 5
    SET_LOG_BASE = 6
    SET_LOG_FD = 7
    SET_VRING_NUM = 8
    SET_VRING_ADDR = 9
    SET_VRING_BASE = 10
    GET_VRING_BASE = 11
    SET_VRING_KICK = 12
    SET_VRING_CALL = 13
    SET_VRING_ERR = 14
    GET_PROTOCOL_FEATURES = 15
    SET_PROTOCOL_FEATURES = 16
    GET_QUEUE_NUM = 17
    SET_VRING_ENABLE = 18
    SEND_RARP = 19
    NET_SET_MTU = 20
    SET_BACKEND_REQ_FD = 21
    IOTLB_MSG = 22
    SET_VRING_ENDIAN = 23
    GET_CONFIG = 24
    SET_CONFIG = 25
    CREATE_CRYPTO_SESSION = 26
    CLOSE_CRYPTO_SESSION = 27
    POSTCOPY_ADVISE = 28
    POSTCOPY_LISTEN = 29
    POSTCOPY_END = 30
    GET_INFLIGHT_FD = 31
    SET_INFLIGHT_FD = 32
    GPU_SET_SOCKET = 33
    RESET_DEVICE = 34
    VRING_KICK = 35
    GET_MAX_MEM_SLOTS = 36
    ADD_MEM_REG = 37
    REM_MEM_REG = 38
    SET_STATUS = 39
    GET_STATUS = 40


class ProtocolFeature(IntFlag):
    MQ = 1 << 0
    LOG_SHMFD = 1 << 1
    RARP = 1 << 2
    REPLY_ACK = 1 << 3
    NET_MTU = 1 << 4
    BACKEND_REQ = 1 << 5
    CROSS_ENDIAN = 1 << 6
    CRYPTO_SESSION = 1 << 7
    PAGEFAULT = 1 << 8
    CONFIG = 1 << 9
    BACKEND_SEND_FD = 1 << 10
    HOST_NOTIFIER = 1 << 11
    INFLIGHT_SHMFD = 1 << 12
    RESET_DEVICE = 1 << 13
    INBAND_NOTIFICATIONS = 1 << 14
    CONFIGURE_MEM_SLOTS = 1 << 15
    STATUS = 1 << 16


class DeviceStatus(IntFlag):
    """The virtio device status byte, as SET_STATUS/GET_STATUS carry it (virtio 1.x, 2.1)."""

    ACKNOWLEDGE = 1
    DRIVER = 2
    DRIVER_OK = 4
    FEATURES_OK = 8
    DEVICE_NEEDS_RESET = 0x40
    FAILED = 0x80


class Mode(StrEnum):
    """What a backend serves: QEMU's cryptodev-vhost-user (data queues and session messages; QEMU keeps
    the control queue and config space) or the whole device (every queue, config, features, status)."""

    CRYPTODEV = "cryptodev"
    FULL = "full"


class ProtocolError(Exception):
    """A message the backend cannot make sense of: the connection is dropped."""


def request_name(code: int) -> str:
    try:
        return Request(code).name
    except ValueError:
        return f"request {code}"


@dataclass(slots=True)
class Message:
    """One frontend message; the backend owns ``fds`` from here on (closes or keeps them)."""

    request: int
    flags: int = VERSION
    payload: bytes = b""
    fds: list[int] = field(default_factory=list)

    @property
    def need_reply(self) -> bool:
        return bool(self.flags & NEED_REPLY)

    def encode(self) -> bytes:
        return HEADER.pack(self.request, self.flags, len(self.payload)) + self.payload

    def expect_size(self, size: int) -> None:
        if len(self.payload) != size:
            raise ProtocolError(
                f"{request_name(self.request)}: payload of {len(self.payload)} bytes, expected {size}"
            )

    def u64(self) -> int:
        self.expect_size(U64.size)
        return U64.unpack(self.payload)[0]

    def vring_state(self) -> tuple[int, int]:
        self.expect_size(VRING_STATE.size)
        return VRING_STATE.unpack(self.payload)


def reply(request: int, payload: bytes) -> bytes:
    """A reply as QEMU checks it: same request code, flags 0x5, exact payload size."""
    return HEADER.pack(request, VERSION | REPLY, len(payload)) + payload


def reply_u64(request: int, value: int) -> bytes:
    return reply(request, U64.pack(value))


def parse_header(data: bytes) -> tuple[int, int, int]:
    """Request, flags and payload size of a header, refusing what no frontend sends."""
    request, flags, size = HEADER.unpack(data)
    if flags & VERSION_MASK != VERSION:
        raise ProtocolError(f"unsupported vhost-user version in flags {flags:#x}")
    if flags & REPLY:
        raise ProtocolError(f"{request_name(request)}: a reply where a request was expected")
    if size > MAX_PAYLOAD:
        raise ProtocolError(f"{request_name(request)}: payload of {size} bytes exceeds {MAX_PAYLOAD}")
    return request, flags, size


@dataclass(frozen=True, slots=True)
class ConfigAccess:
    """A GET_CONFIG/SET_CONFIG payload: ``size`` bytes of config space at ``offset``."""

    offset: int
    size: int
    flags: int
    data: bytes

    def encode(self) -> bytes:
        return CONFIG_HEADER.pack(self.offset, self.size, self.flags) + self.data


def parse_config(payload: bytes) -> ConfigAccess:
    """The config access of a GET_CONFIG/SET_CONFIG payload; ``ValueError`` if its sizes disagree
    (both requests carry the header and then exactly ``size`` bytes)."""
    if len(payload) < CONFIG_HEADER.size:
        raise ValueError(f"config payload of {len(payload)} bytes, shorter than its header")
    offset, size, flags = CONFIG_HEADER.unpack_from(payload)
    data = payload[CONFIG_HEADER.size :]
    if len(data) != size:
        raise ValueError(f"config access of {size} bytes carries {len(data)}")
    return ConfigAccess(offset, size, flags, data)


@dataclass(frozen=True, slots=True)
class RegionDesc:
    guest_addr: int
    size: int
    user_addr: int
    mmap_offset: int


def parse_mem_table(msg: Message) -> list[RegionDesc]:
    """SET_MEM_TABLE: region descriptions, one fd each in the same order."""
    if len(msg.payload) < MEMORY_HEADER.size:
        raise ProtocolError("SET_MEM_TABLE: short payload")
    count, _padding = MEMORY_HEADER.unpack_from(msg.payload)
    if not 0 < count <= MAX_REGIONS:
        raise ProtocolError(f"SET_MEM_TABLE: {count} regions")
    # QEMU sends only the regions it fills; other frontends send the whole 8-region array.
    if len(msg.payload) not in (
        MEMORY_HEADER.size + count * MEMORY_REGION.size,
        MEMORY_HEADER.size + MAX_REGIONS * MEMORY_REGION.size,
    ):
        raise ProtocolError(f"SET_MEM_TABLE: payload of {len(msg.payload)} bytes for {count} regions")
    if len(msg.fds) != count:
        raise ProtocolError(f"SET_MEM_TABLE: {count} regions but {len(msg.fds)} fds")
    return [
        RegionDesc(*MEMORY_REGION.unpack_from(msg.payload, MEMORY_HEADER.size + i * MEMORY_REGION.size))
        for i in range(count)
    ]
