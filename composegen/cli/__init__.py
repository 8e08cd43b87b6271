"""The command line: `composegen.cli.entry.main` is the console script (`composegen = "composegen.cli:main"`)."""

from __future__ import annotations

from composegen.cli.entry import main

__all__ = ["main"]
