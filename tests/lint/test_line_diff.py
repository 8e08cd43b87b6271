"""Line diffs in near-linear time (composegen.lint.line_diff) and each finding's own replacement
(composegen.lint.fix_parts): what difflib gives where the alignment is plain, always a diff that
turns one side into the other, and linear on the lines that repeat in every service (issue 12:
SARIF fixes of 735 services took 25 s, `lint --diff` 12 s)."""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence

from hypothesis import example, given, settings
from hypothesis import strategies as st

from composegen.lint.fix_parts import Hunk, _own_edit, read_text, text_edit
from composegen.lint.line_diff import Inserted, Opcode, inserted_blocks, matching_blocks, opcodes, unified_diff

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


#: Lines that repeat, and lines of their own (a service's name), for the insertions' tests.
SOME_LINES = st.one_of(st.sampled_from(["a\n", "b\n", "  x: 1\n", "\n"]), st.integers(0, 6).map(lambda n: f"u{n}\n"))


@st.composite
def with_insertions(draw: st.DrawFn) -> tuple[list[str], list[str], list[tuple[int, int]], list[tuple[int, int]]]:
    """Lines, the same with blocks put in, where they were put (as the text planner says it), and
    a place told wrongly (one block said one line off, or one line fewer)."""
    a = draw(st.lists(SOME_LINES, max_size=24))
    places = sorted(draw(st.sets(st.integers(0, len(a)), max_size=6)))
    blocks = [draw(st.lists(st.one_of(SOME_LINES, st.just("new\n")), min_size=1, max_size=3)) for _ in places]
    b: list[str] = []
    done = 0
    for at, block in zip(places, blocks, strict=True):
        b.extend(a[done:at])
        b.extend(block)
        done = at
    b.extend(a[done:])
    inserted = [(at, len(block)) for at, block in zip(places, blocks, strict=True)]
    wrong = list(inserted)
    if wrong:
        k = draw(st.integers(0, len(wrong) - 1))
        at, count = wrong[k]
        wrong[k] = draw(st.sampled_from([(at + 1, count), (max(at - 1, 0), count), (at, count - 1)]))
    return a, b, inserted, wrong


@settings(max_examples=400)
@given(with_insertions())
@example((["u1\n", "a\n", "u2\n"], ["u1\n", "new\n", "a\n", "u2\n", "new\n"], [(1, 1), (3, 1)], [(1, 1), (2, 1)]))
def test_a_diff_read_off_insertions_is_the_diff(
    case: tuple[list[str], list[str], list[tuple[int, int]], list[tuple[int, int]]],
) -> None:
    """`lint --diff` reads the diff of the text planner's insertions off their places: it must be
    the very diff the search gives (or none, and the search runs), also where a place is wrong."""
    a, b, inserted, wrong = case
    read_off = inserted_blocks(a, b, inserted)
    assert read_off is None or read_off == matching_blocks(a, b)
    told: Inserted
    for told in (inserted, wrong):
        assert opcodes(a, b, told) == opcodes(a, b)
        assert list(unified_diff(a, b, "a/f", "b/f", inserted=told)) == list(unified_diff(a, b, "a/f", "b/f"))


def test_insertions_between_lines_of_their_own_are_read_off() -> None:
    a = [line for i in range(2_000) for line in (f"  s{i}:\n", "    <<: *base\n")]
    new = ["    security_opt:\n", "      - no-new-privileges:true\n"]
    b = [line for i in range(2_000) for line in (f"  s{i}:\n", "    <<: *base\n", *new)]
    inserted = [(2 * i + 2, 2) for i in range(2_000)]
    assert inserted_blocks(a, b, inserted) == matching_blocks(a, b)
    # a block that could slide (the line it goes before is its first) is left to the search
    assert inserted_blocks(a, [*a[:2], "  s1:\n", *a[2:]], [(2, 1)]) is None
    # as is a line the place does not account for
    assert inserted_blocks(a, [*a[:2], "x\n", *a[2:]], [(3, 1)]) is None
