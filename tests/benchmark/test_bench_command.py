"""``vcrypto bench`` against our own Server (a thread on a temporary socket) in both modes and both
ring formats: its lines are parsed and must be sane, the PNG is a real PNG, the JSON agrees with the
lines, a backend that answers wrongly gets no figure (exit 1), bad options get one line (exit 2)."""

from __future__ import annotations

import json
import struct

import pytest

from vcrypto.cli.main import main
from vcrypto.device import CryptoDevice, DeviceConfig
from vcrypto.vhost_user.protocol import Mode

from ..vhost_user.serving import serving

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIELDS = ("algorithm", "size", "ops", "mb", "p50", "p99", "openssl_mb", "ratio", "fe_cpu")


def bench(capsys, path: str, *args: str) -> tuple[int, list[dict[str, float | str]], list[str], str]:
    """Run the command; (exit status, the parsed result rows, the other stdout lines, stderr)."""
    status = main(["bench", "--socket-path", path, *args])
    captured = capsys.readouterr()
    rows: list[dict[str, float | str]] = []
    other: list[str] = []
    for line in captured.out.splitlines():
        fields = line.split()
        if len(fields) == len(FIELDS) and fields[0] != "algorithm" and not line.startswith("#"):
            rows.append(
                {"algorithm": fields[0], **{k: float(v) for k, v in zip(FIELDS[1:], fields[1:], strict=True)}}
            )
        else:
            other.append(line)
    return status, rows, other, captured.err


def assert_sane(rows, algorithms: list[str], sizes: list[int]) -> None:
    assert [(r["algorithm"], int(r["size"])) for r in rows] == [(a, s) for a in algorithms for s in sizes]
    for row in rows:
        assert row["ops"] > 0 and row["mb"] > 0 and row["openssl_mb"] > 0
        assert 0 < row["p50"] <= row["p99"]
        assert row["mb"] == pytest.approx(row["ops"] * row["size"] / 1e6, rel=1e-3, abs=0.01)
        assert row["ratio"] == pytest.approx(row["mb"] / row["openssl_mb"], rel=0.01, abs=1e-4)
        assert 0 < row["fe_cpu"] <= 2.5  # this process: at most its threads on 2 cores, plus rounding


@pytest.mark.parametrize("packed", [False, True], ids=["split", "packed"])
def test_full_mode_every_service_and_session_pairs(tmp_path, capsys, packed):
    algorithms = ["aes-128-cbc", "aes-256-ctr", "aes-128-gcm", "sha256", "hmac-sha256"]
    with serving(tmp_path, Mode.FULL) as served:
        status, rows, other, err = bench(
            capsys, served.path, "--mode", "full", "--algos", ",".join(algorithms), "--sizes", "64,1024",
            "--depth", "8", "--count", "200", *(["--packed"] if packed else []),
        )  # fmt: skip
    assert status == 0, err
    assert_sane(rows, algorithms, [64, 1024])
    pairs = [line for line in other if line.startswith("session_pairs/s ")]
    assert len(pairs) == 1 and float(pairs[0].split()[1]) > 0
    assert "200 pairs" in pairs[0]


