"""Inline directives: comments in a compose file that switch rules off (yamllint's style).

    services:
      web:  # composegen: disable-line=CG101
        image: nginx:1.27.1
      # composegen: disable-next-line=memory-limit-missing
      worker:
        image: acme/worker:1.4.0
    # composegen: disable=CG501,CG502
    ...
    # composegen: enable=CG501,CG502
    # composegen: disable-file

The forms:
- `disable-line[=RULES]` at the end of a line: findings on that line. On a line of its own it
  reaches the next line that holds YAML, as yamllint's `disable-line` does.
- `disable-next-line[=RULES]`: findings on the next line that holds YAML.
- `disable[=RULES]` ... `enable[=RULES]`: every line from the `disable` to the `enable` (or to
  the end of the file).
- `disable-file[=RULES]`, anywhere in the file: the whole file.
RULES is a comma-separated list of codes (`CG101`), names (`memory-limit-missing`) or code
prefixes (`CG5`: every security rule); left out, it means every rule. A reason may follow two
dashes: `# composegen: disable-line=CG101 -- why`.

A comment that looks like a directive but is not one (`# composegen: ignore=CG101`,
`# composegen disable-line CG101`, an unknown rule) is reported as CG099 bad-directive, with the
correct form in the message; the rest of a half-valid directive still applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

#: Every rule, in a directive without RULES.
ALL = "*"

VERBS = ("disable-line", "disable-next-line", "disable", "enable", "disable-file")

_DIRECTIVE = re.compile(r"#\s*composegen\s*:(?P<body>.*)$")
#: A comment meant as a directive but not written as one: `# composegen disable...`, `# composegen-disable...`
_LOOKALIKE = re.compile(r"#\s*composegen\s*[-_ ]\s*(?P<body>(?:disable|enable)\b.*)$", re.IGNORECASE)
_BODY = re.compile(r"^(?P<verb>[A-Za-z][\w-]*)(?:\s*=\s*(?P<rules>.*))?$")
_BLOCK_SCALAR = re.compile(r"(?:^|\s)[|>][-+0-9]*$")

Resolver = Callable[[str], "frozenset[str]"]


class DirectiveProblem(NamedTuple):
    """A malformed directive: where it is and what to write instead."""

    line: int
    column: int
    message: str


class FileDirectives:
    """The directives of one file, ready to answer `suppresses(code, line)`. (A plain class: a
    dataclass costs a lint run its import.)"""

    __slots__ = ("blocks", "file", "lines", "problems", "reasons", "whole_file")

    def __init__(self, file: str) -> None:
        self.file = file
        self.whole_file: set[str] = set()
        self.lines: dict[int, set[str]] = {}
        self.blocks: list[tuple[int, bool, frozenset[str]]] = []  # (line, disable?, codes)
        self.problems: list[DirectiveProblem] = []
        #: the reason written after ` -- `, by ("file", 0), ("line", line it covers) or ("block", line)
        self.reasons: dict[tuple[str, int], str] = {}

    def suppresses(self, code: str, line: int) -> bool:
        return self.suppression(code, line) is not None

    def suppression(self, code: str, line: int) -> str | None:
        """Why the finding of `code` on `line` is switched off: the directive's reason (empty
        when it gives none); None when no directive switches it off."""
        if ALL in self.whole_file or code in self.whole_file:
            return self.reasons.get(("file", 0), "")
        on_line = self.lines.get(line)
        if on_line is not None and (ALL in on_line or code in on_line):
            return self.reasons.get(("line", line), "")
        disabled: int | None = None
        for start, disable, codes in self.blocks:
            if start > line:
                break
            if ALL in codes or code in codes:
                disabled = start if disable else None
        return None if disabled is None else self.reasons.get(("block", disabled), "")

    @property
    def empty(self) -> bool:
        return not (self.whole_file or self.lines or self.blocks or self.problems)


def comment_start(line: str) -> int | None:
    """The index of the `#` that starts the comment of a YAML line, if it has one.

    A `#` starts a comment at the start of the line or after a space, outside quoted scalars;
    a quote opens a scalar only where a scalar may start (after `: `, `- `, `[`, `{`, `,`).
    """
    quote: str | None = None
    previous = " "
    index = 0
    length = len(line)
    while index < length:
        char = line[index]
        if quote is not None:
            if char == quote:
                if quote == "'" and index + 1 < length and line[index + 1] == "'":
                    index += 2
                    continue
                quote = None
            elif char == "\\" and quote == '"':
                index += 2
                continue
        elif char == "#" and previous in " \t":
            return index
        elif char in "'\"" and _scalar_may_start(line, index):
            quote = char
        previous = char
        index += 1
    return None


def _scalar_may_start(line: str, index: int) -> bool:
    before = line[:index].rstrip(" \t")
    return before == "" or before.endswith((":", "-", "[", "{", ",", "?"))


def _in_block_scalar(lines: Sequence[str], index: int) -> bool:
    """Whether line `index` is inside a `|` or `>` block scalar (a script, not YAML): climb to
    each less indented line above it until one opens a block scalar or the top level is reached."""
    indent = len(lines[index]) - len(lines[index].lstrip(" "))
    for back in range(index - 1, -1, -1):
        above = lines[back]
        if not above.strip():
            continue
        above_indent = len(above) - len(above.lstrip(" "))
        if above_indent >= indent:
            continue
        start = comment_start(above)
        code = above[:start] if start is not None else above
        if _BLOCK_SCALAR.search(code.rstrip()):
            return True
        if above_indent == 0:
            return False
        indent = above_indent
    return False


def _holds_yaml(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _next_yaml_line(lines: Sequence[str], index: int) -> int | None:
    """The 1-based number of the first line after `index` (0-based) that holds YAML."""
    for later in range(index + 1, len(lines)):
        if _holds_yaml(lines[later]):
            return later + 1
    return None


def correct_form(verb: str, rules: Sequence[str]) -> str:
    listed = ",".join(rules) if rules else "CG101"
    return f"`# composegen: {verb}={listed}`"


def _guess_verb(text: str) -> str:
    lowered = text.lower()
    for verb in sorted(VERBS, key=len, reverse=True):
        if lowered.replace("_", "-").startswith(verb):
            return verb
    if "next" in lowered:
        return "disable-next-line"
    if "file" in lowered:
        return "disable-file"
    if "enable" in lowered:
        return "enable"
    if "line" in lowered or "ignore" in lowered or "noqa" in lowered:
        return "disable-line"
    return "disable"


def _split_rules(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


def parse(text: str, file: str, resolve: Resolver) -> FileDirectives:
    """Every directive of a file's text. `resolve` maps a code, name or code prefix to rule codes
    (none: no such rule)."""
    result = FileDirectives(file)
    if "composegen" not in text and "COMPOSEGEN" not in text.upper():
        return result
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "composegen" not in line.lower():
            continue
        start = comment_start(line)
        if start is None or _in_block_scalar(lines, index):
            continue
        comment = line[start:]
        number = index + 1
        column = start + 1
        match = _DIRECTIVE.match(comment)
        if match is None:
            lookalike = _LOOKALIKE.match(comment)
            if lookalike is not None:
                body = lookalike.group("body").split(" -- ")[0].strip()
                verb = _guess_verb(body)
                rules = _split_rules(body[len(verb) :].lstrip("=: ")) if body.lower().startswith(verb) else []
                result.problems.append(
                    DirectiveProblem(number, column, f"malformed directive: write {correct_form(verb, rules)}")
                )
            continue
        _apply(result, match.group("body"), lines, index, number, column, resolve)
    result.blocks.sort(key=lambda block: block[0])
    return result


def _apply(
    result: FileDirectives,
    raw: str,
    lines: Sequence[str],
    index: int,
    number: int,
    column: int,
    resolve: Resolver,
) -> None:
    body = raw.split(" -- ")[0].strip()
    parsed = _BODY.match(body)
    if parsed is None or parsed.group("verb").lower() not in VERBS:
        words = body.replace("=", " ", 1).split(None, 1) if parsed else body.split(None, 1)
        first = words[0].lower() if words else ""
        rules = _split_rules(words[1].lstrip("=: ")) if len(words) > 1 else []
        if first in VERBS:
            what, verb = "malformed directive", first
        else:
            what = f"unknown directive {words[0]!r}" if words else "empty directive"
            verb = _guess_verb(body)
        message = f"{what}: write {correct_form(verb, rules)} (directives: {', '.join(VERBS)})"
        result.problems.append(DirectiveProblem(number, column, message))
        return
    verb = parsed.group("verb").lower()
    listed = parsed.group("rules")
    codes: set[str] = set()
    if listed is None:
        codes.add(ALL)
    else:
        names = _split_rules(listed)
        if not names:
            result.problems.append(
                DirectiveProblem(number, column, f"directive names no rule: write {correct_form(verb, [])}")
            )
            return
        for name in names:
            found = resolve(name)
            if not found:
                result.problems.append(
                    DirectiveProblem(
                        number,
                        column,
                        f"unknown rule {name!r} in directive: name a rule by its code or name (see `composegen rules`)",
                    )
                )
            else:
                codes |= found
        if not codes:
            return
    own_line = not lines[index][: column - 1].strip()
    reason = raw.split(" -- ", 1)[1].strip() if " -- " in raw else ""
    if verb == "disable-file":
        result.whole_file |= codes
        _note_reason(result, ("file", 0), reason)
    elif verb in ("disable-line", "disable-next-line"):
        target = number if verb == "disable-line" and not own_line else _next_yaml_line(lines, index)
        if target is not None:
            result.lines.setdefault(target, set()).update(codes)
            _note_reason(result, ("line", target), reason)
    else:
        result.blocks.append((number, verb == "disable", frozenset(codes)))
        _note_reason(result, ("block", number), reason)


def _note_reason(result: FileDirectives, where: tuple[str, int], reason: str) -> None:
    if reason:
        known = result.reasons.get(where)
        result.reasons[where] = f"{known}; {reason}" if known else reason
