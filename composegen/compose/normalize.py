"""A canonical view of services: what `docker compose config` would show for them.

`config` rewrites a model into one form: commands as argument lists, `KEY=VALUE` lists as
mappings, ports and volumes in the long syntax with absolute bind paths, sizes in bytes,
durations as `1m30s`, the `default` network for a service that names none. `canonical_service`
produces the same facts, from either a merged model (`Stack.data`) or `config`'s own JSON, so
the two can be compared; lint rules can use it to read a service without caring which syntax
the file used. Values compose would refuse are passed through unchanged rather than raising.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from composegen.compose.syntax import (
    SyntaxProblem,
    clean_path,
    go_format,
    key_value_mapping,
    parse_port,
    service_volumes,
    shell_split,
)
from composegen.errors import UnitError
from composegen.units import parse_bytes, parse_cpus, parse_duration

_STRINGS = (
    "image",
    "restart",
    "user",
    "working_dir",
    "container_name",
    "hostname",
    "stop_signal",
    "network_mode",
    "pid",
    "ipc",
    "platform",
    "pull_policy",
    "domainname",
    "userns_mode",
)
_BOOLS = ("read_only", "privileged", "init", "tty", "stdin_open", "oom_kill_disable")
_LISTS = (
    "cap_add",
    "cap_drop",
    "security_opt",
    "dns",
    "dns_search",
    "dns_opt",
    "profiles",
    "group_add",
    "links",
    "external_links",
    "volumes_from",
    "device_cgroup_rules",
)
_SIZES = ("mem_limit", "mem_reservation", "memswap_limit", "shm_size")
_NUMBERS = ("cpu_shares", "cpu_quota", "cpu_period", "cpu_count", "pids_limit", "oom_score_adj")
_DURATIONS = ("interval", "timeout", "start_period", "start_interval")
#: Each key of the groups above by its place in them: `canonical_service` writes those a service
#: has in this order, looking at its own few keys rather than asking it for each of the 42.
_SIMPLE_PLACES = {key: place for place, key in enumerate((*_STRINGS, *_BOOLS, *_LISTS, *_SIZES, *_NUMBERS))}
_STRING_KEYS, _BOOL_KEYS, _LIST_KEYS, _SIZE_KEYS = map(frozenset, (_STRINGS, _BOOLS, _LISTS, _SIZES))


def _safe(convert: Callable[[Any], Any], value: Any) -> Any:
    try:
        return convert(value)
    except (UnitError, SyntaxProblem, ValueError, TypeError):
        return value


def _size(value: Any) -> Any:
    return None if value is None else _safe(parse_bytes, value)


def _duration(value: Any) -> Any:
    return None if value is None else _safe(parse_duration, value)


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    return [go_format(v) for v in value] if isinstance(value, list) else [go_format(value)]


def _resolve(source: str, project_dir: Path) -> str:
    if source.startswith("~"):
        return str(Path(source).expanduser())
    return os.path.normpath(project_dir / source)


def canonical_ports(value: Any) -> list[tuple[str | None, str | None, int, str]]:
    """Ports as `(host_ip, published, target, protocol)`, ranges expanded like compose does."""
    out: list[tuple[str | None, str | None, int, str]] = []
    for entry in value if isinstance(value, list) else []:
        try:
            ports = parse_port(entry)
        except SyntaxProblem:
            continue
        out.extend((p.host_ip or None, p.published or None, p.target, p.protocol) for p in ports)
    return out


def canonical_volumes(value: Any, project_dir: Path) -> list[tuple[str, str | None, str, bool]]:
    """Service mounts as `(type, source, target, read_only)` with bind sources made absolute."""
    out: list[tuple[str, str | None, str, bool]] = []
    for _, volume in service_volumes(value):
        source = volume.source
        if volume.type == "bind" and source:
            source = _resolve(source, project_dir)
        out.append((volume.type, source or None, clean_path(volume.target), volume.read_only))
    return out


def _resources(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(value, Mapping):
        return out
    if value.get("memory") is not None:
        out["memory"] = _size(value["memory"])
    if value.get("cpus") is not None:
        out["cpus"] = _safe(parse_cpus, value["cpus"])
    if value.get("pids") is not None:
        out["pids"] = _safe(int, value["pids"])
    return out


def _healthcheck(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    out: dict[str, Any] = {}
    test = value.get("test")
    if isinstance(test, str):
        out["test"] = ["CMD-SHELL", test]
    elif test is not None:
        out["test"] = _as_list(test)
    for key in _DURATIONS:
        if value.get(key) is not None:
            out[key] = _duration(value[key])
    if value.get("retries") is not None:
        out["retries"] = value["retries"]
    if value.get("disable") is not None:
        out["disable"] = _bool(value["disable"])
    return out


def _networks(service: Mapping[str, Any]) -> dict[str, Any]:
    networks = service.get("networks")
    if networks is None:
        return {} if service.get("network_mode") else {"default": {}}
    if isinstance(networks, list):
        return {go_format(name): {} for name in networks}
    out: dict[str, Any] = {}
    for name, config in networks.items() if isinstance(networks, Mapping) else ():
        details: dict[str, Any] = {}
        if isinstance(config, Mapping):
            if config.get("aliases"):
                details["aliases"] = sorted(go_format(a) for a in config["aliases"])
            for key in ("ipv4_address", "ipv6_address"):
                if config.get(key):
                    details[key] = config[key]
        out[str(name)] = details
    return out


def _depends_on(service: Mapping[str, Any]) -> dict[str, str] | None:
    """Dependencies with their condition; compose adds the services named by `links`,
    `volumes_from` and `network_mode: service:x` (started)."""
    value = service.get("depends_on")
    out: dict[str, str] = {}
    if isinstance(value, list):
        out = {go_format(name): "service_started" for name in value}
    elif isinstance(value, Mapping):
        for name, condition in value.items():
            found = condition.get("condition") if isinstance(condition, Mapping) else None
            out[str(name)] = str(found or "service_started")
    implied = [go_format(link).split(":", 1)[0] for link in service.get("links") or []]
    implied += [
        go_format(v).split(":", 1)[0]
        for v in service.get("volumes_from") or []
        if not go_format(v).startswith("container:")
    ]
    mode = service.get("network_mode")
    if isinstance(mode, str) and mode.startswith("service:"):
        implied.append(mode.split(":", 1)[1])
    for name in implied:
        out.setdefault(name, "service_started")
    return out or None


def _ulimits(value: Any) -> dict[str, tuple[Any, Any]] | None:
    if not isinstance(value, Mapping):
        return None
    out: dict[str, tuple[Any, Any]] = {}
    for name, limit in value.items():
        if isinstance(limit, Mapping):
            out[str(name)] = (limit.get("soft"), limit.get("hard"))
        else:
            out[str(name)] = (limit, limit)
    return out


def _mounts(value: Any, default_dir: str | None) -> list[tuple[str, str | None]] | None:
    if not isinstance(value, list):
        return None
    out: list[tuple[str, str | None]] = []
    for entry in value:
        if isinstance(entry, Mapping):
            source = str(entry.get("source"))
            target = entry.get("target")
        else:
            source, target = go_format(entry), None
        if target is None and default_dir is not None:
            target = f"{default_dir}/{source}"
        out.append((source, None if target is None else str(target)))
    return out


def _devices(value: Any) -> list[tuple[str, str, str]] | None:
    if not isinstance(value, list):
        return None
    out: list[tuple[str, str, str]] = []
    for entry in value:
        if isinstance(entry, Mapping):
            out.append((str(entry.get("source")), str(entry.get("target")), str(entry.get("permissions") or "rwm")))
        else:
            parts = go_format(entry).split(":")
            source = parts[0]
            target = parts[1] if len(parts) > 1 else source
            out.append((source, target, parts[2] if len(parts) > 2 else "rwm"))
    return out


def _extra_hosts(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        entries: list[str] = []
        for host, ips in value.items():
            for ip in ips if isinstance(ips, list) else [ips]:
                entries.append(f"{host}={go_format(ip)}")
        return sorted(entries)
    out = []
    for entry in value if isinstance(value, list) else [value]:
        text = go_format(entry)
        out.append(text if "=" in text else text.replace(":", "=", 1))
    return sorted(out)


def _logging(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    options = value.get("options")
    return {
        "driver": value.get("driver"),
        "options": {str(k): go_format(v) for k, v in options.items()} if isinstance(options, Mapping) else {},
    }


def _build(value: Any, project_dir: Path) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"context": value}
    if not isinstance(value, Mapping):
        return None
    context = value.get("context", ".")
    return {
        "context": _resolve(str(context), project_dir) if "://" not in str(context) else context,
        "dockerfile": value.get("dockerfile") or ("Dockerfile" if not value.get("dockerfile_inline") else None),
    }


def canonical_service(service: Mapping[str, Any], project_dir: Path) -> dict[str, Any]:
    """The facts of one service in one form, whichever syntax wrote them."""
    out: dict[str, Any] = {}
    for key in sorted([k for k in service if k in _SIMPLE_PLACES], key=_SIMPLE_PLACES.__getitem__):
        value = service[key]
        if value is None:
            continue
        if key in _STRING_KEYS:  # config leaves out empty strings and false booleans
            if value != "":
                out[key] = go_format(value)
        elif key in _BOOL_KEYS:
            if _bool(value) is not False:
                out[key] = _bool(value)
        elif key in _LIST_KEYS:
            out[key] = _as_list(value)
        elif key in _SIZE_KEYS:
            out[key] = _size(value)
        else:  # _NUMBERS
            out[key] = value
    if service.get("cpus") is not None:
        out["cpus"] = _safe(parse_cpus, service["cpus"])
    if service.get("stop_grace_period") is not None:
        out["stop_grace_period"] = _duration(service["stop_grace_period"])
    out["command"] = _safe(shell_split, service.get("command"))
    out["entrypoint"] = _safe(shell_split, service.get("entrypoint"))
    out["environment"] = key_value_mapping(service.get("environment"))
    for key in ("labels", "annotations", "sysctls"):
        out[key] = {k: ("" if v is None else v) for k, v in key_value_mapping(service.get(key)).items()}
    out["ports"] = canonical_ports(service.get("ports"))
    out["expose"] = _as_list(service.get("expose")) or []
    out["volumes"] = canonical_volumes(service.get("volumes"), project_dir)
    out["tmpfs"] = _as_list(service.get("tmpfs")) or []
    deploy = service.get("deploy")
    if isinstance(deploy, Mapping):
        resources = deploy.get("resources")
        if isinstance(resources, Mapping):
            for kind in ("limits", "reservations"):
                found = _resources(resources.get(kind))
                if found:
                    out[kind] = found
        if deploy.get("replicas") is not None:
            out["replicas"] = deploy["replicas"]
        labels = {k: ("" if v is None else v) for k, v in key_value_mapping(deploy.get("labels")).items()}
        if labels:
            out["deploy_labels"] = labels
    out["healthcheck"] = _healthcheck(service.get("healthcheck"))
    out["networks"] = _networks(service)
    out["depends_on"] = _depends_on(service)
    out["ulimits"] = _ulimits(service.get("ulimits"))
    out["logging"] = _logging(service.get("logging"))
    out["secrets"] = _mounts(service.get("secrets"), "/run/secrets")
    out["configs"] = _mounts(service.get("configs"), None)
    out["extra_hosts"] = _extra_hosts(service.get("extra_hosts"))
    out["devices"] = _devices(service.get("devices"))
    out["build"] = _build(service.get("build"), project_dir)
    return out


def canonical_services(data: Mapping[str, Any], project_dir: Path) -> dict[str, dict[str, Any]]:
    """`canonical_service` for every service of a model (merged stack or `config` output)."""
    services = data.get("services")
    if not isinstance(services, Mapping):
        return {}
    return {
        str(name): canonical_service(service if isinstance(service, Mapping) else {}, project_dir)
        for name, service in services.items()
    }
