"""Load profiles (bundled by name, or the user's by path, with `extends`) and composegen.yaml.

Errors name the file and line of the offending key and say what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from composegen.errors import InputError
from composegen.profiles.models import Profile, Project
from composegen.resources import bundled_dir
from composegen.yamlio import Document, read_document, require_no_duplicates

PROJECT_FILE = "composegen.yaml"
Model = TypeVar("Model", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class LoadedProfile:
    profile: Profile
    files: tuple[str, ...]  # the profile file first, then what it extends


@dataclass(frozen=True)
class LoadedProject:
    project: Project
    path: Path | None  # None: no composegen.yaml, compose files found in the folder
    root: Path

    def compose_paths(self) -> list[Path]:
        return [self.root / f for f in self.project.compose_files]


def bundled_profiles() -> list[str]:
    return sorted(p.stem for p in bundled_dir("profiles").glob("*.yaml"))


def _is_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yml", ".yaml"))


def profile_path(ref: str, relative_to: Path) -> Path:
    if _is_path(ref):
        return (relative_to / ref).resolve()
    candidate = bundled_dir("profiles") / f"{ref}.yaml"
    if not candidate.is_file():
        raise InputError(
            f"unknown profile {ref!r}",
            fix=f"use one of {', '.join(bundled_profiles())}, or a path to your own profile file",
        )
    return candidate


def _mapping(doc: Document, what: str) -> dict[str, Any]:
    require_no_duplicates(doc)
    if not isinstance(doc.data, dict):
        raise InputError(
            f"{what} must be a YAML mapping of keys to values",
            where=doc.where(()),
            fix="start the file with keys like `name:`",
        )
    return doc.data


def deep_merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """child over parent: mappings merged key by key, anything else replaced."""
    merged = dict(parent)
    for key, value in child.items():
        old = merged.get(key)
        merged[key] = deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def _first_error(err: pydantic.ValidationError, docs: list[Document], prefix: tuple[str | int, ...] = ()) -> InputError:
    first = err.errors()[0]
    loc = tuple(
        part for part in first["loc"] if not (isinstance(part, str) and part.startswith(("function-", "literal[")))
    )
    keys = (*prefix, *loc)
    where = docs[0].where(keys)
    for doc in docs:
        if keys in doc.positions:
            where = doc.where(keys)
            break
    dotted = ".".join(str(k) for k in loc) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return InputError(
            f"unknown key {dotted!r}", where=where, fix="check its spelling against the schema in schemas/"
        )
    if first["type"] == "missing":
        return InputError(f"{dotted} is required", where=where, fix="add it")
    return InputError(f"{dotted}: {message}", where=where, fix="see schemas/ for what it takes")


def validate(model: type[Model], data: Mapping[str, Any], docs: list[Document]) -> Model:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as err:
        raise _first_error(err, docs) from None


def load_profile(ref: str, relative_to: Path) -> LoadedProfile:
    path = profile_path(ref, relative_to)
    docs: list[Document] = []
    chain: list[Path] = []
    raw: dict[str, Any] = {}
    layers: list[dict[str, Any]] = []
    while True:
        if path in chain:
            cycle = " -> ".join(p.name for p in [*chain, path])
            raise InputError(
                f"profile extends itself in a cycle: {cycle}", where=str(chain[0]), fix="remove one of the extends"
            )
        chain.append(path)
        doc = read_document(path)
        docs.append(doc)
        layer = _mapping(doc, "a profile")
        layers.append(layer)
        parent = layer.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            raise InputError(
                "extends must name a profile or a path",
                where=doc.where(("extends",)),
                fix="write `extends: pytest` or `extends: ./base.yaml`",
            )
        path = profile_path(parent, path.parent)
    for layer in reversed(layers):
        raw = deep_merge(raw, layer)
    raw["extends"] = layers[0].get("extends")
    raw.setdefault("name", path.stem)
    profile = validate(Profile, raw, docs)
    return LoadedProfile(profile, tuple(str(p) for p in chain))


def find_compose_files(root: Path) -> list[str]:
    """What `docker compose` picks in a folder: compose.yaml (or the older names) plus its override."""
    for base in ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"):
        if (root / base).is_file():
            stem, ext = base.rsplit(".", 1)
            override = f"{stem}.override.{ext}"
            return [base, override] if (root / override).is_file() else [base]
    return []


def load_project(path: Path | None, cwd: Path) -> LoadedProject:
    """composegen.yaml at `path` (or in `cwd`); without one, the compose files docker compose would use."""
    if path is None and (cwd / PROJECT_FILE).is_file():
        path = cwd / PROJECT_FILE
    if path is None:
        found = find_compose_files(cwd)
        if not found:
            raise InputError(
                f"no {PROJECT_FILE} and no compose file here",
                where=str(cwd),
                fix=f"run in the folder of your stack, or pass --project path/to/{PROJECT_FILE}",
            )
        return LoadedProject(Project(compose_files=tuple(found)), None, cwd)
    doc = read_document(path)
    data = _mapping(doc, PROJECT_FILE)
    project = validate(Project, data, [doc])
    root = path.parent.resolve()
    for index, name in enumerate(project.compose_files):
        target = (root / name).resolve()
        if not target.is_relative_to(root):
            raise InputError(
                f"compose file {name!r} is outside the project folder",
                where=doc.where(("compose_files", index)),
                fix="keep compose files in the folder of composegen.yaml or below it",
            )
        if not target.is_file():
            raise InputError(
                f"compose file {name!r} does not exist",
                where=doc.where(("compose_files", index)),
                fix="fix the path in compose_files, or create the file",
            )
    return LoadedProject(project, path, root)
