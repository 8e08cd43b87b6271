"""The role → calculator registry. Each calculator is a pure function of (inputs, profile).

A calculator's module is imported when its role is first asked for: `composegen lint` sizes the
roles a stack has, and importing all fifteen calculators costs more than sizing a small stack.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.result import Sizing

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

Calculator = Callable[[ServiceInputs, "Profile"], Sizing]

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


class _Calculators(Mapping[str, Calculator]):
    """`{role: calculator}`, importing each calculator's module on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, Calculator] = {}

    def __getitem__(self, role: str) -> Calculator:
        found = self._loaded.get(role)
        if found is None:
            module, function = _CALCULATOR_NAMES[role]
            found = self._loaded[role] = getattr(importlib.import_module(f"composegen.sizing.{module}"), function)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(_CALCULATOR_NAMES)

    def __len__(self) -> int:
        return len(_CALCULATOR_NAMES)


CALCULATORS: Mapping[str, Calculator] = _Calculators()
