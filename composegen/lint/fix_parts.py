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

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from composegen.lint.finding import Finding
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
    starts another key (difflib joins neighbouring changes: a value changed on one line and a key
    added below it by another fix)."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    out: list[Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
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


def split(before: str, after: str, blocks: Mapping[Any, Sequence[Block]]) -> dict[Any, str]:
    """Each key of `blocks` (a finding) -> the file with only its own changes, where all of them
    could be told apart (see the module's docstring)."""
    lines = before.splitlines(keepends=True)
    owned: dict[Any, list[Hunk]] = {key: [] for key in blocks}
    lost: set[Any] = set()
    for hunk in hunks(before, after):
        scores: list[tuple[int, Any]] = []
        for key, edited in blocks.items():
            best = max((column for holds, column in (_claims(b, hunk, lines) for b in edited) if holds), default=None)
            if best is not None:
                scores.append((best, key))
        if not scores:
            continue
        top = max(score for score, _ in scores)
        winners = [key for score, key in scores if score == top]
        if len(winners) == 1:
            owned[winners[0]].append(hunk)
        else:
            lost.update(winners)
    out: dict[Any, str] = {}
    for key, own in owned.items():
        if not own or key in lost:
            continue
        text: list[str] = []
        at = 0
        for hunk in own:
            text.extend(lines[at : hunk.start])
            text.extend(hunk.lines)
            at = hunk.stop
        text.extend(lines[at:])
        out[key] = "".join(text)
    return out


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
