"""Fixes planned on the text (composegen.lint.fix_text) give the very text the round trip gives,
and leave to the round trip what they cannot be sure of."""

from __future__ import annotations

from pathlib import Path

import pytest

import composegen.lint.fix as fix_module
import composegen.lint.fix_text as fix_text
from composegen.lint.finding import Finding
from composegen.lint.fix import FixPlan, plan
from composegen.lint.fix_text import plan_text
from composegen.lint.line_diff import inserted_blocks, matching_blocks
from composegen.lint.run import LintOptions, lint

MANY = "services:\n" + "".join(f"  s{i}:\n    image: nginx:1.27.1\n" for i in range(30))

#: (name, file): each fix of these is an append the text planner makes itself.
ON_TEXT = [
    ("many services", MANY),
    (
        "merge keys",
        "x-base: &base\n  image: nginx:1.27.1\n  restart: always\nservices:\n"
        + "".join(f"  s{i}:\n    <<: *base\n" for i in range(5)),
    ),
    (
        "existing lists, indented and not",
        "services:\n  a:\n    image: nginx:1.27.1\n    security_opt:\n      - label:disable  # keep\n"
        "  b:\n    image: nginx:1.27.1\n    security_opt:\n    - label:disable\n    - 'label:x'\n"
        "    ports: ['80:80']\n",
    ),
    (
        "comments and blank lines between services",
        "# the stack\nservices:\n  web:\n    image: nginx:1.27.1  # the proxy\n    environment:\n      A: b\n"
        "      # about A\n\n  # the database\n  db:\n    image: postgres:16.4\n\n\n# the end\nvolumes:\n  v: {}\n",
    ),
    ("no newline at the end", "services:\n  web:\n    image: nginx:1.27.1"),
    (
        "a long value the round trip cannot fold",
        "services:\n  web:\n    image: nginx:1.27.1\n    command: '" + "x" * 5000 + "'\n",
    ),
    (
        "a merge of several anchors",
        "x-a: &a {l1: v}\nx-b: &b {l2: v}\nservices:\n  web:\n    image: nginx:1.27.1\n    labels:\n"
        "      <<: [*a, *b]\n",
    ),
]

#: (name, file): left to the round trip (the text planner cannot say what it would write).
ROUND_TRIP = [
    ("a flow mapping", "services: {a: {image: nginx:1.27.1}}\n"),
    ("four spaces a level", "services:\n    web:\n        image: nginx:1.27.1\n"),
    ("a tab before a comment", "services:\n  web:\n    image: nginx:1.27.1\n    tty: true\t# on\n"),
    (
        "a block scalar with a comment below",
        "services:\n  web:\n    image: nginx:1.27.1\n    command: |\n      run\n\n    # c\n",
    ),
    ("a flow mapping on two lines", "services:\n  web:\n    image: nginx:1.27.1\n    labels: {a: b,\n      c: d}\n"),
    ("a flow list", "services:\n  web:\n    image: nginx:1.27.1\n    security_opt: [label:disable]\n"),
    (
        # the newline the text planner gives the last line would end the block scalar's value
        # with one: only the read-back (`fix_text._holds`) sees it (found by the generated files)
        "a block scalar at the end with no newline",
        "services:\n  web:\n    image: nginx:1.27.1\n    security_opt:\n      - label:disable\n"
        "    command: |\n      run",
    ),
    (
        # the `#` line is text inside the quote, not a comment: lines put after `"run` would be too
        "a quote open across lines, a # line below it indented less",
        'services:\n  web:\n    image: nginx:1.27.1\n    command: "run\n  # x"\n',
    ),
    (
        "a single quote open across lines, a # line below it indented less",
        "services:\n  web:\n    image: nginx:1.27.1\n    command: 'run\n  # x'\n  db:\n    image: nginx:1.27.1\n",
    ),
    (
        # a no-break space is text to YAML (the value reads "run \xa0"), blank to `str.strip`
        "a line of a no-break space below a value",
        "services:\n  web:\n    image: nginx:1.27.1\n    command: run\n      \xa0\n",
    ),
    (
        "a set, not an append",
        "services:\n  web:\n    image: nginx:1.27.1\n    healthcheck:\n      test: curl http://x/\n",
    ),
]


