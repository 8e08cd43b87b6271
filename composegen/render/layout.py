"""The overlay as data: the template context (`render.context`) laid out as the mapping compose
reads, with its header and the comment above each service, written by `yamlio.dump`.

The data is plain (dicts, lists, scalars), so the Swarm target merges it over the base as it is,
without writing and reading it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from composegen.render.engine import render_lines
from composegen.yamlio import COMPOSE, KeyPath, dump, one_line

#: The lists an overlay writes on one line, as compose's docs write them: `command: ["a", "b"]`,
#: healthcheck `test`, `security_opt`, `cap_drop`, GPU `devices` (volumes stay one per line).
OVERLAY = COMPOSE._replace(flow_lists=frozenset({"command", "test", "security_opt", "cap_drop", "devices"}))


def header(context: Mapping[str, Any], *, target: str, base: str, use: str, notes: Iterable[str] = ()) -> list[str]:
    """The header of a file render writes: what made it, from what, how to use it, the plan's
    warnings and what the base file says, then `notes`."""
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
            "notes": [one_line(n) for n in notes],
        },
    )


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
    data: dict[str, Any] = {"services": {s["name"]: service_data(s) for s in context["services"]}}
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


def overlay_written(context: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The overlay's data for a template context (`render.context.stack_context`), and its text."""
    data = overlay_data(context)
    return data, dump(data, layout=OVERLAY, header=overlay_header(context), comments=service_comments(context))


def overlay_text(context: Mapping[str, Any]) -> str:
    """The overlay's text for a template context (`render.context.stack_context`)."""
    return overlay_written(context)[1]
