"""What the compose file itself says about how a service runs: replicas, mounted config files,
run-once services, and the stack's target (Swarm) and usage (from its file names).

Facts of program `compose`: `replicas`; `target` (`swarm`, with the key that says so); `usage`
(`pytest`, `dev`, `prod`, from a file name); `run_once` evidence (`restart`, `command`,
`depends_on`, `profiles`); the healthcheck's probe program and timing keys (`healthcheck_test`,
`healthcheck_interval`, ...); the resource figures (`shm_size`, `memory_limit`, `memswap_limit`,
`memory_reservation`, `cpus`, `pids`: bytes, cores, a count; `tmpfs <target>`: each tmpfs
mount's size). Config files mounted (`volumes`, `configs`) are facts of the program
that reads them, setting `config_file`, status `not-read`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any

from composegen.compose.syntax import SyntaxProblem, volume_target
from composegen.compose.tree import is_mapping, items, key_origin
from composegen.errors import UnitError
from composegen.facts import values
from composegen.facts.argv import PROGRAMS, Word, basename, script_commands, shell_script_at, unwrap
from composegen.facts.model import TMPFS_SETTING, Fact, Status, Usage
from composegen.facts.options import value_fact
from composegen.units import parse_bytes, parse_cpus
from composegen.yamlio import Origin


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


OriginOf = Callable[[str], Origin | None]


def replicas(service: Mapping[str, Any], origin_of: OriginOf) -> list[Fact]:
    """`scale`, then `deploy.replicas` (compose refuses the two when they differ)."""
    facts: list[Fact] = []
    if service.get("scale") is not None:
        text = _str(service["scale"])
        facts.append(
            value_fact("compose", "replicas", values.count, text, f"scale: {text}", origin_of("scale"), "scale")
        )
    deploy = service.get("deploy")
    if is_mapping(deploy) and deploy.get("replicas") is not None:
        text = _str(deploy["replicas"])
        facts.append(
            value_fact(
                "compose",
                "replicas",
                values.count,
                text,
                f"replicas: {text}",
                key_origin(deploy, "replicas"),
                "deploy.replicas",
            )
        )
    return facts


# --- resources ------------------------------------------------------------------------------

#: The base's resource keys the overlay may write over, as (setting, key path), each setting's
#: keys in precedence order (the last one set wins; compose refuses two that differ): the memory
#: limit is `mem_limit`, else deploy's; the CPU limit deploy's, else `cpus` (resolve.base_service).
RESOURCE_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shm_size", ("shm_size",)),
    ("pids", ("pids_limit",)),
    ("pids", ("deploy", "resources", "limits", "pids")),
    ("memory_limit", ("deploy", "resources", "limits", "memory")),
    ("memory_limit", ("mem_limit",)),
    ("memswap_limit", ("memswap_limit",)),
    ("memory_reservation", ("deploy", "resources", "reservations", "memory")),
    ("memory_reservation", ("mem_reservation",)),
    ("cpus", ("cpus",)),
    ("cpus", ("deploy", "resources", "limits", "cpus")),
)

#: The service keys RESOURCE_KEYS start from: a service that sets none of them sets no figure.
_RESOURCE_ROOTS = frozenset(path[0] for _, path in RESOURCE_KEYS)


def _resource_value(setting: str, value: Any) -> int | float | None:
    """A resource key's value as compose reads it: bytes, or cores for `cpus` (-1: no swap limit);
    None where compose would refuse it (lint says so)."""
    try:
        if setting == "cpus":
            return parse_cpus(value)
        if setting == "pids":
            return _pids(value)
        if setting == "memswap_limit" and _str(value) == "-1":
            return -1
        return parse_bytes(value)
    except UnitError:
        return None


def _pids(value: Any) -> int | None:
    """A pids limit as compose reads it: a whole number (0 or -1: no limit, as Docker reads it);
    None for anything else."""
    text = _str(value).strip()
    number = int(text) if text.lstrip("-").isdigit() else None
    return None if number is None or isinstance(value, bool) or number < -1 else number


def tmpfs_sizes(service: Mapping[str, Any]) -> list[Fact]:
    """The size of each tmpfs mount the service sets, as setting `tmpfs <target>` (bytes), with
    where it is written: the short form's `size=` option (`tmpfs: [/scratch:size=64m]`) and the
    long form's `tmpfs.size` (`volumes: [{type: tmpfs, target: /data, tmpfs: {size: 512m}}]`).
    Its pages count against the memory limit (facts/sizing.md). A mount with no size (or size 0,
    docker's unbounded default) is an unreadable fact, value None: nothing bounds it (lint's CG106
    says so, render notes it: composegen.sizing.base_resources.unsized_tmpfs)."""
    facts: list[Fact] = []
    short = service.get("tmpfs")
    entries = items(short) if isinstance(short, list) else [(short, key_origin(service, "tmpfs"))] if short else []
    for entry, origin in entries:
        target, _, options = _str(entry).partition(":")
        size = None
        for option in options.split(","):
            key, sep, value = option.strip().partition("=")
            if key.strip().lower() == "size" and sep:
                size = value.strip()
        if target.strip():
            facts.append(_tmpfs_fact(target.strip(), size, f"tmpfs: {entry}", origin, "tmpfs"))
    volumes = service.get("volumes")
    for entry, origin in items(volumes) if isinstance(volumes, list) else ():
        if not is_mapping(entry) or entry.get("type") != "tmpfs" or entry.get("target") is None:
            continue
        target = _str(entry["target"])
        long = entry.get("tmpfs")
        if not is_mapping(long) or long.get("size") is None:
            facts.append(_tmpfs_fact(target, None, f"tmpfs volume: {target}", origin, "volumes"))
            continue
        raw = f"tmpfs volume: {target} size={_str(long['size'])}"
        facts.append(_tmpfs_fact(target, long["size"], raw, key_origin(long, "size") or origin, "volumes"))
    return facts


def _tmpfs_fact(target: str, size: Any, raw: str, origin: Origin | None, via: str) -> Fact:
    value = _resource_value("tmpfs", size) if size is not None else None
    status: Status = "read" if value else "unreadable"  # 0: docker's unbounded default, not a size
    return Fact("compose", TMPFS_SETTING + target, value or None, raw, origin, via, status)


def resources(service: Mapping[str, Any]) -> list[Fact]:
    """The memory, swap, /dev/shm, CPU and pids figures the base sets (RESOURCE_KEYS), each with
    where it is written, and its tmpfs sizes: an overlay that writes another value says so, naming it."""
    facts: list[Fact] = []
    # most services set none of these keys: one test of their keys, not a lookup for each figure
    for setting, path in RESOURCE_KEYS if not _RESOURCE_ROOTS.isdisjoint(service) else ():
        parent: Any = service
        if service.get(path[0]) is None:
            continue
        for key in path[:-1]:
            parent = parent.get(key) if is_mapping(parent) else None
        if not is_mapping(parent) or parent.get(path[-1]) is None:
            continue
        value = _resource_value(setting, parent[path[-1]])
        key = ".".join(path)
        raw = f"{key}: {_str(parent[path[-1]])}"
        status: Status = "read" if value is not None else "unreadable"
        facts.append(Fact("compose", setting, value, raw, key_origin(parent, path[-1]), key, status))
    return facts + tmpfs_sizes(service)


# --- config files ---------------------------------------------------------------------------

#: Config files whose values composegen does not read, by the name they are mounted as.
CONFIG_FILES: dict[str, str] = {
    "gunicorn.conf.py": "gunicorn",
    "gunicorn_conf.py": "gunicorn",
    "gunicorn.config.py": "gunicorn",
    "postgresql.conf": "postgres",
    "redis.conf": "redis",
    "valkey.conf": "redis",
    "my.cnf": "mysql",
    "mysqld.cnf": "mysql",
    "mongod.conf": "mongodb",
    "jvm.options": "jvm",
}


def _config_program(target: str) -> str | None:
    name = basename(target)
    found = CONFIG_FILES.get(name)
    if found is None and name.endswith(".cnf") and "/mysql" in target:
        return "mysql"
    if found is None and "/jvm.options.d/" in target:
        return "jvm"
    return found


def config_mounts(service: Mapping[str, Any]) -> list[Fact]:
    facts: list[Fact] = []
    volumes = service.get("volumes")
    for entry, origin in items(volumes) if isinstance(volumes, list) else ():
        try:
            target = volume_target(entry)
        except SyntaxProblem:
            continue
        program = _config_program(target)
        if program is not None:
            raw = entry if isinstance(entry, str) else f"target: {target}"
            facts.append(Fact(program, "config_file", target, raw, origin, "volumes", "not-read"))
    configs = service.get("configs")
    for entry, origin in items(configs) if isinstance(configs, list) else ():
        target = _str(entry.get("target", "")) if is_mapping(entry) else ""
        program = _config_program(target) if target else None
        if program is not None:
            facts.append(Fact(program, "config_file", target, f"target: {target}", origin, "configs", "not-read"))
    return facts


# --- run once -------------------------------------------------------------------------------

#: Django management commands that finish (everything but the servers).
_DJANGO_SERVERS = frozenset({"runserver", "runserver_plus", "runworker", "celery", "qcluster", "rqworker", "shell"})
#: Commands that finish: test runners, one-shot tools.
_FINISHING_PROGRAMS = frozenset(
    {"pytest", "py.test", "tox", "nox", "alembic", "flyway", "liquibase", "goose", "migrate", "dbmate"}
)
#: Shell builtins and file tools a script may end with: the script finishes with them.
_FINISHING_SHELL = frozenset(
    {"true", "exit", "echo", "fi", "done", "esac", "chown", "chmod", "mkdir", "cp", "mv", "rm", "ln", "touch", "tar"}
)
#: `tool subcommand` pairs that finish (`ollama pull llama3`).
_FINISHING_SUBCOMMANDS = frozenset({("ollama", "pull"), ("ollama", "create"), ("ollama", "cp"), ("ollama", "rm")})
_FINISHING_WORDS = ("migrat", "collectstatic", "createsuperuser", "loaddata", "db:seed", "db:setup")
_TEST_COMMANDS = frozenset({"test", "tests", "e2e", "test:ci", "test:e2e"})
_WAIT_SCRIPTS = ("wait-for", "wait_for", "waitfor")
#: Loops a script never leaves (but by `exit` or a signal): a script holding one does not finish.
_ENDLESS_LOOPS = frozenset({("while", "true"), ("while", ":"), ("until", "false")})
#: Profiles that name tools run by hand (`docker compose run`), not services kept up.
TOOL_PROFILES = frozenset(
    {
        "tools", "tool", "cli", "setup", "init", "migrate", "migration", "migrations", "test", "tests",
        "manual", "oneshot", "one-shot", "job", "jobs", "admin", "maintenance", "backup", "seed", "utils",
        "scripts", "task", "tasks",
    }
)  # fmt: skip


def last_command(words: Sequence[Word], depth: int = 0) -> list[Word]:
    """The simple command a service ends with (its main process): wrappers looked through, the last
    command of a `sh -c` script, the command after a wait-for script's `--`."""
    unwrapped = unwrap(list(words))
    if not unwrapped or depth > 8:
        return unwrapped
    first = basename(unwrapped[0].text)
    if first in ("sh", "bash", "ash", "dash", "zsh"):
        at = shell_script_at(unwrapped)
        if at is not None:
            script = unwrapped[at]
            commands = script_commands(script.text)
            loop = next((c for c in commands if tuple(c[:2]) in _ENDLESS_LOOPS), None)
            if loop is not None:  # `while true; do ...; done` never finishes: the loop is the process
                return [Word(w, script.origin, script.via) for w in loop]
            if commands:
                return last_command([Word(w, script.origin, script.via) for w in commands[-1]], depth + 1)
        return unwrapped
    if first.startswith(_WAIT_SCRIPTS):
        texts = [w.text for w in unwrapped]
        if "--" in texts:
            return last_command(unwrapped[texts.index("--") + 1 :], depth + 1)
    return unwrapped


