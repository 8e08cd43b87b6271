"""`composegen render --check-all`: is every overlay composegen wrote still what it would write?

The pre-commit hook `composegen-render-check` runs it with the changed files: for each file, the
nearest composegen.yaml at or above it; for each such project, every file beside its first
compose file whose first line is composegen's header. The header names the profile
(`# profile: NAME (...)`); NAME is a bundled profile or a profile file of the project
(`NAME.yaml`, `profiles/NAME.yaml`, `.composegen/NAME.yaml`, or .yml).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from composegen.errors import ComposegenError, InputError
from composegen.paths import real_path
from composegen.writer import MARKER

PROJECT_FILE = "composegen.yaml"
_PROFILE = re.compile(r"^# profile: (?P<name>\S+)")
SWARM_HEADER = "(swarm target)"


@dataclass(frozen=True)
class OverlayState:
    path: Path
    profile: str | None
    ok: bool
    message: str


def generated_overlays(folder: Path) -> list[tuple[Path, str | None]]:
    """(file, profile name from its header) for each file in `folder` composegen generated."""
    found = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        if not path.is_file():  # a FIFO would block the read below (and the pre-commit hook) forever
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                head = [handle.readline() for _ in range(3)]
        except OSError:
            continue
        if not head[0].startswith(MARKER):
            continue
        name = next((m.group("name") for m in map(_PROFILE.match, head) if m), None)
        found.append((path, name))
    return found


def profile_ref(name: str, root: Path) -> str | None:
    """How to load the profile called `name` for the project in `root`."""
    from composegen.profiles.loader import bundled_profiles, project_profile

    if name in bundled_profiles():
        return name
    own = project_profile(name, root)
    return str(own) if own is not None else None


def _is_swarm(path: Path) -> bool:
    """Whether the header of a generated file says it is a Swarm stack file (`(swarm target)`)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = [handle.readline() for _ in range(2)]
    return any(SWARM_HEADER in line for line in head)


def check_project(project_file: Path) -> list[OverlayState]:
    from composegen.profiles.loader import load_project
    from composegen.render.overlay import render

    root = real_path(project_file.parent)
    project = load_project(project_file, root)
    folder = project.compose_paths()[0].parent
    states = []
    for path, name in generated_overlays(folder):
        ref = profile_ref(name, root) if name else None
        if ref is None:
            states.append(
                OverlayState(
                    path,
                    name,
                    False,
                    f"cannot tell which profile made it (header names {name!r}): "
                    f"check it with `composegen render --profile PATH --check -o {path.name}`",
                )
            )
            continue
        swarm = _is_swarm(path)
        try:
            text = render(ref, project_file, root, path, target="swarm" if swarm else "compose").text
        except ComposegenError as err:
            states.append(OverlayState(path, name, False, err.one_line()))
            continue
        current = path.read_text(encoding="utf-8")
        if current == text:
            states.append(OverlayState(path, name, True, "up to date"))
            continue
        command = f"composegen render --profile {name}" + (" --target swarm" if swarm else "")
        if path.name != (f"docker-stack.{name}.yml" if swarm else f"docker-compose.{name}.yml"):
            command += f" -o {path.name}"
        states.append(OverlayState(path, name, False, f"out of date: run `{command}`"))
    return states


def projects_for(paths: Sequence[Path], cwd: Path) -> list[Path]:
    """The composegen.yaml nearest above each path (a folder counts as its own), once each."""
    found: dict[Path, None] = {}
    top = real_path(cwd)
    for given in paths:
        path = real_path(cwd / given)
        folder = path if path.is_dir() else path.parent
        while True:
            candidate = folder / PROJECT_FILE
            if candidate.is_file():
                found[candidate] = None
                break
            if folder == top or folder.parent == folder or not folder.is_relative_to(top):
                break
            folder = folder.parent
    return list(found)


def check_all(paths: Sequence[Path], project: Path | None, cwd: Path) -> list[OverlayState]:
    """Every generated overlay of the projects `paths` belong to (or of `project`, or of the
    composegen.yaml in `cwd` when neither is given)."""
    if project is not None:
        projects = [project / PROJECT_FILE if project.is_dir() else project]
    elif paths:
        projects = projects_for(paths, cwd)
    else:
        here = cwd / PROJECT_FILE
        if not here.is_file():
            raise InputError(
                f"no {PROJECT_FILE} here",
                where=str(cwd),
                fix="run in the folder of composegen.yaml, or pass --project or files",
            )
        projects = [here]
    states: list[OverlayState] = []
    for project_file in projects:
        states.extend(check_project(project_file))
    return states
