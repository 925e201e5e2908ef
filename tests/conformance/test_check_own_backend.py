"""``vcrypto check`` against our own backend: no FAIL in either mode, and what each mode can check."""

from __future__ import annotations

import pytest

from vcrypto.cli.main import main
from vcrypto.conformance import CATALOGUE
from vcrypto.vhost_user.protocol import Mode


def check(capsys, path: str, *args: str) -> tuple[int, list[str]]:
    status = main(["check", "--socket-path", path, *args])
    return status, capsys.readouterr().out.splitlines()


def outcomes(lines: list[str]) -> dict[str, str]:
    """``{id[subject]: PASS|FAIL|SKIP}`` from the result lines."""
    return {line.split()[1]: line.split()[0] for line in lines if line[:4] in ("PASS", "FAIL", "SKIP")}


def test_full_mode_passes_everything_it_checks(serve, capsys) -> None:
    status, lines = check(capsys, serve(Mode.FULL), "--mode", "full")
    results = outcomes(lines)
    assert status == 0, "\n".join(lines)
    assert "FAIL" not in results.values()
    # every requirement of the catalogue is reported, and all but the per-algorithm SKIPs pass
    assert {label.split("[")[0] for label in results} == set(CATALOGUE)
    skipped = {label for label, outcome in results.items() if outcome == "SKIP"}
    assert all(label.split("[")[0] in ("cipher.round-trip", "mac.round-trip") for label in skipped), skipped
    for label in (
        "config.key-lengths", "features.stateless-needs-revision-1", "cipher.known-answer[AES_CBC]",
        "cipher.known-answer[ZUC_EEA3]", "cipher.chaining[AES_CBC+HMAC_SHA_256]",
        "hash.round-trip[SHA3_SHAKE256]",
        "mac.known-answer[KASUMI_F9]", "aead.round-trip[CHACHA20_POLY1305]", "akcipher.round-trip[ECDSA]",
        "status.badmsg", "status.key-rejected", "status.nospc", "chain.loop", "chain.over-max-size",
    ):  # fmt: skip
        assert results[label] == "PASS", label
    # SKIPs say why: an algorithm without a reference is never reported as passing
    assert (
        "SKIP  cipher.round-trip[ZUC_EEA3]  cipher random round trip: no reference implementation"
        in "\n".join(lines)
    )
    assert lines[-1].endswith(f"{len(results) - len(skipped)} passed, 0 failed, {len(skipped)} skipped")


@pytest.mark.parametrize("layout", ["632", "1072"])
def test_cryptodev_mode_passes_and_skips_what_qemu_keeps(serve, capsys, layout: str) -> None:
    status, lines = check(capsys, serve(Mode.CRYPTODEV), "--mode", "cryptodev", "--session-layout", layout)
    results = outcomes(lines)
    assert status == 0, "\n".join(lines)
    assert "FAIL" not in results.values()
    assert results["cipher.known-answer[AES_CBC]"] == results["cipher.round-trip[AES_CBC]"] == "PASS"
    assert results["cipher.chaining[AES_CBC+SHA1]"] == "PASS"
    assert results["status.invsess"] == results["status.err-key"] == results["chain.beyond-buffers"] == "PASS"
    assert results["config.hw-ready"] == results["features.stateless-needs-revision-1"] == "SKIP"
    assert results["hash.known-answer[SHA1]"] == "SKIP"  # QEMU answers HASH sessions itself
    assert results["status.nospc"] == results["chain.over-max-size"] == "SKIP"
    if layout == "1072":  # QEMU 8.1+ forwards RSA sessions
        assert results["akcipher.known-answer[RSA]"] == results["status.key-rejected"] == "PASS"
    else:
        assert "akcipher.known-answer[RSA]" not in results


def test_usage_errors_exit_2(tmp_path, capsys) -> None:
    assert main(["check"]) == 2
    assert main(["check", "--socket-path", str(tmp_path / "none.sock")]) == 2
    assert "cannot reach a backend" in capsys.readouterr().err
    assert main(["check", "--socket-path", "x", "--mode", "half"]) == 2
    assert main(["check", "--socket-path", "x", "--session-layout", "700"]) == 2
    assert main(["check", "--socket-path", "x", "--timeout", "soon"]) == 2


def test_list_names_every_requirement(capsys) -> None:
    assert main(["check", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(CATALOGUE)
