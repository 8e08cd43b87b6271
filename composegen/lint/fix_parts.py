"""Each finding's own part of a file's fixes (SARIF `fixes`), from one plan of them all.

Planning a fix is a round trip of the whole file (about a second for a large one), so the fixes of
a file are planned once, together, and the changed lines are then given back to the findings they
belong to. A fix edits inside one mapping or list of the file (a new key at the end of a service,
a value inside `deploy.resources`, an item of a healthcheck test): each group of changed lines goes
to the finding whose edited block holds it, the innermost one whose children sit at the
indentation of the changed text. A group that no finding or several findings claim is given to
none, and a finding that does not get all of its changes gets no fix: a SARIF fix is shown as
it is, so it is left out rather than shown wrong.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from composegen.lint.finding import Finding, TextEdit
from composegen.lint.line_diff import opcodes
from composegen.yamlio import KeyPath, Position


class Block(NamedTuple):
    """Lines of the original file that one edited mapping or list spans: from `start` to before
    `limit`, the next line indented no deeper than its key (0-based; comments and blank lines at
    its end included, where an insertion may land)."""

    start: int
    limit: int
    column: int  # 0-based: the indentation of its key


class Hunk(NamedTuple):
    """Lines `start` to `stop` (0-based, `stop` excluded) of the original, replaced by `lines`."""

    start: int
    stop: int
    lines: tuple[str, ...]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def block_at(lines: Sequence[str], position: Position) -> Block:
    """The lines a key written at `position` spans (see Block)."""
    start = position.line - 1
    column = position.column - 1
    for index in range(start + 1, len(lines)):
        text = lines[index]
        stripped = text.strip()
        if stripped and not stripped.startswith("#") and _indent(text) <= column:
            return Block(start, index, column)
    return Block(start, len(lines), column)


def edited_block(lines: Sequence[str], positions: Mapping[KeyPath, Position], path: KeyPath) -> Block | None:
    """The block an edit at `path` changes: the deepest mapping or list above it the file has."""
    for depth in range(len(path) - 1, 0, -1):
        found = positions.get(path[:depth])
        if found is not None:
            return block_at(lines, found)
    return None


def hunks(before: str, after: str) -> list[Hunk]:
    """The changes from `before` to `after`, as small as the fixes make them: a changed line on
    its own, and inserted lines cut where one at the indentation of the first (or shallower)
    starts another key (a diff joins neighbouring changes: a value changed on one line and a key
    added below it by another fix)."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    out: list[Hunk] = []
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        out.extend(Hunk(i1 + k, i1 + k + 1, (new[j1 + k],)) for k in range(paired))
        if i2 - i1 > paired:
            out.append(Hunk(i1 + paired, i2, ()))
        if j2 - j1 > paired:
            out.extend(_insertions(i2, new[j1 + paired : j2]))
    return out


def _insertions(at: int, lines: Sequence[str]) -> list[Hunk]:
    groups: list[list[str]] = []
    for line in lines:
        continues = not line.strip() or _indent(line) > _indent(groups[-1][0]) if groups else False
        if continues:
            groups[-1].append(line)
        else:
            groups.append([line])
    return [Hunk(at, at, tuple(group)) for group in groups]


def _claims(block: Block, hunk: Hunk, lines: Sequence[str]) -> tuple[bool, int]:
    """Whether `block` holds `hunk`, and how closely (the block's indentation)."""
    changed = hunk.lines or tuple(lines[hunk.start : hunk.stop])
    first = next((line for line in changed if line.strip()), "")
    indent = _indent(first)
    if hunk.stop == hunk.start:  # an insertion before line `start`: inside the block or at its end
        holds = block.start < hunk.start <= block.limit and block.column < indent
    else:
        inside = block.start <= hunk.start and hunk.stop <= block.limit
        # a block written on the changed line itself (`deploy: {resources: {limits: {...}}}`) holds it
        holds = inside and (block.column <= indent or block.start == hunk.start)
    return holds, block.column


class Text(NamedTuple):
    """A file's text, its lines as the hunks count them, where each of those lines starts, and
    where each line ends with a newline starts (SARIF's lines and columns count newlines)."""

    text: str
    lines: Sequence[str]
    line_offsets: Sequence[int]
    newline_starts: Sequence[int]

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both from 1, of a character offset."""
        line = bisect.bisect_right(self.newline_starts, offset) - 1
        return line + 1, offset - self.newline_starts[line] + 1


def read_text(text: str, lines: Sequence[str] | None = None) -> Text:
    """`text` with its lines (`lines` where the caller split them already) and their starts."""
    lines = text.splitlines(keepends=True) if lines is None else lines
    offsets = [0, *itertools.accumulate(len(line) for line in lines)]
    return Text(text, lines, offsets, [0, *(m.end() for m in re.finditer("\n", text))])


def _edit(
    file: str,
    text: Text,
    after_length: int,
    start: int,
    after_at: Callable[[int], str],
    after_slice: Callable[[int, int], str],
    tail: int,
) -> TextEdit:
    """The smallest replacement turning `text` into an `after` read through `after_at` (a
    character) and `after_slice` (characters from one index to before another), whose first
    `start` characters and last `tail` are known to be the text's own."""
    before = text.text
    limit = min(len(before), after_length)
    while start < limit and before[start] == after_at(start):
        start += 1
    end = min(tail, limit - start)
    while end < limit - start and before[len(before) - 1 - end] == after_at(after_length - 1 - end):
        end += 1
    deleted_end = len(before) - end
    return TextEdit(
        file,
        start,
        deleted_end - start,
        after_slice(start, after_length - end),
        *text.position(start),
        *text.position(deleted_end),
    )


