"""`composegen render --target swarm`: one stack file that `docker stack deploy -c FILE NAME` honours.

The file stands alone: the base compose files and the overlay composegen would write, merged as
`docker compose -f ... -f ...` merges them, WITHOUT interpolation (`${VAR}` stays for stack deploy
to fill from its own environment: no secret of the machine that rendered it is written down),
then converted for Swarm:
- short `tmpfs:` entries become `type: tmpfs` volumes (stack deploy ignores the short form), sizes
  in bytes (its schema takes only an integer); `shm_size` becomes a tmpfs on /dev/shm;
- legacy resource keys (mem_limit, cpus, mem_reservation, pids_limit) move under deploy.resources;
- `deploy` gains the Swarm-only keys of `swarm_deploy` (reservations.cpus, update_config,
  rollback_config, restart_policy, placement);
- every key stack deploy ignores or refuses (see `swarm_keys`) is left out and REPORTED: in the
  file's header, on stderr and in `--format json`; nothing is dropped silently;
- no secret is copied out of the base: a secret environment value written in it becomes
  `${NAME}` (stack deploy fills it from its environment), a secret written in a command,
  healthcheck or label is masked (`****`); both reported like any change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from composegen.compose.merge import enforce_unicity, merge_files, merge_into
from composegen.compose.tree import annotate, is_mapping
from composegen.errors import InputError
from composegen.paths import real_path
from composegen.render import swarm_keys as keys
from composegen.render.layout import (
    Budget,
    TooLarge,
    header,
    header_lines,
    joined,
    overlay_data,
    written_services,
)
from composegen.render.overlay import Planned, check_overlay, overlay_context, refuse_passed_limit
from composegen.render.swarm_deploy import RESTART_CONDITION, Kept, SwarmDeploy, swarm_deploy
from composegen.units import format_bytes, parse_bytes
from composegen.yamlio import COMPOSE, Document, SDict, read_document, text_bytes

#: A value that only refers to a variable: the secret stays in the environment.
_REFERENCE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
MOVED_WHY = (
    "a secret written in the base: the file reads ${NAME}, which stack deploy fills from its environment "
    "(export it there, or use a Swarm secret)"
)
MASKED_WHY = "a secret written in the base is masked (****): write it as ${VARIABLE}, which stack deploy fills"


class Note(NamedTuple):
    """A key the stack file leaves out or changes, and why (`service` None: top level).

    `action`: "left out", "converted" (carried over in another form) or "kept" (written, but
    Swarm ignores part of it); `source`: "base" (the user's compose files) or "composegen" (what
    the profile's overlay would add). (A named tuple: frozen, and made more quickly than a frozen
    dataclass, for the five notes each of a large stack's services has.)"""

    service: str | None
    key: str
    action: str
    why: str
    source: str = "base"

    def text(self) -> str:
        where = f"{self.service}: {self.key}" if self.service else self.key
        return f"{where} ({self.source}): {self.action}: {self.why}"

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "key": self.key, "action": self.action, "why": self.why, "source": self.source}


@dataclass(frozen=True)
class SwarmRendered:
    planned: Planned
    text: str
    output: Path
    notes: tuple[Note, ...]
    deploys: Mapping[str, SwarmDeploy]
    said: tuple[str, ...] = ()  # the notes as render prints them (`swarm: ...`)


#: The most bytes of a Swarm stack file composegen writes. The file stands alone (the base merged
#: in, then converted) and is read back and checked whole, in time in proportion to its size:
#: under the 8 MiB composegen reads back, a 7.7 MB file of 3,430 services (env-secrets at 0.95 MB)
#: took 2.3 s (15.6 G instructions: bench/hostile.py --at-cap, docs/benchmarks.md), over the 2 s
#: it allows itself for an input of 1 MB; at 5 MiB, 1.32 s.
MAX_SWARM_BYTES = 5 * 1024**2
#: What MAX_SWARM_BYTES is for, in its refusal (`refuse_passed_limit`).
SWARM_LIMIT_WHY = "composegen writes for Swarm (the file stands alone, the base merged in, and is checked whole)"


