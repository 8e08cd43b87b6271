"""The rule registry: every module in this package that defines CODE is a rule."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from composegen.lint.rule import Rule


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by code. Importing is lazy: `lint` pays for rules only when it runs."""
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "CODE"):
            found.append(Rule.from_module(module))
    codes = [r.code for r in found]
    names = [r.name for r in found]
    duplicates = {c for c in codes if codes.count(c) > 1} | {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate rule codes or names: {sorted(duplicates)}")
    return tuple(sorted(found, key=lambda r: r.code))


def by_code_or_name(key: str) -> Rule | None:
    return next((r for r in all_rules() if key in (r.code, r.name)), None)
