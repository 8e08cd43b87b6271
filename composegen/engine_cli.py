"""The commands that run on a real Docker Engine (verify, calibrate, watch): registered on the app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the engine commands to `app`."""
