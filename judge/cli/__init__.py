"""The ``judge`` command line: ``main`` (verbs, exit codes) and ``commands`` (the other verbs)."""

from judge.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
