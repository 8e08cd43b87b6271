"""The text planner (composegen.lint.fix_text) against the round trip on generated files: where it
plans a file's fixes itself, the very plan the round trip gives. The hand-written cases of
test_lint_fix_text.py pin one shape each; these mix them (comments, blank lines, lists indented
either way, flow collections, block scalars, anchors and `<<:` merges) in files of a few services,
the ground a narrower read-back check (`fix_text._holds`) would have to stand on."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import composegen.lint.fix as fix_module
from composegen.lint.finding import Finding, Fix
from composegen.lint.fix import plan
from composegen.lint.fix_text import plan_text
from composegen.lint.run import LintOptions, lint

#: A service's keys, as a user may write them (4 spaces in, the round trip's two a level, or not).
FIELDS = {
    "image": ["    image: nginx:1.27.1\n", "    image: nginx:1.27.1  # the proxy\n"],
    "restart": ["    restart: always\n"],
    "security_opt": [
        "    security_opt:\n      - label:disable\n",
        "    security_opt:\n    - label:disable\n",
        "    security_opt: [label:disable]\n",
        "    security_opt:\n      - label:disable  # keep\n",
    ],
    "environment": ["    environment:\n      A: b\n", "    environment:\n      A: b\n      # about A\n"],
    "command": ["    command: |\n      run\n", "    command: run --flag\n", "    command: [run, --flag]\n"],
    "labels": ["    labels: {a: b}\n", "    labels:\n      a: b\n"],
    "healthcheck": ["    healthcheck:\n      test: curl http://x/\n"],
    "read_only": ["    read_only: true\n"],
    "cap_drop": ["    cap_drop:\n      - ALL\n", "    cap_drop: [ALL]\n"],
    "ports": ["    ports:\n      - '80:80'\n", "    ports: ['80:80']\n"],
}
BASE = "x-base: &base\n  image: nginx:1.27.1\n  restart: always\n"
BETWEEN = ["", "\n", "    # a note\n", "  # the next service\n"]


@st.composite
def compose_files(draw: st.DrawFn) -> str:
    anchored = draw(st.booleans())
    text = draw(st.sampled_from(["", "# the stack\n"])) + (BASE if anchored else "") + "services:\n"
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        text += f"  s{index}:\n"
        keys = draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=5))
        merged = anchored and draw(st.booleans())
        if not merged and "image" not in keys:
            keys.insert(0, "image")
        lines = ["    <<: *base\n"] if merged else []
        lines += [draw(st.sampled_from(FIELDS[key])) for key in keys]
        text += "".join(draw(st.permutations(lines))) + draw(st.sampled_from(BETWEEN))
    text += draw(st.sampled_from(["", "volumes:\n  v: {}\n", "# the end\n"]))
    if draw(st.booleans()):
        text = text.rstrip("\n")
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    assert [(c.before, c.after, c.fixes) for c in fast.changes] == [(c.before, c.after, c.fixes) for c in slow.changes]
    assert (fast.applied, fast.skipped) == (slow.applied, slow.skipped)
    assert fast.diff() == slow.diff()


def _entries(fixes: dict[Fix, Finding]) -> Iterator[tuple[Fix, list[Finding]]]:
    return ((fix, [finding]) for fix, finding in fixes.items())
