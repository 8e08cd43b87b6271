"""Fixes that only add to a file, planned on its text: the common case of `--fix`, `--diff` and
SARIF `fixes` (`no-new-privileges:true` appended to each service's `security_opt`), in time
proportional to the file's size.

composegen.lint.fix plans a file's fixes through a round trip of the whole file (ruamel, pure
Python: seconds per megabyte, twice). A fix whose edits all append an item to a list, in a block
mapping written on lines of its own, needs none of that: the new lines go after the last line of
that mapping (or list), where the round trip's lines would land once carried back into the
user's text, at the user's indentation of that level, written as the round trip writes them (its
dump of the new key or items alone). The result is read back and must hold the file's data with
exactly those items added; anything else (another kind of edit, a flow collection, an anchor, a
`<<:` merge on the way, a comment the lines would go around) is left to the round trip, the whole
file's fixes together, so a file gets the same text either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from composegen.errors import ComposegenError
from composegen.lint.finding import Finding, Fix
from composegen.yamlio import Document, KeyPath, SDict, SList, dump_roundtrip, parse_document

#: A key line whose value is a block on the lines below it: nothing after the colon but a comment.
_KEY_ALONE = re.compile(r"[^#]*:[ \t]*(?:#.*)?\n?\Z")
#: The start of a block sequence item: its dash, then spaces, up to the item's value.
_DASH = re.compile(r"( *)- +\Z")
#: Marks of a line that is not a plain key and scalar: a flow collection, an anchor or alias, a tag,
#: a block scalar's header.
_NOT_PLAIN = re.compile(r"[][{}&*!|>]")
#: A `<<:` merge of anchors, on one line (a key the data does not hold: its keys come from them).
_ALIAS = r"\*[^\s#,\][{}]+"
_MERGE = re.compile(rf" *<<: *(?:{_ALIAS}|\[ *{_ALIAS}(?: *, *{_ALIAS})* *\]) *\n?\Z")


class TextPlan(NamedTuple):
    """A file's fixes applied to its text."""

    after: str
    applied: tuple[str, ...]  # the description of each fix applied
    fixed: int  # findings fixed
    before: Document  # the file's text, read (its positions serve SARIF's fixes)
    #: the lines each fix inserted on its own, by its index in the entries: (the line of the text
    #: they go before, 0-based; the lines), for each fix that is the only one of its lines' place
    #: (SARIF's fixes take them as they are, each finding's its own)
    own: Mapping[int, tuple[int, tuple[str, ...]]] = MappingProxyType({})


class _Insert(NamedTuple):
    """Values appended to the list at `key` of the mapping `node` at `path` (its key written at
    `line` and `column`, 0-based; the round trip indents keys two spaces a level)."""

    node: SDict
    path: KeyPath
    key: str
    line: int
    column: int
    values: list[Any]
    fixes: list[int]  # the index in the entries of each fix whose values these are


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


@lru_cache(maxsize=64)
def _dumped(key: str, values: tuple[Any, ...]) -> tuple[str, ...]:
    """The round trip's lines for `key:` holding `values` (a block list), at indentation 0."""
    return tuple(dump_roundtrip({key: list(values)}).splitlines(keepends=True))


def _mapping_at(doc: Document, path: Sequence[Any]) -> tuple[SDict, int, int] | None:
    """The block mapping at `path`, written where it reads (no anchor or merge on the way: each
    key below its parent's), with its key's line and column (0-based)."""
    node: Any = doc.data
    line, column = -1, -1
    for key in path:
        if not isinstance(node, SDict) or not isinstance(key, str) or key not in node:
            return None
        origin = node.origins.get(key)
        if origin is None or origin.line - 1 <= line or origin.column - 1 <= column:
            return None
        node, line, column = node[key], origin.line - 1, origin.column - 1
    if not isinstance(node, SDict) or line < 0:
        return None
    return node, line, column


