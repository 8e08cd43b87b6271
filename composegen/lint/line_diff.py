"""Line diffs in near-linear time, in difflib's terms (opcodes, a unified diff).

difflib.SequenceMatcher takes time quadratic in the lines that repeat: a file of 735 services that
all write `image: nginx:1.27.1` took 25 s to plan its SARIF fixes and 12 s for `lint --diff`
(issue 12: every input in linear time). A fix changes a few lines between long runs of equal
ones, so the diff here is a patience diff: the common head and tail are cut off, the lines that
occur once on each side (a service's own name) anchor the rest along the longest run of such
pairs in order, and the gaps between anchors are diffed the same way. A gap with no such line is
given to SequenceMatcher when it is small and counted as replaced when it is not: the fix planner
then finds no counterpart for its lines and leaves that fix to the user (never a wrong one).

Where one side is the other with lines put in at known places (`lint --diff` of the text planner's
insertions), the diff is read off those places (`inserted_blocks`), where that is provably the
diff above: a check of the lines between them, without the diff's search.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Iterator, Sequence

#: (tag, i1, i2, j1, j2) as difflib.SequenceMatcher.get_opcodes gives them.
Opcode = tuple[str, int, int, int, int]
#: The most lines × lines a gap with no anchor is given to SequenceMatcher with.
SMALL_GAP = 40_000
#: Lines put in: (the line of the first side they go before, 0-based; how many), by line.
Inserted = Sequence[tuple[int, int]]


def _anchors(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """The pairs (i, j) of lines found once in a[alo:ahi] and once in b[blo:bhi], along the
    longest run in which both indexes grow (patience sorting)."""
    in_a = Counter(a[alo:ahi])
    in_b = Counter(b[blo:bhi])
    where: dict[str, int] = {}
    for i in range(alo, ahi):
        if in_a[a[i]] == 1 and in_b.get(a[i]) == 1:
            where[a[i]] = i
    pairs = [(where[b[j]], j) for j in range(blo, bhi) if b[j] in where]
    tops: list[int] = []  # the least a-index ending a run of each length
    ends: list[int] = []  # the index in `pairs` of that run's last pair
    back: list[int] = []  # for each pair, the pair before it in its run
    for k, (i, _) in enumerate(pairs):
        at = bisect.bisect_left(tops, i)
        back.append(ends[at - 1] if at else -1)
        if at == len(tops):
            tops.append(i)
            ends.append(k)
        else:
            tops[at], ends[at] = i, k
    run: list[tuple[int, int]] = []
    k = ends[-1] if ends else -1
    while k >= 0:
        run.append(pairs[k])
        k = back[k]
    run.reverse()
    return run


def matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """(i, j, size) runs of equal lines, in order (difflib's matching blocks, less the sentinel)."""
    found: list[tuple[int, int, int]] = []
    todo = [(0, len(a), 0, len(b))]
    while todo:
        alo, ahi, blo, bhi = todo.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            found.append((alo, blo, 1))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            found.append((ahi, bhi, 1))
        if alo == ahi or blo == bhi:
            continue
        anchors = _anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            if (ahi - alo) * (bhi - blo) <= SMALL_GAP:
                small = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                found.extend((alo + i, blo + j, n) for i, j, n in small.get_matching_blocks() if n)
            continue
        for i, j in anchors:
            found.append((i, j, 1))
            todo.append((alo, i, blo, j))
            alo, blo = i + 1, j + 1
        todo.append((alo, ahi, blo, bhi))
    found.sort()
    merged: list[tuple[int, int, int]] = []
    for i, j, n in found:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            last = merged[-1]
            merged[-1] = (last[0], last[1], last[2] + n)
        else:
            merged.append((i, j, n))
    return merged


def inserted_blocks(a: Sequence[str], b: Sequence[str], inserted: Inserted) -> list[tuple[int, int, int]] | None:
    """`matching_blocks(a, b)` read off `inserted`, where `b` is `a` with lines put in there; None
    where it is not, or where the diff could align it otherwise. It cannot where no new block
    could slide (its first line is not the line it goes before, its last not the line above it:
    cutting the common head and tail stops at the first and last blocks) and a line found once in
    `a` and not among the new lines (an anchor: once in `b` too, in its own place) lies between
    each two blocks: every gap between anchors then holds at most one block, which its own head
    and tail cut out whole."""
    a, b = list(a), list(b)  # (slices compared as lists)
    if len(b) != len(a) + sum(count for _, count in inserted):
        return None
    blocks: list[tuple[int, int, int]] = []
    between: list[tuple[int, int]] = []  # the lines of `a` between one block and the next
    new: set[str] = set()
    i = j = 0
    for index, (at, count) in enumerate(inserted):
        if count < 1 or not i <= at <= len(a) or a[i:at] != b[j : j + at - i]:
            return None
        if index:
            between.append((i, at))
        if at > i:
            blocks.append((i, j, at - i))
        j += at - i
        lines = b[j : j + count]
        if (at < len(a) and lines[0] == a[at]) or (at > 0 and lines[-1] == a[at - 1]):
            return None
        new.update(lines)
        i, j = at, j + count
    if a[i:] != b[j:]:
        return None
    if i < len(a):
        blocks.append((i, j, len(a) - i))
    once = Counter(a) if between else Counter()
    for lo, hi in between:
        for line in a[lo:hi]:
            if once[line] == 1 and line not in new:
                break
        else:
            return None
    return blocks


def opcodes(a: Sequence[str], b: Sequence[str], inserted: Inserted | None = None) -> list[Opcode]:
    """How to turn `a` into `b`, as difflib.SequenceMatcher(None, a, b).get_opcodes() says it.
    `inserted`: where `b` is `a` with lines put in (see `inserted_blocks`), if known."""
    blocks = None if inserted is None else inserted_blocks(a, b, inserted)
    if blocks is None:
        blocks = matching_blocks(a, b)
    out: list[Opcode] = []
    i = j = 0
    for ai, bj, size in [*blocks, (len(a), len(b), 0)]:
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            out.append((tag, i, ai, j, bj))
        if size:
            out.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return out


def _grouped(codes: list[Opcode], context: int) -> Iterator[list[Opcode]]:
    """The changes with `context` equal lines around each, in hunks (difflib's grouped opcodes)."""
    if not codes:
        codes = [("equal", 0, 1, 0, 1)]
    tag, i1, i2, j1, j2 = codes[0]
    if tag == "equal":
        codes[0] = (tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    tag, i1, i2, j1, j2 = codes[-1]
    if tag == "equal":
        codes[-1] = (tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context))
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _span(start: int, stop: int) -> str:
    """A hunk header's range, as `diff -u` writes it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def unified_diff(
    a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str, context: int = 3, inserted: Inserted | None = None
) -> list[str]:
    """The lines of a unified diff from `a` to `b` (lines with their newlines), as
    difflib.unified_diff writes one. `inserted`: see `opcodes`."""
    out: list[str] = []
    for group in _grouped(opcodes(a, b, inserted), context):
        if not out:
            out += (f"--- {fromfile}\n", f"+++ {tofile}\n")
        first, last = group[0], group[-1]
        out.append(f"@@ -{_span(first[1], last[2])} +{_span(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                out += ["-" + line for line in a[i1:i2]]
            if tag in ("replace", "insert"):
                out += ["+" + line for line in b[j1:j2]]
    return out
