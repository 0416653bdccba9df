"""Subcommands beyond run/stats/plan: each registers its parser and sets ``handler``."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the extra subcommands to the ``judge`` parser."""
    del sub