def _end(lines: Sequence[str], start: int, column: int, list_dash: int | None = None) -> int:
    """The first line after `start` holding content at `column` or left of it (for a block list,
    `list_dash`: left of its dashes, or at them and not an item)."""
    for index in range(start + 1, len(lines)):
        text = lines[index]
        if not _is_content(text):
            continue
        indent = _indent(text)
        if list_dash is None:
            if indent <= column:
                return index
        elif indent < list_dash or (indent == list_dash and not text.lstrip(" ").startswith("-")):
            return index
    return len(lines)


def _last_start(node: Any, start: int, end: int) -> int:
    """The line (0-based) where the last value written in `node`'s block (lines `start` to before
    `end`) starts: its last key or item, and theirs down to a scalar; -1 where there is none."""
    found, column = -1, -1
    while isinstance(node, (SDict, SList)):
        origins = node.origins.items() if isinstance(node, SDict) else enumerate(node.origins)
        inside = [(o.line - 1, o.column - 1, key) for key, o in origins if o is not None and start < o.line - 1 < end]
        if not inside:
            break
        first, last = min(inside), max(inside)
        if found >= 0 and first[0] == found and first[1] != column and last[0] > found:
            return -1  # a flow collection on several lines (a block one starts below its key)
        found, column, key = last
        node = node[key]
    return found


def _insertion_point(lines: Sequence[str], start: int, end: int, depth: int, last_start: int) -> int | None:
    """Where lines added at the end of a block (`start` to before `end`) go: after its last
    content line, and after a comment below it that the round trip writes at the added lines'
    indentation (`depth`) or deeper. None where the round trip may write those lines otherwise
    (so the lines it carries back are its own to say): the last value takes more lines than its
    first (`last_start`: a block scalar, a flow collection or text on several lines; a `<<:` merge
    of one anchor below it is a line of its own), or is more
    than a plain value with comments below it (a flow collection, an anchor, a tag)."""
    last = next((i for i in range(end - 1, start, -1) if _is_content(lines[i])), None)
    if last is None or (last != last_start and not (last > last_start and _MERGE.match(lines[last]))):
        return None
    trailing = lines[last + 1 : end]
    if any(line.strip() for line in trailing) and _NOT_PLAIN.search(lines[last]):
        return None
    after = last + 1
    for index in range(end - 1, last, -1):
        if lines[index].strip() and _indent(lines[index]) >= depth:
            after = index + 1
            break
    return after


def _new_lines(lines: Sequence[str], insert: _Insert) -> tuple[int, list[str]] | None:
    """Where `insert`'s lines go and what they are, or None where the round trip must do it."""
    node, key = insert.node, insert.key
    if any(str(other) == key and other != key for other in node):
        return None
    if not _KEY_ALONE.match(lines[insert.line], insert.column):
        return None
    block_end = _end(lines, insert.line, insert.column)
    children = next((i for i in range(insert.line + 1, block_end) if _is_content(lines[i])), None)
    if children is None:
        return None
    column = _indent(lines[children])
    # indented otherwise than the round trip's two spaces a level, every line it rewrites differs
    # from the user's, and which of them it can carry back is its own to say
    if insert.column != 2 * (len(insert.path) - 1) or column != 2 * len(insert.path):
        return None
    own = [o for o in node.origins.values() if insert.line < o.line - 1 < block_end]
    if any(o.column - 1 != column for o in own):
        return None
    dumped = _dumped(key, tuple(insert.values))
    if key not in node:
        at = _insertion_point(
            lines, insert.line, block_end, 2 * len(insert.path), _last_start(node, insert.line, block_end)
        )
        if at is None:
            return None
        return at, [" " * column + line for line in dumped]
    written, origin = node[key], node.origins.get(key)
    if not isinstance(written, SList) or not written or origin is None:
        return None
    key_line = origin.line - 1
    if not insert.line < key_line < block_end or not _KEY_ALONE.match(lines[key_line], origin.column - 1):
        return None
    dashes = set()
    previous = key_line
    for item in written.origins:
        if item is None or item.line - 1 <= previous:
            return None
        previous = item.line - 1
        dash = _DASH.match(lines[previous][: item.column - 1])
        if dash is None:
            return None
        dashes.add(len(dash.group(1)))
    if len(dashes) != 1:
        return None
    dash_column = dashes.pop()
    if dash_column not in (column, column + 2):
        return None
    list_end = min(_end(lines, key_line, origin.column - 1, dash_column), block_end)
    at = _insertion_point(lines, key_line, list_end, 2 * len(insert.path) + 2, _last_start(written, key_line, list_end))
    if at is None:
        return None
    return at, [" " * dash_column + line[2:] for line in dumped[1:]]


