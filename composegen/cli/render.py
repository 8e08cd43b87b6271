"""`composegen render` and `composegen explain` through typer: help, usage errors, and whatever the
fast path leaves. Both are generated (composegen.cli.typed) from `RENDER` and `EXPLAIN`
(composegen.cli.render_options), the declarations their fast path reads too."""

from __future__ import annotations

import typer

from composegen.cli.render_options import EXPLAIN, RENDER
from composegen.cli.typed import typer_command


def register(app: typer.Typer) -> None:
    """Add `render` and `explain` to `app`."""
    app.command("render")(typer_command(RENDER))
    app.command("explain")(typer_command(EXPLAIN))
