"""The algorithms the device implements, by spec algorithm number, per service.

The config space's algorithm masks are derived from these tables, so nothing that is not implemented
is advertised. GMAC-Twofish and CBCMAC-KASUMI-F9 are absent on purpose: no reference vectors exist
for them anywhere, so an implementation could not be shown to interoperate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from ..spec.constants import Service
from . import threegpp
from .aead import AEADS as _AEADS
from .base import AeadInfo, CipherInfo, HashInfo, MacInfo
from .ciphers import CIPHERS as _CIPHERS
from .hashes import HASHES as _HASHES
from .macs import MACS as _MACS

_Info = TypeVar("_Info", CipherInfo, HashInfo, MacInfo, AeadInfo)


def _table(*groups: Iterable[_Info]) -> dict[int, _Info]:
    """Index descriptors by algorithm number; a number claimed twice is a bug, not an override."""
    table: dict[int, _Info] = {}
    for group in groups:
        for info in group:
            if int(info.algo) in table:
                raise RuntimeError(f"algorithm {int(info.algo)} registered twice ({info.name})")
            table[int(info.algo)] = info
    return dict(sorted(table.items()))


CIPHERS: dict[int, CipherInfo] = _table(_CIPHERS, threegpp.CIPHERS)
HASHES: dict[int, HashInfo] = _table(_HASHES)
MACS: dict[int, MacInfo] = _table(_MACS, threegpp.MACS)
AEADS: dict[int, AeadInfo] = _table(_AEADS)


def supported() -> dict[Service, frozenset[int]]:
    """The algorithm numbers implemented per symmetric service."""
    return {
        Service.CIPHER: frozenset(CIPHERS),
        Service.HASH: frozenset(HASHES),
        Service.MAC: frozenset(MACS),
        Service.AEAD: frozenset(AEADS),
    }
