"""`composegen plan` through typer: help, usage errors, and whatever the fast path leaves. It is
generated (composegen.cli.typed) from `PLAN` (composegen.cli.plan_options), the declaration its fast
path reads too."""

from __future__ import annotations

import typer

from composegen.cli.plan_options import PLAN
from composegen.cli.typed import typer_command


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("plan")(typer_command(PLAN))