def plan_text(
    text: str, path: str, entries: Sequence[tuple[Fix, list[Finding]]], read: Document | None = None
) -> TextPlan | None:
    """`entries`' fixes applied to `text`, or None where they are not all appends this module
    makes (the round trip plans those). `read`: `text` parsed already (lint's reading of the
    file), used where it is the reading of this very text; otherwise the text is parsed here."""
    if not entries or any(edit.action != "append" or len(edit.path) < 2 for fix, _ in entries for edit in fix.edits):
        return None
    if "\t" in text or "\r" in text or text.startswith("\ufeff"):
        return None  # the round trip refuses some tabs the parser takes (before a comment); CRLF, BOM
    lines = text.splitlines(keepends=True)
    if not lines or len(lines) != text.count("\n") + (not text.endswith("\n")):
        return None  # a line break other than \n: the round trip's lines count them
    if read is not None and read.text == text:
        doc = read
    else:
        try:
            doc = parse_document(text, path)
        except ComposegenError:
            return None
    if doc.duplicate_keys:
        return None
    inserts: dict[tuple[int, str], _Insert] = {}
    for index, (fix, _) in enumerate(entries):
        for edit in fix.edits:
            found = _mapping_at(doc, edit.path[:-1])
            key = edit.path[-1]
            if found is None or not isinstance(key, str):
                return None
            node, line, column = found
            insert = inserts.get((id(node), key))
            if insert is None:
                insert = inserts[id(node), key] = _Insert(node, edit.path[:-1], key, line, column, [], [])
            insert.values.append(edit.value)
            insert.fixes.append(index)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # as the round trip's carried lines end
    placed: list[tuple[int, list[str]]] = []
    own: dict[int, tuple[int, tuple[str, ...]]] = {}
    for insert in inserts.values():
        lines_at = _new_lines(lines, insert)
        if lines_at is None:
            return None
        placed.append(lines_at)
        # (a text without a newline at its end gets one from the first fix there: not its own)
        if len(insert.fixes) == 1 and len(entries[insert.fixes[0]][0].edits) == 1 and text.endswith("\n"):
            own[insert.fixes[0]] = (lines_at[0], tuple(lines_at[1]))
    placed.sort(key=lambda p: p[0])
    if any(placed[i][0] == placed[i + 1][0] for i in range(len(placed) - 1)):
        return None  # two blocks end on one line: which comes first is the round trip's to say
    out: list[str] = []
    done = 0
    for at, new in placed:
        out.extend(lines[done:at])
        out.extend(new)
        done = at
    out.extend(lines[done:])
    after = "".join(out)
    if not _holds(after, path, doc, inserts.values()):
        return None
    applied = tuple(fix.description for fix, _ in entries)
    return TextPlan(after, applied, sum(len(found) for _, found in entries), doc, own)


def _holds(after: str, path: str, before: Document, inserts: Iterable[_Insert]) -> bool:
    """Whether `after` reads as `before` with the inserts' values appended, and nothing else."""
    try:
        data = parse_document(after, path).data
    except ComposegenError:
        return False
    for insert in inserts:
        node: Any = data
        for key in insert.path:
            node = node.get(key) if isinstance(node, SDict) else None
        written = node.get(insert.key) if isinstance(node, SDict) else None
        if not isinstance(written, list) or len(written) < len(insert.values):
            return False
        if written[len(written) - len(insert.values) :] != insert.values:
            return False
        if insert.key in insert.node:
            del written[len(written) - len(insert.values) :]
        else:
            node.remove(insert.key)
    return bool(data == before.data)
