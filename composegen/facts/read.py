"""Read every service of a stack into `ServiceFacts`: the argv, the programs it runs, and each
setting they run with, grouped by program and setting in the program's own precedence."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from pathlib import PurePath
from typing import Any, NamedTuple

from composegen.compose.stack import Stack
from composegen.compose.syntax import image_name, split_key_value
from composegen.compose.tree import is_mapping, items, key_origin
from composegen.facts import databases, jvm, llm, python
from composegen.facts import stack as compose_facts
from composegen.facts.argv import Word, find_commands, service_words
from composegen.facts.context import Context, EnvVar, Readout
from composegen.facts.model import Command, Fact, ServiceFacts, StackFacts, Unread, Usage
from composegen.yamlio import Origin

Reader = Callable[[Context], Readout]
#: Every reader, one module per program family.
READERS: tuple[Reader, ...] = (*python.READERS, *jvm.READERS, *databases.READERS, *llm.READERS)


class _Asked(Mapping[str, EnvVar]):
    """An environment that sets nothing and notes each variable a reader asks about (and whether
    it lists them all)."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.programs: set[str] = set()
        self.listed = False

    def __getitem__(self, name: str) -> EnvVar:
        self.names.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(())

    def __len__(self) -> int:
        self.listed = True
        return 0


class _Probe(Context):
    """A service that runs nothing and sets nothing, noting each program a reader asks about."""

    __slots__ = ()

    def runs(self, program: str) -> bool:
        self._asked().programs.add(program)
        return False

    def words_of(self, program: str) -> list[tuple[Word, ...]]:
        self._asked().programs.add(program)
        return []

    def _asked(self) -> _Asked:
        assert isinstance(self.env, _Asked)
        return self.env


class Needs(NamedTuple):
    """What a reader asks about a service (`needs_of`): the programs whose invocations it reads and
    the variables it looks up. `always`: it finds something in a service that runs nothing and
    sets nothing, or lists the environment."""

    reader: Reader
    programs: frozenset[str]
    variables: frozenset[str]
    always: bool

    def applies(self, programs: AbstractSet[str], variables: AbstractSet[str]) -> bool:
        """Whether the reader may find anything in a service that runs `programs` and sets
        `variables` (of those some reader asks about)."""
        return self.always or not self.programs.isdisjoint(programs) or not self.variables.isdisjoint(variables)


def needs_of(reader: Reader) -> Needs:
    """What `reader` asks about, found by reading a service that runs nothing and sets nothing.
    A reader is a function of what it asks (`Context.runs`, `words_of`, `env_fact`, `env_words`,
    `in env`): on a service where each answer is the same as there (none of its programs runs,
    none of its variables is set), it asks the same, and reads the same: nothing, unless `always`."""
    asked = _Asked()
    readout = reader(_Probe("", "", (), asked))
    found = bool(readout.facts or readout.unread) or asked.listed
    return Needs(reader, frozenset(asked.programs), frozenset(asked.names), found)


#: What each reader asks about: a reader none of whose programs runs and none of whose variables
#: is set in a service is not run there (it would read nothing).
NEEDS: tuple[Needs, ...] = tuple(needs_of(reader) for reader in READERS)
#: Every variable some reader asks about.
ASKED: frozenset[str] = frozenset(name for needs in NEEDS for name in needs.variables)


@lru_cache(maxsize=256)
def readers_for(programs: frozenset[str], variables: frozenset[str]) -> tuple[Reader, ...]:
    """The readers, in order, that may find anything in a service that runs `programs` and sets
    `variables` (`asked_variables`): one answer for each such pair (services repeat them)."""
    return tuple(needs.reader for needs in NEEDS if needs.applies(programs, variables))


def asked_variables(env: Mapping[str, EnvVar]) -> AbstractSet[str]:
    """The variables of ASKED that `env` sets: its own keys where it is a dict (the service's
    `environment`), else each of ASKED looked up (an env file many services share is not listed
    for each)."""
    if isinstance(env, dict):
        return ASKED.intersection(env)
    return {name for name in ASKED if name in env}


