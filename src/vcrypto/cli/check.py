"""``vcrypto check``: placeholder while it is being written (replaced before commit)."""

from __future__ import annotations

import argparse

from .errors import CliError


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="(in progress)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise CliError("check is not written yet")
