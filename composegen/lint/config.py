"""Lint configuration: `[tool.composegen.lint]` in pyproject.toml, or `lint:` in composegen.yaml.

    [tool.composegen.lint]
    select = ["CG1", "CG5"]           # or `enable`: codes, names, code prefixes, "ALL" (default: ALL)
    ignore = ["CG506"]                # or `disable`
    fail_on = "warning"               # error (default) | warning | info
    usage = "prod"                    # dev | pytest | prod: severities follow how the stack is used
    target = "compose"                # compose | swarm
    [tool.composegen.lint.severity]
    CG101 = "error"                   # error | warning | info | off
    [tool.composegen.lint.options.memory-limit-missing]
    some_option = 1
    [tool.composegen.lint.per_service]
    mailhog = ["CG101", "image-unpinned"]

composegen.yaml takes the same keys under `lint:`. When both exist, composegen.yaml's keys win
(lists are replaced, the `severity`, `options` and `per_service` tables merged key by key). The
command line goes over both: `--select` replaces `select`, `--ignore` adds to `ignore`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from composegen.errors import InputError
from composegen.lint.finding import Severity
from composegen.lint.rule import Rule
from composegen.paths import real_path

KEYS = ("select", "enable", "ignore", "disable", "severity", "options", "per_service", "fail_on", "usage", "target")
USAGES = ("dev", "pytest", "prod")
TARGETS = ("compose", "swarm")
OFF = "off"
_PREFIX = re.compile(r"^CG\d{1,2}$")

Where = Callable[[tuple[str | int, ...]], str]


class LintConfig(NamedTuple):
    """What to run and how to judge it, resolved against the rule registry."""

    select: frozenset[str] | None = None  # rule codes; None: every rule
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity | None] = MappingProxyType({})  # None: off
    options: Mapping[str, Mapping[str, Any]] = MappingProxyType({})
    per_service: Mapping[str, frozenset[str]] = MappingProxyType({})
    fail_on: Severity | None = None
    usage: str | None = None
    target: str | None = None
    sources: tuple[str, ...] = ()  # the files it came from

    def active(self, rules: Iterable[Rule]) -> list[Rule]:
        """The rules to run: selected, not ignored, not switched off."""
        return [
            r
            for r in rules
            if (self.select is None or r.code in self.select)
            and r.code not in self.ignore
            and not (r.code in self.severity and self.severity[r.code] is None)
        ]

    def options_for(self, rule: Rule) -> Mapping[str, Any]:
        return self.options.get(rule.code, {})

    def excepted(self, service: str | None, code: str) -> bool:
        """Whether `per_service` switches `code` off for `service`."""
        return service is not None and code in self.per_service.get(service, frozenset())


def _closest(word: str, rules: Sequence[Rule]) -> str:
    choices = [r.code for r in rules] + [r.name for r in rules]
    import difflib  # lazy: only for a misspelt rule

    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def resolve_codes(entries: Any, rules: Sequence[Rule], where: str, key: str) -> frozenset[str]:
    """Codes for a list of codes, names, code prefixes (`CG1`) or `ALL`."""
    if isinstance(entries, str):
        entries = [part for part in re.split(r"[,\s]+", entries) if part]
    if not isinstance(entries, (list, tuple)):
        raise InputError(
            f"lint {key} must be a list of rule codes or names",
            where=where,
            fix='write e.g. ["CG101", "memory-limit-missing"]',
        )
    codes: set[str] = set()
    for entry in entries:
        text = str(entry).strip()
        if text.upper() == "ALL":
            codes.update(r.code for r in rules)
            continue
        matched = {r.code for r in rules if text.upper() == r.code or text.lower() == r.name}
        if not matched and _PREFIX.match(text.upper()):
            matched = {r.code for r in rules if r.code.startswith(text.upper())}
        if not matched:
            raise InputError(
                f"unknown rule {text!r} in lint {key}",
                where=where,
                fix=f"{_closest(text, rules)}see `composegen rules` for codes and names",
            )
        codes |= matched
    return frozenset(codes)


def _rule_for(key: str, rules: Sequence[Rule], where: str, table: str) -> Rule:
    found = next((r for r in rules if key in (r.code, r.name)), None)
    if found is None:
        raise InputError(
            f"unknown rule {key!r} in lint {table}",
            where=where,
            fix=f"{_closest(key, rules)}see `composegen rules` for codes and names",
        )
    return found


def _check_option(rule: Rule, name: str, value: Any, where: str) -> None:
    if name not in rule.options:
        known = ", ".join(sorted(rule.options)) or "none"
        raise InputError(
            f"rule {rule.code} ({rule.name}) has no option {name!r}", where=where, fix=f"its options: {known}"
        )
    default = rule.options[name]
    if default is None:
        return
    expected: tuple[type, ...]
    if isinstance(default, bool):
        expected = (bool,)
    elif isinstance(default, (int, float)):
        expected = (int, float)
    elif isinstance(default, (list, tuple)):
        expected = (list, tuple)
    else:
        expected = (type(default),)
    if not isinstance(value, expected) or (isinstance(value, bool) and not isinstance(default, bool)):
        raise InputError(
            f"option {name!r} of {rule.code} takes a {type(default).__name__}, not {value!r}",
            where=where,
            fix=f"its default is {default!r}",
        )


def _severity(value: Any, where: str) -> Severity | None:
    text = str(value).lower()
    if text == OFF:
        return None
    try:
        return Severity(text)
    except ValueError:
        raise InputError(f"unknown severity {value!r}", where=where, fix="use error, warning, info or off") from None


def _choice(value: Any, choices: Sequence[str], key: str, where: str) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise InputError(f"lint {key} must be one of {', '.join(choices)}, not {value!r}", where=where)
    return str(value)


def build(raw: Mapping[str, Any], rules: Sequence[Rule], where: Where, sources: tuple[str, ...] = ()) -> LintConfig:
    """A LintConfig from the plain `lint` table; `where(keys)` names the place of a key for errors."""
    for key in raw:
        if key not in KEYS:
            import difflib  # lazy: only for a misspelt key

            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                f"unknown lint setting {key!r}", where=where((key,)), fix=f"{hint}the settings are {', '.join(KEYS)}"
            )
    for a, b in (("select", "enable"), ("ignore", "disable")):
        if raw.get(a) is not None and raw.get(b) is not None:
            raise InputError(
                f"lint sets both {a} and {b}, which mean the same",
                where=where((b,)),
                fix=f"keep one of them ({b} is another name for {a})",
            )
    selected = raw.get("select", raw.get("enable"))
    select = None if selected is None else resolve_codes(selected, rules, where(("select",)), "select")
    ignored = raw.get("ignore", raw.get("disable")) or []
    ignore = resolve_codes(ignored, rules, where(("ignore",)), "ignore")
    severity: dict[str, Severity | None] = {}
    for key, value in _table(raw, "severity", where).items():
        rule = _rule_for(str(key), rules, where(("severity", key)), "severity")
        severity[rule.code] = _severity(value, where(("severity", key)))
    options: dict[str, dict[str, Any]] = {}
    for key, value in _table(raw, "options", where).items():
        rule = _rule_for(str(key), rules, where(("options", key)), "options")
        if not isinstance(value, Mapping):
            raise InputError(f"lint options of {key} must be a table of option = value", where=where(("options", key)))
        for name, option in value.items():
            _check_option(rule, str(name), option, where(("options", key, name)))
        options.setdefault(rule.code, {}).update({str(k): v for k, v in value.items()})
    per_service = {
        str(service): resolve_codes(codes, rules, where(("per_service", service)), f"per_service.{service}")
        for service, codes in _table(raw, "per_service", where).items()
    }
    fail_on = raw.get("fail_on")
    return LintConfig(
        select=select,
        ignore=ignore,
        severity=severity,
        options=options,
        per_service=per_service,
        fail_on=None if fail_on is None else _fail_on(fail_on, where(("fail_on",))),
        usage=_choice(raw.get("usage"), USAGES, "usage", where(("usage",))),
        target=_choice(raw.get("target"), TARGETS, "target", where(("target",))),
        sources=sources,
    )


def _fail_on(value: Any, where: str) -> Severity:
    found = _severity(value, where)
    if found is None:
        raise InputError("lint fail_on cannot be off", where=where, fix="use error, warning or info")
    return found


def _table(raw: Mapping[str, Any], key: str, where: Where) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"lint {key} must be a table (a mapping)", where=where((key,)))
    return value


def merge(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """`upper` over `lower`: tables merged key by key, everything else replaced."""
    out = dict(lower)
    synonyms = {"enable": "select", "disable": "ignore", "select": "enable", "ignore": "disable"}
    for key, value in upper.items():
        if value is None:
            continue
        if key in synonyms:
            out.pop(synonyms[key], None)
        old = out.get(key)
        out[key] = {**old, **value} if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return out


# --- finding the settings ----------------------------------------------------------------------


def find_pyproject(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The closest pyproject.toml at or above `start` with a `[tool.composegen.lint]` table,
    not climbing past the top of a git repository."""
    folder = real_path(start)
    while True:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            table = _pyproject_lint(candidate)
            if table is not None:
                return candidate, table
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def _pyproject_lint(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read it: {err}", where=str(path)) from None
    if "composegen" not in text:
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML with tomli, when installed
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise InputError(
                "reading [tool.composegen.lint] needs Python 3.11, or tomli installed",
                where=str(path),
                fix="pip install tomli",
            ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"TOML syntax error: {err}", where=str(path), fix="fix the TOML") from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise InputError(
            "TOML nests too deep to read", where=str(path), fix="a pyproject.toml nests a few levels: fix the file"
        ) from None
    tool = data.get("tool", {})
    section = tool.get("composegen", {}) if isinstance(tool, dict) else {}
    lint = section.get("lint") if isinstance(section, dict) else None
    if lint is None:
        return None
    if not isinstance(lint, dict):
        raise InputError("[tool.composegen.lint] must be a table", where=str(path))
    return lint


def load(
    rules: Sequence[Rule],
    *,
    start: Path,
    project_file: Path | None = None,
    project_lint: Mapping[str, Any] | None = None,
) -> LintConfig:
    """The configuration in force: pyproject.toml (closest to `start`), then composegen.yaml's
    `lint:` (already read into `project_lint`) over it."""
    raw: dict[str, Any] = {}
    sources: list[str] = []
    positions: dict[str, Callable[[tuple[str | int, ...]], str]] = {}
    found = find_pyproject(start)
    if found is not None:
        path, table = found
        raw = dict(table)
        sources.append(str(path))
        toml_where = _toml_where(path)
        for key in table:
            positions[key] = toml_where
    if project_lint:
        raw = merge(raw, project_lint)
        sources.append(str(project_file) if project_file else "composegen.yaml")
        doc_where = _yaml_where(project_file)
        for key in project_lint:
            positions[key] = doc_where

    def where(keys: tuple[str | int, ...]) -> str:
        head = str(keys[0]) if keys else ""
        locate = positions.get(head) or positions.get({"select": "enable", "ignore": "disable"}.get(head, head))
        return locate(keys) if locate else (sources[-1] if sources else "")

    return build(raw, rules, where, tuple(sources))


def _toml_where(path: Path) -> Callable[[tuple[str | int, ...]], str]:
    return lambda keys: f"{path}: [tool.composegen.lint] {'.'.join(map(str, keys))}"


def _yaml_where(path: Path | None) -> Callable[[tuple[str | int, ...]], str]:
    if path is None:
        return lambda keys: "composegen.yaml"
    from composegen.yamlio import read_document

    doc = read_document(path)
    return lambda keys: doc.where(("lint", *keys))
