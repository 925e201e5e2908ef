"""``vcrypto bench``: placeholder while it is being written (replaced before commit)."""

from __future__ import annotations

import argparse

from .errors import CliError


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="(in progress)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise CliError("bench is not written yet")
