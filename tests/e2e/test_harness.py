"""The e2e harness's own console parser and command encoding (no QEMU needed, runs in the fast suite)."""

from __future__ import annotations

import base64

import pytest

from .guest import GuestResult, compare_command, encode_commands, parse_console, reload_commands

CONSOLE = """\
SeaBIOS (version 1.16.2-debian-1.16.2-1)\r
@@VC BOOT release=6.1.0-56-amd64 uptime=2.74\r
@@VC MODULE name=virtio_ring rc=0\r
@@VC MODULE name=virtio_crypto rc=0\r
[    3.210133] alg: akcipher: encrypt test failed. err -22\r
@@VC PROC-CRYPTO-BEGIN\r
name         : rsa\r
driver       : virtio-crypto-rsa\r
selftest     : unknown\r
type         : akcipher\r
\r
name         : cbc(aes)\r
driver       : virtio_crypto_aes_cbc\r
module       : virtio_crypto\r
selftest     : passed\r
type         : skcipher\r
\r
@@VC PROC-CRYPTO-END\r
@@VC READY uptime=3.39\r
@@VC CMD-BEGIN 1 probe compare 2 7 -p 2\r
compare[1]: mismatch case=0 op=encrypt keylen=24 len=256 first_diff=128\r
compare[0]: coverage keylen16=1 keylen24=0 keylen32=1 multipage=1 longest=16384\r
compare[0]: 2 cases, 0 mismatches, 0 errors, seed=7, seconds=0.06\r
[    4.000000] some kernel line\r
compare[1]: coverage keylen16=0 keylen24=2 keylen32=0 multipage=0 longest=256\r
compare[1]: 2 cases, 1 mismatches, 0 errors, seed=8, seconds=0.08\r
compare: 4 cases, 1 mismatches, 0 errors, procs=2, driver=virtio_crypto_aes_cbc, ref=cbc(aes-generic), \
seconds=0.10\r
@@VC CMD-END 1 rc=1 seconds=0.12\r
@@VC CMD-BEGIN 2 reload_virtio_crypto\r
@@VC CMD-END 2 rc=0 seconds=0.20\r
@@VC CMD-BEGIN 3 proc_crypto\r
@@VC PROC-CRYPTO-BEGIN\r
name         : cbc(aes)\r
driver       : virtio_crypto_aes_cbc\r
selftest     : failed\r
\r
@@VC PROC-CRYPTO-END\r
@@VC CMD-END 3 rc=0 seconds=0.03\r
@@VC CMD-BEGIN 4 probe bench 64 1 -p 2\r
bench[0]: driver=virtio_crypto_aes_cbc size=64 ops=100 seconds=1.000 ops_per_sec=100.0 errors=0\r
bench[1]: driver=virtio_crypto_aes_cbc size=64 ops=50 seconds=1.000 ops_per_sec=50.0 errors=0\r
bench: driver=virtio_crypto_aes_cbc size=64 procs=2 ops=150 seconds=1.000 ops_per_sec=150.0 errors=0\r
@@VC CMD-END 4 rc=0 seconds=1.05\r
@@VC CMD-BEGIN 5 probe compare 100 1\r
compare[0]: 3 cases, 0 mismatches, 0 errors, seed=1, seconds=0.06\r
"""


def _result() -> GuestResult:
    result = GuestResult(
        log=CONSOLE,
        qemu_output="",
        returncode=None,
        timed_out=True,
        completed=False,
        wall_seconds=1.0,
        ready_seconds=0.5,
        guest_uptime_ready=None,
    )
    parse_console(CONSOLE, result)
    return result


def test_boot_section() -> None:
    result = _result()
    assert result.modules == {"virtio_ring": "0", "virtio_crypto": "0"}
    assert result.guest_uptime_ready == pytest.approx(3.39)
    assert result.selftest() == "passed"
    assert result.selftest("virtio-crypto-rsa") == "unknown"
    assert result.selftest("nope") is None
    assert not result.completed


def test_compare_and_bench_lines() -> None:
    result = _result()
    first = result.commands[0]
    assert first.rc == 1
    assert len(first.compares) == 1
    summary = first.compares[0]
    assert (summary.cases, summary.mismatches, summary.errors, summary.procs) == (4, 1, 0, 2)
    assert not summary.clean
    assert [p.seed for p in summary.processes] == [7, 8]
    assert summary.coverage_total("multipage") == 1
    assert summary.coverage_total("keylen24") == 2
    assert summary.details == ["compare[1]: mismatch case=0 op=encrypt keylen=24 len=256 first_diff=128"]
    (bench,) = result.benches
    assert (bench.size, bench.procs, bench.ops, bench.ops_per_sec) == (64, 2, 150, 150.0)
    assert [p.ops for p in bench.processes] == [100, 50]


def test_snapshots_and_unfinished_command() -> None:
    result = _result()
    reload_snapshot = result.command("proc_crypto").proc_crypto[0]
    assert result.alg("virtio_crypto_aes_cbc", reload_snapshot).selftest == "failed"  # type: ignore[union-attr]
    assert len(result.proc_crypto_snapshots) == 2
    last = result.commands[-1]
    assert last.rc is None and last.seconds is None
    assert last.compares == []  # the process summary alone is no total


def test_encode_commands() -> None:
    commands = [compare_command(64, 5, procs=4), *reload_commands(8, 9)]
    decoded = base64.b64decode(encode_commands(commands)).decode()
    assert decoded.splitlines() == commands
    assert "-d virtio_crypto_aes_cbc -r 'cbc(aes-generic)'" in commands[0]
    with pytest.raises(ValueError):
        encode_commands(["echo a\necho b"])
    with pytest.raises(ValueError):
        encode_commands(["echo " + "x" * 2000])
