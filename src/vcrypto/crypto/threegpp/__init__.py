"""3GPP confidentiality and integrity algorithms (KASUMI, SNOW 3G, ZUC), written from the 3GPP specifications.

Plain functions take explicit parameters and lengths in bits (see docs/3gpp.md):

* ``kasumi.f8`` / ``kasumi.f9`` -- UEA1 / UIA1, TS 35.201 over KASUMI (TS 35.202);
* ``snow3g.uea2`` / ``snow3g.uia2`` -- TS 35.215 over SNOW 3G (TS 35.216);
* ``zuc.eea3`` / ``zuc.eia3`` -- 128-EEA3 / 128-EIA3 over ZUC (TS 35.221 / 35.222).

``CIPHERS`` and ``MACS`` are the provider descriptors the device serves through the CIPHER and MAC services;
``provider`` documents how a request carries COUNT, BEARER/FRESH, DIRECTION and bit lengths.
"""

from __future__ import annotations

from ..base import CipherInfo, MacInfo
from . import kasumi, snow3g, zuc
from .provider import (
    KASUMI_F8,
    KASUMI_F9,
    SNOW3G_UEA2,
    SNOW3G_UIA2,
    ZUC_EEA3,
    ZUC_EIA3,
    pack_cipher_iv,
    pack_mac_input,
)

CIPHERS: tuple[CipherInfo, ...] = (KASUMI_F8, SNOW3G_UEA2, ZUC_EEA3)
MACS: tuple[MacInfo, ...] = (KASUMI_F9, SNOW3G_UIA2, ZUC_EIA3)

__all__ = [
    "CIPHERS",
    "KASUMI_F8",
    "KASUMI_F9",
    "MACS",
    "SNOW3G_UEA2",
    "SNOW3G_UIA2",
    "ZUC_EEA3",
    "ZUC_EIA3",
    "kasumi",
    "pack_cipher_iv",
    "pack_mac_input",
    "snow3g",
    "zuc",
]
