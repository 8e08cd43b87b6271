"""Build LintContexts from files: one per file on its own, or one for a merged `-f` stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from composegen.compose.stack import Stack, load_stack
from composegen.errors import ComposegenError
from composegen.lint.context import LintContext, Mode, Target
from composegen.resolve import resolve_inputs, resolve_services
from composegen.sizing.inputs import ServiceInputs

if TYPE_CHECKING:  # without composegen.yaml, lint never imports pydantic
    from composegen.profiles.loader import LoadedProject


def _inputs(stack: Stack, project: LoadedProject | None) -> dict[str, ServiceInputs]:
    """Roles and declared inputs: composegen.yaml where it names the service, detection otherwise."""
    services = {k: v for k, v in stack.services.items() if isinstance(v, (dict, Mapping))}  # (dict: fast)
    if project is None:
        return {i.name: i for i in resolve_services(services, {})}
    from composegen.profiles.loader import LoadedProject

    # lint a stack whose services composegen.yaml may not all describe (or may describe more)
    known = {k: v for k, v in project.project.services.items() if k in stack.services}
    loaded = LoadedProject(project.project.model_copy(update={"services": known}), project.path, project.root)
    try:
        return {i.name: i for i in resolve_inputs(loaded, services)}
    except ComposegenError:
        # an unknown model or the like in composegen.yaml: lint still runs, on detection alone
        return {i.name: i for i in resolve_services(services, {})}


def build_context(
    paths: Sequence[Path],
    *,
    mode: Mode,
    project: LoadedProject | None = None,
    usage: str | None = None,
    target: Target | None = None,
    env: Mapping[str, str] | None = None,
    project_dir: Path | None = None,
) -> LintContext:
    stack = load_stack(list(paths), env=env, project_dir=project_dir)
    host = project.project.host if project is not None else None
    return LintContext(
        stack=stack, mode=mode, usage=usage, target=target, host=host, inputs_of=partial(_inputs, stack, project)
    )