def test_cryptodev_mode_two_queues_png_and_json(tmp_path, capsys):
    png, report = tmp_path / "bench.png", tmp_path / "bench.json"
    with serving(tmp_path, Mode.CRYPTODEV, queues=2) as served:
        status, rows, other, err = bench(
            capsys, served.path, "--mode", "cryptodev", "--queues", "2", "--algos", "aes-128-cbc,aes-128-xts",
            "--sizes", "64,16384", "--depth", "4", "--count", "150", "--png", str(png), "--json", str(report),
        )  # fmt: skip
    assert status == 0, err
    assert_sane(rows, ["aes-128-cbc", "aes-128-xts"], [64, 16384])
    assert not any(line.startswith("session_pairs/s") for line in other)  # QEMU keeps the control queue
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 400 and height >= 300 and len(data) > 10_000
    figures = json.loads(report.read_text())
    assert figures["settings"]["mode"] == "cryptodev" and figures["settings"]["queues"] == 2
    assert figures["session_pairs"] is None
    assert len(figures["cases"]) == len(rows)
    for case, row in zip(figures["cases"], rows, strict=True):
        assert (case["algorithm"], case["size"]) == (row["algorithm"], row["size"])
        assert case["requests"] == 150  # two queues of 75
        assert case["ops_per_s"] == pytest.approx(row["ops"], abs=0.1)
        assert case["latency"]["p50_us"] <= case["latency"]["p90_us"] <= case["latency"]["p99_us"]
        assert case["ratio"] == pytest.approx(case["ops_per_s"] / case["openssl_ops_per_s"])


def test_seconds_bound_the_timed_part(tmp_path, capsys):
    with serving(tmp_path, Mode.FULL) as served:
        status, rows, other, err = bench(
            capsys, served.path, "--sizes", "64", "--depth", "4", "--seconds", "0.2"
        )
    assert status == 0, err
    assert_sane(rows, ["aes-128-cbc"], [64])
    assert any(line.startswith("session_pairs/s") for line in other)


class WrongDevice(CryptoDevice):
    """Flips the first output byte of every data request: a backend with a wrong answer."""

    def process(self, queue, readable, writable) -> int:
        used = super().process(queue, readable, writable)
        if queue != self.control_queue and used > 1:
            writable[0][0] ^= 1
        return used


def test_a_wrong_backend_gets_no_figure(tmp_path, capsys):
    with serving(tmp_path, Mode.FULL, factory=lambda: WrongDevice(DeviceConfig(max_dataqueues=1))) as served:
        status, rows, _other, err = bench(capsys, served.path, "--sizes", "64", "--count", "50")
    assert status == 1 and not rows
    assert err.count("\n") == 1
    assert "aes-128-cbc 64 B, queue 0 slot 0: the backend's output differs from OpenSSL's from byte 0" in err


def test_too_few_queues_and_no_backend(tmp_path, capsys):
    with serving(tmp_path, Mode.FULL) as served:
        status, rows, _other, err = bench(capsys, served.path, "--queues", "2", "--count", "10")
    assert status == 2 and not rows
    assert err.count("\n") == 1 and "2 data queues asked, the backend has 1" in err
    status, _rows, _other, err = bench(capsys, str(tmp_path / "nothing.sock"), "--count", "10")
    assert status == 2 and err.count("\n") == 1 and "cannot reach a backend" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "fast"], "--mode must be"),
        (["--algos", "rot13"], "unknown algorithm 'rot13'"),
        (["--mode", "cryptodev", "--algos", "sha256"], "cipher sessions only"),
        (["--sizes", "64,abc"], "--sizes must be a whole number"),
        (["--sizes", "100"], "multiple of 16"),
        (["--depth", "0"], "--depth must be between"),
        (["--queues", "x"], "--queues must be a whole number"),
        (["--seconds", "1", "--count", "5"], "not both"),
        (["--seconds", "0"], "--seconds must be above 0"),
        (["--count", "-3"], "--count must be between"),
        (["--png", "/nonexistent/dir/x.png"], "--png: directory /nonexistent/dir"),
        (["--json", "/nonexistent/dir/x.json"], "--json: directory /nonexistent/dir"),
    ],
)
def test_bad_options_one_line_exit_2(tmp_path, capsys, args, message):
    status, rows, other, err = bench(capsys, str(tmp_path / "unused.sock"), *args)
    assert status == 2 and not rows and other == []
    assert err.count("\n") == 1 and err.startswith("vcrypto: error: ") and message in err


def test_socket_path_required(capsys):
    assert main(["bench"]) == 2
    err = capsys.readouterr().err
    assert err == "vcrypto: error: --socket-path is required\n"
