"""Compose variable interpolation and `.env` files, as compose v2 (compose-go v2.9) does them.

Templates: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
`${VAR:?message}` / `${VAR?message}` (required), `${VAR:+alt}` / `${VAR+alt}` (alternative),
`$$` for a literal `$`; defaults, messages and alternatives may nest templates. A `$` that starts
no template stays as written. Only values are interpolated, never keys.

Nothing raises by default: an unset variable reads as "" and is recorded as an `unset` issue (a
warning in compose), a missing required variable or a malformed template is recorded as an
error issue; `strict=True` raises the first error as an `InputError` instead.

After substitution compose casts strings at some paths to the type the model needs
(`healthcheck.retries: "${RETRIES:-3}"` becomes the integer 3): `cast_value` does the same, and
leaves a string that does not cast as it is, for validation to report.
"""

from __future__ import annotations

import math
import os
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple

from composegen.compose.tree import Origin, PathTrie, SDict, SList, TrieNode, ends, is_mapping, matches, step
from composegen.errors import InputError
from composegen.yamlio import KeyPath, Tagged, read_text

IssueKind = Literal["unset", "required", "invalid"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile(r":?[-?+]")


class VariableIssue(NamedTuple):
    """One problem met while interpolating: where, which variable, and what compose would say."""

    kind: IssueKind
    name: str
    message: str
    path: KeyPath = ()
    origin: Origin | None = None

    @property
    def is_error(self) -> bool:
        """Compose refuses the file for `required` and `invalid`; `unset` is only a warning."""
        return self.kind != "unset"

    def where(self) -> str:
        return self.origin.where() if self.origin else ""


class Interpolation(NamedTuple):
    """The interpolated value and what went wrong on the way."""

    value: Any
    issues: list[VariableIssue]

    @property
    def errors(self) -> list[VariableIssue]:
        return [issue for issue in self.issues if issue.is_error]


#: Interpolation can make a value far longer than its text: `${A}${A}` is twice A, so 41 lines of
#: `V{i}=${V{i-1}}${V{i-1}}` in a .env file expand to 2^40 characters (a MemoryError). Like the
#: YAML alias bound, what one file may expand to is bounded: this many characters, plus
#: `EXPANSION_PER_CHARACTER` for each character of the text interpolated (real files expand to
#: about their own size).
MIN_EXPANSION = 10_000_000
EXPANSION_PER_CHARACTER = 16


class ExpansionBudget:
    """The characters the values substituted into one file may still add up to (see
    `MIN_EXPANSION`); each template interpolated adds to it in proportion to its length."""

    def __init__(self, size: int = 0) -> None:
        self.left = MIN_EXPANSION + EXPANSION_PER_CHARACTER * size  # `size`: of the whole file

    def grant(self, template: str) -> None:
        self.left += EXPANSION_PER_CHARACTER * len(template)

    def spend(self, piece: str) -> None:
        self.left -= len(piece)
        if self.left < 0:
            raise ExpansionTooLarge


class ExpansionTooLarge(Exception):
    """Interpolation went over its `ExpansionBudget`: the caller says where, as an `InputError`."""

    MESSAGE = (
        "variables expand to too much text: values that repeat values that repeat others "
        "(this looks like an expansion bomb)"
    )
    FIX = "write the long value out, or repeat it fewer times"


class _Context:
    def __init__(
        self,
        env: Mapping[str, str],
        issues: list[VariableIssue],
        path: KeyPath,
        origin: Origin | None,
        budget: ExpansionBudget,
    ) -> None:
        self.env = env
        self.issues = issues
        self.path = path
        self.origin = origin
        self.budget = budget
        self.failed = False
        self.depth = 0  # how many `${...}` the text being resolved sits in

    def report(self, kind: IssueKind, name: str, message: str) -> None:
        if kind != "unset":
            self.failed = True
        self.issues.append(VariableIssue(kind, name, message, self.path, self.origin))


#: How deep `${A:-${B:-...}}` may nest: real files nest two or three; 5,000 levels exhausted
#: Python's stack (compose-go's recursion has no such bound, but no file needs more).
MAX_NESTING = 100


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `${` at `start`: each inner `${` opens one more level."""
    depth = 0
    index = start
    while True:
        close = text.find("}", index)
        if close < 0:
            return -1
        opening = text.find("${", index, close)
        if opening >= 0:  # a `${` before the next `}`: one level deeper
            depth += 1
            index = opening + 2
            continue
        depth -= 1
        if depth == 0:
            return close
        index = close + 1


def _substitute(text: str, ctx: _Context) -> str:
    out: list[str] = []
    index = 0
    while True:
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index:dollar])
        following = text[dollar + 1 : dollar + 2]
        if following == "$":
            out.append("$")
            index = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar)
            if end < 0:
                ctx.report("invalid", "", f"invalid interpolation format {text!r}: unclosed ${{")
                out.append(text[dollar:])
                return "".join(out)
            piece = _braced(text[dollar + 2 : end], text, ctx)
            ctx.budget.spend(piece)
            out.append(piece)
            index = end + 1
        else:
            named = _NAME.match(text, dollar + 1)
            if named:
                piece = _lookup(named.group(), ctx)
                ctx.budget.spend(piece)
                out.append(piece)
                index = named.end()
            else:
                out.append("$")
                index = dollar + 1


#: `${NAME}`, the plain reference, and what a template is split into around each.
_PLAIN_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def plain_references(template: str, env: Mapping[str, str]) -> list[str] | None:
    """`template`'s text and its references' values, alternately, where its every `$` opens a
    `${NAME}` of a variable `env` sets: what `_substitute` joins, without its steps (no escape,
    operator, nesting or problem to look for); None for any other template."""
    parts = _PLAIN_REFERENCE.split(template)
    if len(parts) // 2 != template.count("$"):
        return None
    for index in range(1, len(parts), 2):
        value = env.get(parts[index])
        if value is None:  # unset: a warning to report
            return None
        parts[index] = value
    return parts


def _lookup(name: str, ctx: _Context) -> str:
    value = ctx.env.get(name)
    if value is None:
        ctx.report("unset", name, f'The "{name}" variable is not set. Defaulting to a blank string.')
        return ""
    return value


def _braced(body: str, text: str, ctx: _Context) -> str:
    named = _NAME.match(body)
    if named is None:
        ctx.report("invalid", "", f"invalid interpolation format {text!r}: ${{{body}}} names no variable")
        return ""
    name = named.group()
    rest = body[named.end() :]
    if not rest:
        return _lookup(name, ctx)
    found = _OPERATOR.match(rest)
    operator = found.group() if found else None
    if operator is None:
        ctx.report("invalid", name, f"invalid interpolation format {text!r}: unknown operator in ${{{body}}}")
        return ""
    if ctx.depth >= MAX_NESTING:
        ctx.report("invalid", name, f"invalid interpolation format: defaults nest over {MAX_NESTING} levels deep")
        return ""
    ctx.depth += 1
    argument = _substitute(rest[len(operator) :], ctx)  # compose resolves it even when unused
    ctx.depth -= 1
    value = ctx.env.get(name)
    is_set = value is not None
    non_empty = bool(value)
    if operator == ":-":
        return value if non_empty and value is not None else argument
    if operator == "-":
        return value if value is not None else argument
    if operator == ":+":
        return argument if non_empty else ""
    if operator == "+":
        return argument if is_set else ""
    if (non_empty if operator == ":?" else is_set) and value is not None:
        return value
    message = f"required variable {name} is missing a value"
    ctx.report("required", name, f"{message}: {argument}" if argument else message)
    return ""


def substitute(
    template: str,
    env: Mapping[str, str],
    *,
    issues: list[VariableIssue] | None = None,
    path: KeyPath = (),
    origin: Origin | None = None,
    budget: ExpansionBudget | None = None,
) -> str:
    """One string with its templates resolved from `env`; problems are appended to `issues`.
    `budget`: what the file it is part of may still expand to (default: this string's own).
    Raises `ExpansionTooLarge` past the budget."""
    if "$" not in template:
        return template
    budget = budget if budget is not None else ExpansionBudget()
    budget.grant(template)
    plain = plain_references(template, env)
    if plain is not None:  # (most templates: `${NAME}`s of variables that are set)
        for value in plain[1::2]:
            budget.spend(value)
        return "".join(plain)
    ctx = _Context(env, issues if issues is not None else [], path, origin, budget)
    result = _substitute(template, ctx)
    return template if ctx.failed else result


# --- casts (compose-go loader/interpolate.go, v2.9) ------------------------------------------

_INT = re.compile(r"^[+-]?[0-9]+$")
#: (as text, compiled by `re` when a string is first cast to a float: few files have one)
_FLOAT = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?i:inf|infinity|nan)$"
_TRUE = frozenset({"true", "y", "yes", "on"})
_FALSE = frozenset({"false", "n", "no", "off"})


#: compose-go casts with strconv.ParseInt(text, 10, 64) and ParseFloat(text, 64): a value out of
#: their range is refused ("value out of range"), so it is no number here either.
_INT64 = range(-(2**63), 2**63)


def _to_int(text: str) -> int | None:
    if not _INT.match(text) or len(text) > 20:  # (longer: out of range, and beyond int()'s digit limit)
        return None
    number = int(text)
    return number if number in _INT64 else None


def _to_float(text: str) -> float | None:
    if not re.match(_FLOAT, text):
        return None
    number = float(text)
    spelled = text.lstrip("+-").lower().startswith("inf")  # ParseFloat takes "inf"; `1e400` overflows
    return None if math.isinf(number) and not spelled else number


def _to_bool(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


Caster = Callable[[str], Any]

#: Paths (`*` = any key or index) whose string values compose casts after interpolation.
CASTS: dict[tuple[str, ...], Caster] = {
    **{
        ("services", "*", *path): caster
        for path, caster in {
            ("configs", "*", "mode"): _to_int,
            ("cpu_count",): _to_int,
            ("cpu_percent",): _to_float,
            ("cpu_period",): _to_int,
            ("cpu_quota",): _to_int,
            ("cpu_rt_period",): _to_int,
            ("cpu_rt_runtime",): _to_int,
            ("cpus",): _to_float,
            ("cpu_shares",): _to_int,
            ("init",): _to_bool,
            ("deploy", "replicas"): _to_int,
            ("deploy", "update_config", "parallelism"): _to_int,
            ("deploy", "update_config", "max_failure_ratio"): _to_float,
            ("deploy", "rollback_config", "parallelism"): _to_int,
            ("deploy", "rollback_config", "max_failure_ratio"): _to_float,
            ("deploy", "restart_policy", "max_attempts"): _to_int,
            ("deploy", "placement", "max_replicas_per_node"): _to_int,
            ("healthcheck", "retries"): _to_int,
            ("healthcheck", "disable"): _to_bool,
            ("oom_kill_disable",): _to_bool,
            ("oom_score_adj",): _to_int,
            ("pids_limit",): _to_int,
            ("ports", "*", "target"): _to_int,
            ("privileged",): _to_bool,
            ("read_only",): _to_bool,
            ("scale",): _to_int,
            ("secrets", "*", "mode"): _to_int,
            ("stdin_open",): _to_bool,
            ("tty",): _to_bool,
            ("ulimits", "*"): _to_int,
            ("ulimits", "*", "hard"): _to_int,
            ("ulimits", "*", "soft"): _to_int,
            ("volumes", "*", "read_only"): _to_bool,
            ("volumes", "*", "volume", "nocopy"): _to_bool,
        }.items()
    },
    ("networks", "*", "external"): _to_bool,
    ("networks", "*", "internal"): _to_bool,
    ("networks", "*", "attachable"): _to_bool,
    ("networks", "*", "enable_ipv6"): _to_bool,
    ("volumes", "*", "external"): _to_bool,
    ("secrets", "*", "external"): _to_bool,
    ("configs", "*", "external"): _to_bool,
}

_CAST_ROOTS = frozenset(pattern[0] for pattern in CASTS)
_CAST_TRIE = PathTrie(CASTS)
_CASTS_BY_LAST: dict[str, list[tuple[tuple[str, ...], Caster]]] = {}
_CASTS_ANY_LAST: list[tuple[tuple[str, ...], Caster]] = []
for _pattern, _caster in CASTS.items():
    if _pattern[-1] == "*":
        _CASTS_ANY_LAST.append((_pattern, _caster))
    else:
        _CASTS_BY_LAST.setdefault(_pattern[-1], []).append((_pattern, _caster))


def caster_for(path: KeyPath) -> Caster | None:
    """The cast compose applies to a string at `path`, if any."""
    if not path or path[0] not in _CAST_ROOTS:
        return None
    last = path[-1]
    for pattern, caster in _CASTS_BY_LAST.get(last, ()) if isinstance(last, str) else ():
        if matches(pattern, path):
            return caster
    for pattern, caster in _CASTS_ANY_LAST:
        if matches(pattern, path):
            return caster
    return None


def cast_value(path: KeyPath, value: Any) -> Any:
    """`value` cast as compose casts a string at `path`; unchanged when no cast applies or fits."""
    if not isinstance(value, str):
        return value
    caster = caster_for(path)
    if caster is None:
        return value
    converted = caster(value)
    return value if converted is None else converted


# --- walking a document ----------------------------------------------------------------------


def interpolate(
    data: Any,
    env: Mapping[str, str],
    *,
    strict: bool = False,
    cast: bool = True,
    path: KeyPath = (),
    dollars: bool = True,
) -> Interpolation:
    """Interpolate every string value in `data` (recursively; keys untouched) from `env`.

    Origins of `SDict`/`SList` containers are kept. With `strict`, the first missing required
    variable or malformed template raises `InputError`. `dollars`: False where no string in
    `data` holds a `$` (`Document.has_dollars`): only the casts apply, and the parts no cast
    reaches are not walked.
    """
    issues: list[VariableIssue] = []
    casts = _CAST_TRIE.start(path) if cast else ()
    value = _walk(data, env, issues, path, None, casts, ExpansionBudget(), dollars)
    if strict:
        for issue in issues:
            if issue.is_error:
                raise InputError(
                    issue.message,
                    where=issue.where(),
                    fix="set the variable in the environment or the .env file, or write a literal $ as $$",
                )
    return Interpolation(value, issues)


def _unchanged(value: Any, casts: tuple[TrieNode, ...]) -> bool:
    """Whether `_walk` would return `value` as it is: a string with no `$` that no cast applies to
    (`casts`: the nodes of `_CAST_TRIE` its path reaches), or a number, boolean or null."""
    if isinstance(value, str):
        return "$" not in value and not (casts and ends(casts))
    return value is None or isinstance(value, (int, float))


def _names_none(value: Any, casts: tuple[TrieNode, ...]) -> bool:
    """Whether `value` is a mapping that one node of `_CAST_TRIE` without `*` (`casts`) names no
    key of: without a `$`, `_walk` returns it as it is (a service merged from an anchor, with no
    key a cast reads), and is not called for it."""
    return (
        (type(value) is SDict or type(value) is dict)
        and len(casts) == 1
        and "*" not in casts[0]
        and casts[0].keys().isdisjoint(value)
    )


def _walk(
    value: Any,
    env: Mapping[str, str],
    issues: list[VariableIssue],
    path: KeyPath,
    origin: Origin | None,
    casts: tuple[TrieNode, ...],
    budget: ExpansionBudget,
    dollars: bool = True,
) -> Any:
    """`value` interpolated; containers are rebuilt only where something changed. `casts`: the
    nodes of `_CAST_TRIE` that `path` reaches (none: no cast applies at or below it); `budget`:
    what the whole document may still expand to; `dollars`: as for `interpolate`."""
    if not (casts or dollars):
        return value  # no `$` to substitute, no cast to apply
    if isinstance(value, str):
        result = _substitute_at(value, env, issues, path, origin, budget) if "$" in value else value
        return cast_value(path, result) if casts and ends(casts) else result
    if value is None or isinstance(value, (int, float)):
        return value
    if is_mapping(value):
        origins = value.origins if isinstance(value, SDict) else {}
        out: dict[Any, Any] | None = None
        # (the services, or the entries of an environment: every key steps to the one `*` node)
        every = step(casts, "*") if len(casts) == 1 and len(casts[0]) == 1 else None
        # one node without `*` (a service's): a key it does not name steps to no node
        only = casts[0] if len(casts) == 1 and "*" not in casts[0] else None
        for key, item in value.items():
            if casts and (only is None or (type(key) is str and key in only)):
                below = every or step(casts, key)
                if (not dollars and _names_none(item, below)) or _unchanged(item, below):
                    continue  # nothing to substitute, nothing to cast
            else:  # (most mappings, and most keys of a service) no cast at or below it
                if only is not None and not dollars:
                    continue  # without a `$`, nothing to do (a service's `image` and `restart`)
                kind = type(item)  # `_unchanged`'s test with no cast, without a call
                if (kind is str and "$" not in item) or item is None or kind is int or kind is bool or kind is float:
                    continue
                below = ()
            new = _walk(item, env, issues, (*path, key), origins.get(key) or origin, below, budget, dollars)
            if new is not item:
                if out is None:
                    out = SDict(value, origins) if isinstance(value, SDict) else dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        item_origins = value.origins if isinstance(value, SList) else [None] * len(value)
        walked: list[Any] | None = None
        below = step(casts, 0) if casts else ()  # (an index steps to `*` alone, whichever it is)
        for index, item in enumerate(value):
            if _unchanged(item, below):
                continue
            new = _walk(item, env, issues, (*path, index), item_origins[index] or origin, below, budget, dollars)
            if new is not item:
                if walked is None:
                    walked = list(value)
                walked[index] = new
        if walked is None:
            return value
        return SList(walked, item_origins) if isinstance(value, SList) else walked
    if isinstance(value, Tagged):
        return Tagged(value.tag, _walk(value.value, env, issues, path, origin, casts, budget, dollars))
    return value


def _substitute_at(
    value: str,
    env: Mapping[str, str],
    issues: list[VariableIssue],
    path: KeyPath,
    origin: Origin | None,
    budget: ExpansionBudget,
) -> str:
    try:
        return substitute(value, env, issues=issues, path=path, origin=origin, budget=budget)
    except ExpansionTooLarge:
        raise InputError(
            ExpansionTooLarge.MESSAGE,
            where=origin.where() if origin else "",
            fix=ExpansionTooLarge.FIX,
        ) from None


# --- .env files (compose-go dotenv, v2.9) ----------------------------------------------------

_EXPORT = re.compile(r"export\s+")
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}
_INLINE_SPACE = "\t\v\f\r \x85\xa0"


def _unescape(match: re.Match[str]) -> str:
    text = match.group()
    body = text[1:]
    if body == "$":
        return "$$"  # the template pass turns it into one literal $
    if body.startswith("0"):  # Go reads `\0123` as `\123`, and keeps `\12` when that fails
        digits = body[1:]
        if len(digits) == 3 and all(d in "01234567" for d in digits) and int(digits, 8) < 256:
            return chr(int(digits, 8))
        return "\\" + digits
    return _SIMPLE_ESCAPES.get(body, text)


#: What a variable's name in a .env file may hold: letters and digits (`str.isalnum`, which is
#: what `\w` matches, with `_`), `_.-[]` and inline spaces.
_KEY_CHARACTERS = re.compile(r"[\w\t\v\f\r \x85\xa0.\-\[\]]*")


def key_end(text: str, start: int) -> int:
    """Where the name that starts at `start` ends: at the first character a name cannot hold."""
    found = _KEY_CHARACTERS.match(text, start)
    assert found is not None  # (`*`: it matches, if only the empty text)
    return found.end()


class _EnvParser:
    def __init__(self, text: str, where: str, lookup: Mapping[str, str]) -> None:
        self.src = text
        self.pos = 0
        self.line = 1
        self.where = where
        self.lookup = dict(lookup)
        self.out: dict[str, str] = {}
        self.lines: dict[str, int] = {}  # the line each variable was last set on
        self.budget = ExpansionBudget(len(text))

    def fail(self, message: str) -> InputError:
        return InputError(
            message,
            where=f"{self.where}:{self.line}",
            fix="write one KEY=VALUE per line; quote values that hold spaces or #",
        )

    def skip_space(self) -> bool:
        """Skip whitespace and comment lines; False at the end of the text."""
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "\n":
                self.line += 1
                self.pos += 1
            elif char.isspace():
                self.pos += 1
            elif char == "#":
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
            else:
                return True
        return False

    def parse(self) -> dict[str, str]:
        while self.skip_space():
            self.statement()
        return self.out

    def statement(self) -> None:
        export = _EXPORT.match(self.src, self.pos)  # at pos, not on a copy of the rest: linear
        start = export.end() if export else self.pos
        while start < len(self.src) and self.src[start] in _INLINE_SPACE:
            start += 1
        index = key_end(self.src, start)
        separator = self.src[index] if index < len(self.src) else ""
        if separator and separator not in "=:\n":
            raise self.fail(f"unexpected character {separator!r} in variable name")
        key = self.src[start:index].rstrip()
        if " " in key:
            raise self.fail("a variable name cannot contain a space")
        self.lines[key] = self.line
        if separator in ("\n", ""):  # `KEY` alone: take it from the environment
            if key in self.lookup:
                self.out[key] = self.lookup[key]
            self.pos = index
            return
        self.pos = index + 1
        while self.pos < len(self.src) and self.src[self.pos] in _INLINE_SPACE:
            self.pos += 1
        self.out[key] = self.value()

    def value(self) -> str:
        src = self.src
        quote = src[self.pos : self.pos + 1]
        if quote not in ("'", '"'):
            end = src.find("\n", self.pos)
            end = len(src) if end < 0 else end
            raw = src[self.pos : end].split(" #", 1)[0].rstrip()
            self.pos = end
            return self.expand(raw)
        index = self.pos + 1
        start_line = self.line
        while index < len(src):
            char = src[index]
            if char == "\n":
                self.line += 1
            if char == quote and src[index - 1] != "\\":
                raw = src[self.pos + 1 : index]
                self.pos = index + 1
                return self.expand(_ESCAPE.sub(_unescape, raw)) if quote == '"' else raw
            index += 1
        line_end = src.find("\n", self.pos)
        self.line = start_line
        raise self.fail(f"unterminated quoted value {src[self.pos : line_end if line_end >= 0 else None]}")

    def expand(self, raw: str) -> str:
        if "$" not in raw:  # (`substitute` returns it as it is: most lines of a .env file)
            return raw
        issues: list[VariableIssue] = []
        lookup = ChainMap(self.lookup, self.out)  # not a copy per line: a long file stays linear
        try:
            value = substitute(raw, lookup, issues=issues, budget=self.budget)
        except ExpansionTooLarge:
            raise InputError(
                ExpansionTooLarge.MESSAGE,
                where=f"{self.where}:{self.line}",
                fix=ExpansionTooLarge.FIX,
            ) from None
        for issue in issues:
            if issue.is_error:
                raise self.fail(issue.message)
        return value


def parse_env_text(text: str, where: str, lookup: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables from `.env` text. `lookup` (the process environment) feeds `${VAR}` references
    and bare `KEY` lines; values it holds are not applied here (see `project_environment`)."""
    return _EnvParser(text, where, lookup or {}).parse()


def read_env_file_lines(path: Path, lookup: Mapping[str, str] | None = None) -> dict[str, tuple[str, int]]:
    """`read_env_file`, with the line each variable was set on: {name: (value, line)}."""
    parser = _EnvParser(read_text(path), str(path), lookup or {})
    return {key: (value, parser.lines[key]) for key, value in parser.parse().items()}


def read_env_file(path: Path, lookup: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables from a `.env` file, with compose's rules.

    `KEY=VALUE`, `KEY: VALUE`, an optional `export ` prefix, `#` comment lines and ` #` inline
    comments after unquoted values; single quotes keep text literally, double quotes read
    `\\n`, `\\t`, `\\"`, `\\\\`, `\\$` escapes and interpolate `${VAR}`; unquoted values interpolate
    too; a quoted value may span lines; a bare `KEY` takes its value from `lookup`.
    """
    return parse_env_text(read_text(path), str(path), lookup)


def project_environment(
    project_dir: Path,
    env: Mapping[str, str],
    env_files: list[Path] | None = None,
) -> dict[str, str]:
    """The variables compose interpolates with: the `.env` file of the project directory (or the
    given env files, in order), with the process environment `env` taking precedence."""
    files = env_files if env_files is not None else [project_dir / ".env"]
    merged: dict[str, str] = {}
    for file in files:
        if env_files is None and not os.path.isfile(file):  # noqa: PTH113 (False, not an error, in a folder it may not search)
            continue
        merged.update(read_env_file(file, {**merged, **env}))
    merged.update(env)
    return merged
