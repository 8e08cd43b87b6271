"""Options more than one command takes, declared once (typer reads a command's annotations, so
each command module imports the ones it uses from here)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from composegen.cli.common_options import FORMAT, PROFILE, PROJECT


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def choices(name: str, values: tuple[str, ...]) -> type[Enum]:
    """A str Enum of `values` (typer's way to declare a choice), made from a table of choices."""
    made: type[Enum] = Enum(name, [(value, value) for value in values], type=str)  # type: ignore[misc]  # values from a table
    return made


ProfileOpt = Annotated[str, typer.Option(*PROFILE.flags, help=PROFILE.help)]
ProjectOpt = Annotated[Path | None, typer.Option(*PROJECT.flags, help=PROJECT.help)]
FormatOpt = Annotated[OutputFormat, typer.Option(*FORMAT.flags, help=FORMAT.help)]


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Parsed options with each choice as its string (an Enum member's value)."""
    return {name: value.value if isinstance(value, Enum) else value for name, value in values.items()}


def seconds(text: str | None, what: str) -> float | None:
    """A duration option (`2s`, `1m`) in seconds; None when not given."""
    from composegen.units import parse_duration

    return None if text is None else parse_duration(text, what=what)
