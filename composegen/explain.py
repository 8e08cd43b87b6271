"""`composegen explain`: every number in a plan, with the derivation that made it.

`explain_stack` is the explain command's one call: the planned stack, and the service asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from composegen import json_text
from composegen.sizing.model import ServicePlan, StackPlan
from composegen.sizing.quantity import Heads, Quantity, as_dict, as_json_text, explain_lines, itself, written_alike


def _section(title: str, q: Quantity | None, shown: set[Quantity] | None = None) -> list[str]:
    if q is None:
        return []
    return [f"{title}: {q.compose_value() if q.unit != 'count' else q.show()}", *explain_lines(q, "  ", shown)]


#: A service's derivations as `service_text` writes them, in order: each a section's title and
#: quantity, or a line as it is (the healthcheck's).
Sections = tuple[tuple[str, Quantity | None] | str, ...]


class Written:
    """The sections written for a stack's services (`_sections`), by their sections (the first
    written of equal ones), and how many came again: where the first few hundred hardly repeat
    (services whose sources name each one's own lines), the rest are not looked up (a hash of
    each costs a third of writing it)."""

    def __init__(self) -> None:
        self.by_sections: dict[Sections, tuple[Sections, list[str]]] = {}
        self.repeats = 0

    def worth_looking(self) -> bool:
        return len(self.by_sections) < 256 or self.repeats * 16 >= len(self.by_sections)


def _sections(sections: Sections, written: Written | None = None) -> list[str]:
    """The lines of `sections`, a derivation shown once in full and then "(derived above)".

    `written`: the sections written before (for the other services of a stack): services sized
    alike (most of a large stack's) have equal ones, and their lines are taken from there where
    their quantities are written alike (`written_alike`: an int and an equal float, 0.0 and -0.0,
    are equal but shown apart; quantities that are one object are alike without a look, as most
    of those of services sized alike are)."""
    if written is not None and written.worth_looking():
        found = written.by_sections.get(sections)
        if found is None:
            lines = _sections(sections)
            written.by_sections[sections] = (sections, lines)
            return lines
        written.repeats += 1
        if all(map(_written_alike, sections, found[0])):
            return found[1]
    shown: set[Quantity] = set()
    lines = []
    for section in sections:
        if isinstance(section, str):
            lines.append(section)
        else:
            lines += _section(*section, shown)
    return lines


def _written_alike(a: tuple[str, Quantity | None] | str, b: tuple[str, Quantity | None] | str) -> bool:
    """Whether equal sections `a` and `b` (a line, or a title and a quantity) are written alike."""
    if isinstance(a, str) or isinstance(b, str) or a[1] is None or b[1] is None:
        return True  # equal: the same line, or no quantity
    return written_alike(a[1], b[1])


def service_sections(plan: ServicePlan) -> Sections:
    """The derivations `service_text` writes of `plan`."""
    sections: list[tuple[str, Quantity | None] | str] = [
        ("memory limit", plan.memory_limit),
        ("memory reservation", plan.memory_reservation),
        ("cpus", plan.cpus),
        ("pids limit", plan.pids),
        ("replicas", plan.sizing.replicas),
        ("expected startup", plan.startup),
    ]
    if plan.healthcheck is not None:
        h = plan.healthcheck
        sections.append(("healthcheck start_period", h.start_period))
        sections.append(
            f"healthcheck: interval {h.interval.compose_value()}, timeout {h.timeout.compose_value()}, "
            f"retries {h.retries}"
            + (f", start_interval {h.start_interval.compose_value()}" if h.start_interval else "")
            + ("" if h.test is None else f", test {list(h.test)}")
        )
    else:
        sections.append("healthcheck: none (the base file has none and composegen knows no probe for this role)")
    sections.append(("shm_size", plan.sizing.shm_size))
    for mount in plan.tmpfs:
        sections.append((f"tmpfs {mount.path}" + (f" ({mount.purpose})" if mount.purpose else ""), mount.size))
    for name, q in plan.sizing.extra.items():
        if q is not plan.sizing.shm_size:
            sections.append((name, q))
    return tuple(sections)


def service_text(plan: ServicePlan, written: Written | None = None) -> str:
    """`plan` explained; `written`: see `_sections` (one for the services of a stack)."""
    lines = [f"{plan.name}: role {plan.role}, {plan.role_reason}", ""]
    lines += _sections(service_sections(plan), written)
    if plan.environment:
        lines.append("environment:")
        for e in plan.environment:
            why = f"  [{e.why.name} = {e.why.show()}]" if e.why is not None else ""
            note = f"  ({e.note})" if e.note else ""
            lines.append(f"  {e.key}={e.value}{why}{note}")
    if plan.sizing.command:
        lines.append(f"command: {list(plan.sizing.command)}")
    hard = plan.hardening
    lines.append(
        f"hardening: read_only={hard.read_only} no_new_privileges={hard.no_new_privileges} "
        f"user={hard.user or '(image default)'} cap_drop={list(hard.cap_drop)}"
    )
    if plan.base_facts:
        lines.append("read from the base file (composegen.yaml wins where the overlay can enforce it):")
        lines += [f"  - {f}" for f in plan.base_facts]
    if plan.notes:
        lines.append("notes:")
        lines += [f"  - {n}" for n in plan.notes]
    return "\n".join(lines)


def stack_text(stack: StackPlan) -> str:
    fit = stack.fit
    lines = [f"profile {stack.profile} ({stack.target} target), {len(stack.services)} services", ""]
    for s in stack.services:
        cpus = s.cpus.compose_value() if s.cpus else "-"
        reps = f" × {s.replicas}" if s.replicas != 1 else ""
        lines.append(f"  {s.name:<24} {s.role:<13} memory {s.memory_limit.compose_value():>7}{reps}  cpus {cpus}")
    lines += [
        "",
        f"sum of memory limits: {fit.memory_limits.show()}",
        f"sum of memory reservations: {fit.memory_reservations.show()}",
        f"sum of cpus: {fit.cpus.show()}",
    ]
    if fit.host_memory is not None and fit.host_cpus is not None:
        lines.append(f"host: {fit.host_memory.show()} for containers, {fit.host_cpus.show()}")
    lines += [f"warning: {p}" for p in fit.problems]
    lines.append("")
    lines.append("composegen explain --profile NAME SERVICE shows how each number was derived.")
    return "\n".join(lines)


#: What `service_json` and `stack_json` make of a quantity: its dictionary (`as_dict`), or the
#: quantity itself (`itself`: for `ExplainOutcome.json_pieces`, which writes each once).
AsData = Callable[[Quantity], object]


def _q(q: Quantity | None, as_data: AsData) -> object:
    return None if q is None else as_data(q)


def service_json(plan: ServicePlan, as_data: AsData = as_dict) -> dict[str, Any]:
    h = plan.healthcheck
    return {
        "service": plan.name,
        "role": plan.role,
        "role_reason": plan.role_reason,
        "memory_limit": _q(plan.memory_limit, as_data),
        "memory_reservation": _q(plan.memory_reservation, as_data),
        "cpus": _q(plan.cpus, as_data),
        "pids": _q(plan.pids, as_data),
        "replicas": plan.replicas,
        "startup": _q(plan.startup, as_data),
        "healthcheck": None
        if h is None
        else {
            "test": list(h.test) if h.test else None,
            "interval": _q(h.interval, as_data),
            "timeout": _q(h.timeout, as_data),
            "retries": h.retries,
            "start_period": _q(h.start_period, as_data),
            "start_interval": _q(h.start_interval, as_data),
        },
        "shm_size": _q(plan.sizing.shm_size, as_data),
        "tmpfs": [{"path": m.path, "size": as_data(m.size), "purpose": m.purpose} for m in plan.tmpfs],
        "environment": [
            {"key": e.key, "value": e.value, "why": _q(e.why, as_data), "note": e.note} for e in plan.environment
        ],
        "extra": {k: as_data(v) for k, v in plan.sizing.extra.items()},
        "notes": list(plan.notes),
        "base_notes": list(plan.sizing.base_notes),
        "base_facts": list(plan.base_facts),
    }


def stack_json(stack: StackPlan, as_data: AsData = as_dict) -> dict[str, Any]:
    fit = stack.fit
    return {
        "profile": stack.profile,
        "target": stack.target,
        "services": [service_json(s, as_data) for s in stack.services],
        "fit": {
            "memory_limits": as_data(fit.memory_limits),
            "memory_reservations": as_data(fit.memory_reservations),
            "cpus": as_data(fit.cpus),
            "host_memory": _q(fit.host_memory, as_data),
            "host_cpus": _q(fit.host_cpus, as_data),
            "problems": list(fit.problems),
        },
    }


class QuantityTexts:
    """The JSON text of quantities (`as_json_text`), written once for equal ones: the services of
    a large stack are mostly sized alike (7,518 postgres services, 67 quantities each, 3 of them
    objects of their own), and a quantity is often a part of another (the memory limit, of the
    reservation), deeper in. An equal quantity whose values are of other types or signs is
    written again (`written_alike`). Where the first thousand hardly come again, the rest are not
    kept (a stack whose services all differ would keep its whole text twice)."""

    def __init__(self) -> None:
        self.known: dict[Quantity, _Texts] = {}  # by value: the first quantity, its texts
        self.heads: Heads = {}
        self.objects: dict[int, _Texts] = {}  # by id: the quantity (kept: its id stays its own), its texts
        self.repeats = 0

    def __call__(self, q: Quantity, pad: str) -> str:
        found = self.objects.get(id(q))  # most come again as the one object: no tree hashed
        if found is None:
            found = self._alike(q)
            if found is None:
                return as_json_text(q, pad, self, self.heads)
            self.objects[id(q)] = (q, found[1])
        texts = found[1]
        text = texts.get(pad)
        if text is not None:
            self.repeats += 1
        elif texts:  # written at another depth
            self.repeats += 1
            was, some = next(iter(texts.items()))
            text = texts[pad] = _moved(some, was, pad)
        else:  # new
            text = texts[pad] = as_json_text(q, pad, self, self.heads)
        return text

    def _alike(self, q: Quantity) -> _Texts | None:
        """The texts of the quantity written alike `q`, kept now (empty for a new one); None where
        an equal one is written otherwise, or none is and no more are kept."""
        if len(self.known) < 1024 or self.repeats * 16 >= len(self.known):
            found: _Texts | None = self.known.setdefault(q, (q, {}))  # (a tree hashed once, not again to keep it)
        else:
            found = self.known.get(q)
        return found if found is not None and (found[0] is q or written_alike(q, found[0])) else None


#: A quantity written (`QuantityTexts`), and its JSON text at each pad it was asked at.
_Texts = tuple[Quantity, dict[str, str]]


def _moved(text: str, pad: str, to: str) -> str:
    """The JSON text of a value standing `pad` into its document, standing `to` instead: every
    line but the first starts with `pad` (a string's line break is written \\n), and no
    more than its pad is taken from any."""
    if to == pad:
        return text
    if len(to) > len(pad):
        return text.replace("\n", "\n" + to[len(pad) :])
    return text.replace("\n" + pad[len(to) :], "\n")


class ExplainRequest(NamedTuple):
    profile: str
    project: Path | None
    cwd: Path
    service: str | None = None  # one service; None: all of them
    docker_version: str | None = None
    measurements: Path | None = None


class ExplainOutcome(NamedTuple):
    stack: StackPlan
    chosen: ServicePlan | None  # the one service asked for; None: all of them

    def text(self) -> str:
        if self.chosen is not None:
            return service_text(self.chosen)
        written = Written()  # (services sized alike share them)
        # (a blank line between services: each one's text copied once, into the whole)
        return "\n\n".join([stack_text(self.stack), *(service_text(s, written) for s in self.stack.services)])

    def as_json(self) -> dict[str, Any]:
        return service_json(self.chosen) if self.chosen is not None else stack_json(self.stack)

    def json_pieces(self) -> list[str]:
        """The text json.dumps(self.as_json(), indent=2) writes, in pieces (json_text.py), each
        quantity's written once for equal ones at one depth (`QuantityTexts`)."""
        data = service_json(self.chosen, itself) if self.chosen is not None else stack_json(self.stack, itself)
        return json_text.pieces(data, {Quantity: QuantityTexts()})


def explain_stack(request: ExplainRequest, say: Callable[[str], None]) -> ExplainOutcome:
    """Plan the stack and pick the service asked for. The plan's warnings go to `say` (but those
    the stack's text already shows), before an unknown service is refused."""
    from composegen.errors import InputError
    from composegen.render.overlay import plan

    stack = plan(request.profile, request.project, request.cwd, request.docker_version, request.measurements).stack
    for warning in stack.warnings:
        if warning not in stack.fit.problems:  # those are in the text already
            say(f"warning: {warning}")
    if request.service is None:
        return ExplainOutcome(stack, None)
    chosen = stack.service(request.service)
    if chosen is None:
        names = ", ".join(s.name for s in stack.services)
        raise InputError(f"no service {request.service!r} in the stack", fix=f"choose one of: {names}")
    return ExplainOutcome(stack, chosen)