#: Any of _FINISHING_WORDS, in one search.
_FINISHING_WORD = re.compile("|".join(re.escape(word) for word in _FINISHING_WORDS))


def _is_manage(text: str) -> bool:
    """`manage.py` (any folder) or `django-admin`."""
    return text == "django-admin" or ("manage.py" in text and basename(text) == "manage.py")


def finishing(words: Sequence[Word]) -> str | None:
    """Why the command finishes (a reason), or None where it looks like a server."""
    texts = [w.text for w in words]
    if not texts:
        return None
    first = basename(texts[0])
    if first in _FINISHING_PROGRAMS or first in _FINISHING_SHELL:
        return f"{first} finishes"
    if len(texts) > 1 and (first, texts[1]) in _FINISHING_SUBCOMMANDS:
        return f"{first} {texts[1]} finishes"
    if first.startswith(_WAIT_SCRIPTS):
        return f"{first} waits, then exits"
    at = next((i for i, t in enumerate(texts) if _is_manage(t)), None)
    if at is not None:
        sub = next((t for t in texts[at + 1 :] if not t.startswith("-")), "")
        if sub and sub not in _DJANGO_SERVERS:
            return f"manage.py {sub} finishes"
        return None
    if first in PROGRAMS:
        return "pytest finishes" if PROGRAMS[first] == "pytest" else None
    for text in texts:
        if _FINISHING_WORD.search(text.lower()):
            return f"{text} finishes"
    if first in ("npm", "yarn", "pnpm", "go", "cargo", "mvn", "gradle", "make") and any(
        t in _TEST_COMMANDS for t in texts[1:3]
    ):
        return f"{first} {' '.join(texts[1:3])} finishes"
    return None


