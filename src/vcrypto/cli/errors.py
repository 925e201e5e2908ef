"""Errors of the command line."""


class CliError(Exception):
    """A user mistake on the command line: printed as one line, exit status 2."""