def _plans(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[FixPlan, FixPlan, bool]:
    (tmp_path / "docker-compose.yml").write_text(text)
    findings = lint(LintOptions(cwd=tmp_path, files=(Path("docker-compose.yml"),))).findings
    fixes = {f.fix: f for f in findings if f.fix is not None}
    assert fixes, "the case has fixes to plan"
    on_text = plan_text(text, str(tmp_path / "docker-compose.yml"), [(fix, [f]) for fix, f in fixes.items()])
    fast = plan(findings, tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(fix_module, "plan_text", lambda *args: None)
        slow = plan(findings, tmp_path)
    return fast, slow, on_text is not None


def _same(fast: FixPlan, slow: FixPlan) -> None:
    assert [(c.before, c.after, c.fixes) for c in fast.changes] == [(c.before, c.after, c.fixes) for c in slow.changes]
    assert (fast.applied, fast.skipped) == (slow.applied, slow.skipped)
    assert fast.diff() == slow.diff()  # the text planner's read off its insertions, the round trip's diffed


@pytest.mark.parametrize(("name", "text"), ON_TEXT, ids=[name for name, _ in ON_TEXT])
def test_appends_on_the_text_as_the_round_trip_writes_them(
    name: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow, on_text = _plans(tmp_path, text, monkeypatch)
    assert on_text, f"{name}: planned on the text"
    assert fast.changes, "a change is planned"
    _same(fast, slow)


@pytest.mark.parametrize(("name", "text"), ROUND_TRIP, ids=[name for name, _ in ROUND_TRIP])
def test_what_the_text_planner_cannot_say_is_left_to_the_round_trip(
    name: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow, on_text = _plans(tmp_path, text, monkeypatch)
    assert not on_text, f"{name}: left to the round trip"
    _same(fast, slow)


def test_many_services_are_fixed_without_a_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The round trip reads a megabyte in seconds: the common fix (`security_opt` on each service)
    must not need it."""
    (tmp_path / "docker-compose.yml").write_text(MANY)
    findings = lint(LintOptions(cwd=tmp_path, files=(Path("docker-compose.yml"),))).findings

    def refuse(*args: object) -> None:
        raise AssertionError("round trip")

    monkeypatch.setattr(fix_module, "load_roundtrip", refuse)
    fixed = plan(findings, tmp_path)
    assert fixed.applied == 30
    assert fixed.changes[0].after.count("      - no-new-privileges:true\n") == 30
    # its diff is read off the insertions, not searched for
    change = fixed.changes[0]
    before, after = change.before.splitlines(keepends=True), change.after.splitlines(keepends=True)
    assert change.inserted is not None and len(change.inserted) == 30
    assert inserted_blocks(before, after, change.inserted) == matching_blocks(before, after)


#: (name, file, whether the planned file is read back): the read-back (`fix_text._holds`) runs only
#: where the line before the added lines does not show that every value on it ends there.
READ_BACK = [
    ("plain values", MANY, False),
    ("merge keys", "x-base: &base\n  image: nginx:1.27.1\nservices:\n  a:\n    <<: *base\n", False),
    ("a quoted value, closed", "services:\n  a:\n    image: nginx:1.27.1\n    command: 'it''s'  # x\n", False),
    ("an item quoted", "services:\n  a:\n    image: nginx:1.27.1\n    security_opt:\n      - 'label:disable'\n", False),
    ("no newline at the end", "services:\n  web:\n    image: nginx:1.27.1", True),
    ("a quote open", 'services:\n  a:\n    image: nginx:1.27.1\n    command: "run\n      # x"\n', True),
    ("a flow list", "services:\n  a:\n    image: nginx:1.27.1\n    cap_drop: [ALL]\n", True),
    ("a plain value with a quote in it", "services:\n  a:\n    image: nginx:1.27.1\n    command: don't\n", True),
]


@pytest.mark.parametrize(("name", "text", "read_back"), READ_BACK, ids=[name for name, _, _ in READ_BACK])
def test_the_planned_file_is_read_back_where_a_value_may_go_on(
    name: str, text: str, read_back: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "docker-compose.yml").write_text(text)
    findings = lint(LintOptions(cwd=tmp_path, files=(Path("docker-compose.yml"),))).findings
    entries = [(f.fix, [f]) for f in findings if f.fix is not None]
    calls: list[str] = []
    holds = fix_text._holds
    monkeypatch.setattr(fix_text, "_holds", lambda after, *args: calls.append(after) or holds(after, *args))
    planned = plan_text(text, str(tmp_path / "docker-compose.yml"), entries)
    assert planned is not None, f"{name}: planned on the text"
    assert bool(calls) == read_back, name


CORPUS2 = sorted((Path(__file__).parent / "corpus2").glob("*.yml"))


def test_the_real_files_get_the_round_trips_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file of tests/lint/corpus2 whose fixes the text planner makes: the same plan as the
    round trip's, and most of them are planned on the text."""
    on_text = 0
    for source in CORPUS2:
        folder = tmp_path / source.stem
        folder.mkdir()
        text = source.read_text(encoding="utf-8")
        findings = [f for f in _findings(folder, text) if f.fix is not None]
        fixes = {f.fix: f for f in findings if f.fix is not None}
        if (
            not fixes
            or plan_text(text, str(folder / "docker-compose.yml"), [(x, [f]) for x, f in fixes.items()]) is None
        ):
            continue
        on_text += 1
        fast = plan(findings, folder)
        with monkeypatch.context() as patched:
            patched.setattr(fix_module, "plan_text", lambda *args: None)
            slow = plan(findings, folder)
        _same(fast, slow)
    assert on_text >= len(CORPUS2) // 2


def _findings(folder: Path, text: str) -> list[Finding]:
    (folder / "docker-compose.yml").write_text(text, encoding="utf-8")
    return lint(LintOptions(cwd=folder, files=(Path("docker-compose.yml"),), environ={})).findings


def test_a_long_line_is_fixed_on_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The round trip folds a line past its width and then refuses the fix (it would rewrite lines
    the fix did not change), after seconds of work on a large file; the text planner appends the
    item and checks that the file reads as before plus that item."""
    command = "x " * 2100
    text = "services:\n  web:\n    image: nginx:1.27.1\n    command: " + command + "\n"
    fast, slow, on_text = _plans(tmp_path, text, monkeypatch)
    assert on_text
    assert not slow.changes and slow.skipped, "the round trip refuses it"
    assert [c.after for c in fast.changes] == [text + "    security_opt:\n      - no-new-privileges:true\n"]
    assert fast.skipped == ()


def test_lints_reading_of_the_file_is_planned_from_and_plans_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plan(documents=...)` (the files as lint parsed them) gives the plan that reading the file
    again gives, parsing only the fixed text (to check it): lint leaves its documents as read."""
    import composegen.lint.fix_text as fix_text_module
    from composegen.yamlio import parse_document

    cases = [(name, text) for name, text in ON_TEXT + ROUND_TRIP]
    cases += [(source.stem, source.read_text(encoding="utf-8")) for source in CORPUS2]
    parsed: list[str] = []

    def counted(text: str, path: str) -> object:
        parsed.append(path)
        return parse_document(text, path)

    monkeypatch.setattr(fix_text_module, "parse_document", counted)
    for number, (name, text) in enumerate(cases):
        folder = tmp_path / str(number)
        folder.mkdir()
        (folder / "docker-compose.yml").write_text(text, encoding="utf-8")
        options = LintOptions(cwd=folder, files=(Path("docker-compose.yml"),), environ={})
        assert lint(options).documents == [], "kept only where fixes are planned"
        run = lint(options._replace(diff=True))
        assert run.documents
        for doc in run.documents:
            assert doc.text is not None
            assert doc.data == parse_document(doc.text, doc.path).data, f"{name}: lint changed what it read"
        parsed.clear()
        fresh = plan(run.findings, folder)
        on_text = len(parsed) == 2  # read, then the result checked
        parsed.clear()
        reused = plan(run.findings, folder, documents=run.documents)
        assert len(parsed) == (1 if on_text else 0), name
        _same(reused, fresh)
        assert [c.document for c in reused.changes if on_text] == [run.documents[0] for c in fresh.changes if on_text]
