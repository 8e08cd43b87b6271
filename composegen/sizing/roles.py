"""The role → calculator registry. Each calculator is a pure function of (inputs, profile).

A calculator's module is imported when its role is first asked for: `composegen lint` sizes the
roles a stack has, and importing all fifteen calculators costs more than sizing a small stack.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.result import Sizing

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

Calculator = Callable[[ServiceInputs, "Profile"], Sizing]
T = TypeVar("T")

#: role -> (module under composegen.sizing, function)
_CALCULATOR_NAMES: dict[str, tuple[str, str]] = {
    "python-web": ("python_web", "size"),
    "worker": ("worker", "size"),
    "pytest": ("pytest_runner", "size"),
    "postgres": ("postgres", "size"),
    "redis": ("redis", "size"),
    "clickhouse": ("clickhouse", "size"),
    "mysql": ("mysql", "size"),
    "mongo": ("mongo", "size"),
    "jvm": ("jvm", "size"),
    "kafka": ("jvm", "size_kafka"),
    "zookeeper": ("jvm", "size_zookeeper"),
    "elasticsearch": ("elasticsearch", "size"),
    "proxy": ("proxy", "size"),
    "ml-inference": ("ml", "size"),
    "llm": ("llm", "size"),
    "agent": ("agent", "size"),
    "generic": ("generic", "size"),
}


class _Lazy(Mapping[str, T]):
    """`{role: function}` from `{role: (module under composegen.sizing, function)}`, importing each
    function's module on first use."""

    def __init__(self, names: Mapping[str, tuple[str, str]]) -> None:
        self._names = names
        self._loaded: dict[str, T] = {}

    def __getitem__(self, role: str) -> T:
        found = self._loaded.get(role)
        if found is None:
            module, function = self._names[role]
            found = self._loaded[role] = getattr(importlib.import_module(f"composegen.sizing.{module}"), function)
        return found

    def get(self, role: str, default: Any = None) -> Any:
        """`self[role]`, or `default` for a role it does not name, without raising and catching a
        KeyError (asked for each service of a stack: most roles have no sizing key)."""
        return self[role] if role in self._names else default

    def __contains__(self, role: object) -> bool:
        return role in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


CALCULATORS: Mapping[str, Calculator] = _Lazy(_CALCULATOR_NAMES)

#: The roles whose calculator says which of its inputs it reads: a function giving a key that is
#: equal for two services only where the calculator sizes them alike (most services of a large
#: stack of one kind are; bench/hostile.py's shapes size thousands of PostgreSQL servers), so
#: sizing.plan sizes each key once.
SIZING_KEYS: Mapping[str, Callable[[ServiceInputs], tuple[object, ...]]] = _Lazy(
    {"postgres": ("postgres", "sizing_key")}
)
