"""Placeholder: being written (issue 11)."""

from __future__ import annotations

from typing import Any


def add_parser(commands: Any) -> None:
    """Register the subcommand (not yet)."""