def render_swarm_planned(planned: Planned, out: Path) -> SwarmRendered:
    """The stack file for a plan, validated as compose would read it (raises ValidationError):
    the base merged with the overlay's data, converted, then written once."""
    root = planned.project.root
    context = overlay_context(planned, out)
    raw, tagged = _raw_base(planned.project.compose_paths(), planned.base.documents)
    # (not copied: the converter makes a new mapping or list wherever it changes one, and shares
    # the rest, as the merge does)
    merged = _merged([*raw, overlay_data(context)], tagged)
    # the base's keys (what the notes look up): one file without !reset or !override has those it
    # was written with (merging it onto nothing adds, removes and renames no key)
    base = raw[0] if len(raw) == 1 and not tagged else merge_files(raw)
    converter = _Converter(planned, root, real_path(out.parent), base)
    data = converter.top_level(merged)
    alone = "merged in with the overlay: this file stands alone; ${VARIABLES} are left for stack deploy"
    files = ", ".join(context["base_files"])
    head = header_lines(
        header(
            context,
            target="swarm",
            base=f"{files}, {alone}",
            use=f"docker stack deploy -c {context['output_name']} STACK",
        )
    )
    # the header's notes, said (`swarm: ...`) and as the file's comment lines, made once each
    said: list[str] = []
    noted: list[str] = []
    budget = Budget(MAX_SWARM_BYTES, text_bytes(head))
    converter.said(said, noted, budget)  # the top level's
    # each service's notes and lines are counted as they are made: all are in the file, so once
    # they pass MAX_SWARM_BYTES, so does the file
    source = data.get("services") or {}
    try:
        data["services"], written = written_services(converter.services(source, said, noted, budget), COMPOSE, budget)
    except TooLarge as over:
        for name, service in list(source.items())[over.written :]:
            converter.refusals(name, service)  # (an error of its own comes first, as when all were written)
        refuse_passed_limit(planned, over.written, "Swarm stack file", MAX_SWARM_BYTES, SWARM_LIMIT_WHY)
    converter.networks(data)
    converter.said(said, noted, budget)
    text = joined(head + noted, data, written, COMPOSE)
    check_overlay(text, planned, out, base=[], data=data)
    return SwarmRendered(planned, text, out, tuple(converter.notes), dict(converter.deploys), tuple(said))


def _merged(docs: Sequence[Mapping[str, Any]], tagged: bool) -> Any:
    """`merge_files(docs)`; `tagged`: False where no document holds a `!reset` or `!override` (the
    overlay's data never does), so none is walked for tags to strip."""
    if tagged:
        return merge_files(docs)
    merged: Mapping[str, Any] = SDict()
    for doc in docs:
        merged = merge_into(merged, doc, tagged=False)
    return enforce_unicity(merged)


def _raw_base(paths: Sequence[Path], read: Sequence[Document] = ()) -> tuple[list[Any], bool]:
    """The base files as written (not interpolated), refusing what only compose itself resolves,
    and whether any holds a tag (`!reset`, `!override`). `read`: the documents planning parsed
    (`Stack.documents`), used as they are, not parsed again."""
    given = {doc.path: doc for doc in read}
    docs = []
    tagged = False
    for path in paths:
        doc = given.get(str(path))
        if doc is None:
            doc = read_document(path)
        tagged = tagged or doc.has_tags
        data = annotate(doc)
        if not isinstance(data, Mapping):
            raise InputError("a compose file must hold a mapping", where=str(path), fix="start it with services:")
        if "include" in data:
            raise InputError(
                "the Swarm target cannot keep ${VARIABLES} through include",
                where=doc.where(("include",)),
                fix="list the included files in composegen.yaml compose_files instead",
            )
        for name, service in (data.get("services") or {}).items():
            if isinstance(service, Mapping) and "extends" in service:
                raise InputError(
                    f"service {name!r}: the Swarm target does not resolve extends (stack deploy refuses it)",
                    where=doc.where(("services", name, "extends")),
                    fix="write the service out in full, or flatten with `docker compose config --no-interpolate`",
                )
        docs.append(data)
    return docs, tagged


