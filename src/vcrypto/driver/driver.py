"""A Python driver for a virtio-crypto device: real spec requests, in either layout.

Every call encodes the request exactly as a guest driver would (``vcrypto.spec.encode``), places it
as readable segments with writable segments for the outcome, and hands the chain to a ``Channel``.
Nothing bypasses the wire format, so what works here works for a guest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..device import CryptoDevice, DeviceConfig
from ..spec import encode
from ..spec import layout as L
from ..spec.buffers import Buffer
from ..spec.config import CryptoConfig
from ..spec.constants import (
    ALL_STATELESS,
    CREATE_SESSION_INPUT_SIZE,
    Feature,
    Opcode,
    Service,
    Status,
)
from ..spec.params import (
    AeadParams,
    AkcipherParams,
    ChainParams,
    CipherParams,
    HashParams,
    MacParams,
    SessionParams,
)


class StatusError(Exception):
    """The device answered a request with a status other than OK."""

    def __init__(self, status: Status, what: str) -> None:
        super().__init__(f"{what}: {status.name}")
        self.status = status


class Channel(Protocol):
    """How the driver reaches a device: negotiation, config space, and one chain at a time."""

    def negotiate(self, features: int) -> None: ...

    def read_config(self) -> bytes: ...

    @property
    def num_queues(self) -> int: ...

    def submit(
        self, queue: int, readable: Sequence[Buffer], writable_sizes: Sequence[int]
    ) -> tuple[bytes, int]:
        """Run one chain; returns the writable area's bytes (all segments, in order) and the used length."""
        ...


class LocalChannel:
    """A device in this process: chains go straight to ``CryptoDevice.process``."""

    def __init__(self, device: CryptoDevice) -> None:
        self.device = device

    def negotiate(self, features: int) -> None:
        self.device.set_driver_features(features)

    def read_config(self) -> bytes:
        return self.device.config_space()

    @property
    def num_queues(self) -> int:
        return self.device.num_queues

    def submit(
        self, queue: int, readable: Sequence[Buffer], writable_sizes: Sequence[int]
    ) -> tuple[bytes, int]:
        writable = [bytearray(size) for size in writable_sizes]
        used = self.device.process(queue, readable, writable)
        return b"".join(writable), used


Target = int  # a session id; stateless requests pass the parameters instead


