"""What a rule sees: the stack (merged, or one file), how it is used, and sizing knowledge."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from composegen.compose.stack import Stack
from composegen.compose.tree import Origin, origin_at
from composegen.errors import ComposegenError
from composegen.profiles.plain import neutral_profile
from composegen.yamlio import KeyPath

if TYPE_CHECKING:
    from composegen.profiles.models import HostSpec
    from composegen.sizing.inputs import ServiceInputs
    from composegen.sizing.result import Sizing

Mode = Literal["file", "stack"]
Target = Literal["compose", "swarm"]


class LintContext:
    """Everything a rule may read. Rules never do I/O.

    A plain class rather than a dataclass (a dataclass costs a lint run its import); treat it as
    frozen: the one thing it sets after construction is the cache of calculator estimates."""

    __slots__ = ("_expected_cache", "host", "inputs", "mode", "stack", "target", "usage")

    def __init__(
        self,
        stack: Stack,
        mode: Mode = "file",  # "file": one file on its own (it may be an overlay); "stack": a merged -f stack
        usage: str | None = None,  # "dev" | "pytest" | "prod" | ... from composegen.yaml or --usage
        target: Target = "compose",  # "swarm" when the file is meant for `docker stack deploy`
        host: HostSpec | None = None,
        inputs: Mapping[str, ServiceInputs] = MappingProxyType({}),  # roles and declared inputs
    ) -> None:
        self.stack = stack
        self.mode = mode
        self.usage = usage
        self.target = target
        self.host = host
        self.inputs = inputs
        self._expected_cache: dict[str, Sizing] | None = None

    @property
    def data(self) -> Mapping[str, Any]:
        return self.stack.data

    def services(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(name, service) for every service, in file order."""
        yield from self.stack.iter_services()

    def origin(self, path: KeyPath) -> Origin | None:
        """Where the deepest existing key along `path` was written."""
        return origin_at(self.stack.data, path)

    def role(self, service: str) -> str | None:
        found = self.inputs.get(service)
        return found.role if found is not None else None

    @property
    def _expected(self) -> dict[str, Sizing]:
        if self._expected_cache is None:
            self._expected_cache = self._estimate()
        return self._expected_cache

    def _estimate(self) -> dict[str, Sizing]:
        from composegen.sizing.roles import CALCULATORS

        # the profile lint sizes with: no margin, no tmpfs data dirs, so `expected()` is the bare
        # working set a calculator estimates for the service (a plain stand-in: no pydantic)
        profile = neutral_profile()
        out: dict[str, Sizing] = {}
        for name, inputs in self.inputs.items():
            try:
                out[name] = CALCULATORS[inputs.role](inputs, profile)
            except ComposegenError:  # a calculator that cannot size this service: no expectation
                continue
        return out

    def expected(self, service: str) -> Sizing | None:
        """The calculator's estimate for a service (bare working set, expected startup), if any."""
        return self._expected.get(service)
