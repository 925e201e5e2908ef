"""The listening socket's life cycle, and ``vcrypto serve`` as a user runs it."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

from vcrypto.cli.main import main
from vcrypto.cli.serve import device_factory
from vcrypto.spec.config import CONFIG_SIZE
from vcrypto.vhost_user.protocol import CONFIG_HEADER, Mode, ProtocolFeature, Request
from vcrypto.vhost_user.server import ServeError, Server

from .frontend import FakeDevice, Frontend


def test_stale_socket_is_replaced_and_removed_on_close(tmp_path):
    path = str(tmp_path / "s.sock")
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)
    dead.close()  # the file stays, nobody listens: a backend that died
    server = Server(path, 1, FakeDevice)
    server.bind()
    assert os.path.exists(path)
    server.close()
    assert not os.path.exists(path)


def test_a_non_socket_is_never_removed(tmp_path):
    path = tmp_path / "file"
    path.write_text("precious")
    with pytest.raises(ServeError, match="not a socket"):
        Server(str(path), 1, FakeDevice).bind()
    assert path.read_text() == "precious"


def test_a_live_backend_is_not_taken_over(tmp_path):
    path = str(tmp_path / "s.sock")
    first = Server(path, 1, FakeDevice)
    first.bind()
    with pytest.raises(ServeError, match="another backend"):
        Server(path, 1, FakeDevice).bind()
    first.close()


def test_close_leaves_a_socket_that_is_no_longer_ours(tmp_path):
    path = str(tmp_path / "s.sock")
    server = Server(path, 1, FakeDevice)
    server.bind()
    os.unlink(path)
    other = socket.socket(socket.AF_UNIX)
    other.bind(path)
    server.close()
    assert os.path.exists(path)
    other.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--queues", "0"], "between 1 and 65535"),
        (["--queues", "65536"], "between 1 and 65535"),
        (["--queues", "two"], "must be a number"),
        (["--socket-path", "/nonexistent-dir/vc.sock"], "does not exist"),
        (["--socket-path", "/etc/hostname"], "not a socket"),
        (["--socket-path", "/tmp/" + "x" * 120], "longer than"),
        (["--socket-path", "/proc/vc.sock"], "/proc"),  # no socket can live there, even for root
    ],
)
def test_bad_options_are_one_line_errors(capsys, tmp_path, argv, message):
    args = ["serve", "--socket-path", str(tmp_path / "vc.sock"), *argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and err.startswith("vcrypto: error: ")


def test_unwritable_directory(capsys, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    directory = tmp_path / "ro"
    directory.mkdir(mode=0o500)
    assert main(["serve", "--socket-path", str(directory / "vc.sock")]) == 2
    assert "not writable" in capsys.readouterr().err


def wait_for_socket(path: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "vcrypto serve did not listen"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_command_serves_vm_after_vm_and_stops_cleanly(tmp_path, signum):
    path = str(tmp_path / "vc.sock")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vcrypto.cli.main", "-v", "serve", "--socket-path", path, "--queues", "2"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_socket(path, proc)
        for _vm in range(2):
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(path)
            fe = Frontend(sock)
            fe.handshake(queues=2)
            assert fe.get_u64(Request.GET_QUEUE_NUM) == 2
            fe.close()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert not os.path.exists(path)
    assert err.count("connected (pid") == 2
    assert "Traceback" not in err


def test_bad_mode_is_a_one_line_error(capsys, tmp_path):
    assert main(["serve", "--socket-path", str(tmp_path / "vc.sock"), "--mode", "whole"]) == 2
    err = capsys.readouterr().err
    assert err == "vcrypto: error: --mode must be cryptodev or full, not 'whole'\n"


def test_serve_command_in_full_mode_is_the_whole_device(tmp_path):
    path = str(tmp_path / "vc.sock")
    argv = ["-v", "serve", "--socket-path", path, "--queues", "2", "--mode", "full"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vcrypto.cli.main", *argv], stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_socket(path, proc)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        fe = Frontend(sock)
        assert fe.get_u64(Request.GET_FEATURES) & 0x3F == 0x3F  # REVISION_1 and the stateless bits
        offered = ProtocolFeature(fe.get_u64(Request.GET_PROTOCOL_FEATURES))
        assert offered & ProtocolFeature.CONFIG and not offered & ProtocolFeature.CRYPTO_SESSION
        assert fe.get_u64(Request.GET_QUEUE_NUM) == 3  # two data queues and the control queue
        body = fe.call_reply(Request.GET_CONFIG, CONFIG_HEADER.pack(0, CONFIG_SIZE, 0) + bytes(CONFIG_SIZE))
        space = body[CONFIG_HEADER.size :]
        assert struct.unpack_from("<II", space) == (1, 2)  # HW_READY, max_dataqueues
        assert space == device_factory(2, Mode.FULL).config_space()
        fe.close()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "full mode" in err and "Traceback" not in err
