"""The rule registry: every module in this package that defines CODE is a rule."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from composegen.lint.rule import Rule


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by code. Importing is lazy: `lint` pays for rules only when it runs."""
    found: list[Rule] = []
    for name in module_names():
        module = importlib.import_module(f"{__name__}.{name}")
        if hasattr(module, "CODE"):
            found.append(Rule.from_module(module))
    codes = [r.code for r in found]
    names = [r.name for r in found]
    duplicates = {c for c in codes if codes.count(c) > 1} | {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate rule codes or names: {sorted(duplicates)}")
    return tuple(sorted(found, key=lambda r: r.code))


def module_names() -> list[str]:
    """The modules of this package, by their files (pkgutil.iter_modules says the same, but
    imports `inspect` to do it, some 5 ms of a trivial lint run)."""
    return sorted(
        entry.stem
        for folder in __path__
        for entry in Path(folder).iterdir()
        if entry.suffix == ".py" and not entry.stem.startswith("_")
    )


def by_code_or_name(key: str) -> Rule | None:
    return next((r for r in all_rules() if key in (r.code, r.name)), None)
