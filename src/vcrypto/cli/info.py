"""``vcrypto info``: the device configuration a guest would read, and what each algorithm accepts."""

from __future__ import annotations

import argparse
from collections.abc import Collection, Iterable

from ..device import CryptoDevice, DeviceConfig
from ..spec.config import CryptoConfig
from ..spec.constants import (
    ALL_STATELESS,
    STATELESS_FEATURE,
    AeadAlgo,
    CipherAlgo,
    Feature,
    HashAlgo,
    MacAlgo,
    Service,
)
from .errors import CliError


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("info", help="print the device configuration and supported algorithms")
    add_device_options(parser)
    parser.set_defaults(run=run)


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that creates a device."""
    parser.add_argument("--max-dataqueues", type=int, default=1, metavar="N", help="data queues (1-65535)")
    parser.add_argument("--max-sessions", type=int, default=4096, metavar="N", help="session table size")
    parser.add_argument(
        "--max-size", type=int, default=4 << 20, metavar="BYTES", help="largest request content"
    )
    parser.add_argument("--no-stateless", action="store_true", help="do not offer stateless mode")
    parser.add_argument("--legacy-only", action="store_true", help="offer no feature bits (no REVISION_1)")


def device_config(args: argparse.Namespace) -> DeviceConfig:
    features = Feature(0) if args.legacy_only else Feature.REVISION_1
    if not (args.legacy_only or args.no_stateless):
        features |= ALL_STATELESS
    try:
        return DeviceConfig(
            max_dataqueues=args.max_dataqueues,
            max_sessions=args.max_sessions,
            max_size=args.max_size,
            features=features,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _lengths(values: Collection[int]) -> str:
    if isinstance(values, range):
        return f"{values.start}-{values.stop - 1}"
    return ",".join(str(v) for v in values) or "-"


def _name(enum: type, value: int) -> str:
    try:
        return enum(value).name
    except ValueError:
        return str(value)


def _rows(device: CryptoDevice) -> Iterable[tuple[str, str, str, str, str]]:
    algos = device.algorithms
    for algo, info in sorted(algos.ciphers.items()):
        yield (
            "CIPHER",
            _name(CipherAlgo, algo),
            _lengths(info.key_lengths),
            _lengths(info.iv_lengths),
            (f"block {info.block_size}" if info.block_size > 1 else "stream"),
        )
    for algo, info in sorted(algos.hashes.items()):
        yield "HASH", _name(HashAlgo, algo), "-", "-", f"result {_lengths(info.result_lengths)}"
    for algo, info in sorted(algos.macs.items()):
        note = f"result {_lengths(info.result_lengths)}" + ("; IV leads the data" if info.iv_layout else "")
        yield "MAC", _name(MacAlgo, algo), _lengths(info.key_lengths), "-", note
    for algo, info in sorted(algos.aeads.items()):
        yield (
            "AEAD",
            _name(AeadAlgo, algo),
            _lengths(info.key_lengths),
            _lengths(info.iv_lengths),
            (f"tag {_lengths(info.tag_lengths)}"),
        )
    for _algo, info in sorted(algos.akciphers.items()):
        yield "AKCIPHER", info.name, "DER", "-", ""


def _feature_names(features: Feature) -> str:
    return " | ".join(str(f.name) for f in Feature if features & f) or "-"


def describe(device: CryptoDevice) -> str:
    config = CryptoConfig.decode(device.config_space())
    features = device.device_features
    services = [s.name for s in Service if config.crypto_services >> s & 1]
    modes = ["session"]
    if features & Feature.REVISION_1:
        stateless = [s.name for s, bit in STATELESS_FEATURE.items() if features & bit]
        if stateless:
            modes.append("stateless (" + ", ".join(stateless) + ")")
    lines = [
        "virtio-crypto device (device ID 20)",
        f"  status             {'HW_READY' if config.status & 1 else 'not ready'}",
        f"  max_dataqueues     {config.max_dataqueues}",
        f"  crypto_services    {config.crypto_services:#x} ({', '.join(services)})",
        f"  cipher_algo        {config.cipher_algo:#x}",
        f"  hash_algo          {config.hash_algo:#x}",
        f"  mac_algo           {config.mac_algo:#x}",
        f"  aead_algo          {config.aead_algo:#x}",
        f"  akcipher_algo      {config.akcipher_algo:#x}",
        f"  max_cipher_key_len {config.max_cipher_key_len}",
        f"  max_auth_key_len   {config.max_auth_key_len}",
        f"  max_size           {config.max_size}",
        f"  feature bits       {int(features):#x} ({_feature_names(features)})",
        "  layouts            legacy" + (", REVISION_1" if features & Feature.REVISION_1 else ""),
        f"  modes              {'; '.join(modes)}",
        "",
    ]
    header = ("service", "algorithm", "key bytes", "IV bytes", "notes")
    rows = [header, *_rows(device)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print(describe(CryptoDevice(device_config(args))))
    return 0
