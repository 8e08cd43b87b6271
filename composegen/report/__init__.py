"""Reporters: findings to text, json, SARIF 2.1.0 or GitHub annotations, chosen by name.

    from composegen.report import render
    sys.stdout.write(render("sarif", Report(findings=..., rules=..., files=...)))

Every reporter is a function `Report -> str` registered in `REPORTERS`; each lives in its own
module and is imported only when chosen. Reporters see findings and rule descriptions only: they
import nothing from the linter but `lint.finding`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from composegen.errors import InputError
from composegen.report.base import Report, RuleInfo

__all__ = ["FORMATS", "Report", "RuleInfo", "get_reporter", "render"]

#: format name -> module defining `render(report: Report) -> str`
_MODULES = {
    "text": "composegen.report.text",
    "json": "composegen.report.json_format",
    "sarif": "composegen.report.sarif",
    "github": "composegen.report.github",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)


def get_reporter(name: str) -> Callable[[Report], str]:
    """The reporter called `name` (one of FORMATS)."""
    module_name = _MODULES.get(name)
    if module_name is None:
        raise InputError(f"unknown output format {name!r}", fix=f"use one of {', '.join(FORMATS)}")
    reporter: Callable[[Report], str] = importlib.import_module(module_name).render
    return reporter


def render(name: str, report: Report) -> str:
    return get_reporter(name)(report)
