"""Load a compose stack from files the way `docker compose -f a -f b` does, keeping origins.

    load_stack([Path("compose.yml"), Path("compose.prod.yml")]) -> Stack

Per file, in compose v2's order: read (positioned) -> interpolate (the environment over the
`.env` of the project directory) and cast -> resolve `extends` (same file or another, recursive,
cycles refused) -> resolve `include` -> merge onto the files before it -> keep one entry per key
in keyed sequences. Relative paths stay as written (they are relative to the project directory,
the first file's folder, even in an overlay elsewhere); paths brought in by `extends` or
`include` from another folder are made absolute, as compose does.

Every key of the merged model knows the file:line it came from: `Stack.where(path)`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from composegen.compose.interpolate import (
    VariableIssue,
    interpolate,
    project_environment,
    read_env_file,
    read_env_file_lines,
    substitute,
)
from composegen.compose.merge import enforce_unicity, merge_into, merge_mappings, strip_tags
from composegen.compose.syntax import (
    SyntaxProblem,
    is_file_path,
    key_value_mapping,
    parse_volume,
    tmpfs_target,
    volume_target,
)
from composegen.compose.tree import Origin, SDict, SList, annotate, dotted, is_mapping, items, key_origin, origin_at
from composegen.errors import ComposegenError, InputError
from composegen.paths import real_path
from composegen.yamlio import Document, KeyPath, Tagged, read_document

if TYPE_CHECKING:
    from composegen.compose.schema import SchemaError

ProblemKind = Literal[
    "variable-unset",
    "variable-required",
    "variable-invalid",
    "duplicate-key",
    "mount-conflict",
    "include-invalid",
    "non-string-key",
]

#: Top-level sections an included project contributes.
SECTIONS = ("services", "networks", "volumes", "secrets", "configs", "models")


class Problem(NamedTuple):
    """Something compose would warn about (`error=False`) or refuse, found while loading."""

    kind: ProblemKind
    message: str
    path: KeyPath = ()
    origin: Origin | None = None
    error: bool = True

    def where(self) -> str:
        return self.origin.where() if self.origin else ""


class Loaded(NamedTuple):
    """The files of a stack merged, before their keyed sequences are made unique and their
    services finished, and what reading them found (`load_more` goes on from it)."""

    merged: SDict
    issues: tuple[VariableIssue, ...]
    problems: tuple[Problem, ...]


class Stack(NamedTuple):
    """A merged, interpolated compose model and where each part of it was written.

    (A named tuple, as the lint path's data is: a dataclass costs a lint run its import.)"""

    data: SDict
    files: tuple[Path, ...]
    project_dir: Path
    name: str = ""
    documents: tuple[Document, ...] = ()
    environment: Mapping[str, str] = MappingProxyType({})
    problems: tuple[Problem, ...] = ()
    loaded: Loaded | None = None  # where `load_more` goes on from

    @property
    def services(self) -> Mapping[str, Any]:
        found = self.data.get("services")
        return found if isinstance(found, (dict, Mapping)) else {}

    def service_names(self) -> list[str]:
        return list(self.services)

    def service(self, name: str) -> Mapping[str, Any]:
        found = self.services.get(name)
        if not isinstance(found, Mapping):
            raise InputError(
                f"no service named {name!r}", fix=f"the stack has: {', '.join(self.service_names()) or 'no services'}"
            )
        return found

    def active_service_names(self, profiles: Sequence[str] = ()) -> list[str]:
        """Services compose starts with these profiles enabled (`*`: all of them): those with no
        `profiles:` and those sharing a profile with `profiles`."""
        names = []
        for name, service in self.iter_services():
            own = service.get("profiles")
            own_list = [str(p) for p in own] if isinstance(own, list) else []
            if not own_list or "*" in profiles or set(own_list) & set(profiles):
                names.append(name)
        return names

    def iter_services(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for name, service in self.services.items():
            yield name, service if isinstance(service, (dict, Mapping)) else {}

    def interpolated_variables(self) -> dict[str, str]:
        """`{name: value}` of each variable the files interpolate from `.env` or the environment.
        (Only the files with a `$` can refer to one: the others' strings are not walked.)"""
        from composegen.masking import interpolated_variables

        texts = (t for doc in self.documents if doc.has_dollars for t in dollar_strings(doc.data))
        return interpolated_variables(texts, self.environment)

    def secret_values(self) -> tuple[str, ...]:
        """What composegen must never print or write of this stack: every value the files
        interpolate from `.env` or the environment, and each service's secret-named environment
        values (composegen.masking)."""
        from composegen.masking import secret_name, secret_values

        found = set(self.interpolated_variables().values())
        for _, service in self.iter_services():
            entries = service.get("environment")
            if isinstance(entries, list):
                entries = dict(str(e).partition("=")[::2] for e in entries)
            if is_mapping(entries):  # (its secret-named entries alone: most environments have none)
                named = {str(k): str(v) for k, v in entries.items() if v is not None and secret_name(str(k))}
                if named:
                    found.update(secret_values(named))
        return tuple(sorted(found))

    def effective_environment(self, name: str) -> dict[str, str | None]:
        """A service's environment as the container gets it: its `env_file`s in order (read with
        compose's `.env` rules), then `environment` on top. None: no value anywhere."""
        service = self.service(name)
        env: dict[str, str | None] = {}
        entries = service.get("env_file")
        for entry in entries if isinstance(entries, list) else [entries] if entries else []:
            path, required = (
                (entry.get("path"), entry.get("required", True)) if isinstance(entry, Mapping) else (entry, True)
            )
            file = self.project_dir / str(path)
            if not file.is_file():
                if required is False:
                    continue
                raise InputError(
                    f"env file {file} not found",
                    where=self.where(("services", name, "env_file")),
                    fix="create it, or mark it `required: false`",
                )
            env.update(read_env_file(file, self.environment))
        for key, value in key_value_mapping(service.get("environment")).items():
            env[key] = self.environment.get(key) if value is None else value
        return env

    def env_file_variables(
        self, name: str, cache: dict[str, Mapping[str, tuple[str, str]]] | None = None
    ) -> Mapping[str, tuple[str, str]]:
        """What a service's `env_file`s set, in order (the later file wins): {name: (value,
        `file:line`)}, the file as the service names it. A file that is missing or that compose
        would refuse is skipped: the values are a help to the stack's facts, never a new error.
        `cache`: the files read already, by name (many services naming one file read it once and
        share its mapping: treat it as read-only)."""
        service = self.service(name)
        entries = service.get("env_file")
        files = cache if cache is not None else {}
        found: list[Mapping[str, tuple[str, str]]] = []
        for entry in entries if isinstance(entries, list) else [entries] if entries else []:
            path = str(entry.get("path") if isinstance(entry, Mapping) else entry)
            if path not in files:
                try:
                    read = read_env_file_lines(self.project_dir / path, self.environment)
                except (ComposegenError, OSError):
                    read = {}
                files[path] = {key: (value, f"{path}:{line}") for key, (value, line) in read.items()}
            found.append(files[path])
        if len(found) == 1:
            return found[0]
        merged: dict[str, tuple[str, str]] = {}
        for variables in found:
            merged.update(variables)
        return merged

    def origin(self, path: KeyPath) -> Origin | None:
        """Where the key at `path` of the merged model was written (or its nearest parent)."""
        return origin_at(self.data, path)

    def where(self, path: KeyPath) -> str:
        """`file:line` for a key path of the merged model, or the first file's name."""
        found = self.origin(path)
        return found.where() if found else (str(self.files[0]) if self.files else "")

    def validate(self) -> list[SchemaError]:
        """Schema and type errors of the merged model (see `composegen.compose.schema`)."""
        from composegen.compose.schema import validate  # lazy: loads the schema on first use

        skip = {p.path for p in self.problems if p.kind in ("variable-required", "variable-invalid")}
        return [error for error in validate(self.data) if error.path not in skip]


# --- paths -----------------------------------------------------------------------------------


def _join(base_dir: Path, value: str) -> str:
    if value.startswith(("/", "~")) or "://" in value or value.startswith(("git@", "github.com/")):
        return value
    return os.path.normpath(base_dir / value)


def _absolute_service_paths(service: Any, base_dir: Path) -> Any:
    """A service's relative paths (build context, env files, bind mounts) made absolute."""
    if not isinstance(service, SDict):
        return service
    out = SDict(service, service.origins)
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = _join(base_dir, build)
    elif isinstance(build, Mapping) and isinstance(build.get("context"), str):
        new_build = SDict(build, _origins_of(build))
        new_build["context"] = _join(base_dir, build["context"])
        out["build"] = new_build
    for key in ("env_file", "label_file"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = _join(base_dir, value)
        elif isinstance(value, list):
            out[key] = SList.of(
                (
                    _join(base_dir, v)
                    if isinstance(v, str)
                    else (
                        _with(v, "path", _join(base_dir, v["path"]))
                        if isinstance(v, Mapping) and isinstance(v.get("path"), str)
                        else v
                    ),
                    o,
                )
                for v, o in items(value)
            )
    volumes = out.get("volumes")
    if isinstance(volumes, list):
        out["volumes"] = SList.of((_absolute_volume(v, base_dir), o) for v, o in items(volumes))
    return out


def _origins_of(value: Mapping[str, Any]) -> dict[str, Origin] | None:
    return value.origins if isinstance(value, SDict) else None


def _with(mapping: Mapping[str, Any], key: str, value: Any) -> SDict:
    out = SDict(mapping, _origins_of(mapping))
    out[key] = value
    return out


def _absolute_volume(entry: Any, base_dir: Path) -> Any:
    if isinstance(entry, str):
        try:
            volume = parse_volume(entry)
        except SyntaxProblem:
            return entry
        if volume.type == "bind" and volume.source and volume.source.startswith("."):
            rest = entry[len(volume.source) :]
            return _join(base_dir, volume.source) + rest
        return entry
    if (
        isinstance(entry, Mapping)
        and entry.get("type") == "bind"
        and isinstance(entry.get("source"), str)
        and is_file_path(entry["source"])
    ):
        return _with(entry, "source", _join(base_dir, entry["source"]))
    return entry


def _absolute_paths(layer: SDict, base_dir: Path) -> SDict:
    out = SDict(layer, layer.origins)
    services = layer.get("services")
    if isinstance(services, Mapping):
        out["services"] = SDict(
            {name: _absolute_service_paths(s, base_dir) for name, s in services.items()},
            _origins_of(services),
        )
    for section in ("secrets", "configs"):
        defined = layer.get(section)
        if isinstance(defined, Mapping):
            out[section] = SDict(
                {
                    name: (
                        _with(d, "file", _join(base_dir, d["file"]))
                        if isinstance(d, Mapping) and isinstance(d.get("file"), str)
                        else d
                    )
                    for name, d in defined.items()
                },
                _origins_of(defined),
            )
    return out


# --- loading ---------------------------------------------------------------------------------


class _Loader:
    """Loads files into merged layers, resolving extends and include, collecting problems."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.documents: list[Document] = []
        self.issues: list[VariableIssue] = []
        self.problems: list[Problem] = []
        self._other_files: dict[tuple[Path, int], SDict] = {}
        self._resolved: dict[tuple[Path, str], Any] = {}
        self._docs: dict[Path, Document] = {}
        self._real: dict[Path, Path] = {}

    def real(self, path: Path) -> Path:
        """`path.resolve()`, asked once per path and load (each asks the filesystem about every
        folder on the way)."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = real_path(path)
        return found

    def document(self, path: Path, display: str | None = None) -> Document:
        key = self.real(path)
        if key not in self._docs:
            self._docs[key] = read_document(path, display)
        return self._docs[key]

    def remember(self, path: Path, doc: Document) -> None:
        """Use `doc` as what `path` holds, without reading it."""
        self._docs[self.real(path)] = doc

    def read(self, path: Path, variables: Mapping[str, str], display: str | None = None) -> SDict:
        """One file, interpolated, as an `SDict` (extends and include not yet applied)."""
        doc = self.document(path, display)
        self.documents.append(doc)
        for keys, pos in doc.duplicate_keys:
            self.problems.append(
                Problem(
                    "duplicate-key",
                    f"duplicate key {dotted(keys)}: compose refuses the file",
                    keys,
                    Origin(doc.path, pos.line, pos.column),
                )
            )
        for keys, pos, what in doc.non_string_keys:
            self.problems.append(
                Problem(
                    "non-string-key",
                    f"the key {keys[-1]} of {dotted(keys[:-1]) or 'the top level'} is {what} to compose, "
                    "which takes only text keys: quote it",
                    keys,
                    Origin(doc.path, pos.line, pos.column),
                )
            )
        data = annotate(doc)
        if data is None or data == {}:
            return SDict()
        if not isinstance(data, SDict):
            raise InputError(
                "a compose file must hold a mapping at the top level",
                where=doc.where(),
                fix="start the file with keys like services:",
            )
        result = interpolate(data, variables, dollars=doc.has_dollars)
        self.issues.extend(result.issues)
        value = result.value
        assert isinstance(value, SDict)
        return value

    def layer(
        self, path: Path, variables: Mapping[str, str], chain: tuple[Path, ...], display: str | None = None
    ) -> SDict:
        """One file ready to merge: read, extends resolved, includes brought in."""
        data = self.read(path, variables, display)
        data = self.resolve_extends(data, self.real(path), variables, chain)
        return self.apply_include(data, path, variables, chain)

    def load(
        self,
        paths: Sequence[Path],
        variables: Mapping[str, str],
        chain: tuple[Path, ...] = (),
        displays: Sequence[str | None] | None = None,
    ) -> SDict:
        return _unique_entries(self.merged(paths, variables, SDict(), chain, displays))

    def merged(
        self,
        paths: Sequence[Path],
        variables: Mapping[str, str],
        merged: SDict,
        chain: tuple[Path, ...] = (),
        displays: Sequence[str | None] | None = None,
    ) -> SDict:
        """`paths` merged onto `merged` (what the files before them made), one by one; keyed
        sequences not yet made unique (`_unique_entries`: once, at the end, as compose does)."""
        for index, path in enumerate(paths):
            display = displays[index] if displays else None
            layer = self.layer(path, variables, (*chain, self.real(path)), display)
            tagged = any(doc.has_tags for doc in self.documents)
            if not merged and not tagged:
                merged = SDict(layer, layer.origins)  # merging onto nothing, with no tag to strip: a copy
            else:
                merged = merge_into(merged, layer, tagged=tagged)
        return merged

    # extends ------------------------------------------------------------------------------

    def resolve_extends(self, data: SDict, file: Path, variables: Mapping[str, str], chain: tuple[Path, ...]) -> SDict:
        services = data.get("services")
        if not isinstance(services, Mapping) or not any(
            isinstance(s, Mapping) and "extends" in s for s in services.values()
        ):
            return data
        resolved = SDict(services, _origins_of(services))
        for name in services:
            resolved[name] = self.extend(file, services, name, variables, ())
        out = SDict(data, data.origins)
        out["services"] = resolved
        return out

    def other_file(self, path: Path, variables: Mapping[str, str]) -> SDict:
        key = (path, id(variables))
        if key not in self._other_files:
            data = self.read(path, variables)
            if path.parent != self.real(self.project_dir):
                data = _absolute_paths(data, path.parent)
            services = data.get("services")
            self._other_files[key] = services if isinstance(services, SDict) else SDict()
        return self._other_files[key]

    def extend(
        self,
        file: Path,
        services: Mapping[str, Any],
        name: str,
        variables: Mapping[str, str],
        chain: tuple[tuple[Path, str], ...],
    ) -> Any:
        service = services[name]
        spec = strip_tags(service.get("extends")) if isinstance(service, Mapping) else None
        if spec is None:
            return service
        here = (file, name)
        if here in self._resolved:
            return self._resolved[here]
        where = origin_at(services, (name, "extends"))
        if here in chain:
            cycle = " -> ".join(f"{n} ({f.name})" for f, n in (*chain, here))
            raise InputError(
                f"extends cycle: {cycle}",
                where=where.where() if where else str(file),
                fix="remove one of the extends so services do not extend each other in a loop",
            )
        if isinstance(spec, str):
            base_name, base_file = spec, None
        elif isinstance(spec, Mapping) and isinstance(spec.get("service"), str):
            base_name, base_file = spec["service"], spec.get("file")
        else:
            raise InputError(
                f"service {name!r}: extends needs a service name",
                where=where.where() if where else str(file),
                fix="write `extends: other` or `extends: {service: other, file: common.yml}`",
            )
        if isinstance(base_file, str):
            target = real_path(file.parent / base_file)
            with _referred([str(target)], where.where() if where else str(file), "extends file"):
                base_services: Mapping[str, Any] = self.other_file(target, variables)
        else:
            target = file
            base_services = services
        if base_name not in base_services:
            raise InputError(
                f"service {name!r} extends {base_name!r}, which {target.name} does not define",
                where=where.where() if where else str(file),
                fix="check the service name (extends only sees services of that one file)",
            )
        base = strip_tags(self.extend(target, base_services, base_name, variables, (*chain, here)))
        own = SDict(service, _origins_of(service))
        own.remove("extends")
        if not isinstance(base, Mapping):
            base = SDict()
        base = SDict(base, _origins_of(base))
        base.remove("extends")
        merged = merge_mappings(base, own, ("services", name))
        self._resolved[here] = merged
        return merged

    # include ------------------------------------------------------------------------------

    def apply_include(self, data: SDict, path: Path, variables: Mapping[str, str], chain: tuple[Path, ...]) -> SDict:
        entries = data.get("include")
        if entries is None:
            return data
        out = SDict(data, data.origins)
        out.remove("include")
        base_dir = path.parent
        for entry, origin in items(entries if isinstance(entries, list) else [entries]):
            where = origin.where() if origin else str(path)
            files, project_dir, env_files = _include_spec(entry, base_dir, where)
            for file in files:
                if self.real(file) in chain:
                    raise InputError(
                        f"include cycle: {file} includes itself through {path.name}",
                        where=where,
                        fix="remove the include that loops back",
                    )
            included_vars = project_environment(project_dir, variables, env_files)
            with _referred([str(f) for f in files], where, "included file"):
                included = self.load(files, included_vars, chain)
            if self.real(project_dir) != self.real(self.project_dir):
                included = _absolute_paths(included, project_dir)
            self.check_included_top(included)
            for section in SECTIONS:
                imported = included.get(section)
                if not isinstance(imported, Mapping):
                    continue
                current = out.get(section)
                target = SDict(current, _origins_of(current)) if isinstance(current, Mapping) else SDict()
                for name, value in imported.items():
                    if name in target:
                        clash = key_origin(target, name)
                        raise InputError(
                            f"{section}.{name} conflicts with imported resource from {files[0]}",
                            where=clash.where() if clash else where,
                            fix="rename one of them, or drop it from one of the files",
                        )
                    target.set(name, value, key_origin(imported, name))
                out.set(section, target, out.origins.get(section) or origin)
        return out

    def check_included_top(self, included: SDict) -> None:
        """compose validates an included project whole, but only its sections are merged: the rest
        of its top level (its `name`, a key compose does not know) is checked here."""
        rest = SDict(
            {k: v for k, v in included.items() if k not in SECTIONS},
            {k: o for k, o in included.origins.items() if k not in SECTIONS},
        )
        if not rest:
            return
        from composegen.compose.schema import validate  # lazy: loads the schema on first use

        for error in validate(rest):
            message = f"{dotted(error.path) or '(top level)'}: {error.message}"
            self.problems.append(Problem("include-invalid", message, error.path, origin_at(rest, error.path)))


@contextmanager
def _referred(files: Collection[str], referrer: str, what: str) -> Iterator[None]:
    """A file that cannot be read (missing, a folder, unreadable) named with the `file:line` that
    refers to it; errors inside it keep their own `file:line`."""
    try:
        yield
    except InputError as err:
        if err.where not in files:
            raise
        raise InputError(f"{what} {err.where}: {err.message}", where=referrer, fix=err.fix) from None


def _include_spec(entry: Any, base_dir: Path, where: str) -> tuple[list[Path], Path, list[Path] | None]:
    def paths(value: Any) -> list[Path]:
        values = value if isinstance(value, list) else [value]
        return [(base_dir / str(v)) for v in values if v is not None]

    if isinstance(entry, str):
        files = paths(entry)
        return files, files[0].parent, None
    if isinstance(entry, Mapping) and entry.get("path") is not None:
        files = paths(entry["path"])
        project = base_dir / str(entry["project_directory"]) if entry.get("project_directory") else files[0].parent
        env_files = paths(entry["env_file"]) if entry.get("env_file") is not None else None
        return files, project, env_files
    raise InputError(
        "an include entry needs a path",
        where=where,
        fix="write `include: [other.yml]` or `include: [{path: other.yml}]`",
    )


def _mount_conflicts(data: Mapping[str, Any]) -> list[Problem]:
    """compose v2 refuses two mounts on one container path (tmpfs entries, then volumes)."""
    problems: list[Problem] = []
    services = data.get("services")
    if not isinstance(services, Mapping):
        return problems
    for name, service in services.items():
        if not isinstance(service, Mapping) or ("tmpfs" not in service and "volumes" not in service):
            continue  # most services mount nothing
        seen: dict[str, KeyPath] = {}
        tmpfs = service.get("tmpfs")
        mounts: list[tuple[KeyPath, str]] = []
        for index, entry in enumerate(tmpfs if isinstance(tmpfs, list) else [tmpfs] if tmpfs else []):
            mounts.append(
                (
                    ("services", name, "tmpfs", index) if isinstance(tmpfs, list) else ("services", name, "tmpfs"),
                    tmpfs_target(entry),
                )
            )
        volumes = service.get("volumes")
        for index, entry in enumerate(volumes if isinstance(volumes, list) else []):
            try:
                mounts.append((("services", name, "volumes", index), volume_target(entry)))
            except SyntaxProblem:
                continue
        for path, target in mounts:
            if target in seen:
                problems.append(
                    Problem(
                        "mount-conflict",
                        f"{dotted(path)}: target {target} already mounted as {dotted(seen[target])}",
                        path,
                        origin_at(data, path),
                    )
                )
            else:
                seen[target] = path
    return problems


def normalize_project_name(name: str) -> str:
    """compose's project name from any text: lowercase letters, digits, `_` and `-`, starting
    with a letter or digit (`My App` -> `myapp`)."""
    kept = "".join(c for c in name.lower() if c.isascii() and (c.isalnum() or c in "_-"))
    return kept.lstrip("_-")


def _project_name(loader: _Loader, files: Sequence[Path], variables: Mapping[str, str], project_dir: Path) -> str:
    """`COMPOSE_PROJECT_NAME`, else the last top-level `name:` of the files, else the folder."""
    if variables.get("COMPOSE_PROJECT_NAME"):
        return variables["COMPOSE_PROJECT_NAME"]
    found = ""
    for path in files:
        data = loader.document(path, str(path)).data
        if isinstance(data, Mapping) and isinstance(data.get("name"), str):
            found = substitute(data["name"], variables)
    return found or normalize_project_name(loader.real(project_dir).name)


def _finish_service(service: Any, variables: Mapping[str, str]) -> Any:
    """What compose does to a merged service before use: drop empty `dns` entries, and fill
    `environment` and `build.args` entries that name a variable but give no value from the
    project's variables (the shell, then `.env`)."""
    if not isinstance(service, SDict) or (
        "dns" not in service and "environment" not in service and "build" not in service
    ):
        return service  # (most services: nothing to drop or fill)
    if "dns" not in service and "build" not in service:  # (an environment alone to fill, as most)
        environment = service["environment"]
        filled = _fill_bare(environment, variables)
        return service if filled is environment else _set_path(service, ("environment",), filled)
    return finished_service(service, variables)


def finished_service(service: SDict, variables: Mapping[str, str]) -> SDict:
    """`_finish_service` of a service as an `SDict`, each of its steps taken."""
    out = service
    dns = service.get("dns")
    if isinstance(dns, list) and any(v is None or v == "" for v in dns):
        out = SDict(out, out.origins)
        out["dns"] = SList.of((v, o) for v, o in items(dns) if not (v is None or v == ""))
    for path in (("environment",), ("build", "args")):
        parent: Any = out
        for key in path[:-1]:
            parent = parent.get(key) if is_mapping(parent) else None
        if not is_mapping(parent):
            continue
        resolved = _fill_bare(parent.get(path[-1]), variables)
        if resolved is not parent.get(path[-1]):
            out = _set_path(out, path, resolved)
    return out


def _fill_bare(value: Any, variables: Mapping[str, str]) -> Any:
    if is_mapping(value):
        missing = [k for k, v in value.items() if v is None and str(k) in variables]
        if not missing:
            return value
        filled = SDict(value, _origins_of(value))
        for key in missing:
            filled[key] = variables[str(key)]
        return filled
    if isinstance(value, list):
        if not any(isinstance(v, str) and "=" not in v and v in variables for v in value):
            return value
        return SList.of(
            (f"{v}={variables[v]}" if isinstance(v, str) and "=" not in v and v in variables else v, o)
            for v, o in items(value)
        )
    return value


def _set_path(root: SDict, path: KeyPath, value: Any) -> SDict:
    out = SDict(root, root.origins)
    if len(path) == 1:
        out[path[0]] = value
        return out
    child = root.get(path[0])
    out[path[0]] = _set_path(child if isinstance(child, SDict) else SDict(child or {}), path[1:], value)
    return out


def _finish(data: SDict, variables: Mapping[str, str]) -> SDict:
    services = data.get("services")
    if not isinstance(services, Mapping):
        return data
    finished = {name: _finish_service(s, variables) for name, s in services.items()}
    if isinstance(services, SDict) and all(finished[name] is s for name, s in services.items()):
        return data  # (most stacks: nothing to drop or fill, and nothing copied)
    out = SDict(data, data.origins)
    out["services"] = SDict(finished, _origins_of(services))
    return out


_ISSUE_KINDS: dict[str, ProblemKind] = {
    "unset": "variable-unset",
    "required": "variable-required",
    "invalid": "variable-invalid",
}


def load_stack(
    paths: Sequence[Path],
    env: Mapping[str, str] | None = None,
    *,
    project_dir: Path | None = None,
    env_files: Sequence[Path] | None = None,
    project_name: str | None = None,
    read: Mapping[Path, Document] | None = None,
) -> Stack:
    """Read, interpolate, extend, include and merge compose files into a `Stack`.

    `env` is the process environment (default `os.environ`); it takes precedence over the
    `.env` file of the project directory (default: the first file's folder), or over
    `env_files` when given (compose's `--env-file`). Problems compose would warn about or refuse
    (unset or missing required variables, duplicate keys, two mounts on one path) are collected
    in `Stack.problems`; only unreadable files, extends cycles and the like raise `InputError`.
    `read`: files already read, by path (an overlay composegen just rendered), used as they are.
    """
    files = tuple(Path(p) for p in paths)
    if not files:
        raise InputError("no compose file given", fix="name at least one compose file")
    project = project_dir if project_dir is not None else files[0].parent
    process_env: Mapping[str, str] = os.environ if env is None else env
    variables = project_environment(project, dict(process_env), list(env_files) if env_files is not None else None)
    loader = _Loader(project)
    for path, doc in (read or {}).items():
        loader.remember(path, doc)
    variables.setdefault("PWD", str(Path.cwd()))  # compose always provides it
    name = project_name or _project_name(loader, files, variables, project)
    variables.setdefault("COMPOSE_PROJECT_NAME", name)
    merged = loader.merged(files, variables, SDict(), displays=[str(p) for p in files])
    return _loaded_stack(loader, merged, files, project, name, variables)


def load_more(
    base: Stack,
    paths: Sequence[Path],
    read: Mapping[Path, Document] | None = None,
    env: Mapping[str, str] | None = None,
) -> Stack:
    """`load_stack([*base.files, *paths], env, project_dir=base.project_dir, read=read)` for a
    `base` that `load_stack(base.files, env, project_dir=base.project_dir)` loaded: the same
    stack, without reading, interpolating and merging the base's files again (a render checks
    its overlay over the base it has just loaded). Loaded in full where a later file names the
    project (`name:`: the project name is a variable the base's files were read with) or `base`
    kept no `loaded` state."""
    added = tuple(Path(p) for p in paths)
    files = (*base.files, *added)
    loaded = base.loaded
    loader = _Loader(base.project_dir)
    for path, doc in (read or {}).items():
        loader.remember(path, doc)
    if loaded is None or any(_names_project(loader.document(path, str(path)).data) for path in added):
        return load_stack(files, env, project_dir=base.project_dir, read=read)
    variables = dict(base.environment)
    loader.documents.extend(base.documents)
    loader.issues.extend(loaded.issues)
    loader.problems.extend(loaded.problems)
    merged = loader.merged(added, variables, loaded.merged, displays=[str(p) for p in added])
    return _loaded_stack(loader, merged, files, base.project_dir, base.name, variables)


def _names_project(data: Any) -> bool:
    return isinstance(data, Mapping) and "name" in data


def _unique_entries(merged: SDict) -> SDict:
    result = enforce_unicity(merged)
    assert isinstance(result, SDict)
    return result


def _loaded_stack(
    loader: _Loader, merged: SDict, files: tuple[Path, ...], project: Path, name: str, variables: dict[str, str]
) -> Stack:
    """The stack of the files `loader` merged (`merged`: before keyed sequences are made unique)."""
    data = _finish(_unique_entries(merged), variables)
    seen_issues: set[tuple[str, str, KeyPath, str]] = set()
    problems: list[Problem] = []
    for issue in loader.issues:
        marker = (issue.kind, issue.name, issue.path, issue.where())
        if marker in seen_issues:
            continue
        seen_issues.add(marker)
        problems.append(
            Problem(_ISSUE_KINDS[issue.kind], issue.message, issue.path, issue.origin, error=issue.is_error)
        )
    problems.extend(loader.problems)
    problems.extend(_mount_conflicts(data))
    return Stack(
        data=data,
        files=files,
        project_dir=project,
        name=name,
        documents=tuple(loader.documents),
        environment=variables,
        problems=tuple(problems),
        loaded=Loaded(merged, tuple(loader.issues), tuple(loader.problems)),
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a document's data, keys and values (iteratively: no recursion limit)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif is_mapping(item):  # (not the ABC first: asked of every value of the file)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, Tagged):
            pending.append(item.value)


def dollar_strings(value: Any) -> list[str]:
    """The strings of `_strings(value)` that hold a `$`, found without handing on each of the
    others (a large file's strings are mostly names, images and numbers)."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "$" in item:
                found.append(item)
        elif is_mapping(item):
            for children in (item.keys(), item.values()):
                for child in children:
                    if type(child) is str:
                        if "$" in child:
                            found.append(child)
                    elif child is not None and type(child) not in _NUMBERS:
                        pending.append(child)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, Tagged):
            pending.append(item.value)
    return found


#: Scalars that hold no text (`dollar_strings` passes them by).
_NUMBERS = frozenset({int, float, bool})


def has_tags(value: Any) -> bool:
    """Whether a value still holds `!reset`/`!override` markers (it should not after loading)."""
    if isinstance(value, Tagged):
        return True
    if isinstance(value, Mapping):
        return any(has_tags(v) for v in value.values())
    if isinstance(value, list):
        return any(has_tags(v) for v in value)
    return False