#: (program, setting) pairs where every fact counts (several models), none overrides another.
ACCUMULATING = frozenset(
    {("model", "model_id"), ("compose", "run_once"), ("compose", "target"), ("django", "subcommand")}
)


def service_environment(
    service: Mapping[str, Any],
    effective: Mapping[str, str | None] | None = None,
    env_file_origin: Origin | None = None,
    env_files: Mapping[str, tuple[str, str]] | None = None,
) -> Mapping[str, EnvVar]:
    """The service's `environment` with the origin of each key or item. `effective` (e.g.
    `Stack.effective_environment`, which reads the env files) adds what only the env files set,
    at the `env_file` key; `env_files` (`Stack.env_file_variables`) too, each with the env file's
    line, read only where a reader asks for the variable (an env file many services share is not
    copied into each)."""
    env: dict[str, EnvVar] = {}
    declared = service.get("environment")
    if is_mapping(declared):
        for key, origin in items(declared):
            value = declared[key]
            if value is not None:
                name = str(key)
                env[name] = EnvVar(name, _text(value), origin, f"environment {name}", _where(origin))
    elif isinstance(declared, list):
        for entry, origin in items(declared):
            name, value = split_key_value(str(entry))
            if value is not None:
                env[name] = EnvVar(name, value, origin, f"environment {name}", _where(origin))
    for name, found in (effective or {}).items():
        if found is not None and name not in env:
            env[name] = EnvVar(name, found, env_file_origin, f"env_file {name}", _where(env_file_origin))
    return WithEnvFiles(env, env_files, env_file_origin) if env_files else env


class WithEnvFiles(Mapping[str, EnvVar]):
    """`environment` first, then the env files' variables (`Stack.env_file_variables`), these as
    EnvVars at the `env_file` key made when asked for."""

    def __init__(
        self, env: Mapping[str, EnvVar], variables: Mapping[str, tuple[str, str]], origin: Origin | None
    ) -> None:
        self.env = env
        self.variables = variables
        self.origin = origin

    def __getitem__(self, name: str) -> EnvVar:
        found = self.env.get(name)
        if found is not None:
            return found
        value, where = self.variables[name]
        return EnvVar(name, value, self.origin, f"env_file {name}", where)

    def __contains__(self, name: object) -> bool:
        return name in self.env or name in self.variables

    def __bool__(self) -> bool:  # without counting the env files' variables
        return bool(self.env) or bool(self.variables)

    def __iter__(self) -> Iterator[str]:
        yield from self.env
        yield from (name for name in self.variables if name not in self.env)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class ScriptVars(Mapping[str, tuple[str, str]]):
    """A service's variables as a shell script reads them: {name: (value, where it was set)}."""

    def __init__(self, env: Mapping[str, EnvVar]) -> None:
        self.env = env

    def __getitem__(self, name: str) -> tuple[str, str]:
        var = self.env[name]
        return var.value, var.set_at

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def _where(origin: Origin | None) -> str:
    """`docker-compose.yml:7`: the file's name and the line."""
    return origin.named() if origin is not None else "the service's environment"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _group(facts: Sequence[Fact]) -> tuple[Fact, ...]:
    """Facts grouped by (program, setting), in first-seen order, each group kept in precedence
    order, all but the last of a group marked overridden (not-read facts override nothing)."""
    if len({(found.program, found.setting) for found in facts}) == len(facts):  # (most services)
        return tuple(facts)  # each group one fact: in first-seen order, none overridden
    return group_facts(facts)


