"""The render pipeline: project + profile → inputs → plan → overlay text → validated, then written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from composegen import __version__
from composegen.compose.stack import Stack
from composegen.errors import InputError, ValidationError
from composegen.profiles import PROJECT_FILE
from composegen.profiles.loader import LoadedProfile, LoadedProject, load_profile, load_project
from composegen.render.base import check_merged, load_base
from composegen.render.context import stack_context
from composegen.render.layout import TooLarge, overlay_written
from composegen.resolve import resolve_inputs
from composegen.sizing.model import ServiceInputs, StackPlan
from composegen.sizing.plan import plan_stack
from composegen.units import human_bytes
from composegen.yamlio import MAX_FILE_BYTES, NotReadBack, parse_document, read_text

if TYPE_CHECKING:
    from composegen.masking import StackSecrets
    from composegen.sizing.measured import Measurements


@dataclass(frozen=True)
class Planned:
    project: LoadedProject
    profile: LoadedProfile
    base: Stack  # the merged, interpolated base stack
    inputs: tuple[ServiceInputs, ...]
    stack: StackPlan
    digest: str
    measurements: Measurements | None = None  # the file's values the plan used, when one was given
    base_valid: bool = False  # the base alone passes the schema and compose's reading (render.base.load_base)

    @property
    def secrets(self) -> StackSecrets:
        """The stack's secret values (Stack.secret_values), as planning searched the services for
        them (ServiceInputs.secrets): what quotes the stack after shares the search and what it
        masked, rather than walking the files again and building another."""
        from composegen.masking import StackSecrets  # lazy: a lint knows no secret values

        shared = next((i.secrets for i in self.inputs if i.secrets is not None), None)
        return shared.with_own(()) if shared is not None else StackSecrets()  # the stack's alone


@dataclass(frozen=True)
class Rendered:
    planned: Planned
    text: str
    output: Path


def _digest(profile: LoadedProfile, project: LoadedProject, base_texts: list[str]) -> str:
    payload = json.dumps(
        {
            "profile": profile.profile.model_dump(mode="json"),
            "project": project.project.model_dump(mode="json"),
            "base": base_texts,
        },
        sort_keys=True,
    )
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def plan(
    profile_ref: str,
    project_path: Path | None,
    cwd: Path,
    docker_version: str | None = None,
    measurements: Path | None = None,
    facts: bool = True,
) -> Planned:
    """Everything a render needs, with the plan; `docker_version` is the Engine the stack will
    run on, when it is older than composegen assumes (see sizing.plan.plan_stack); `measurements`
    a file `composegen calibrate` wrote, whose measured values replace the estimates; `facts`:
    False leaves out what explain alone lists of the base (`ServicePlan.base_facts`)."""
    project = load_project(project_path, cwd)
    profile = load_profile(profile_ref, cwd, project.path)
    paths = project.compose_paths()
    base, base_valid = load_base(paths, project.root)
    _refuse_too_many_services(len(base.services), paths)
    inputs = tuple(resolve_inputs(project, base.services, base.secret_values(), stack=base))
    measured, measured_text = read_measurements(measurements, cwd)
    stack = plan_stack(inputs, profile.profile, project.project.host, docker_version, measured, facts)
    _refuse_impossible_limits(stack, project)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths]
    if docker_version:
        texts.append(f"docker {docker_version}")
    if measured_text is not None:
        texts.append(f"measurements {measured_text}")
    return Planned(project, profile, base, inputs, stack, _digest(profile, project, texts), measured, base_valid)


#: The largest memory limit composegen writes: 1 PiB, past any host. Counts and sizes that are
#: each in range can still multiply past it (`workers: 1024` of `memory_per_worker: 8000T`), and
#: past what compose reads (8 EiB): the input is refused at its line, not the overlay.
MAX_MEMORY_LIMIT = 1024**5


def _refuse_impossible_limits(stack: StackPlan, project: LoadedProject) -> None:
    for service in stack.services:
        if service.memory_limit.value <= MAX_MEMORY_LIMIT:
            continue
        document = project.document
        declared = document is not None and service.name in project.project.services
        raise InputError(
            f"service {service.name!r}: its memory limit comes to {human_bytes(service.memory_limit.value)}, "
            "more than any host has (1 PiB)",
            where=document.where(("services", service.name)) if document is not None and declared else PROJECT_FILE,
            fix="check the counts and sizes given for it (workers, memory_per_worker, replicas, models, batch)",
        )


#: The most services composegen plans in one stack: every service is planned, written and
#: checked, in time in proportion to their number. At 12,000 small services (one image and a
#: `security_opt` item each, 0.84 MB) `render --profile prod` took 14.6 G instructions, 2.2 s, and
#: `export k8s` 13.5 G and 12,000 files, over the 2 s composegen allows itself for an input of
#: 1 MB (bench/hostile.py --at-cap, docs/benchmarks.md); at 8,000, about 1.5 s. Counted as soon as
#: the base is read, so a larger stack is refused before that work.
MAX_SERVICES = 8_000


def _refuse_too_many_services(count: int, paths: list[Path]) -> None:
    if count > MAX_SERVICES:
        raise InputError(
            f"the overlay for {count:,} services would be too large: composegen plans at most "
            f"{MAX_SERVICES:,}, for an overlay it reads back (render --check, lint)",
            where=str(paths[0]) if paths else PROJECT_FILE,
            fix="split the stack into several projects",
        )


def _refuse_unreadable_size(text: str, planned: Planned) -> None:
    """An overlay composegen could not read back (render --check, lint) is not written: fewer
    than MAX_SERVICES services whose blocks are long (long names, many settings) are refused
    here, at the base, and not as a file over the limit in a temporary folder."""
    size = len(text) if text.isascii() else len(text.encode("utf-8"))  # (isascii: a flag, not a pass)
    if size > MAX_FILE_BYTES:
        _refuse_unreadable(planned, f"would be {size // 1024**2} MiB, over the")


#: What an overlay's limit is for (`_refuse_unreadable`).
_READ_BACK = "composegen reads back (render --check, lint)"


def refuse_passed_limit(
    planned: Planned, written: int, what: str = "overlay", limit: int | None = None, why: str = _READ_BACK
) -> NoReturn:
    """`_refuse_unreadable_size` for a file whose first `written` services already pass the
    limit (`layout.TooLarge`): refused then, the rest neither made nor written. `what`, `limit`
    and `why`: the file, its limit (None: MAX_FILE_BYTES), and what the limit is for."""
    after = f": its first {written:,} already come to more"
    _refuse_unreadable(planned, "would be over the", after, what, limit, why)


def _refuse_unreadable(
    planned: Planned,
    size: str,
    after: str = "",
    what: str = "overlay",
    limit: int | None = None,
    why: str = _READ_BACK,
) -> NoReturn:
    paths = planned.project.compose_paths()
    limit = MAX_FILE_BYTES if limit is None else limit
    raise InputError(
        f"the {what} for {len(planned.inputs):,} services {size} {limit // 1024**2} MiB {why}{after}",
        where=str(paths[0]) if paths else PROJECT_FILE,
        fix="split the stack into several projects",
    )


def read_measurements(path: Path | None, cwd: Path) -> tuple[Measurements | None, str | None]:
    """The measurements file at `path` (relative to `cwd`), read, and its text."""
    if path is None:
        return None, None
    full = path if path.is_absolute() else cwd / path
    try:
        text = read_text(full)  # a regular file only: a FIFO would block, a device never end
    except InputError as err:
        raise InputError(
            f"cannot read the measurements file: {err.message}",
            where=str(path),
            fix="write one with `composegen calibrate --profile NAME -o FILE`",
        ) from None
    from composegen.sizing.measured import parse_measurements  # lazy: only a render given a file reads one

    return parse_measurements(text, str(path)), text


def read_files(planned: Planned) -> list[Path]:
    """The files a run of `planned` read (composegen.yaml, the profile files, every compose file
    with its includes and extends, the .env, the measurements): never an output of the same run."""
    files = [Path(doc.path) for doc in planned.base.documents] + [Path(f) for f in planned.profile.files]
    if (planned.project.root / ".env").is_file():
        files.append(planned.project.root / ".env")
    if planned.project.path is not None:
        files.append(planned.project.path)
    if planned.measurements is not None:
        files.append(Path(planned.measurements.where))
    return files


def default_output(planned: Planned, target: str = "compose") -> Path:
    """docker-compose.PROFILE.yml (an overlay) or docker-stack.PROFILE.yml (a Swarm stack file),
    beside the first base file."""
    first = planned.project.compose_paths()[0]
    kind = "stack" if target == "swarm" else "compose"
    return first.parent / f"docker-{kind}.{planned.profile.profile.name}.yml"


def render(
    profile_ref: str,
    project_path: Path | None,
    cwd: Path,
    output: Path | None = None,
    docker_version: str | None = None,
    measurements: Path | None = None,
    target: str = "compose",
) -> Rendered:
    planned = plan(profile_ref, project_path, cwd, docker_version, measurements, facts=False)
    out = output or default_output(planned, target)
    if target == "swarm":
        from composegen.render.swarm import render_swarm_planned

        return Rendered(planned, render_swarm_planned(planned, out).text, out)
    return Rendered(planned, render_planned(planned, out), out)


def overlay_context(planned: Planned, out: Path) -> dict[str, Any]:
    """The context (`render.context`) of the overlay for `planned`, written to `out`."""
    root = planned.project.root
    base_files = [
        str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in planned.project.compose_paths()
    ]
    return stack_context(
        replace(planned.stack, target="compose"),  # an overlay is for compose whatever the profile's target
        list(planned.inputs),
        version=__version__,
        digest=planned.digest,
        base_files=base_files,
        output_name=out.name,
    )


def render_planned(planned: Planned, out: Path) -> str:
    """The overlay text for a plan, validated merged over its base (raises ValidationError)."""
    try:
        data, text = overlay_written(overlay_context(planned, out), MAX_FILE_BYTES)
    except TooLarge as over:
        refuse_passed_limit(planned, over.written)
    check_overlay(text, planned, out, data=data)
    return text


def check_overlay(
    text: str, planned: Planned, out: Path, base: list[Path] | None = None, data: Mapping[str, Any] | None = None
) -> None:
    """Merge the rendered overlay over the base as compose would, validate the result.
    `base`: the files it goes over (default: the project's compose files; `[]` for a file that
    stands alone, like the Swarm stack file). `data`: what `text` was dumped from (`yamlio.dump`):
    checked as the reader would read the text back (`yamlio.read_back`), without parsing it; only
    when that finds a problem is the text parsed, for the problem's line."""
    _refuse_unreadable_size(text, planned)
    paths = planned.project.compose_paths() if base is None else base
    if data is not None and _passes(text, data, planned, out, paths):
        return
    try:
        problems, doc = check_merged(paths, planned.project.root, text, out.name, planned.base.documents)
    except InputError:
        parse_document(text, str(out))  # the overlay's own error, under the name it is written to
        raise
    if doc.duplicate_keys:
        keys, pos = doc.duplicate_keys[0]
        raise ValidationError(
            f"rendered overlay has a duplicate key {'.'.join(map(str, keys))} at line {pos.line}",
            where=str(out),
            fix="this is a composegen bug: please report it",
        )
    if problems:
        raise ValidationError(
            f"the merged stack would be rejected by compose: {problems[0]}",
            where=str(out),
            fix="this is a composegen bug or an impossible input: see `composegen explain`",
        )


def _passes(text: str, data: Mapping[str, Any], planned: Planned, out: Path, paths: list[Path]) -> bool:
    """Whether the overlay's data, merged over the base, has nothing compose would refuse."""
    try:
        over = planned.base if paths == planned.project.compose_paths() else None  # (a Swarm stack file: alone)
        problems, doc = check_merged(
            paths,
            planned.project.root,
            text,
            out.name,
            planned.base.documents,
            overlay_data=data,
            base=over,
            base_valid=planned.base_valid,
        )
    except (InputError, NotReadBack):
        return False
    return not problems and not doc.duplicate_keys
