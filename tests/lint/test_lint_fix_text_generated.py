"""The text planner (composegen.lint.fix_text) against the round trip on generated files: where it
plans a file's fixes itself, the very plan the round trip gives. The hand-written cases of
test_lint_fix_text.py pin one shape each; these mix them (comments, blank lines, lists indented
either way, flow collections, block scalars, anchors and `<<:` merges, quotes open across lines)
in files of a few services: the ground the planner stands on where it does not read its file back
(`fix_text._ends_before`). With the read-back skipped everywhere, it finds two distinct failures in
seconds (a quote open across lines, a block scalar given a newline at the end). Where the round
trip cannot carry its lines back at all, the text planner's file must hold the fixes' data exactly."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import composegen.lint.fix as fix_module
from composegen.lint.finding import Finding, Fix
from composegen.lint.fix import apply_edit, plan
from composegen.lint.fix_text import plan_text
from composegen.lint.run import LintOptions, lint
from composegen.yamlio import read_data

#: Examples a run: set COMPOSEGEN_FIX_TEXT_EXAMPLES higher for a longer search (20,000 ran once:
#: docs/benchmarks.md).
EXAMPLES = int(os.environ.get("COMPOSEGEN_FIX_TEXT_EXAMPLES", "100"))

#: A service's keys, as a user may write them (4 spaces in, the round trip's two a level, or not),
#: with values that go on below their line: quotes open across lines (and a `#` line inside them,
#: indented less than the key), plain text on two lines, block scalars of every chomping, a line
#: of a no-break space (text to YAML, blank to `str.strip`).
FIELDS = {
    "image": ["    image: nginx:1.27.1\n", "    image: nginx:1.27.1  # the proxy\n"],
    "restart": ["    restart: always\n", "    restart: 'always'\n"],
    "security_opt": [
        "    security_opt:\n      - label:disable\n",
        "    security_opt:\n    - label:disable\n",
        "    security_opt: [label:disable]\n",
        "    security_opt:\n      - label:disable  # keep\n",
        "    security_opt:\n      - 'label:disable'\n      # the rest\n",
        '    security_opt:\n      - "label:\n        # disable"\n',
        "    security_opt:\n      - label:disable\n        more\n",
    ],
    "environment": [
        "    environment:\n      A: b\n",
        "    environment:\n      A: b\n      # about A\n",
        "    environment:\n      A: 'b\n        # c'\n",
        "    environment:\n      A: b\n        \xa0c\n",
    ],
    "command": [
        "    command: |\n      run\n",
        "    command: run --flag\n",
        "    command: [run, --flag]\n",
        '    command: "run\n      # x"\n',
        '    command: "run\n  # x"\n',
        "    command: 'run\n      more'\n",
        "    command: run\n      --flag\n",
        "    command: |+\n      run\n\n",
        "    command: >-\n      run\n",
        '    command: "a \\" b"\n',
        "    command: 'it''s'  # it's\n",
        "    command: sh -c 'x\n      y'\n",
    ],
    "labels": ["    labels: {a: b}\n", "    labels:\n      a: b\n", "    labels: &l\n      a: b\n      # c\n    # d\n"],
    "healthcheck": ["    healthcheck:\n      test: curl http://x/\n"],
    "read_only": ["    read_only: true\n"],
    "cap_drop": ["    cap_drop:\n      - ALL\n", "    cap_drop: [ALL]\n", '    cap_drop: ["ALL",\n      "NET_RAW"]\n'],
    "ports": ["    ports:\n      - '80:80'\n", "    ports: ['80:80']\n"],
    "working_dir": ["    working_dir: /app\n", "    working_dir: /app\n      \xa0\n"],
}
BASE = "x-base: &base\n  image: nginx:1.27.1\n  restart: always\n"
BETWEEN = ["", "\n", "    # a note\n", "  # the next service\n", "        # deeper\n", "\n\n"]


@st.composite
def compose_files(draw: st.DrawFn) -> str:
    anchored = draw(st.booleans())
    text = draw(st.sampled_from(["", "# the stack\n", "---\n"])) + (BASE if anchored else "") + "services:\n"
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        text += f"  s{index}:\n"
        keys = draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=5))
        merged = anchored and draw(st.booleans())
        if not merged and "image" not in keys:
            keys.insert(0, "image")
        lines = ["    <<: *base\n"] if merged else []
        lines += [draw(st.sampled_from(FIELDS[key])) for key in keys]
        text += "".join(draw(st.permutations(lines))) + draw(st.sampled_from(BETWEEN))
    text += draw(st.sampled_from(["", "volumes:\n  v: {}\n", "# the end\n", "...\n"]))
    if draw(st.booleans()):
        text = text.rstrip("\n")
    return text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(compose_files())
def test_the_text_planner_plans_what_the_round_trip_plans(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder_name, pytest.MonkeyPatch.context() as patched:
        folder = Path(folder_name)
        (folder / "docker-compose.yml").write_text(text, encoding="utf-8")
        findings = lint(LintOptions(cwd=folder, files=(Path("docker-compose.yml"),), environ={})).findings
        fixes = {f.fix: f for f in findings if f.fix is not None}
        on_text = bool(fixes) and plan_text(text, str(folder / "docker-compose.yml"), list(_entries(fixes))) is not None
        event(f"planned on the text: {on_text}")
        fast = plan(findings, folder)
        patched.setattr(fix_module, "plan_text", lambda *args: None)
        slow = plan(findings, folder)
    if fast.changes and not slow.changes:
        # the round trip could not carry its lines back (a quote open across lines, say): the text
        # planner's file must hold the fixes' data exactly, read by the fast reader on its own
        event("planned on the text where the round trip could not")
        expected = read_data(text, "x")
        for fix in fixes:
            for edit in fix.edits:
                apply_edit(expected, edit)
        assert [read_data(change.after, "x") for change in fast.changes] == [expected]
        return
    assert [(c.before, c.after, c.fixes) for c in fast.changes] == [(c.before, c.after, c.fixes) for c in slow.changes]
    assert (fast.applied, fast.skipped) == (slow.applied, slow.skipped)
    assert fast.diff() == slow.diff()


def _entries(fixes: dict[Fix, Finding]) -> Iterator[tuple[Fix, list[Finding]]]:
    return ((fix, [finding]) for fix, finding in fixes.items())
