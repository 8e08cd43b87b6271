"""Fixes that only add to a file, planned on its text: the common case of `--fix`, `--diff` and
SARIF `fixes` (`no-new-privileges:true` appended to each service's `security_opt`), in time
proportional to the file's size.

composegen.lint.fix plans a file's fixes through a round trip of the whole file (ruamel, pure
Python: seconds per megabyte, twice). A fix whose edits all append an item to a list, in a block
mapping written on lines of its own, needs none of that: the new lines go after the last line of
that mapping (or list), where the round trip's lines would land once carried back into the
user's text, at the user's indentation of that level, written as the round trip writes them (its
dump of the new key or items alone). Anything else (another kind of edit, a flow collection, an
anchor, a `<<:` merge on the way, a comment the lines would go around) is left to the round trip,
the whole file's fixes together, so a file gets the same text either way.

Lines put after a value that ends on its own line, in a block whose keys are where the file's
reading puts them, are read as the items added and change nothing else: each value before them
has ended, and the next line's indentation closes them. Where that cannot be told from the line
before them (a quote still open there, a block scalar, a flow collection) or the text gets a
newline at its end (which ends a block scalar's value with one), the result is read back and
must hold the file's data with exactly those items added (`_holds`: a third of `lint --diff`'s
time on a large file, so only where it is needed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from composegen.errors import ComposegenError
from composegen.lint.finding import Finding, Fix
from composegen.yamlio import Document, KeyPath, SDict, SList, dump_roundtrip, parse_document, read_data

#: A key line whose value is a block on the lines below it: nothing after the colon but a comment.
_KEY_ALONE = re.compile(r"[^#]*:[ \t]*(?:#.*)?\n?\Z")
#: The start of a block sequence item: its dash, then spaces, up to the item's value.
_DASH = re.compile(r"( *)- +\Z")
#: Marks of a line that is not a plain key and scalar: a flow collection, an anchor or alias, a tag,
#: a block scalar's header.
_NOT_PLAIN = re.compile(r"[][{}&*!|>]")
#: A line whose every value ends on it: no block scalar's header (`|`, `>`), no flow collection, no
#: quote left open (a `'` or `"` pair, with `''` and backslash escapes), then perhaps a comment. A
#: plain scalar's text may hold these marks: such a line is read back (`_holds`), as the others.
_ENDS_HERE = re.compile(r"""(?:[^'"#|>\[\]{}\n]|'(?:[^'\n]|'')*'(?!')|"(?:[^"\\\n]|\\.)*")*(?:[ ]#.*)?\n?\Z""")
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
    #: every place lines were put in: (the line of the text they go before, 0-based; how many), by line
    inserted: tuple[tuple[int, int], ...] = ()


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


#: An `_Insert` of all its fields (`tuple.__new__`).
_new_insert = tuple.__new__


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _depths(lines: Sequence[str]) -> list[int]:
    """Each line's indentation where it holds content (not blank, not a comment), else -1: read
    once for the whole file (each insertion looks at a few lines, tens of thousands of times)."""
    # (each distinct line once: a large file repeats many, `    <<: *base` in every service)
    depth = {
        line: len(line) - len(line.lstrip(" ")) if (s := line.strip(" \n")) and s[0] != "#" else -1
        for line in set(lines)
    }
    return list(map(depth.__getitem__, lines))


class _Lines(NamedTuple):
    """A file's lines, and each one's `_depths`."""

    text: list[str]
    depth: list[int]


@lru_cache(maxsize=64)
def _dumped(key: str, values: tuple[Any, ...]) -> tuple[str, ...]:
    """The round trip's lines for `key:` holding `values` (a block list), at indentation 0."""
    return tuple(dump_roundtrip({key: list(values)}).splitlines(keepends=True))


@lru_cache(maxsize=64)
def _placed_lines(key: str, values: tuple[Any, ...], indent: int, items_only: bool) -> tuple[str, ...]:
    """`_dumped`'s lines at `indent`: the key and its list, or (`items_only`) the items alone, with
    their dashes at `indent` (made once for the many insertions that are alike)."""
    dumped = _dumped(key, values)
    if items_only:
        return tuple(" " * indent + line[2:] for line in dumped[1:])
    return tuple(" " * indent + line for line in dumped)


#: Where a key path leads (`_walk`), by the path: the node, its key's line and column (0-based).
_Walked = dict[KeyPath, tuple[Any, int, int] | None]


def _walk(doc: Document, path: KeyPath, known: _Walked) -> tuple[Any, int, int] | None:
    """The node at `path`, written where it reads (no anchor or merge on the way: each key below
    its parent's), with its key's line and column (0-based; -1 for the top). `known`: paths walked
    already, which it is not among (thousands of services share the walk to `services`)."""
    found: tuple[Any, int, int] | None = None
    if not path:
        found = (doc.data, -1, -1)
    elif (parent := known[path[:-1]] if path[:-1] in known else _walk(doc, path[:-1], known)) is not None:
        node, line, column = parent
        key = path[-1]
        if isinstance(node, SDict) and isinstance(key, str) and key in node:
            origin = node.origins.get(key)
            if origin is not None and origin.line - 1 > line and origin.column - 1 > column:
                found = (node[key], origin.line - 1, origin.column - 1)
    known[path] = found
    return found


def _mapping_at(doc: Document, path: KeyPath, known: _Walked) -> tuple[SDict, int, int] | None:
    """The block mapping at `path` (see `_walk`), with its key's line and column (0-based)."""
    found = known[path] if path in known else _walk(doc, path, known)
    if found is None or not isinstance(found[0], SDict) or found[1] < 0:
        return None
    return found


def _end(lines: _Lines, start: int, column: int, list_dash: int | None = None) -> int:
    """The first line after `start` holding content at `column` or left of it (for a block list,
    `list_dash`: left of its dashes, or at them and not an item)."""
    depth = lines.depth
    for index in range(start + 1, len(depth)):
        indent = depth[index]
        if indent < 0:
            continue
        if list_dash is None:
            if indent <= column:
                return index
        elif indent < list_dash or (indent == list_dash and not lines.text[index].lstrip(" ").startswith("-")):
            return index
    return len(depth)


def _block(lines: _Lines, start: int, column: int) -> tuple[int, int, int]:
    """The block below line `start`'s key at `column`: its first and last content lines (-1 where
    it has none), and `_end(lines, start, column)`, read in one pass."""
    depth = lines.depth
    first = last = -1
    for index in range(start + 1, len(depth)):
        indent = depth[index]
        if indent < 0:
            continue
        if indent <= column:
            return first, last, index
        if first < 0:
            first = index
        last = index
    return first, last, len(depth)


def _inside(node: SDict | SList, start: int, end: int) -> list[tuple[int, int, Any]]:
    """(line, column, key) of each key or item of `node` written on lines `start` to before `end`."""
    origins = node.origins.items() if isinstance(node, SDict) else enumerate(node.origins)
    return [(o.line - 1, o.column - 1, key) for key, o in origins if o is not None and start < o.line - 1 < end]


def _last_start(node: Any, start: int, end: int, inside: list[tuple[int, int, Any]] | None = None) -> int:
    """The line (0-based) where the last value written in `node`'s block (lines `start` to before
    `end`) starts: its last key or item, and theirs down to a scalar; -1 where there is none.
    `inside`: `_inside(node, start, end)`, where the caller has it."""
    found, column = -1, -1
    while isinstance(node, (SDict, SList)):
        if inside is None:
            inside = _inside(node, start, end)
        if not inside:
            break
        first, last = min(inside), max(inside)
        if found >= 0 and first[0] == found and first[1] != column and last[0] > found:
            return -1  # a flow collection on several lines (a block one starts below its key)
        found, column, key = last
        node, inside = node[key], None
    return found


def _insertion_point(
    lines: _Lines, start: int, end: int, depth: int, last_start: int, last: int | None = None
) -> int | None:
    """Where lines added at the end of a block (`start` to before `end`) go: after its last
    content line, and after a comment below it that the round trip writes at the added lines'
    indentation (`depth`) or deeper. None where the round trip may write those lines otherwise
    (so the lines it carries back are its own to say): the last value takes more lines than its
    first (`last_start`: a block scalar, a flow collection or text on several lines; a `<<:` merge
    of one anchor below it is a line of its own), or is more
    than a plain value with comments below it (a flow collection, an anchor, a tag). `last`: the
    block's last content line, where the caller has it."""
    text, depths = lines
    if last is None:
        last = next((i for i in range(end - 1, start, -1) if depths[i] >= 0), None)
    if last is None or (last != last_start and not (last > last_start and _MERGE.match(text[last]))):
        return None
    after = last + 1
    if after == end:
        return after
    if any(line.strip(" \n") for line in text[after:end]) and _NOT_PLAIN.search(text[last]):
        return None
    for index in range(end - 1, last, -1):
        if text[index].strip(" \n") and _indent(text[index]) >= depth:
            return index + 1
    return after


def _new_lines(lines: _Lines, insert: _Insert, int_keys: bool = True) -> tuple[int, tuple[str, ...]] | None:
    """Where `insert`'s lines go and what they are, or None where the round trip must do it.
    `int_keys`: False where the file has no key that is a number (`Document.has_int_keys`)."""
    node, path, key, line, at_column, values_list, _ = insert
    if int_keys and any(str(other) == key and other != key for other in node if not isinstance(other, str)):
        return None  # (a key that is a string is the key or another: a number may read as `key`)
    text, depths = lines
    if not _KEY_ALONE.match(text[line], at_column):
        return None
    children, last, block_end = _block(lines, line, at_column)
    if children < 0:
        return None
    column = depths[children]
    # indented otherwise than the round trip's two spaces a level, every line it rewrites differs
    # from the user's, and which of them it can carry back is its own to say
    if at_column != 2 * (len(path) - 1) or column != 2 * len(path):
        return None
    own = _inside(node, line, block_end)
    if any(o_column != column for _, o_column, _ in own):
        return None
    values = tuple(values_list)
    if key not in node:
        at = _insertion_point(lines, line, block_end, 2 * len(path), _last_start(node, line, block_end, own), last)
        if at is None:
            return None
        return at, _placed_lines(key, values, column, False)
    written, origin = node[key], node.origins.get(key)
    if not isinstance(written, SList) or not written or origin is None:
        return None
    key_line = origin.line - 1
    if not line < key_line < block_end or not _KEY_ALONE.match(text[key_line], origin.column - 1):
        return None
    dashes = set()
    previous = key_line
    for item in written.origins:
        if item is None or item.line - 1 <= previous:
            return None
        previous = item.line - 1
        dash = _DASH.match(text[previous][: item.column - 1])
        if dash is None:
            return None
        dashes.add(len(dash.group(1)))
    if len(dashes) != 1:
        return None
    dash_column = dashes.pop()
    if dash_column not in (column, column + 2):
        return None
    list_end = min(_end(lines, key_line, origin.column - 1, dash_column), block_end)
    at = _insertion_point(lines, key_line, list_end, 2 * len(path) + 2, _last_start(written, key_line, list_end))
    if at is None:
        return None
    return at, _placed_lines(key, values, dash_column, True)


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
    walked: _Walked = {}
    for index, (fix, _) in enumerate(entries):
        for edit in fix.edits:
            parent = tuple(edit.path[:-1])
            found = _mapping_at(doc, parent, walked)
            key = edit.path[-1]
            if found is None or not isinstance(key, str):
                return None
            node, line, column = found
            insert = inserts.get((id(node), key))
            if insert is None:  # (one a service: built without the keyword-reading constructor)
                insert = inserts[id(node), key] = _new_insert(_Insert, (node, parent, key, line, column, [], []))
            insert.values.append(edit.value)
            insert.fixes.append(index)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # as the round trip's carried lines end
    by_line = _Lines(lines, _depths(lines))
    placed: list[tuple[int, tuple[str, ...]]] = []
    own: dict[int, tuple[int, tuple[str, ...]]] = {}
    ends_line = text.endswith("\n")
    for insert in inserts.values():
        lines_at = _new_lines(by_line, insert, doc.has_int_keys)
        if lines_at is None:
            return None
        placed.append(lines_at)
        # (a text without a newline at its end gets one from the first fix there: not its own)
        if ends_line and len(insert.fixes) == 1 and len(entries[insert.fixes[0]][0].edits) == 1:
            own[insert.fixes[0]] = lines_at
    placed.sort(key=itemgetter(0))
    if any(one[0] == next_one[0] for one, next_one in pairwise(placed)):
        return None  # two blocks end on one line: which comes first is the round trip's to say
    out: list[str] = []
    done = 0
    for at, new in placed:
        out.extend(lines[done:at])
        out.extend(new)
        done = at
    out.extend(lines[done:])
    after = "".join(out)
    if not (ends_line and all(_ends_before(by_line, at) for at, _ in placed)) and not _holds(
        after, path, doc, inserts.values()
    ):
        return None
    applied = tuple(fix.description for fix, _ in entries)
    inserted = tuple((at, len(new)) for at, new in placed)
    return TextPlan(after, applied, sum(len(found) for _, found in entries), doc, own, inserted)


def _ends_before(lines: _Lines, at: int) -> bool:
    """Whether every value written before line `at` ends there: the last line before it that holds
    content (`_new_lines` put the added lines after the last value of their block, so only blank
    lines and comments are between) ends each value it holds (`_ENDS_HERE`)."""
    depth = lines.depth
    last = at - 1
    while last >= 0 and depth[last] < 0:
        last -= 1
    return last >= 0 and _ENDS_HERE.match(lines.text[last]) is not None


def _holds(after: str, path: str, before: Document, inserts: Iterable[_Insert]) -> bool:
    """Whether `after` reads as `before` with the inserts' values appended, and nothing else."""
    try:
        data = read_data(after, path)  # (its data alone: equal to `parse_document`'s, read faster)
    except ComposegenError:
        return False
    for node_before, keys, key, _, _, values, _ in inserts:
        node: Any = data
        for step in keys:
            node = node.get(step) if isinstance(node, dict) else None
        written = node.get(key) if isinstance(node, dict) else None
        if not isinstance(written, list) or len(written) < len(values):
            return False
        start = len(written) - len(values)
        if written[start:] != values:
            return False
        if key in node_before:
            del written[start:]
        else:
            del node[key]
    return bool(data == before.data)
