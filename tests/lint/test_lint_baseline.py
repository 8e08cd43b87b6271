"""`composegen lint --baseline FILE` / `--write-baseline FILE` (issue 16): today's findings recorded
by fingerprint, which survives lines moving; only new findings count; baselined and
directive-suppressed findings show in json as suppressed, with their reason; a bad baseline is
one line and exit 2; the baseline never holds a secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.lint.finding import Finding, Severity

SECRET = "Hunter2-baseline-9f"
BEFORE = f"""\
services:
  db:
    image: postgres:16.4
    ports: ["5432:5432"]
    environment:
      POSTGRES_PASSWORD: {SECRET}
  web:
    image: nginx:1.27.1
    privileged: true  # composegen: disable-line=CG501 -- the agent needs it
"""
#: the same problems, every line moved (a comment, a blank line, services swapped)
MOVED = f"""\
# the stack of the shop
services:

  web:
    image: nginx:1.27.1
    privileged: true  # composegen: disable-line=CG501 -- the agent needs it
  db:
    image: postgres:16.4
    ports: ["5432:5432"]
    environment:
      POSTGRES_PASSWORD: {SECRET}
"""
SELECT = ("--select", "CG501,CG507,CG508")


def cg(*args: str, cwd: Path, fast: bool = True) -> subprocess.CompletedProcess[str]:
    """The console script's own path (fast argv parsing), or typer's (`composegen.cli.app`)."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    code = (
        "import sys; from composegen.cli import main; main()"
        if fast
        else "import sys; from composegen.cli.app import app; app(prog_name='composegen')"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "lint", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "typer"])