def text_edit(file: str, before: str, after: str) -> TextEdit:
    """The smallest replacement that turns `before` into `after`: the text between their common
    start and common end."""
    return _edit(file, read_text(before), len(after), 0, after.__getitem__, lambda a, b: after[a:b], 0)


def _own_edit(file: str, text: Text, own: Sequence[Hunk]) -> TextEdit:
    """One finding's hunks as the smallest replacement, read without building its whole file: the
    text before its first hunk and after its last is the file's own."""
    first, last = own[0].start, own[-1].stop
    middle: list[str] = []
    at = first
    for hunk in own:
        middle.extend(text.lines[at : hunk.start])
        middle.extend(hunk.lines)
        at = hunk.stop
    mid = "".join(middle)
    head, rest = text.line_offsets[first], text.line_offsets[last]
    before = text.text

    def after_at(k: int) -> str:
        if k < head:
            return before[k]
        if k < head + len(mid):
            return mid[k - head]
        return before[rest + k - head - len(mid)]

    def after_slice(a: int, b: int) -> str:
        mid_end = head + len(mid)
        own_head = before[a : min(b, head)]
        own_tail = before[rest + max(a, mid_end) - mid_end : rest + b - mid_end] if b > mid_end else ""
        return own_head + mid[max(a - head, 0) : max(min(b, mid_end) - head, 0)] + own_tail

    tail = len(before) - rest
    return _edit(file, text, head + len(mid) + tail, head, after_at, after_slice, tail)


def split(file: str, before: str, after: str, blocks: Mapping[Any, Sequence[Block]]) -> dict[Any, TextEdit]:
    """Each key of `blocks` (a finding) -> its own changes as one replacement in `before`, where
    all of them could be told apart (see the module's docstring)."""
    lines = before.splitlines(keepends=True)
    owned: dict[Any, list[Hunk]] = {key: [] for key in blocks}
    lost: set[Any] = set()
    # A block holds a hunk only if it starts at or above the hunk's first line and reaches it: the
    # hunks come in file order, so only the blocks open at each one are asked (not every block for
    # every hunk: a fix on each of thousands of services would make that quadratic).
    waiting = sorted(((block, key) for key, edited in blocks.items() for block in edited), key=lambda e: e[0].start)
    open_blocks: list[tuple[Block, Any]] = []
    taken = 0
    for hunk in hunks(before, after):
        while taken < len(waiting) and waiting[taken][0].start <= hunk.start:
            open_blocks.append(waiting[taken])
            taken += 1
        open_blocks = [(block, key) for block, key in open_blocks if block.limit >= hunk.start]
        best: dict[Any, int] = {}
        for block, key in open_blocks:
            holds, column = _claims(block, hunk, lines)
            if holds and column > best.get(key, -1):
                best[key] = column
        if not best:
            continue
        top = max(best.values())
        winners = [key for key, score in best.items() if score == top]
        if len(winners) == 1:
            owned[winners[0]].append(hunk)
        else:
            lost.update(winners)
    text = read_text(before, lines)
    return {key: _own_edit(file, text, own) for key, own in owned.items() if own and key not in lost}


def inserted(file: str, before: str, own: Mapping[Any, tuple[int, Sequence[str]]]) -> dict[Any, TextEdit]:
    """Each key of `own` (a finding) -> its lines (`own`: the line of `before` they go before,
    0-based, and the lines) as one replacement in `before`: what `split` gives a finding whose
    changes are those lines, without diffing the file (the text planner says where it put them)."""
    text = read_text(before)
    return {key: _own_edit(file, text, [Hunk(at, at, tuple(lines))]) for key, (at, lines) in own.items()}


def finding_blocks(
    findings: Sequence[Finding], text: str, positions: Mapping[KeyPath, Position]
) -> dict[Any, list[Block]]:
    """The blocks each finding's fix edits (by `Finding.key`)."""
    lines = text.splitlines(keepends=True)
    out: dict[Any, list[Block]] = {}
    for finding in findings:
        if finding.fix is None:
            continue
        edited = [edited_block(lines, positions, edit.path) for edit in finding.fix.edits]
        if edited and all(block is not None for block in edited):
            out[finding.key] = [block for block in edited if block is not None]
    return out
