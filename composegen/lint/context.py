"""What a rule sees: the stack (merged, or one file), how it is used, its runtime facts (what each
service runs, composegen.facts) and sizing knowledge."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from composegen.compose.stack import Stack
from composegen.compose.tree import Origin, is_mapping, origin_at
from composegen.errors import ComposegenError
from composegen.profiles.plain import neutral_profile
from composegen.yamlio import KeyPath, SDict

if TYPE_CHECKING:
    from composegen.facts import ServiceFacts, StackFacts
    from composegen.facts.read import StackReader
    from composegen.profiles.models import HostSpec
    from composegen.sizing.inputs import ServiceInputs
    from composegen.sizing.result import Sizing

Mode = Literal["file", "stack"]
Target = Literal["compose", "swarm"]
#: The words of a compose file name that say nothing about its target or usage.
PLAIN_NAME_WORDS = frozenset({"", "docker", "compose", "override"})


class LintContext:
    """Everything a rule may read. Rules never do I/O.

    A plain class rather than a dataclass (a dataclass costs a lint run its import); treat it as
    frozen: what it sets after construction are caches (calculator estimates, the stack's facts,
    the target and usage the stack says).

    `usage` and `target` are what the user said (--usage, --target, composegen.yaml), else what
    the stack says (composegen.facts: `*.test.yml` is pytest, `docker-stack.yml` or a Swarm-only
    key is Swarm), else None and "compose", read from that evidence alone (a plain file: no
    `deploy`, no top-level `networks`, a name like `docker-compose.yml`, is not even asked). What
    a service runs is read for that service, when a rule first asks (`facts`, `expected`)."""

    __slots__ = (
        "_expected_cache",
        "_facts",
        "_inputs",
        "_inputs_of",
        "_origins",
        "_reader",
        "_said",
        "_services",
        "_target",
        "_usage",
        "host",
        "mode",
        "raw_indexes",
        "shared",
        "stack",
    )

    def __init__(
        self,
        stack: Stack,
        mode: Mode = "file",  # "file": one file on its own (it may be an overlay); "stack": a merged -f stack
        usage: str | None = None,  # "dev" | "pytest" | "prod" | ... from composegen.yaml or --usage
        target: Target | None = None,  # from --target or composegen.yaml; None: the stack says
        host: HostSpec | None = None,
        inputs: Mapping[str, ServiceInputs] = MappingProxyType({}),  # roles and declared inputs
        facts: StackFacts | None = None,  # the stack's runtime facts, where the caller read them already
        inputs_of: Callable[[], Mapping[str, ServiceInputs]] | None = None,  # `inputs`, when first asked
    ) -> None:
        self.stack = stack
        self.mode = mode
        self._usage = usage
        self._target = target
        self._said: dict[str, str | None] = {}
        self._facts = facts
        self.host = host
        self._inputs: Mapping[str, ServiceInputs] | None = inputs if inputs_of is None else None
        self._inputs_of = inputs_of
        self._reader: StackReader | None = None  # the facts of single services, until the stack's are read
        self._expected_cache: dict[str, Sizing | None] = {}
        #: lint.readers.raw_index of each document, by id (the stack holds the documents)
        self.raw_indexes: dict[int, Any] = {}
        self._services: list[tuple[str, Mapping[str, Any]]] | None = None
        self._origins: dict[KeyPath, Origin | None] = {}
        #: What the shared readers (composegen.lint.readers) work out once per stack, by name.
        self.shared: dict[str, Any] = {}

    @property
    def usage(self) -> str | None:
        """How the stack is used: the user's word, else its file names' (`compose.test.yml`)."""
        if self._usage is not None:
            return self._usage
        if "usage" not in self._said:
            self._said["usage"] = self._stack_says("usage") if self._named() else None
        return self._said["usage"]

    @property
    def target(self) -> Target:
        """`swarm` when the user says so, or where the stack does (a file named for `docker stack
        deploy`, `deploy.mode: global`, placement, update_config, rollback_config, an overlay
        network); else `compose`."""
        if self._target is not None:
            return self._target
        if "target" not in self._said:
            swarm = (self._named() or self._deploys()) and self._stack_says("target") == "swarm"
            self._said["target"] = "swarm" if swarm else "compose"
        return "swarm" if self._said["target"] == "swarm" else "compose"

    def _stack_says(self, what: Literal["usage", "target"]) -> str | None:
        """What the stack's facts say of its usage (or its target), from the evidence they read for
        it (the files' names; for a target also overlay networks and each service's `deploy`)
        alone: what every service runs is left unread (composegen.facts.read.stack_usage)."""
        if self._facts is not None:
            return self._facts.usage if what == "usage" else self._facts.target
        from composegen.facts.read import stack_targets_swarm, stack_usage  # lazy: see stack_facts

        try:
            if what == "usage":
                return stack_usage(self.stack)
            return "swarm" if stack_targets_swarm(self.stack) else None
        except ComposegenError:  # the facts decide (a stack whose facts cannot be read has none)
            facts = self.stack_facts()
            return facts.usage if what == "usage" else facts.target

    def _named(self) -> bool:
        """Whether a file name could say something: any word besides docker, compose, override."""
        for path in self.stack.files:
            stem = Path(path).name.lower().removesuffix(".yml").removesuffix(".yaml")
            if set(stem.replace("-", ".").replace("_", ".").split(".")) - PLAIN_NAME_WORDS:
                return True
        return False

    def _deploys(self) -> bool:
        """Whether a Swarm-only key could be there: a service's `deploy`, or top-level `networks`."""
        return "networks" in self.data or any(is_mapping(s.get("deploy")) for _, s in self.services())

    def stack_facts(self) -> StackFacts:
        """What every service runs (composegen.facts), read once."""
        if self._facts is None:
            from composegen.facts import read_stack_facts  # lazy: ~10 ms of imports
            from composegen.facts.read import env_files_of

            try:
                self._facts = read_stack_facts(self.stack, env_files=env_files_of(self.stack), roles=self._roles())
            except ComposegenError:  # facts are a help: a stack they cannot read has none
                self._facts = _no_facts()
        return self._facts

    def facts(self, service: str) -> ServiceFacts | None:
        """What one service runs: its programs and their settings, each with its file:line. Read
        for that service alone, on first ask, unless the stack's facts are read already (a rule
        asks about one service: a postgres server's flags, a healthchecked service's startup)."""
        if self._facts is not None:
            return self._facts.services.get(service)
        if self._reader is None:
            from composegen.facts.read import StackReader  # lazy: ~10 ms of imports

            self._reader = StackReader(self.stack, roles=self._roles())
        try:
            return self._reader.service(service)
        except ComposegenError:  # as stack_facts: a stack the facts cannot read has none
            self._facts = _no_facts()
            return None

    def _roles(self) -> dict[str, str]:
        """The roles composegen.yaml declares, by service (the facts read a declared postgres's
        command as the server's flags)."""
        return {name: i.spec.role for name, i in self.inputs.items() if i.spec.role is not None}

    @property
    def data(self) -> Mapping[str, Any]:
        return self.stack.data

    def services(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(name, service) for every service, in file order (listed once: every rule asks)."""
        if self._services is None:
            self._services = list(self.stack.iter_services())
        return iter(self._services)

    def origin(self, path: KeyPath) -> Origin | None:
        """Where the deepest existing key along `path` was written (asked once per path: most
        rules report at a service's name, every finding of a large stack asks)."""
        try:
            return self._origins[path]
        except KeyError:
            if not self._origins:
                self._origins.update(service_origins(self.stack.data))
                if path in self._origins:
                    return self._origins[path]
            found = self._origins[path] = origin_at(self.stack.data, path)
            return found
        except TypeError:  # a key that cannot be hashed: looked up each time
            return origin_at(self.stack.data, path)

    @property
    def inputs(self) -> Mapping[str, ServiceInputs]:
        """Roles and declared inputs, by service: worked out on first ask where the context was
        given `inputs_of` (`lint --diff` runs only the rules that fix, and none of them asks: a
        large stack's roles cost a tenth of its run)."""
        if self._inputs is None:
            self._inputs = self._inputs_of() if self._inputs_of is not None else MappingProxyType({})
        return self._inputs

    def role(self, service: str) -> str | None:
        # (the inputs themselves once worked out: several rules ask of every service)
        inputs = self._inputs if self._inputs is not None else self.inputs
        found = inputs.get(service)
        return found.role if found is not None else None

    def _estimate(self, name: str) -> Sizing | None:
        inputs = self.inputs.get(name)
        if inputs is None:
            return None
        from composegen.sizing.roles import CALCULATORS

        # the profile lint sizes with: no margin, no tmpfs data dirs, so `expected()` is the bare
        # working set a calculator estimates for the service (a plain stand-in: no pydantic)
        try:
            # the calculators size for what the service runs (composegen.sizing.runs)
            return CALCULATORS[inputs.role](inputs._replace(facts=self.facts(name)), neutral_profile())
        except ComposegenError:  # a calculator that cannot size this service: no expectation
            return None

    def expected(self, service: str) -> Sizing | None:
        """The calculator's estimate for a service (bare working set, expected startup), if any:
        worked out on first ask, for that service alone."""
        try:
            return self._expected_cache[service]
        except KeyError:
            found = self._expected_cache[service] = self._estimate(service)
            return found


def service_origins(data: Any) -> dict[KeyPath, Origin | None]:
    """`origin_at(data, ("services", name))` of every service, found at once: most findings are
    reported at a service's name, and a large stack asks for each of its services (a service's
    key where it has one, else the `services` key's)."""
    services = data.get("services") if type(data) is SDict else None
    if type(services) is not SDict:
        return {}
    top = data.origins.get("services")
    origins = services.origins
    return {("services", name): origins.get(name) or top for name in services}


def _no_facts() -> StackFacts:
    """The facts of a stack they cannot read: none."""
    from composegen.facts import StackFacts

    return StackFacts({}, None, (), None, ())