def group_facts(facts: Sequence[Fact]) -> tuple[Fact, ...]:
    """`_group`, each group built (where some program and setting repeats)."""
    groups: dict[tuple[str, str], list[Fact]] = {}
    for found in facts:
        groups.setdefault((found.program, found.setting), []).append(found)
    out: list[Fact] = []
    for key, group in groups.items():
        if key in ACCUMULATING or key[1] == "config_file":  # a config file named twice is one file
            out.extend(group)
            continue
        last = len(group) - 1
        out.extend(f._replace(overridden=True) if i < last else f for i, f in enumerate(group))
    return tuple(out)


def read_service(
    stack: Stack,
    name: str,
    *,
    environment: Mapping[str, str | None] | None = None,
    env_files: Mapping[str, tuple[str, str]] | None = None,
    role: str | None = None,
    dependents: Sequence[Fact] = (),
) -> ServiceFacts:
    """The facts of one service of a merged stack. Pure: reads only the stack's model (pass
    `env_files=stack.env_file_variables(name)`, or `environment=stack.effective_environment(name)`,
    to count the env files' variables too). `role`: the service's role where composegen.yaml
    declares it (`postgres` on a custom image: its command is the server's flags, as on the
    official image). `dependents`: evidence from other services (`read_stack` fills it: a
    `service_completed_successfully` dependency on this one)."""
    found = stack.services.get(name)
    service: Mapping[str, Any] = found if is_mapping(found) else {} if name in stack.services else stack.service(name)
    path = ("services", name)
    own: list[Origin | None] = []  # the service's own origin, looked up once, for keys it lacks

    def origin_of(key: str) -> Origin | None:
        found = key_origin(service, key)
        if found is None:
            if not own:
                own.append(stack.origin(path))
            found = own[0]
        return found

    words, problem = service_words(service, origin_of, role)
    facts: list[Fact] = []
    if problem is not None:
        key = "command" if "command" in service else "entrypoint"
        facts.append(Fact("compose", key, None, _text(service.get(key)), origin_of(key), key, "unreadable"))
    image = service.get("image")
    image_text = None if image is None else _text(image)
    env_file_origin = origin_of("env_file") if environment or env_files else None  # (used for those only)
    env = service_environment(service, environment, env_file_origin, env_files)
    found = tuple((program, tuple(run)) for program, run in find_commands(words, env=ScriptVars(env)))
    ctx = Context(name, image_name(image_text) if image_text else "", found, env)
    unread: list[Unread] = []
    if ctx.commands or ctx.env:  # the readers read nothing else
        for reader in readers_for(frozenset(program for program, _ in found), frozenset(asked_variables(env))):
            readout = reader(ctx)
            facts.extend(readout.facts)
            unread.extend(readout.unread)
    found_here, target_evidence = compose_facts.service_facts(service, origin_of)
    facts.extend(found_here)
    run_once, evidence = compose_facts.run_once_evidence(service, words, origin_of, dependents)
    return ServiceFacts(
        service=name,
        image=image_text,
        image_name=ctx.image_name,
        argv=tuple(w.text for w in words),
        commands=tuple(_command(program, run) for program, run in found),
        facts=_group(facts),
        unread=tuple(unread),
        run_once=run_once,
        run_once_evidence=tuple(evidence),
        target_evidence=tuple(target_evidence),
    )


def _command(program: str, run: Sequence[Word]) -> Command:
    return Command(program, tuple(w.shown for w in run), run[0].origin, run[0].via)


Environments = Mapping[str, Mapping[str, str | None]]


EnvFiles = Mapping[str, Mapping[str, tuple[str, str]]]


def env_files_of(stack: Stack) -> dict[str, Mapping[str, tuple[str, str]]]:
    """`{service: Stack.env_file_variables(service)}` for each service with an `env_file` (the
    one read of files the facts get, for callers to pass as `env_files`)."""
    cache: dict[str, Mapping[str, tuple[str, str]]] = {}  # each file read once
    return {
        name: stack.env_file_variables(name, cache)
        for name, service in stack.services.items()
        if _names_env_files(service)
    }


