"""The Debian 12 Linux guest driver (virtio_crypto) against ``vcrypto serve`` through QEMU's
cryptodev-vhost-user: two boots of the test guest per run, several checks each.

VM 1: the driver's self-test of ``cbc(aes)`` passes; 4 guest processes compare 256 random AES-CBC cases
(16/24/32-byte keys, random IVs, lengths up to 64 KiB) between ``virtio_crypto_aes_cbc`` and
``cbc(aes-generic)``; the driver is unloaded and loaded again (device reset and re-initialisation), its
self-test passes again and another compare is clean. VM 2, after VM 1 has exited: the same ``vcrypto serve``
process serves a second VM.

Runtime (TCG, no KVM): each boot reaches "ready" in about 4-5 s; with QEMU's builtin backend both VMs take
about 12 s in all. The timeouts bound a hanging backend to 4 minutes. Reproduce a run's random cases with
VCRYPTO_E2E_SEED; see the backend's debug log with VCRYPTO_CMD='.venv/bin/python -m vcrypto.cli.main -vv'.
"""

from __future__ import annotations

import pytest

from .guest import (
    VIRTIO_AES_CBC,
    CompareSummary,
    GuestImage,
    GuestResult,
    VcryptoServer,
    boot_guest,
    compare_command,
    reload_commands,
)

pytestmark = pytest.mark.e2e

FIRST_VM_TIMEOUT = 150.0
SECOND_VM_TIMEOUT = 90.0
PROCS = 4
CASES_PER_PROC = 64  # 256 in all
RELOAD_CASES_PER_PROC = 24


def _context(result: GuestResult, server: VcryptoServer, seed: int) -> str:
    server_log = "\n".join(server.log().splitlines()[-40:])
    return (
        f"seed={seed} (VCRYPTO_E2E_SEED)\n{result.describe()}\n"
        f"--- vcrypto serve (alive={server.alive()}, last 40 lines) ---\n{server_log}"
    )


@pytest.fixture(scope="module")
def first_vm(guest_image: GuestImage, vcrypto_backend: VcryptoServer, e2e_seed: int) -> GuestResult:
    commands = [
        compare_command(CASES_PER_PROC, e2e_seed, procs=PROCS),
        *reload_commands(RELOAD_CASES_PER_PROC, e2e_seed + 1000, procs=2),
    ]
    return boot_guest(commands, vcrypto_backend.socket_path, FIRST_VM_TIMEOUT, image=guest_image)


@pytest.fixture(scope="module")
def second_vm(
    first_vm: GuestResult, guest_image: GuestImage, vcrypto_backend: VcryptoServer, e2e_seed: int
) -> GuestResult:
    """Booted only after the first VM's QEMU has exited (``first_vm`` waits for that)."""
    assert vcrypto_backend.alive(), _context(first_vm, vcrypto_backend, e2e_seed)
    commands = [compare_command(16, e2e_seed + 2000, procs=2)]
    return boot_guest(commands, vcrypto_backend.socket_path, SECOND_VM_TIMEOUT, image=guest_image)


def _assert_clean(summary: CompareSummary, min_cases: int, context: str) -> None:
    assert not summary.incomplete, f"a compare process did not finish\n{context}"
    assert summary.cases >= min_cases, context
    assert summary.errors == 0, f"requests failed: {summary.details}\n{context}"
    assert summary.mismatches == 0, f"outputs differ from cbc(aes-generic): {summary.details}\n{context}"


def test_first_vm_ran_every_command(
    first_vm: GuestResult, vcrypto_backend: VcryptoServer, e2e_seed: int
) -> None:
    context = _context(first_vm, vcrypto_backend, e2e_seed)
    assert not first_vm.timed_out, context
    assert first_vm.completed, context
    assert first_vm.modules.get("virtio_crypto") in ("0", "builtin"), context
    assert [cmd.rc for cmd in first_vm.commands] == [0] * len(first_vm.commands), context


def test_selftest_passed(first_vm: GuestResult, vcrypto_backend: VcryptoServer, e2e_seed: int) -> None:
    context = _context(first_vm, vcrypto_backend, e2e_seed)
    alg = first_vm.alg(VIRTIO_AES_CBC)
    assert alg is not None, f"{VIRTIO_AES_CBC} not registered (HW_READY? services?)\n{context}"
    assert alg.name == "cbc(aes)", context
    assert alg.type == "skcipher", context
    assert alg.selftest == "passed", context


def test_compare_random_cases_4_processes(
    first_vm: GuestResult, vcrypto_backend: VcryptoServer, e2e_seed: int
) -> None:
    context = _context(first_vm, vcrypto_backend, e2e_seed)
    compares = first_vm.command("probe compare").compares
    assert len(compares) == 1, context
    summary = compares[0]
    assert summary.procs == PROCS, context
    assert len(summary.processes) == PROCS, context
    _assert_clean(summary, PROCS * CASES_PER_PROC, context)
    for key in ("keylen16", "keylen24", "keylen32", "multipage"):
        assert summary.coverage_total(key) > 0, f"no case with {key}\n{context}"
    assert max(p.coverage.get("longest", 0) for p in summary.processes) >= 16384, context


def test_reload_driver_selftest_and_compare(
    first_vm: GuestResult, vcrypto_backend: VcryptoServer, e2e_seed: int
) -> None:
    context = _context(first_vm, vcrypto_backend, e2e_seed)
    reload = first_vm.command("reload_virtio_crypto")
    assert reload.rc == 0, context
    snapshots = first_vm.command("proc_crypto").proc_crypto
    assert snapshots, context
    alg = first_vm.alg(VIRTIO_AES_CBC, snapshots[-1])
    assert alg is not None, f"{VIRTIO_AES_CBC} not registered again after insmod\n{context}"
    assert alg.selftest == "passed", context
    compares = first_vm.compares
    assert len(compares) == 2, context
    _assert_clean(compares[1], 2 * RELOAD_CASES_PER_PROC, context)


def test_same_server_serves_a_second_vm(
    second_vm: GuestResult, vcrypto_backend: VcryptoServer, e2e_seed: int
) -> None:
    context = _context(second_vm, vcrypto_backend, e2e_seed)
    assert not second_vm.timed_out, context
    assert second_vm.completed, context
    assert second_vm.selftest(VIRTIO_AES_CBC) == "passed", context
    compares = second_vm.compares
    assert len(compares) == 1, context
    _assert_clean(compares[0], 32, context)
    assert vcrypto_backend.alive(), f"vcrypto serve exited after the second VM\n{context}"


def test_server_log_has_no_traceback(
    second_vm: GuestResult, vcrypto_backend: VcryptoServer, e2e_seed: int
) -> None:
    assert "Traceback" not in vcrypto_backend.log(), _context(second_vm, vcrypto_backend, e2e_seed)
