"""Build LintContexts from files: one per file on its own, or one for a merged `-f` stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from composegen.compose.stack import Stack, load_stack
from composegen.errors import ComposegenError
from composegen.lint.context import LintContext, Mode, Target
from composegen.resolve import resolve_inputs, resolve_services
from composegen.sizing.inputs import ServiceInputs

if TYPE_CHECKING:  # without composegen.yaml, lint never imports pydantic
    from composegen.facts import ServiceFacts, StackFacts
    from composegen.profiles.loader import LoadedProject


def _inputs(stack: Stack, project: LoadedProject | None, facts: Mapping[str, ServiceFacts]) -> dict[str, ServiceInputs]:
    """Roles and declared inputs: composegen.yaml where it names the service, detection otherwise;
    `facts` (what each service runs) for the calculators' estimates."""
    services = {k: v for k, v in stack.services.items() if isinstance(v, Mapping)}
    if project is None:
        return {i.name: i for i in resolve_services(services, {}, facts=facts)}
    from composegen.profiles.loader import LoadedProject

    # lint a stack whose services composegen.yaml may not all describe (or may describe more)
    known = {k: v for k, v in project.project.services.items() if k in stack.services}
    loaded = LoadedProject(project.project.model_copy(update={"services": known}), project.path, project.root)
    try:
        return {i.name: i for i in resolve_inputs(loaded, services, facts=facts)}
    except ComposegenError:
        # an unknown model or the like in composegen.yaml: lint still runs, on detection alone
        return {i.name: i for i in resolve_services(services, {}, facts=facts)}


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
    facts = read_facts(stack)  # read once: for the inputs' estimates and for the rules
    inputs = _inputs(stack, project, facts.services)
    return LintContext(stack=stack, mode=mode, usage=usage, target=target, host=host, inputs=inputs, facts=facts)


def read_facts(stack: Stack) -> StackFacts:
    """The stack's runtime facts; none where they cannot be read (a help, never a refusal)."""
    from composegen.facts import StackFacts, read_stack_facts

    try:
        return read_stack_facts(stack)
    except ComposegenError:
        return StackFacts({}, None, (), None, ())
