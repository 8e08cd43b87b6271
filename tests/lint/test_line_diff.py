"""Line diffs in near-linear time (composegen.lint.line_diff) and each finding's own replacement
(composegen.lint.fix_parts): what difflib gives where the alignment is plain, always a diff that
turns one side into the other, and linear on the lines that repeat in every service (issue 12:
SARIF fixes of 735 services took 25 s, `lint --diff` 12 s)."""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from composegen.lint.fix_parts import Hunk, _own_edit, read_text, text_edit
from composegen.lint.line_diff import Opcode, opcodes, unified_diff

LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "  x: 1\n", "\n"]), max_size=30)


def applied(a: Sequence[str], b: Sequence[str], codes: list[Opcode]) -> list[str]:
    """`a` turned by `codes`, checking that they cover both sides in order and that equal is equal."""
    out: list[str] = []
    i = j = 0
    for tag, i1, i2, j1, j2 in codes:
        assert (i1, j1) == (i, j)
        if tag == "equal":
            assert list(a[i1:i2]) == list(b[j1:j2])
            out.extend(a[i1:i2])
        else:
            out.extend(b[j1:j2])
        i, j = i2, j2
    assert (i, j) == (len(a), len(b))
    return out


@given(LINES, LINES)
def test_opcodes_turn_one_side_into_the_other(a: list[str], b: list[str]) -> None:
    assert applied(a, b, opcodes(a, b)) == b


def test_where_every_line_is_its_own_the_diff_is_difflibs() -> None:
    a = [f"line {i}\n" for i in range(40)]
    b = [*a[:5], "new\n", *a[5:20], *a[22:], "end\n"]
    b[30] = "changed\n"
    assert opcodes(a, b) == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    expected = difflib.unified_diff(a, b, fromfile="a/f.yml", tofile="b/f.yml")
    assert list(unified_diff(a, b, "a/f.yml", "b/f.yml")) == list(expected)
    assert list(unified_diff(a, a, "a/f.yml", "b/f.yml")) == []


def test_a_diff_of_lines_every_service_repeats_is_linear() -> None:
    services = 20_000
    a = [line for i in range(services) for line in (f"  s{i}:\n", "    image: nginx:1.27.1\n")]
    b = [line for i in range(services) for line in (f"  s{i}:\n", "    image: nginx:1.27.1\n", "    pids_limit: 100\n")]
    start = time.process_time()
    codes = opcodes(a, b)
    seconds = time.process_time() - start
    assert applied(a, b, codes) == b
    assert sum(1 for code in codes if code[0] == "insert") == services
    # linear: a few tenths of a second; difflib's SequenceMatcher takes minutes on these lines
    assert seconds < 2.0


@given(st.data())
def test_a_findings_own_replacement_is_the_one_its_whole_file_gives(data: st.DataObject) -> None:
    drawn = data.draw(st.lists(st.sampled_from(["a\n", "  b: 1\n", "  c\n", "\n"]), min_size=1, max_size=12))
    before = "".join(drawn)
    if data.draw(st.booleans()):
        before = before[:-1]  # no newline at the end
    lines = before.splitlines(keepends=True)
    hunks: list[Hunk] = []
    at = 0
    while at <= len(lines):
        start = data.draw(st.integers(at, len(lines)))
        stop = data.draw(st.integers(start, min(len(lines), start + 2)))
        new = tuple(data.draw(st.lists(st.sampled_from(["  b: 1\n", "  d: 2\n", "a\n", "\n"]), max_size=3)))
        if stop == start and not new:
            break
        hunks.append(Hunk(start, stop, new))
        at = stop + 1
    if not hunks:
        return
    after: list[str] = []
    at = 0
    for hunk in hunks:
        after.extend(lines[at : hunk.start])
        after.extend(hunk.lines)
        at = hunk.stop
    after.extend(lines[at:])
    text = read_text(before)
    assert _own_edit("f.yml", text, hunks) == text_edit("f.yml", before, "".join(after))
