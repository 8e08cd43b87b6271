"""`composegen profiles list|show` and `composegen schema`: the profiles, and the JSON Schemas of
composegen.yaml and of a profile."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from composegen.cli.run import run
from composegen.errors import EXIT_OK

profiles_app = typer.Typer(help="The bundled profiles.", no_args_is_help=True, rich_markup_mode=None)


@profiles_app.command("list")
def profiles_list() -> None:
    """List the bundled profiles."""

    def body() -> int:
        from composegen.profiles.show import bundled_descriptions

        for name, description in bundled_descriptions(Path.cwd()):
            typer.echo(f"{name:<14} {description}")
        return EXIT_OK

    run(body)


@profiles_app.command("show")
def profiles_show(name: Annotated[str, typer.Argument(help="A bundled profile name, or a path.")]) -> None:
    """Show a profile with everything it extends resolved."""

    def body() -> int:
        from composegen.profiles.show import show_profile

        shown = show_profile(name, Path.cwd())
        typer.echo(f"# {' extends '.join(shown.files)}")
        typer.echo(json.dumps(shown.data, indent=2))
        return EXIT_OK

    run(body)


class SchemaKind(str, Enum):
    project = "project"
    profile = "profile"


def schema(kind: Annotated[SchemaKind, typer.Argument(help="project (composegen.yaml) or profile.")]) -> None:
    """Print the JSON Schema of composegen.yaml or of a profile (for editors)."""

    def body() -> int:
        from composegen.profiles.schema import schema_text

        sys.stdout.write(schema_text(kind.value))
        return EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add `composegen profiles` and `composegen schema` to `app`."""
    app.add_typer(profiles_app, name="profiles")
    app.command()(schema)
