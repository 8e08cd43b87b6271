"""Load profiles (bundled by name, or the user's by path, with `extends`) and composegen.yaml.

Errors name the file and line of the offending key and say what to write instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from composegen.errors import InputError
from composegen.paths import find_compose_files, real_path
from composegen.profiles import PROJECT_FILE as PROJECT_FILE
from composegen.profiles.models import Profile, Project
from composegen.resources import bundled_dir
from composegen.yamlio import Document, KeyPath, read_document, require_no_duplicates

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
    document: Document | None = None  # composegen.yaml as read: where each key was written

    def compose_paths(self) -> list[Path]:
        return [self.root / f for f in self.project.compose_files]

    def host_source(self, key: str) -> str:
        """Where composegen.yaml's host.KEY came from: its file:line, or composegen's default."""
        host = self.project.host
        if host is None:
            return "composegen's default: composegen.yaml has no host"
        place = self.document.position(("host", key)) if self.document is not None else None
        name = self.path.name if self.path is not None else PROJECT_FILE
        return host.source(key, f"{name}:{place.line}" if place is not None else name)


def bundled_profiles() -> list[str]:
    return sorted(p.stem for p in bundled_dir("profiles").glob("*.yaml"))


def _is_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yml", ".yaml"))


#: Where a profile NAME that is not bundled is looked for, in the project folder (`render
#: --check-all` reads the name from an overlay's header and looks in the same places).
PROJECT_PROFILE_FOLDERS = (".", "profiles", ".composegen")


def project_profile(name: str, root: Path) -> Path | None:
    """The profile file called `name` in the project folder `root`: NAME.yaml (or .yml) in it, in
    profiles/ or in .composegen/; None when there is none."""
    for folder in PROJECT_PROFILE_FOLDERS:
        for ext in ("yaml", "yml"):
            candidate = root / folder / f"{name}.{ext}"
            if candidate.is_file():
                return candidate
    return None


def profile_path(ref: str, relative_to: Path, project_root: Path | None = None) -> Path:
    """A profile's file: `ref` as a path, else a bundled profile, else NAME.yaml in the project
    folder (`project_root`, by default `relative_to`; see project_profile)."""
    if _is_path(ref):
        return real_path(relative_to / ref)
    candidate = bundled_dir("profiles") / f"{ref}.yaml"
    if candidate.is_file():
        return candidate
    own = project_profile(ref, project_root or relative_to)
    if own is None:
        raise InputError(
            f"unknown profile {ref!r}",
            fix=f"use one of {', '.join(bundled_profiles())}, a file {ref}.yaml in the project folder "
            "(or its profiles/ or .composegen/), or a path to your own profile file",
        )
    return own


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


Source = Document | tuple[Document, KeyPath]  # a document, or a document and where in it the data sits


def _where(loc: KeyPath, sources: list[Source]) -> str:
    """`file:line` of a key path of the merged data, in the first source that has it."""
    placed = [(s, ()) if isinstance(s, Document) else s for s in sources]
    for doc, prefix in placed:
        if (*prefix, *loc) in doc.positions:
            return doc.where((*prefix, *loc))
    doc0, prefix0 = placed[0]
    return doc0.where((*prefix0, *loc))


#: The largest number composegen.yaml or a profile may hold: 2^53, the largest whole number a
#: float holds exactly. Beyond it (1e308 CPUs, 10^400 workers) arithmetic overflows or loses
#: every digit that matters; no stack has such counts.
MAX_NUMBER = 2**53


def _out_of_range(value: Any, keys: KeyPath = ()) -> tuple[KeyPath, Any] | None:
    """The first number that is not finite or is larger than MAX_NUMBER, with its key path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _out_of_range(item, (*keys, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _out_of_range(item, (*keys, index))
            if found is not None:
                return found
    elif (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (abs(value) > MAX_NUMBER or (isinstance(value, float) and not math.isfinite(value)))
    ):
        return keys, value
    return None


def _first_error(err: pydantic.ValidationError, sources: list[Source]) -> InputError:
    first = err.errors()[0]
    loc = tuple(
        part for part in first["loc"] if not (isinstance(part, str) and part.startswith(("function-", "literal[")))
    )
    is_key = loc[-1:] == ("[key]",)  # a mapping's key is wrong, not its value: the key's line, the mapping's name
    loc = loc[:-1] if is_key else loc
    where = _where(loc, sources)
    dotted = ".".join(str(k) for k in (loc[:-1] if is_key else loc)) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return InputError(
            f"unknown key {dotted!r}", where=where, fix="check its spelling against the schema in schemas/"
        )
    if first["type"] == "missing":
        return InputError(f"{dotted} is required", where=where, fix="add it")
    return InputError(f"{dotted}: {message}", where=where, fix="see schemas/ for what it takes")


def validate(model: type[Model], data: Mapping[str, Any], sources: list[Source]) -> Model:
    _refuse_out_of_range(data, sources)  # first: pydantic says less about `.nan` or 1e308
    try:
        validated = model.model_validate(data)
    except pydantic.ValidationError as err:
        raise _first_error(err, sources) from None
    _refuse_out_of_range(validated.model_dump(), sources)  # numbers read from text: `"1e400"`
    return validated


def _refuse_out_of_range(data: Mapping[str, Any], sources: list[Source]) -> None:
    huge = _out_of_range(data)
    if huge is None:
        return
    keys, value = huge
    shown = str(value) if isinstance(value, float) or len(str(value)) < 20 else f"a {len(str(value))}-digit number"
    raise InputError(
        f"{'.'.join(map(str, keys))}: {shown} is out of range",
        where=_where(keys, sources),
        fix=f"use a finite number up to 2^53 ({MAX_NUMBER:,})",
    )


@dataclass(frozen=True)
class _Layer:
    key: str  # a file path, or `composegen.yaml: profiles.NAME`
    data: dict[str, Any]
    source: tuple[Document, KeyPath]
    folder: Path  # what a relative `extends` path is relative to
    name: str


def _local_layer(ref: str, project_file: Path | None) -> _Layer | None:
    """A profile defined under `profiles:` in composegen.yaml, if `ref` names one."""
    if project_file is None or _is_path(ref) or not project_file.is_file():
        return None
    doc = read_document(project_file)
    defined = doc.data.get("profiles") if isinstance(doc.data, dict) else None
    if not isinstance(defined, dict) or ref not in defined:
        return None
    data = defined[ref]
    keys: KeyPath = ("profiles", ref)
    if not isinstance(data, dict):
        raise InputError(
            f"profile {ref!r} must be a mapping", where=doc.where(keys), fix="write `extends: pytest` etc."
        )
    return _Layer(f"{project_file}: profiles.{ref}", data, (doc, keys), project_file.parent, ref)


def _layer(ref: str, relative_to: Path, project_file: Path | None, root: Path) -> _Layer:
    local = _local_layer(ref, project_file)
    if local is not None:
        return local
    path = profile_path(ref, relative_to, root)
    doc = read_document(path)
    return _Layer(str(path), _mapping(doc, "a profile"), (doc, ()), path.parent, path.stem)


def load_profile(ref: str, relative_to: Path, project_file: Path | None = None) -> LoadedProfile:
    """A profile by bundled name, path, or (with `project_file`) a name under `profiles:` in
    composegen.yaml, with everything it extends merged beneath it."""
    layers: list[_Layer] = []
    root = project_file.parent if project_file is not None else relative_to  # the project folder
    layer = _layer(ref, relative_to, project_file, root)
    while True:
        if layer.key in [seen.key for seen in layers]:
            cycle = " -> ".join(seen.name for seen in [*layers, layer])
            doc, keys = layers[-1].source  # the extends that closes the loop
            raise InputError(
                f"profile extends itself in a cycle: {cycle}",
                where=doc.where((*keys, "extends")),
                fix="remove one of the extends",
            )
        layers.append(layer)
        parent = layer.data.get("extends")
        if parent is None:
            break
        doc, keys = layer.source
        if not isinstance(parent, str):
            raise InputError(
                "extends must name a profile or a path",
                where=doc.where((*keys, "extends")),
                fix="write `extends: pytest` or `extends: ./base.yaml`",
            )
        if layer.source[1] and _is_path(parent):
            _inside_project("profile file", parent, layer.folder, doc.where((*keys, "extends")))
        # a local profile may extend another local one; a file extends bundled names and paths only
        layer = _layer(parent, layer.folder, project_file if layer.source[1] else None, root)
    raw: dict[str, Any] = {}
    for each in reversed(layers):
        raw = deep_merge(raw, each.data)
    raw["extends"] = layers[0].data.get("extends")
    raw["name"] = layers[0].data.get("name", layers[0].name)
    profile = validate(Profile, raw, [each.source for each in layers])
    return LoadedProfile(profile, tuple(each.key for each in layers))


def _exists(path: Path) -> bool:
    """Whether something is at `path` (a loop of symbolic links, or a file in a folder composegen
    may not search, is: reading it then says what is wrong)."""
    try:
        path.lstat()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _inside_project(what: str, name: str, root: Path, where: str) -> Path:
    """`root / name`, refused when it leads out of `root` (through `..`, an absolute path or a
    symlink): composegen.yaml names files of its own project only."""
    target = real_path(root / name)
    if not target.is_relative_to(real_path(root)):
        raise InputError(
            f"{what} {name!r} is outside the project folder",
            where=where,
            fix="keep the files composegen.yaml names in its folder or below it",
        )
    return target


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
    root = real_path(path.parent)
    for index, name in enumerate(project.compose_files):
        target = _inside_project("compose file", name, root, doc.where(("compose_files", index)))
        if not _exists(target):
            raise InputError(
                f"compose file {name!r} does not exist",
                where=doc.where(("compose_files", index)),
                fix="fix the path in compose_files, or create the file",
            )
    return LoadedProject(project, path, root, doc)
