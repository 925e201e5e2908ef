"""The virtio-crypto device: feature negotiation, config space, control and data queues.

Sans-I/O: the device sees a descriptor chain as readable and writable buffers and fills the
writable side; rings, memory and sockets live in the layers above. ``process`` is the single
chain-level entry point and never raises on guest data: every request ends with a status.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..crypto.base import CryptoError
from ..spec import layout as L
from ..spec.buffers import Buffer, SegmentReader, SegmentWriter, Truncated
from ..spec.constants import (
    ALL_STATELESS,
    CREATE_SESSION_INPUT_SIZE,
    FLAG_SESSION_MODE,
    STATELESS_FEATURE,
    Feature,
    Service,
    Status,
)
from ..spec.params import SessionParams
from ..spec.requests import (
    CreateSession,
    DecodeError,
    decode_ctrl,
    decode_data,
    read_ctrl_header,
    read_data_header,
)
from .config import Algorithms, DeviceConfig
from .errors import DeviceError, FeatureError, status_of
from .execute import execute
from .fast_path import cipher_fast_path, control_fast_path
from .sessions import SessionTable, build_session

log = logging.getLogger(__name__)

_DATA_SERVICES = frozenset({Service.CIPHER, Service.HASH, Service.MAC, Service.AEAD, Service.AKCIPHER})


class CryptoDevice:
    """One virtio-crypto device instance (device ID 20)."""

    def __init__(self, config: DeviceConfig | None = None) -> None:
        self.config = config or DeviceConfig()
        self.algorithms = Algorithms.for_services(self.config.services)
        self._config_space = self.algorithms.config_space(self.config).encode()
        self.sessions = SessionTable(self.config.max_sessions)
        self._set_features(Feature(0))

    # --- virtio device surface --------------------------------------------------------------------

    @property
    def num_queues(self) -> int:
        return self.config.max_dataqueues + 1

    @property
    def control_queue(self) -> int:
        """The control queue follows the data queues."""
        return self.config.max_dataqueues

    @property
    def device_features(self) -> Feature:
        """Device-specific feature bits offered to the driver."""
        return self.config.features

    @property
    def revision_1(self) -> bool:
        return self._revision_1

    def config_space(self) -> bytes:
        """``struct virtio_crypto_config`` as the driver reads it."""
        return self._config_space

    def set_driver_features(self, features: int) -> None:
        """Accept the driver's device-specific feature bits, or refuse a set the spec forbids."""
        features = int(features)
        unknown = features & ~int(self.config.features)
        if unknown:
            raise FeatureError(f"feature bits {unknown:#x} were not offered")
        if features & ALL_STATELESS and not features & Feature.REVISION_1:
            raise FeatureError("a stateless mode feature bit requires VIRTIO_CRYPTO_F_REVISION_1")
        self._set_features(Feature(features))
        log.info("driver features negotiated: %s", self.driver_features)

    def reset(self) -> None:
        """Device reset: sessions and negotiated features are gone."""
        self.sessions.clear()
        self._set_features(Feature(0))

    def _set_features(self, features: Feature) -> None:
        """Record the negotiated bits, and what the hot path needs of them as plain values."""
        self.driver_features = features
        self._revision_1 = bool(features & Feature.REVISION_1)
        # services whose stateless bit is negotiated
        self._stateless = frozenset(int(s) for s, bit in STATELESS_FEATURE.items() if features & bit)
        self._control_index = self.config.max_dataqueues
        self._fast_data = cipher_fast_path(
            self.sessions.by_id, self.config.max_dataqueues, self._revision_1, self.config.max_size
        )
        self._fast_control = control_fast_path(self.create_session, self.destroy_session, self._revision_1)

    # --- sessions for transports that parse session messages themselves ---------------------------

    def create_session(self, params: SessionParams) -> int:
        """Create a session; ``DeviceError`` carries the status when it is refused."""
        session = build_session(params, self.algorithms, self.config)
        session_id = self.sessions.add(session)
        if session_id is None:
            status = Status.NOSPC if self.revision_1 else Status.ERR
            raise DeviceError(status, f"session table full ({self.sessions.limit})")
        if log.isEnabledFor(logging.DEBUG):
            log.debug("session %d created: %s", session_id, _describe(params))
        return session_id

    def install_session(self, session_id: int, params: SessionParams) -> None:
        """Build ``params`` into a session under ``session_id``, chosen by another copy of this device
        (a worker process serving data queues); ``DeviceError`` if they are refused."""
        self.sessions.insert(session_id, build_session(params, self.algorithms, self.config))

    def destroy_session(self, session_id: int, service: Service | None = None) -> Status:
        """Destroy a session (of ``service`` if given): OK, or ERR if there is no such session."""
        session = self.sessions.get(session_id)
        if session is None or not self.sessions.remove(session_id, service or session.service):
            log.debug("destroy of unknown session %d", session_id)
            return Status.ERR
        log.debug("session %d destroyed", session_id)
        return Status.OK

    # --- the chain-level entry point --------------------------------------------------------------

    def process(self, queue: int, readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int:
        """Execute one descriptor chain on ``queue``; returns the used length (bytes written).

        ``readable`` are the device-readable segments in chain order, ``writable`` the
        device-writable ones (writable buffers, e.g. memoryviews of guest memory): results are
        written straight into them.
        """
        try:
            # the common request shapes (see fast_path.py), else None
            if queue == self._control_index:
                used = self._fast_control(readable, writable)
            else:
                used = self._fast_data(queue, readable, writable)
            if used is None:
                used = self._process(queue, readable, writable)
            return used
        except Exception:  # unreachable by design; a guest must never be able to stop the device
            log.exception("internal error while processing a chain on queue %d", queue)
            return 0

    def _process(self, queue: int, readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int:
        out = SegmentWriter(writable)
        if queue == self.control_queue:
            return self._control(SegmentReader(readable), out)
        if not 0 <= queue < self.config.max_dataqueues:
            log.warning("request on queue %d, which does not exist", queue)
            return 0
        if not out.capacity:
            log.warning("data request without a writable status byte: dropped")
            return 0
        status = self._data(SegmentReader(readable), out)
        out.put_last(status)
        if status != Status.OK:
            return 1
        return out.written + 1

    # --- control queue ----------------------------------------------------------------------------

    def _control(self, reader: SegmentReader, out: SegmentWriter) -> int:
        try:
            opcode = read_ctrl_header(reader)
            request = decode_ctrl(opcode, reader, self.revision_1)
        except (Truncated, DecodeError) as exc:
            status = getattr(exc, "status", Status.ERR)
            log.debug("control request refused (%s): %s", status.name, exc)
            return self._control_outcome(out, status, None, create=out.capacity >= CREATE_SESSION_INPUT_SIZE)
        if isinstance(request, CreateSession):
            if out.capacity < CREATE_SESSION_INPUT_SIZE:
                log.warning("create-session request without room for its outcome: dropped")
                return 0
            try:
                session_id = self.create_session(request.params)
            except DeviceError as exc:
                log.debug("create session refused (%s): %s", exc.status.name, exc)
                return self._control_outcome(out, exc.status, None, create=True)
            return self._control_outcome(out, Status.OK, session_id, create=True)
        status = self.destroy_session(request.session_id, request.service)
        return self._control_outcome(out, status, None, create=False)

    @staticmethod
    def _control_outcome(out: SegmentWriter, status: Status, session_id: int | None, *, create: bool) -> int:
        """Write ``virtio_crypto_create_session_input`` or the destroy outcome's status byte."""
        if create:
            out.write(L.CREATE_SESSION_INPUT.pack(session_id or 0, status, 0))
        elif out.capacity:
            out.write(bytes((status,)))
        return out.written

    # --- data queues ------------------------------------------------------------------------------

    def _data(self, reader: SegmentReader, out: SegmentWriter) -> Status:
        try:
            header = read_data_header(reader)
            service = header.service
            if service not in _DATA_SERVICES:
                raise DeviceError(Status.NOTSUPP, f"data opcode {header.opcode:#06x} not supported")
            stateless = False
            if self._revision_1 and not header.flag & FLAG_SESSION_MODE:
                if service not in self._stateless:
                    raise DeviceError(Status.NOTSUPP, f"stateless request for {Service(service).name}")
                stateless = True
            request = decode_data(header, reader, self._revision_1, stateless)
            if request.vlf_len > self.config.max_size:
                raise DeviceError(Status.ERR, f"request of {request.vlf_len} bytes exceeds max_size")
            if request.out_len + 1 > out.capacity:
                raise DeviceError(Status.ERR, f"{request.out_len} output bytes, {out.capacity} writable")
            if stateless:
                session = build_session(request.params, self.algorithms, self.config)  # type: ignore[arg-type]
            else:
                found = self.sessions.get(header.session_id)
                if found is None or found.service != service:
                    raise DeviceError(
                        Status.INVSESS, f"no {Service(service).name} session {header.session_id}"
                    )
                session = found
            execute(session, header.opcode, request, out)
        except DeviceError as exc:
            log.debug("data request refused (%s): %s", exc.status.name, exc)
            return exc.status
        except DecodeError as exc:
            log.debug("data request refused (%s): %s", exc.status.name, exc)
            return exc.status
        except Truncated as exc:
            log.debug("data request refused (ERR): %s", exc)
            return Status.ERR
        except CryptoError as exc:
            status = status_of(exc)
            log.debug("data request failed (%s): %s", status.name, exc)
            return status
        except Exception:  # a bug of ours must not take the device down: answer ERR, keep serving
            log.exception("internal error while executing a data request")
            return Status.ERR
        return Status.OK


def _describe(params: SessionParams) -> str:
    return type(params).__name__.removesuffix("Params") + f"(algo={getattr(params, 'algo', '-')})"