#: The healthcheck keys the overlay replaces with the profile's timing (the probe itself is kept).
HEALTHCHECK_TIMING = ("interval", "timeout", "retries", "start_period", "start_interval")


def _probe_program(test: Any) -> str | None:
    """The program a healthcheck's `test` runs (`wget` of `["CMD", "wget", ...]`, the first word
    of a CMD-SHELL script); None for `NONE` or a shape compose refuses."""
    if isinstance(test, str):
        words = test.split()
    elif isinstance(test, Sequence) and test and test[0] in ("CMD", "CMD-SHELL"):
        words = [_str(w) for w in test[1:2]] if test[0] == "CMD" else _str(test[1]).split() if len(test) > 1 else []
    else:
        return None
    return basename(words[0]) if words and words[0] else None


def healthcheck(service: Mapping[str, Any]) -> list[Fact]:
    """The base's healthcheck: the program its probe runs (the overlay keeps the probe: facts of
    setting `healthcheck_test`; only the program is kept, never its arguments, which may hold a
    password) and each timing key it sets (`healthcheck_interval`, ...: the overlay replaces them).
    Nothing for a disabled healthcheck."""
    check = service.get("healthcheck")
    if not is_mapping(check) or check.get("disable") is True:
        return []
    facts: list[Fact] = []
    program = _probe_program(check.get("test"))
    if program is not None:
        facts.append(
            Fact(
                "compose",
                "healthcheck_test",
                program,
                f"healthcheck probe `{program}`",
                key_origin(check, "test"),
                "healthcheck",
            )
        )
    for key in HEALTHCHECK_TIMING:
        if check.get(key) is not None:
            text = _str(check[key])
            origin = key_origin(check, key)
            facts.append(
                Fact("compose", f"healthcheck_{key}", text, f"healthcheck {key}: {text}", origin, "healthcheck")
            )
    return facts


