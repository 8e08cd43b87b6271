"""`composegen plan`: hosts needed, placement and scale-up schedule for a stack (issue 5).

Registered on the app by `register`; each command imports its heavy parts only when it runs.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    del app