def _names_env_files(service: Any) -> bool:
    return is_mapping(service) and bool(service.get("env_file"))


class StackReader:
    """The facts of a stack's services read one at a time, on first ask, each as
    `read_stack(stack, env_files=env_files_of(stack), roles=roles)` reads it: lint asks about a
    few services of a stack (a postgres server's flags, a healthchecked service's startup), and
    reads those only."""

    def __init__(self, stack: Stack, roles: Mapping[str, str] | None = None) -> None:
        self.stack = stack
        self.roles: Mapping[str, str] = roles or {}
        self._dependents: dict[str, list[Fact]] | None = None
        self._env_files: dict[str, Mapping[str, tuple[str, str]]] = {}  # each file read once
        self._read: dict[str, ServiceFacts | None] = {}

    def service(self, name: str) -> ServiceFacts | None:
        """The facts of service `name` (None: the stack has no service of that name)."""
        try:
            return self._read[name]
        except KeyError:
            pass
        found = None
        if name in self.stack.services:
            if self._dependents is None:
                self._dependents = compose_facts.completed_dependencies(self.stack.services)
            service = self.stack.services[name]
            found = read_service(
                self.stack,
                name,
                env_files=self.stack.env_file_variables(name, self._env_files) if _names_env_files(service) else None,
                role=self.roles.get(name),
                dependents=self._dependents.get(name, ()),
            )
        self._read[name] = found
        return found


def read_stack(
    stack: Stack,
    *,
    environments: Environments | None = None,
    env_files: EnvFiles | None = None,
    roles: Mapping[str, str] | None = None,
) -> dict[str, ServiceFacts]:
    """`{service: ServiceFacts}` for every service of the stack, in file order. `environments`:
    `{service: Stack.effective_environment(service)}`, or `env_files` (`env_files_of(stack)`),
    where the env files' variables should count (the caller reads the files; this stays pure);
    `roles`: `{service: role}` composegen.yaml declares (see read_service)."""
    dependents = compose_facts.completed_dependencies(stack.services)
    return {
        name: read_service(
            stack,
            name,
            environment=(environments or {}).get(name),
            env_files=(env_files or {}).get(name),
            role=(roles or {}).get(name),
            dependents=dependents.get(name, ()),
        )
        for name in stack.services
    }


def stack_usage(stack: Stack) -> Usage | None:
    """`read_stack_facts(stack).usage`, from the same evidence (the files' names), without reading
    what the services run."""
    return compose_facts.file_usage([PurePath(p) for p in stack.files])[0]


def stack_targets_swarm(stack: Stack) -> bool:
    """Whether `read_stack_facts(stack).target` is swarm, from the same evidence (the files' names,
    overlay networks, each service's `deploy`), without reading what the services run."""
    if compose_facts.file_target_evidence([PurePath(p) for p in stack.files]):
        return True
    if compose_facts.network_target_evidence(stack.data):
        return True
    return any(
        isinstance(service, Mapping) and compose_facts.service_target_evidence(service)
        for service in stack.services.values()
    )


def read_stack_facts(
    stack: Stack,
    *,
    environments: Environments | None = None,
    env_files: EnvFiles | None = None,
    roles: Mapping[str, str] | None = None,
) -> StackFacts:
    """The stack's services' facts, its target and its usage, each with its evidence."""
    services = read_stack(stack, environments=environments, env_files=env_files, roles=roles)
    files = [PurePath(p) for p in stack.files]
    target_evidence = [
        *compose_facts.file_target_evidence(files),
        *compose_facts.network_target_evidence(stack.data),
        *(f for facts in services.values() for f in facts.target_evidence),
    ]
    usage, usage_evidence = compose_facts.file_usage(files)
    return StackFacts(
        services=services,
        target="swarm" if target_evidence else None,
        target_evidence=tuple(target_evidence),
        usage=usage,
        usage_evidence=tuple(usage_evidence),
    )
