"""The overlay as data: the template context (`render.context`) laid out as the mapping compose
reads, with its header and the comment above each service, written by `yamlio.dump`.

The data is plain (dicts, lists, scalars), so the Swarm target merges it over the base as it is,
without writing and reading it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from composegen.render.engine import render_lines
from composegen.yamlio import COMPOSE, KeyPath, Layout, entry_lines, key, one_line, text_bytes

#: The lists an overlay writes on one line, as compose's docs write them: `command: ["a", "b"]`,
#: healthcheck `test`, `security_opt`, `cap_drop`, GPU `devices` (volumes stay one per line).
OVERLAY = COMPOSE._replace(flow_lists=frozenset({"command", "test", "security_opt", "cap_drop", "devices"}))


def header(context: Mapping[str, Any], *, target: str, base: str, use: str, notes: Iterable[str] = ()) -> list[str]:
    """The header of a file render writes: what made it, from what, how to use it, the plan's
    warnings and what the base file says, then `notes`, a line each (after the template's
    lines, not looped over by it: a large stack file has tens of thousands)."""
    return render_lines(
        "header.txt.j2",
        {
            "version": context["version"],
            "profile": context["profile"],
            "digest": context["digest"],
            "target": target,
            "base": one_line(base),
            "use": one_line(use),
            "warnings": [one_line(w) for w in context["warnings"]],
            "base_notes": [one_line(n) for n in context["base_notes"]],
        },
    ) + [one_line(n) for n in notes]


def overlay_header(context: Mapping[str, Any]) -> list[str]:
    """The overlay's header (`use:` names the base files, then the overlay)."""
    files = context["base_files"]
    use = "docker compose " + "".join(f"-f {f} " for f in files) + f"-f {context['output_name']} up"
    return header(context, target=context["target"], base=", ".join(files), use=use)


def service_data(s: Mapping[str, Any]) -> dict[str, Any]:
    """One service's keys, in the order compose's docs list them; a key with nothing to say is left out."""
    out: dict[str, Any] = {}
    if s["command"] is not None:
        out["command"] = s["command"]
    out.update(s["legacy"])
    deploy: dict[str, Any] = {}
    if s["replicas"] is not None:
        deploy["replicas"] = s["replicas"]
    resources: dict[str, Any] = {}
    if s["limits"]:
        resources["limits"] = dict(s["limits"])
    if s["reservations"]:
        resources["reservations"] = dict(s["reservations"])
    if resources:
        deploy["resources"] = resources
    if deploy:
        out["deploy"] = deploy
    if s["shm_size"] is not None:
        out["shm_size"] = s["shm_size"]
    if s["volumes"]:
        out["volumes"] = list(s["volumes"])
    if s["environment"]:
        out["environment"] = dict(s["environment"])
    if s["healthcheck"]:
        out["healthcheck"] = dict(s["healthcheck"])
    if s["read_only"]:
        out["read_only"] = True
    if s["user"] is not None:
        out["user"] = s["user"]
    if s["security_opt"]:
        out["security_opt"] = list(s["security_opt"])
    if s["cap_drop"]:
        out["cap_drop"] = list(s["cap_drop"])
    if s["logging"] is not None:
        out["logging"] = {"driver": s["logging"].driver, "options": dict(s["logging"].options)}
    if s["restart"] is not None:
        out["restart"] = s["restart"]
    if s["labels"]:
        out["labels"] = dict(s["labels"])
    return out


def overlay_data(context: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay's mapping: services, then the default network and the named volumes it adds."""
    return {"services": {s["name"]: service_data(s) for s in context["services"]}, **_after_services(context)}


def _after_services(context: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay's keys after its services: the default network and the named volumes."""
    data: dict[str, Any] = {}
    network = context["network"]
    if network is not None:
        default: dict[str, Any] = {"driver": "bridge"}
        if network.name:
            default["name"] = network.name
        if network.internal:
            default["internal"] = True
        if network.driver_opts:
            default["driver_opts"] = dict(network.driver_opts)
        data["networks"] = {"default": default}
    if context["volumes"]:
        data["volumes"] = {name: {} for name in context["volumes"]}
    return data


def service_comments(context: Mapping[str, Any]) -> dict[KeyPath, str]:
    """The comment above each service: its role and memory limit, and why."""
    return {("services", s["name"]): s["comment"] for s in context["services"]}


def overlay_written(context: Mapping[str, Any], limit: int | None = None) -> tuple[dict[str, Any], str]:
    """The overlay's data for a template context (`render.context.stack_context`), and its text
    (`dump`'s); `limit`: the most UTF-8 bytes it may come to, else TooLarge, raised as soon as
    the services written so far pass it."""
    head = header_lines(overlay_header(context))
    entries = ((s["name"], service_data(s), s["comment"]) for s in context["services"])
    services, lines = written_services(entries, OVERLAY, Budget(limit, text_bytes(head)))
    data = {"services": services, **_after_services(context)}
    return data, joined(head, data, lines, OVERLAY)


class TooLarge(Exception):
    """A file passed its limit once its first `written` services were written."""

    def __init__(self, written: int) -> None:
        super().__init__(written)
        self.written = written


class Budget:
    """The UTF-8 bytes of a file's lines as they are written, against its limit (None: none).
    Every line counted is in the file: once they pass the limit, so does the file."""

    def __init__(self, limit: int | None, used: int = 0) -> None:
        self.limit = limit
        self.used = used

    def add(self, lines: Sequence[str]) -> bool:
        """Count `lines`; whether the file is still within its limit."""
        self.used += text_bytes(lines)
        return self.limit is None or self.used <= self.limit


def header_lines(header: Sequence[str]) -> list[str]:
    """The comment lines `dump` writes for `header`."""
    return [f"# {one_line(text)}" for text in header]


def written_services(
    entries: Iterable[tuple[str, Any, str | None]], layout: Layout, budget: Budget
) -> tuple[dict[str, Any], list[str]]:
    """The services of `entries` (name, data, the comment above it), and the lines `dump` writes
    for them under `services:`, each counted in `budget` as it is made: TooLarge once they
    pass its limit, and no service after is made (`entries` can make each as it is asked for)."""
    written: dict[str, Any] = {}
    lines: list[str] = ["services:"]
    budget.add(lines)

    def kept() -> Iterator[tuple[str, Any, str | None]]:
        for entry in entries:
            written[entry[0]] = entry[1]
            yield entry

    for piece in entry_lines(kept(), layout=layout, depth=1):
        lines += piece
        if not budget.add(piece):
            raise TooLarge(len(written))
    return written, lines[1:]


def joined(head: list[str], data: Mapping[str, Any], services: list[str], layout: Layout) -> str:
    """`dump(data)`'s text under the comment lines `head`, from the lines of its services
    (`written_services`); its other keys are written here, and hold no comment."""
    lines = list(head)
    for name, value in data.items():
        if name == "services" and value:
            lines.append(f"{key(name)}:")
            lines += services
        else:
            lines += next(entry_lines([(name, value, None)], layout=layout))
    return "\n".join(lines) + "\n"


def overlay_text(context: Mapping[str, Any]) -> str:
    """The overlay's text for a template context (`render.context.stack_context`)."""
    return overlay_written(context)[1]