def run_once_evidence(
    service: Mapping[str, Any],
    words: Sequence[Word],
    origin_of: OriginOf,
    dependents: Sequence[Fact],
) -> tuple[bool, list[Fact]]:
    """Whether the service runs once and exits, with the evidence. Decisive: another service waits
    for it with `condition: service_completed_successfully`; or a command that finishes, or a tool
    profile, where the restart policy does not restart it forever. `restart: "no"` is evidence,
    not decisive on its own (a server may be meant to stay down when it stops)."""
    evidence: list[Fact] = list(dependents)
    restart = service.get("restart")
    restart_text = "no" if restart is False else (_str(restart) if restart is not None else "")
    if restart_text == "no":
        evidence.append(Fact("compose", "run_once", True, 'restart: "no"', origin_of("restart"), "restart"))
    deploy = service.get("deploy")
    policy = deploy.get("restart_policy") if is_mapping(deploy) else None
    condition = _str(policy.get("condition")) if is_mapping(policy) and policy.get("condition") else ""
    if condition == "none":
        evidence.append(
            Fact(
                "compose",
                "run_once",
                True,
                "restart_policy: condition: none",
                key_origin(policy, "condition"),
                "deploy.restart_policy",
            )
        )
    restarts_forever = restart_text in ("always", "unless-stopped") or condition == "any"
    decisive = bool(dependents)
    reason = finishing(last_command(words))
    if reason is not None:
        first = words[0] if words else None
        evidence.append(
            Fact(
                "compose", "run_once", True, reason, first.origin if first else None, first.via if first else "command"
            )
        )
        decisive = decisive or not restarts_forever
    profiles = service.get("profiles")
    for profile, origin in items(profiles) if isinstance(profiles, list) else ():
        if _str(profile).lower() in TOOL_PROFILES:
            evidence.append(Fact("compose", "run_once", True, f"profiles: [{profile}]", origin, "profiles"))
            decisive = decisive or not restarts_forever
    return decisive, evidence


def completed_dependencies(services: Mapping[str, Any]) -> dict[str, list[Fact]]:
    """`{service: evidence}` for each service another one waits for with
    `condition: service_completed_successfully`."""
    found: dict[str, list[Fact]] = {}
    for name, service in services.items():
        depends = service.get("depends_on") if is_mapping(service) else None
        if not is_mapping(depends):
            continue
        for dependency, spec in depends.items():
            if is_mapping(spec) and spec.get("condition") == "service_completed_successfully":
                origin = key_origin(spec, "condition") or key_origin(depends, dependency)
                raw = f"{name} depends_on {dependency}: service_completed_successfully"
                found.setdefault(str(dependency), []).append(
                    Fact("compose", "run_once", True, raw, origin, f"services.{name}.depends_on")
                )
    return found


