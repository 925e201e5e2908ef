"""Session handles for checks: a session in session mode, the parameters themselves in stateless mode."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..driver import CryptoDriver
from ..spec.params import SessionParams
from .target import Layout


@contextlib.contextmanager
def handle(driver: CryptoDriver, params: SessionParams, layout: Layout) -> Iterator[int | SessionParams]:
    """What a data request names: a fresh session (destroyed afterwards) or, stateless, the parameters."""
    if layout.stateless:
        yield params
        return
    session_id = driver.create_session(params)
    try:
        yield session_id
    finally:
        with contextlib.suppress(Exception):  # the check's own verdict matters, not the clean-up's
            driver.destroy_session(params.service, session_id)
