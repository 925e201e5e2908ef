"""``vcrypto check`` catches deliberately broken backends: exit status 1 and the right requirement FAILs.

Each sabotaged device is our ``CryptoDevice`` with one behaviour broken, served by our ``Server`` in
full mode; everything else about it stays conformant, so the FAIL lines name exactly the broken rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from vcrypto.cli.main import main
from vcrypto.device import CryptoDevice
from vcrypto.spec import layout as L
from vcrypto.spec.buffers import Buffer
from vcrypto.spec.constants import CipherAlgo, Opcode, Status
from vcrypto.spec.params import CipherParams
from vcrypto.vhost_user.protocol import Mode


class CorruptAesCbc(CryptoDevice):
    """Flips the first output byte of every AES-CBC encryption."""

    def process(self, queue: int, readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int:
        used = super().process(queue, readable, writable)
        head = b"".join(bytes(segment) for segment in readable)[: L.OP_HEADER.size]
        if queue == self.control_queue or len(head) < L.OP_HEADER.size or used < 2:
            return used
        opcode, algo, session_id, _flag, _ = L.OP_HEADER.unpack(head)
        session = self.sessions.get(session_id)
        params = getattr(session, "params", None)
        aes_cbc = algo == CipherAlgo.AES_CBC or (
            isinstance(params, CipherParams) and params.algo == CipherAlgo.AES_CBC
        )
        if opcode == Opcode.CIPHER_ENCRYPT and aes_cbc:
            first = memoryview(writable[0]).cast("B")
            first[0] ^= 0x01
        return used


class InvsessAnsweredOk(CryptoDevice):
    """Answers OK where the spec says INVSESS."""

    def process(self, queue: int, readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int:
        used = super().process(queue, readable, writable)
        if used and queue != self.control_queue:
            last = memoryview(writable[-1]).cast("B")
            if last[-1] == Status.INVSESS:
                last[-1] = Status.OK
        return used


class TruncatedAnsweredOk(CryptoDevice):
    """Answers OK to a data request shorter than its header."""

    def process(self, queue: int, readable: Sequence[Buffer], writable: Sequence[Buffer]) -> int:
        used = super().process(queue, readable, writable)
        if used and sum(memoryview(segment).nbytes for segment in readable) < L.OP_HEADER.size:
            last = memoryview(writable[-1]).cast("B")
            last[-1] = Status.OK
        return used


class AcceptsStatelessAlone(CryptoDevice):
    """Accepts a stateless mode bit without REVISION_1."""

    def set_driver_features(self, features: int) -> None:
        self._set_features(type(self.driver_features)(int(features)))


@pytest.mark.parametrize(
    "device, failing",
    [
        pytest.param(
            CorruptAesCbc,
            [
                "cipher.known-answer[AES_CBC]",
                "cipher.round-trip[AES_CBC]",
                "cipher.chaining[AES_CBC+HMAC_SHA_256]",
                "cipher.chaining[AES_CBC+SHA_256]",
            ],
            id="aes-cbc",
        ),
        pytest.param(InvsessAnsweredOk, ["status.invsess"], id="invsess"),
        pytest.param(TruncatedAnsweredOk, ["chain.truncated-header"], id="truncated-ok"),
        pytest.param(AcceptsStatelessAlone, ["features.stateless-needs-revision-1"], id="stateless"),
    ],
)
def test_sabotage_is_reported(serve, capsys, device: type[CryptoDevice], failing: list[str]) -> None:
    status = main(["check", "--socket-path", serve(Mode.FULL, device), "--mode", "full"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    failed = {line.split()[1]: line for line in lines if line.startswith("FAIL")}
    assert set(failed) == set(failing), "\n".join(failed.values())
    assert lines[-1].endswith(f"{len(failing)} failed, 9 skipped")