class _Converter:
    """Turns the merged compose model into what stack deploy takes, noting every change."""

    def __init__(self, planned: Planned, root: Path, out_dir: Path, base: Mapping[str, Any]) -> None:
        self.planned = planned
        self.base_services: Mapping[str, Any] = base.get("services") or {}
        self.profile = planned.profile.profile
        self.root = root
        self.out_dir = out_dir
        self.notes: list[Note] = []
        self.deploys: dict[str, SwarmDeploy] = {}
        self.max_per_node = _max_per_node(planned)
        self.kept = Kept()  # what services' Swarm settings share (swarm_deploy)
        #: every secret value of the base stack, gathered once by planning (each service's look was a
        #: pass over the whole stack: 2000 services took two minutes) and searched for together
        self.secrets = planned.secrets

    def note(self, service: str | None, key: str, why: str, action: str = "left out") -> None:
        """Record a change; its source is the base when the base's service has the key."""
        top = key.partition(".")[0].partition(" ")[0]
        base = self.base_services.get(service) if service else None
        in_base = top in base if is_mapping(base) else service is None
        self.notes.append(Note(service, key, action, why, "base" if in_base else "composegen"))

    def top_level(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The top-level keys stack deploy takes, as they are; `services` still to convert."""
        out: dict[str, Any] = {}
        for top, value in data.items():
            if top in keys.TOP_LEVEL_WHY or (top not in keys.TOP_LEVEL_KEYS and not str(top).startswith("x-")):
                self.note(None, top, keys.TOP_LEVEL_WHY.get(top, "not in stack deploy's compose schema (v3.13)"))
                continue
            out[top] = value
        out["services"] = out.get("services") or {}
        return out

    def service_entries(self, services: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, service in services.items():
            yield name, self.service(name, dict(service or {}))

    def services(
        self, services: Mapping[str, Any], said: list[str], noted: list[str], budget: Budget
    ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
        """Each service converted as it is asked for, with the comment above it (`comments`);
        its notes go to `said`, `noted` and `budget` (`said`)."""
        for name, service in self.service_entries(services):
            self.said(said, noted, budget)
            deploy = self.deploys.get(name)
            yield name, service, None if deploy is None else f"{name}: {deploy.comment()}"

    def said(self, said: list[str], noted: list[str], budget: Budget) -> None:
        """The notes made since `said` was last given them: said (`swarm: ...`, as render prints
        them) and as the header's comment lines (`noted`), counted in `budget`."""
        added = [f"swarm: {n.text()}" for n in self.notes[len(said) :]]
        lines = header_lines(added)
        said += added
        noted += lines
        budget.add(lines)

    def refusals(self, name: str, service: Any) -> None:
        """The error, if any, converting the service would raise: only a value of the base's
        can be one (a size or mode stack deploy needs in another form); composegen's own are
        written in that form. A service whose base sets none is not converted."""
        base = self.base_services.get(name)
        if is_mapping(base) and not _CHECKED.isdisjoint(base):
            self.service(name, dict(service or {}))

    def networks(self, data: dict[str, Any]) -> None:
        """`data`'s networks, converted (after its services: their notes come first)."""
        if isinstance(data.get("networks"), Mapping):
            data["networks"] = {n: self.network(n, v) for n, v in data["networks"].items()}

    def network(self, name: str, value: Any) -> Any:
        if isinstance(value, Mapping) and value.get("driver") == "bridge":
            self.note(
                None, f"networks.{name}.driver", "bridge is local to one node: overlay spans the swarm", "converted"
            )
            return {**value, "driver": "overlay"}
        return value

    def service(self, name: str, service: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        deploy = dict(service.get("deploy") or {})
        volumes = list(service.get("volumes") or [])
        for key, value in service.items():
            if key in _COPIED:  # (most keys: no other test)
                if value is not None:
                    out[key] = value
                continue
            if key in ("deploy", "volumes") or value is None:
                continue
            if key in keys.MOVED:
                self.move(name, key, value, deploy)
            elif key == "tmpfs":
                volumes += self.short_tmpfs(name, value)
            elif key == "shm_size":
                volumes += self.shm(name, value, volumes)
            elif key == "restart" and self.profile.restart is not None:
                condition = RESTART_CONDITION[self.profile.restart]
                why = f"deploy.restart_policy.condition {condition} (the profile's restart: {self.profile.restart})"
                self.note(name, key, why, "converted")
            elif key in keys.IGNORED:
                self.note(name, key, f"stack deploy ignores it: {keys.IGNORED[key]}")
            elif key in keys.REFUSED:
                self.note(name, key, f"stack deploy refuses it: {keys.REFUSED[key]}")
            elif key not in keys.SERVICE_KEYS and not str(key).startswith("x-"):
                self.note(name, key, "not in stack deploy's compose schema (v3.13): it would refuse the file")
            elif key == "healthcheck" and isinstance(value, Mapping):
                out[key] = self.keep(name, "healthcheck", value, keys.HEALTHCHECK_KEYS)
            elif key in ("env_file",):
                out[key] = self.rebased_env_files(value)
            else:
                out[key] = value
            if key == "ports":
                self.host_ips(name, value)
        if volumes:
            out["volumes"] = [self.volume(name, v) for v in volumes]
        self.without_secrets(name, out)
        plan = self.planned.stack.service(name)
        if plan is not None:
            settings = swarm_deploy(
                plan, self.profile, {**service, "volumes": volumes}, self.max_per_node.get(name), self.kept
            )
            self.deploys[name] = settings
            deploy = self.with_plan(deploy, settings)
        if deploy:
            out["deploy"] = self.deploy(name, deploy)
        return in_written_order(out)

    def without_secrets(self, name: str, service: dict[str, Any]) -> None:
        """No secret written in the base is copied into the stack file (see the module docstring)."""
        from composegen.masking import mask_argv, secret_name

        known = self.secrets  # (its own `mask`: `masking.mask(text, known)` without asking what `known` is)
        env = service.get("environment")
        if isinstance(env, (list, Mapping)):
            pairs = [str(e).partition("=")[::2] for e in env] if isinstance(env, list) else list(env.items())
            moved = [
                str(k)
                for k, v in pairs
                if isinstance(v, str) and not _REFERENCE.fullmatch(v) and (secret_name(str(k)) or known.mask(v) != v)
            ]
            if moved:
                out = [(k, f"${{{k}}}" if k in moved else v) for k, v in pairs]
                service["environment"] = [f"{k}={v}" for k, v in out] if isinstance(env, list) else dict(out)
                why = f"{', '.join(moved)}: {MOVED_WHY}"
                self.note(name, "environment", why, "converted")
        for key, value in [(k, service.get(k)) for k in ("command", "entrypoint")] + [
            ("healthcheck.test", (service.get("healthcheck") or {}).get("test"))
        ]:
            masked = (
                mask_argv(value, known)
                if isinstance(value, list)
                else known.mask(value)
                if isinstance(value, str)
                else value
            )
            if masked != value:
                if key == "healthcheck.test":
                    service["healthcheck"] = {**service["healthcheck"], "test": masked}
                else:
                    service[key] = masked
                self.note(name, key, MASKED_WHY, "converted")
        labels = service.get("labels")
        if isinstance(labels, Mapping):
            masked_labels = {k: known.mask(v) if isinstance(v, str) else v for k, v in labels.items()}
            if masked_labels != labels:
                service["labels"] = masked_labels
                self.note(name, "labels", MASKED_WHY, "converted")

    def keep(self, name: str, section: str, value: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
        kept = {}
        for key, item in value.items():
            if key in allowed:
                kept[key] = item
            else:
                self.note(name, f"{section}.{key}", "not in stack deploy's compose schema (v3.13)")
        return kept

    def move(self, name: str, key: str, value: Any, deploy: dict[str, Any]) -> None:
        group, field = keys.MOVED[key]
        resources = dict(deploy.get("resources") or {})
        section = dict(resources.get(group) or {})
        if field in section:
            self.note(name, key, f"deploy.resources.{group}.{field} already says it (stack deploy refuses {key})")
            return
        section[field] = value
        resources[group] = section
        deploy["resources"] = resources
        self.note(
            name, key, f"moved to deploy.resources.{group}.{field} (stack deploy refuses or ignores {key})", "converted"
        )

    def short_tmpfs(self, name: str, value: Any) -> list[dict[str, Any]]:
        entries = value if isinstance(value, list) else [value]
        mounts = []
        for entry in entries:
            path, _, options = str(entry).partition(":")
            tmpfs: dict[str, Any] = {}
            for option in options.split(","):
                option_key, _, option_value = option.partition("=")
                if option_key == "size" and option_value:
                    tmpfs["size"] = option_value
                elif option_key == "mode" and option_value:
                    tmpfs["mode"] = int(option_value, 8)
            mounts.append({"type": "tmpfs", "target": path, **({"tmpfs": tmpfs} if tmpfs else {})})
        self.note(name, "tmpfs", "stack deploy ignores the short form: written as `type: tmpfs` volumes", "converted")
        return mounts

    def shm(self, name: str, value: Any, volumes: list[Any]) -> list[dict[str, Any]]:
        if any(isinstance(v, Mapping) and v.get("target") == "/dev/shm" for v in volumes):
            self.note(name, "shm_size", "stack deploy ignores it, and a /dev/shm volume is already mounted")
            return []
        self.note(name, "shm_size", "stack deploy ignores it: written as a tmpfs volume on /dev/shm", "converted")
        return [{"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": value}}]

    def volume(self, name: str, entry: Any) -> Any:
        if isinstance(entry, str):
            return self.rebased_short_volume(entry)
        if not isinstance(entry, Mapping):
            return entry
        out = dict(entry)
        if out.get("type") == "bind" and isinstance(out.get("source"), str):
            out["source"] = self.rebased(out["source"])
        tmpfs = out.get("tmpfs")
        if out.get("type") == "tmpfs" and isinstance(tmpfs, Mapping):
            options = dict(tmpfs)
            if "size" in options:
                options["size"] = parse_bytes(options["size"], what=f"service {name} tmpfs size")
            mode = options.pop("mode", None)
            if mode is not None and mode != keys.DEFAULT_TMPFS_MODE:
                self.note(
                    name,
                    f"volumes {out.get('target')} tmpfs.mode",
                    f"stack deploy ignores it: the mount gets {oct(keys.DEFAULT_TMPFS_MODE)[2:]}",
                )
            out["tmpfs"] = options
        return out

    def deploy(self, name: str, deploy: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in deploy.items():
            if key not in keys.DEPLOY_KEYS:
                self.note(name, f"deploy.{key}", "not in stack deploy's compose schema (v3.13)")
            elif key == "resources" and isinstance(value, Mapping):
                out[key] = self.resources(name, value)
            elif key in ("update_config", "rollback_config") and isinstance(value, Mapping):
                out[key] = self.keep(name, f"deploy.{key}", value, keys.UPDATE_KEYS)
            elif key == "restart_policy" and isinstance(value, Mapping):
                out[key] = self.keep(name, "deploy.restart_policy", value, keys.RESTART_KEYS)
            elif key == "placement" and isinstance(value, Mapping):
                out[key] = self.keep(name, "deploy.placement", value, keys.PLACEMENT_KEYS)
            else:
                out[key] = value
        return out

    def resources(self, name: str, resources: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for group, value in resources.items():
            allowed = keys.RESOURCE_KEYS.get(group)
            if allowed is None or not isinstance(value, Mapping):
                self.note(name, f"deploy.resources.{group}", "not in stack deploy's compose schema (v3.13)")
                continue
            section = self.keep(name, f"deploy.resources.{group}", value, allowed)
            if "cpus" in section:  # the v3.13 schema takes cpus only as a string
                section["cpus"] = str(section["cpus"])
            if "memory" in section and not isinstance(section["memory"], str):
                section["memory"] = format_bytes(parse_bytes(section["memory"]))
            out[group] = section
        return out

    def with_plan(self, deploy: dict[str, Any], settings: SwarmDeploy) -> dict[str, Any]:
        out = dict(deploy)
        if settings.cpu_reservation is not None:
            resources = dict(out.get("resources") or {})
            reservations = dict(resources.get("reservations") or {})
            reservations["cpus"] = settings.cpu_reservation.compose_value()
            resources["reservations"] = reservations
            out["resources"] = resources
        out["update_config"] = settings.update_config()
        out["rollback_config"] = settings.rollback_config()
        restart = settings.restart_policy()
        if restart is not None:
            out["restart_policy"] = restart
        if settings.max_replicas_per_node is not None:
            out["placement"] = {
                **dict(out.get("placement") or {}),
                "max_replicas_per_node": settings.max_replicas_per_node,
            }
        return out

    def host_ips(self, name: str, ports: Any) -> None:
        for entry in ports if isinstance(ports, list) else []:
            if isinstance(entry, str) and entry.count(":") == 2:
                host_ip = entry.split(":")[0]
                why = f"Swarm publishes on every interface of every node: the host IP {host_ip} is ignored"
                self.note(name, f"ports {entry}", why, "kept")
            elif is_mapping(entry) and entry.get("host_ip"):
                why = "Swarm ignores host_ip: it publishes on every interface"
                self.note(name, f"ports {entry.get('target')}", why, "kept")

    def rebased(self, source: str) -> str:
        """A relative path of the base, made relative to the stack file's folder (stack deploy
        resolves relative paths against the folder of the file it reads)."""
        if not source.startswith(".") or self.out_dir == self.root:
            return source
        return os.path.relpath(self.root / source, self.out_dir)

    def rebased_short_volume(self, entry: str) -> str:
        source, sep, rest = entry.partition(":")
        return self.rebased(source) + sep + rest if sep and source.startswith(".") else entry

    def rebased_env_files(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.rebased(value)
        if isinstance(value, list):
            return [
                self.rebased(v)
                if isinstance(v, str)
                else {**v, "path": self.rebased(str(v.get("path")))}
                if isinstance(v, Mapping) and v.get("path")
                else v
                for v in value
            ]
        return value


#: Service keys written as they are: no conversion, nothing to note (`_Converter.service` takes
#: them before asking of each of its cases).
_COPIED = (
    keys.SERVICE_KEYS
    - {"deploy", "volumes", "tmpfs", "shm_size", "healthcheck", "env_file", "ports"}
    - keys.IGNORED.keys()
    - keys.REFUSED.keys()
    - keys.MOVED.keys()
)

#: The service keys of the base whose values converting can refuse (parse_bytes, a tmpfs mode):
#: `_Converter.refusals`.
_CHECKED = frozenset({"volumes", "tmpfs", "shm_size", "deploy", *keys.MOVED})

#: The order keys are written in (the rest after, alphabetically by insertion).
_ORDER = {k: n for n, k in enumerate(("image", "command", "entrypoint", "deploy", "volumes", "environment"))}


def in_written_order(service: dict[str, Any]) -> dict[str, Any]:
    """`service`'s keys sorted by `_ORDER` (a stable sort: the rest after, as inserted), without a
    sort: those of `_ORDER` taken first, then the mapping itself, whose keys already taken keep
    their place (tests/cli/test_render_swarm.py checks it against the sort)."""
    return {**{key: service[key] for key in _ORDER if key in service}, **service}


def _max_per_node(planned: Planned) -> dict[str, int]:
    """Per service, the most replicas the capacity plan puts on one host of composegen.yaml's size,
    when the stack needs more than one such host (else nothing: one node holds it all)."""
    from composegen.sizing.hosts import host_from_project, packed, service_totals

    spec = planned.project.project.host
    if spec is None:
        return {}
    try:
        bins = packed([service_totals(s) for s in planned.stack.services], [host_from_project(spec)])
    except InputError:  # a replica larger than the host: the plan's warnings say so, nothing to spread
        return {}
    if len(bins) < 2:
        return {}
    most: dict[str, int] = {}
    for b in bins:
        for name, count in b.counts().items():
            most[name] = max(most.get(name, 0), count)
    replicas = {s.name: s.replicas for s in planned.stack.services}
    return {name: count for name, count in most.items() if replicas[name] > 1}
