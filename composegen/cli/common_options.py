"""Options more than one command table declares (composegen.cli.table), declared once; the typer
aliases of composegen.cli.options, for the commands still written out, read their help from here."""

from __future__ import annotations

from composegen.cli.table import Opt

PROJECT_HELP = "The stack description (default: ./composegen.yaml, else the compose files here)."
OUTPUT_FORMATS = ("text", "json")

PROFILE = Opt("profile", ("--profile", "-p"), "A bundled profile name, or a path to your own.", required=True)
PROJECT = Opt("project", ("--project",), PROJECT_HELP, path=True)
FORMAT = Opt("fmt", ("--format",), "text or json.", choices=OUTPUT_FORMATS, default="text")
DOCKER_VERSION = Opt(
    "docker_version",
    ("--docker-version",),
    "The Docker Engine the stack runs on, when older than 25: leaves out what it refuses (healthcheck.start_interval).",
)
MEASUREMENTS = Opt(
    "measurements",
    ("--measurements",),
    "A file `composegen calibrate` wrote: measured values replace estimates.",
    path=True,
)