def test_only_new_findings_fail_after_lines_move(tmp_path: Path, fast: bool) -> None:
    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    wrote = cg("--write-baseline", "lint-baseline.json", *SELECT, "docker-compose.yml", cwd=tmp_path, fast=fast)
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stderr == "composegen: recorded 2 findings in the baseline lint-baseline.json\n"
    recorded = (tmp_path / "lint-baseline.json").read_text()
    assert SECRET not in recorded
    assert [e["code"] for e in json.loads(recorded)["findings"]] == ["CG507", "CG508"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    (tmp_path / "docker-compose.yml").write_text(MOVED)
    clean = cg("--baseline", "lint-baseline.json", *SELECT, "--format", "json", "docker-compose.yml", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    found = json.loads(clean.stdout)
    assert [(f["code"], f["line"], f["suppressed"]) for f in found] == [
        ("CG501", 6, {"kind": "inSource", "reason": "the agent needs it"}),
        ("CG507", 9, {"kind": "external", "reason": "in the baseline lint-baseline.json"}),
        ("CG508", 11, {"kind": "external", "reason": "in the baseline lint-baseline.json"}),
    ]

    (tmp_path / "docker-compose.yml").write_text(MOVED + '  cache:\n    image: redis:7.4\n    ports: ["6379:6379"]\n')
    new = cg("--baseline", "lint-baseline.json", *SELECT, "docker-compose.yml", cwd=tmp_path, fast=fast)
    assert new.returncode == 0  # a warning: below --fail-on error
    assert "service 'cache' publishes port 6379" in new.stdout
    assert "1 problem (1 warning) in 1 file; 2 known problems in the baseline" in new.stdout
    strict = cg("--baseline", "lint-baseline.json", *SELECT, "--strict", "docker-compose.yml", cwd=tmp_path)
    assert strict.returncode == 1
    without = cg(*SELECT, "--strict", "--format", "json", "docker-compose.yml", cwd=tmp_path)
    assert without.returncode == 1 and len(json.loads(without.stdout)) == 4


def test_a_changed_value_is_a_new_finding(tmp_path: Path) -> None:
    """The fingerprint holds a hash of the value: a new password or port is a new finding."""
    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    assert cg("--write-baseline", "b.json", *SELECT, "docker-compose.yml", cwd=tmp_path).returncode == 0
    changed = BEFORE.replace(SECRET, "another-secret-1").replace('"5432:5432"', '"15432:5432"')
    (tmp_path / "docker-compose.yml").write_text(changed)
    run = cg("--baseline", "b.json", *SELECT, "--format", "json", "docker-compose.yml", cwd=tmp_path)
    assert sorted(f["code"] for f in json.loads(run.stdout) if "suppressed" not in f) == ["CG507", "CG508"]


def test_the_fingerprint_never_holds_the_value() -> None:
    finding = Finding("c.yml", 3, 5, "CG508", "secret-in-environment", Severity.warning, "m", "db", None, ("a",), "d")
    moved = finding._replace(line=30, column=9, message="other words")
    assert finding.fingerprint() == moved.fingerprint()
    assert finding.fingerprint() != finding._replace(digest="e").fingerprint()
    assert finding.fingerprint() != finding.fingerprint("other.yml")


BAD_BASELINES = {
    "not json": ("{", "bad.json:1: the baseline is not valid JSON"),
    "another format": ('{"format": "sarif", "findings": []}', "not a composegen lint baseline"),
    "no fingerprint": (
        '{"format": "composegen-lint-baseline", "version": 1, "findings": [{"count": 1}]}',
        "a baseline entry without a fingerprint or count",
    ),
    "a bad count": (
        '{"format": "composegen-lint-baseline", "version": 1, "findings": [{"fingerprint": "x", "count": 0}]}',
        "a baseline entry without a fingerprint or count",
    ),
    "not text": (b"\xff\xfe\x00", "cannot read the baseline"),
}


@pytest.mark.parametrize("case", sorted(BAD_BASELINES))
def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    content, says = BAD_BASELINES[case]
    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    target = tmp_path / "bad.json"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    run = cg("--baseline", "bad.json", "docker-compose.yml", cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and says in run.stderr and "Traceback" not in run.stderr
    assert "--write-baseline" in run.stderr


def test_a_missing_baseline_or_a_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    (tmp_path / "folder").mkdir()
    for name, says in (("missing.json", "missing.json: no such baseline file"), ("folder", "folder: cannot read")):
        run = cg("--baseline", name, "docker-compose.yml", cwd=tmp_path)
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and says in run.stderr, run.stderr


def test_write_baseline_never_overwrites_another_file(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    run = cg("--write-baseline", "docker-compose.yml", "docker-compose.yml", cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1
    assert "exists and is not a composegen lint baseline, so it is not overwritten" in run.stderr
    assert (tmp_path / "docker-compose.yml").read_text() == BEFORE
    folder = cg("--write-baseline", "no/such/folder/b.json", "docker-compose.yml", cwd=tmp_path)
    assert folder.returncode == 2 and folder.stderr.count("\n") == 1 and "Traceback" not in folder.stderr
    again = cg("--write-baseline", "b.json", "docker-compose.yml", cwd=tmp_path)
    assert again.returncode == 0
    assert cg("--write-baseline", "b.json", "docker-compose.yml", cwd=tmp_path).returncode == 0  # a baseline: rewritten


def test_sarif_of_a_real_run_is_valid_with_fixes_fingerprints_and_suppressions(tmp_path: Path) -> None:
    from tests.report.test_reporters import assert_valid_sarif

    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    assert cg("--write-baseline", "b.json", "--select", "CG507", "docker-compose.yml", cwd=tmp_path).returncode == 0
    (tmp_path / "docker-compose.yml").write_text(
        MOVED + '    healthcheck: {test: ["CMD", "curl", "-s", "http://localhost/"]}\n'
    )
    args = ("--baseline", "b.json", "--format", "sarif", *SELECT, "--select", "CG206", "docker-compose.yml")
    run = cg(*args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    log = assert_valid_sarif(run.stdout)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert set(results) == {"CG206", "CG501", "CG507", "CG508"}
    assert results["CG507"]["suppressions"][0]["kind"] == "external"
    assert results["CG501"]["suppressions"] == [{"kind": "inSource", "justification": "the agent needs it"}]
    assert "suppressions" not in results["CG508"] and "fixes" not in results["CG508"]
    [replacement] = results["CG206"]["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement["insertedContent"] == {"text": "f"}
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["CG508"]["properties"]["security-severity"] == "7.5"
    assert rules["CG508"]["helpUri"].endswith("docs/rules.md#cg508-secret-in-environment")
    assert "security-severity" not in rules["CG206"]["properties"]
    assert SECRET not in run.stdout


@pytest.mark.parametrize(
    ("extra", "hashed"),
    [
        ({}, False),
        ({"format": "json"}, False),
        ({"format": "sarif"}, True),
        ({"write_baseline": Path("b.json")}, True),
    ],
    ids=["text", "json", "sarif", "write-baseline"],
)
def test_values_are_hashed_only_where_fingerprints_are_read(
    tmp_path: Path, extra: dict[str, Any], hashed: bool
) -> None:
    """Hashing each finding's value costs a large stack a tenth of its lint run (issue 12): only a
    baseline and SARIF read fingerprints, so only they pay for the digests (SARIF on one stack
    once it knows which results it writes: `LintRun.digest`)."""
    from composegen.lint.run import LintOptions, lint

    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    options = LintOptions(cwd=tmp_path, files=(tmp_path / "docker-compose.yml",), environ={}, **extra)
    run = lint(options)
    assert run.findings
    assert (run.digest is not None) is (extra.get("format") == "sarif")
    digest = run.digest or (lambda f: f.digest)
    assert all(bool(digest(f)) is hashed for f in run.findings)


def test_a_baseline_read_hashes_the_values(tmp_path: Path) -> None:
    from composegen.lint.run import LintOptions, lint

    (tmp_path / "docker-compose.yml").write_text(BEFORE)
    assert cg("--write-baseline", "b.json", *SELECT, "docker-compose.yml", cwd=tmp_path).returncode == 0
    files = (tmp_path / "docker-compose.yml",)
    run = lint(LintOptions(cwd=tmp_path, files=files, environ={}, baseline=tmp_path / "b.json"))
    known = [f for f in run.suppressed if f.suppression is not None and f.suppression.kind == "external"]
    assert len(known) == 2 and all(f.digest for f in known)
