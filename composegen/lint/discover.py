"""What `composegen lint` reads when it is not told, and how the files it is told are grouped.

- `composegen lint a.yml b.yml`: each file on its own (mode "file").
- `composegen lint -f a.yml -f b.yml`: one merged stack, as `docker compose -f a.yml -f b.yml`.
- `composegen lint`: the stack of composegen.yaml (its `compose_files`, merged); without one,
  what `docker compose` would use here: COMPOSE_FILE (from the environment, else `.env`), split
  on COMPOSE_PATH_SEPARATOR, else compose.yaml / docker-compose.yml and its override file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from composegen.errors import InputError
from composegen.lint.context import Mode
from composegen.paths import find_compose_files

PROJECT_FILE = "composegen.yaml"


class Target(NamedTuple):
    """One thing to lint: files merged in order (one file in mode "file")."""

    paths: tuple[Path, ...]
    mode: Mode
    project_dir: Path | None = None  # compose's project directory; None: the first file's folder


def project_file(project: Path | None, cwd: Path) -> Path | None:
    """composegen.yaml: the one given with --project, else the one in `cwd`, else none."""
    if project is not None:
        if project.is_dir():
            project = project / PROJECT_FILE
        if not project.exists():  # one that exists but is no file (a FIFO...): the reader says what it is
            raise InputError("no such file", where=str(project), fix=f"give the path of a {PROJECT_FILE}")
        return project
    here = cwd / PROJECT_FILE
    return here if here.is_file() else None


def compose_file_setting(cwd: Path, environ: Mapping[str, str]) -> list[Path] | None:
    """COMPOSE_FILE from the environment, else from `.env` in `cwd`, split the way compose does."""
    variables: dict[str, str] = {}
    if "COMPOSE_FILE" not in environ and (cwd / ".env").is_file():
        from composegen.compose.interpolate import read_env_file

        variables = read_env_file(cwd / ".env", environ)
    variables.update(environ)
    value = variables.get("COMPOSE_FILE")
    if not value:
        return None
    separator = variables.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    return [cwd / part for part in value.split(separator) if part]


def default_files(cwd: Path, environ: Mapping[str, str]) -> list[Path]:
    """What `docker compose` picks in `cwd` with no -f."""
    configured = compose_file_setting(cwd, environ)
    if configured is not None:
        return configured
    found = find_compose_files(cwd)
    if not found:
        raise InputError(
            f"no {PROJECT_FILE} and no compose file here",
            where=str(cwd),
            fix="name files to lint, or run in the folder of compose.yaml / docker-compose.yml",
        )
    return [cwd / name for name in found]


def targets(
    files: Sequence[Path],
    stack_files: Sequence[Path],
    *,
    cwd: Path,
    environ: Mapping[str, str],
    project_paths: Sequence[Path] | None = None,
    project_root: Path | None = None,
) -> list[Target]:
    """The targets for the command line: FILES each alone, -f files merged, or the default stack
    (`project_paths`: the compose files of composegen.yaml, when there is one)."""
    if files and stack_files:
        raise InputError(
            "give files to lint one by one, or -f files to lint merged, not both",
            fix="run composegen lint twice",
        )
    if files:
        return [Target((Path(f),), "file") for f in dict.fromkeys(files)]
    if stack_files:
        return [Target(tuple(Path(f) for f in stack_files), "stack")]
    if project_paths:
        return [Target(tuple(project_paths), "stack", project_root)]
    return [Target(tuple(default_files(cwd, environ)), "stack", cwd)]
