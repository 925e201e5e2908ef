"""Fixtures for the e2e tests: the guest image (built on demand) and a ``vcrypto serve`` in the background."""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .guest import GuestImage, VcryptoServer, build_guest


@pytest.fixture(scope="session")
def guest_image() -> GuestImage:
    """``scripts/build-guest.sh`` (what ``make guest`` runs): downloads and builds on a fresh machine, and
    takes well under a second when build/guest is up to date."""
    try:
        return build_guest()
    except RuntimeError as exc:
        failure = str(exc)
    pytest.fail(f"cannot build the test guest: {failure}", pytrace=False)


@pytest.fixture(scope="session")
def e2e_seed() -> int:
    """Seed of the guest's random cases: $VCRYPTO_E2E_SEED, or a fresh one (printed in failure messages)."""
    value = os.environ.get("VCRYPTO_E2E_SEED")
    return int(value) if value else random.randrange(1, 1 << 31)


@pytest.fixture(scope="module")
def vcrypto_backend() -> Iterator[VcryptoServer]:
    """One ``vcrypto serve --socket-path <tmp>/vcrypto.sock`` for every VM of a test module."""
    with tempfile.TemporaryDirectory(prefix="vcs-") as tmp:  # short: sun_path holds 108 bytes
        server = VcryptoServer(Path(tmp) / "vcrypto.sock", queues=1)
        failure = None
        try:
            server.start()
        except RuntimeError as exc:
            failure = str(exc)
        if failure is not None:
            pytest.fail(failure, pytrace=False)
        try:
            yield server
        finally:
            server.stop()