# --- target and usage ------------------------------------------------------------------------

#: Swarm-only service keys: `docker compose` ignores them, `docker stack deploy` uses them.
#: https://docs.docker.com/reference/compose-file/deploy/ (placement, update_config,
#: rollback_config; mode: global)
_SWARM_DEPLOY_KEYS = ("placement", "update_config", "rollback_config")


def service_target_evidence(service: Mapping[str, Any]) -> list[Fact]:
    deploy = service.get("deploy")
    if not is_mapping(deploy):
        return []
    facts: list[Fact] = []
    if deploy.get("mode") == "global":
        facts.append(Fact("compose", "target", "swarm", "mode: global", key_origin(deploy, "mode"), "deploy.mode"))
    for key in _SWARM_DEPLOY_KEYS:
        if deploy.get(key) is not None:
            facts.append(Fact("compose", "target", "swarm", f"{key}:", key_origin(deploy, key), f"deploy.{key}"))
    return facts


#: Every service key `replicas`, `config_mounts`, `healthcheck`, `resources` and
#: `service_target_evidence` read: a service that sets none of them has none of their facts, and
#: `service_facts` does not ask each (most services of a large stack set an image, a command and
#: an environment).
FACT_KEYS = frozenset({"scale", "deploy", "volumes", "configs", "healthcheck", "tmpfs", *_RESOURCE_ROOTS})


def service_facts(service: Mapping[str, Any], origin_of: OriginOf) -> tuple[list[Fact], list[Fact]]:
    """The facts of `replicas`, `config_mounts`, `healthcheck` and `resources`, in that order, and
    the service's target evidence (`service_target_evidence`)."""
    if FACT_KEYS.isdisjoint(service):
        return [], []
    deploy = "deploy" in service  # (each reader finds nothing where its keys are missing)
    facts = [
        *(replicas(service, origin_of) if deploy or "scale" in service else ()),
        *(config_mounts(service) if "volumes" in service or "configs" in service else ()),
        *(healthcheck(service) if "healthcheck" in service else ()),
        *resources(service),
    ]
    return facts, service_target_evidence(service) if deploy else []


def _file_words(path: PurePath) -> list[str]:
    stem = path.name.lower()
    for suffix in (".yml", ".yaml"):
        stem = stem.removesuffix(suffix)
    for sep in "-_":
        stem = stem.replace(sep, ".")
    return [w for w in stem.split(".") if w]


def _file_origin(path: PurePath) -> Origin:
    return Origin(str(path), 1, 1)


def network_target_evidence(data: Mapping[str, Any]) -> list[Fact]:
    networks = data.get("networks")
    facts: list[Fact] = []
    if isinstance(networks, Mapping):
        for name, spec in networks.items():
            if isinstance(spec, Mapping) and spec.get("driver") == "overlay":
                origin = key_origin(spec, "driver") or key_origin(networks, name)
                facts.append(Fact("compose", "target", "swarm", f"networks.{name}.driver: overlay", origin, "networks"))
    return facts


def file_target_evidence(files: Sequence[PurePath]) -> list[Fact]:
    """`docker-stack.yml`, `stack-prod.yml`, `app.stack.yml`: files named for `docker stack deploy`."""
    return [
        Fact("compose", "target", "swarm", path.name, _file_origin(path), "file name")
        for path in files
        if "stack" in _file_words(path)
    ]


#: Words of a file name that say what the stack is for.
USAGE_WORDS: dict[str, Usage] = {
    "test": "pytest",
    "tests": "pytest",
    "ci": "pytest",
    "e2e": "pytest",
    "integration": "pytest",
    "dev": "dev",
    "development": "dev",
    "local": "dev",
    "prod": "prod",
    "production": "prod",
}


def file_usage(files: Sequence[PurePath]) -> tuple[Usage | None, list[Fact]]:
    """`*.test.yml`, `compose.ci.yaml`, `*.dev.yml`, `*.prod.yml`: one fact per file that says; the
    last file that says decides (an overlay says what the stack is for)."""
    usage: Usage | None = None
    evidence: list[Fact] = []
    for path in files:
        for word in _file_words(path):
            if word in USAGE_WORDS:
                usage = USAGE_WORDS[word]
                evidence.append(Fact("compose", "usage", usage, path.name, _file_origin(path), "file name"))
                break
    return usage, evidence