class CryptoDriver:
    """Sessions and operations of every service, in session or stateless mode."""

    def __init__(self, channel: Channel, features: int = 0) -> None:
        self.channel = channel
        self.features = Feature(features)
        channel.negotiate(features)
        self.config = CryptoConfig.decode(channel.read_config())
        self.control_queue = channel.num_queues - 1
        self.data_queue = 0

    @classmethod
    def open(
        cls,
        features: int = Feature.REVISION_1 | ALL_STATELESS,
        config: DeviceConfig | None = None,
    ) -> CryptoDriver:
        """A driver bound to a fresh in-process device, negotiating ``features``."""
        return cls(LocalChannel(CryptoDevice(config)), features)

    @property
    def revision_1(self) -> bool:
        return bool(self.features & Feature.REVISION_1)

    # --- control queue ----------------------------------------------------------------------------

    def create_session(self, params: SessionParams) -> int:
        readable = encode.create_session(params, self.revision_1)
        out, used = self.channel.submit(self.control_queue, readable, [CREATE_SESSION_INPUT_SIZE])
        session_id, status, _ = L.CREATE_SESSION_INPUT.unpack(out)
        _check(status, used, "create session")
        return session_id

    def destroy_session(self, service: Service, session_id: int) -> None:
        readable = encode.destroy_session(service, session_id, self.revision_1)
        out, used = self.channel.submit(self.control_queue, readable, [1])
        _check(out[0], used, "destroy session")

    # --- data queues ------------------------------------------------------------------------------

    def _data(self, readable: Sequence[Buffer], out_len: int, what: str) -> bytes:
        """Submit a data request with ``out_len`` output bytes and the status byte after them."""
        sizes = [out_len, 1] if out_len else [1]
        out, used = self.channel.submit(self.data_queue, readable, sizes)
        _check(out[-1], used, what)
        return out[: used - 1]

    def encrypt(self, target: Target | CipherParams, iv: Buffer, data: Buffer) -> bytes:
        readable = encode.cipher(Opcode.CIPHER_ENCRYPT, target, iv, data, len(data), self.revision_1)
        return self._data(readable, len(data), "cipher encrypt")

    def decrypt(self, target: Target | CipherParams, iv: Buffer, data: Buffer) -> bytes:
        readable = encode.cipher(Opcode.CIPHER_DECRYPT, target, iv, data, len(data), self.revision_1)
        return self._data(readable, len(data), "cipher decrypt")

    def chain(
        self,
        encrypt: bool,
        target: Target | ChainParams,
        iv: Buffer,
        data: Buffer,
        *,
        aad: Buffer = b"",
        cipher_range: tuple[int, int] | None = None,
        hash_range: tuple[int, int] | None = None,
        hash_result_len: int,
    ) -> tuple[bytes, bytes]:
        """Algorithm chaining; ranges are (offset, length) in ``data``, whole data by default.
        Returns the destination and the digest."""
        c_off, c_len = cipher_range or (0, len(data))
        h_off, h_len = hash_range or (0, len(data))
        opcode = Opcode.CIPHER_ENCRYPT if encrypt else Opcode.CIPHER_DECRYPT
        readable = encode.chain(
            opcode, target, iv, data, aad,
            dst_len=len(data), cipher_offset=c_off, cipher_len=c_len, hash_offset=h_off, hash_len=h_len,
            hash_result_len=hash_result_len, revision_1=self.revision_1,
        )  # fmt: skip
        out = self._data(readable, len(data) + hash_result_len, "chain")
        return out[: len(data)], out[len(data) :]

    def hash(self, target: Target | HashParams, data: Buffer, result_len: int) -> bytes:
        return self._data(encode.hash_(target, data, result_len, self.revision_1), result_len, "hash")

    def mac(self, target: Target | MacParams, data: Buffer, result_len: int) -> bytes:
        return self._data(encode.mac(target, data, result_len, self.revision_1), result_len, "mac")

    def aead_encrypt(
        self, target: Target | AeadParams, iv: Buffer, data: Buffer, aad: Buffer, tag_len: int
    ) -> bytes:
        """Ciphertext followed by the tag."""
        dst_len = len(data) + tag_len
        readable = encode.aead(Opcode.AEAD_ENCRYPT, target, iv, data, aad, dst_len, tag_len, self.revision_1)
        return self._data(readable, dst_len, "aead encrypt")

    def aead_decrypt(
        self, target: Target | AeadParams, iv: Buffer, data: Buffer, aad: Buffer, tag_len: int
    ) -> bytes:
        """Plaintext of ``data`` (ciphertext followed by the tag); ``StatusError(BADMSG)`` on a bad tag."""
        dst_len = max(len(data) - tag_len, 0)
        readable = encode.aead(Opcode.AEAD_DECRYPT, target, iv, data, aad, dst_len, tag_len, self.revision_1)
        return self._data(readable, dst_len, "aead decrypt")

    def akcipher(self, opcode: Opcode, target: Target | AkcipherParams, src: Buffer, dst_len: int) -> bytes:
        """ENCRYPT, DECRYPT or SIGN; the result is what the device wrote (at most ``dst_len`` bytes)."""
        readable = encode.akcipher(opcode, target, src, dst_len, self.revision_1)
        return self._data(readable, dst_len, f"akcipher {opcode.name}")

    def verify(self, target: Target | AkcipherParams, signature: Buffer, message: Buffer) -> None:
        """``StatusError(KEY_REJECTED)`` if the signature does not verify."""
        readable = encode.akcipher(Opcode.AKCIPHER_VERIFY, target, signature, 0, self.revision_1, message)
        self._data(readable, 0, "akcipher verify")


def _check(status: int, used: int, what: str) -> None:
    if not used:
        raise StatusError(Status.ERR, f"{what}: the device wrote nothing")
    if status != Status.OK:
        raise StatusError(Status(status) if status in Status._value2member_map_ else Status.ERR, what)
