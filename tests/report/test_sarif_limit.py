"""SARIF stays within GitHub code scanning's limit of results per run (SARIF_MAX_RESULTS): the most
severe written, fixes and fingerprints for those alone, a notification saying how many were left
out, and lint's exit code from every finding."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composegen.cli.lint_output import main
from composegen.lint.finding import SARIF_MAX_RESULTS, Finding, Severity, sarif_results
from composegen.lint.run import LintOptions, lint
from composegen.report import render
from tests.conftest import CORPUS
from tests.report.test_reporters import assert_valid_sarif, report

#: Six findings a service (three warnings, three notes; one note with a fix), and last in the
#: file one error (a host port published twice): more than SARIF_MAX_RESULTS in all.
SERVICES = SARIF_MAX_RESULTS // 6 + 200
ENTRY = "  s{}:\n    image: nginx:1.27.1\n"
ERROR = "  a:\n    image: nginx:1.27.1\n    ports: ['80:80']\n  b:\n    image: nginx:1.27.1\n    ports: ['80:80']\n"


def finding(index: int, severity: Severity) -> Finding:
    return Finding("compose.yaml", index + 1, 1, "CG101", "memory-limit-missing", severity, f"finding {index}")


@given(st.lists(st.sampled_from(list(Severity)), max_size=30), st.integers(min_value=0, max_value=12))
def test_the_most_severe_are_kept_in_their_order_otherwise(severities: list[Severity], suppressed: int) -> None:
    found = [finding(i, s) for i, s in enumerate(severities)]
    hidden = found[:suppressed]
    shown = found[suppressed:]
    limit = 10
    kept, kept_hidden, left_out = sarif_results(shown, hidden, limit)
    if len(found) <= limit:
        assert (kept, kept_hidden, left_out) == (shown, hidden, 0)
        return
    ranked = sorted(shown, key=lambda f: -f.severity.rank)  # stable: file order among equals
    assert list(kept) == ranked[:limit]
    assert list(kept_hidden) == sorted(hidden, key=lambda f: -f.severity.rank)[: limit - len(kept)]
    assert len(kept) + len(kept_hidden) == limit
    assert left_out == len(found) - limit


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("large")
    text = "services:\n" + "".join(ENTRY.format(i) for i in range(SERVICES)) + ERROR
    (folder / "docker-compose.yml").write_text(text)
    return folder


def run(folder: Path, fmt: str, fail_on: Severity | None = None) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    options = LintOptions(cwd=folder, files=(folder / "docker-compose.yml",), format=fmt, environ={}, fail_on=fail_on)
    return main(options, out, err), out.getvalue()


def test_a_run_holds_at_most_the_limit_the_most_severe_first(large: Path) -> None:
    code, out = run(large, "sarif")
    json_code, every = run(large, "json")
    total = len(json.loads(every))
    assert total > SARIF_MAX_RESULTS
    sarif = json.loads(out)["runs"][0]
    results = sarif["results"]
    assert len(results) == SARIF_MAX_RESULTS
    levels = [r["level"] for r in results]
    assert levels[0] == "error"  # the last service's, though it is last in the file
    assert levels == sorted(levels, key=["error", "warning", "note"].index)
    (notification,) = sarif["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    text = notification["message"]["text"]
    assert f"{total - SARIF_MAX_RESULTS} of {total} results left out" in text
    assert "--format json" in text
    assert sarif["invocations"][0]["executionSuccessful"] is True
    # the exit code counts every finding, written or not: as json's, which lists them all
    assert code == json_code == 1
    for fail_on in Severity:
        assert run(large, "sarif", fail_on)[0] == run(large, "json", fail_on)[0]


def test_fixes_and_fingerprints_only_for_the_results_written(large: Path) -> None:
    _, out = run(large, "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert all(r["partialFingerprints"]["composegenFingerprint/v1"] for r in results)
    # each service's no-new-privileges note has a fix: those written have theirs, the rest none
    fixed = [r for r in results if "fixes" in r]
    assert fixed and {r["ruleId"] for r in fixed} == {"CG503"}
    assert len(fixed) == sum(r["ruleId"] == "CG503" for r in results) < SERVICES


@pytest.mark.parametrize(
    "name", ["docker__awesome-compose__django__compose.yml", "getsentry__self-hosted__docker-compose.yml"]
)
def test_digests_computed_later_are_those_computed_during_the_run(name: str, tmp_path: Path) -> None:
    """SARIF on one stack hashes only the findings it writes (`LintRun.digest`): the same digests
    as a run that hashes every finding (a baseline's)."""
    path = CORPUS / name
    assert path.is_file(), f"{name} is not in the shared corpus ({CORPUS})"
    options = LintOptions(cwd=CORPUS, files=(path,), format="sarif", environ={})
    later = lint(options)
    now = lint(options._replace(write_baseline=tmp_path / "baseline.json"))
    assert later.digest is not None and now.digest is None
    assert [f._replace(digest=later.digest(f)) for f in later.findings] == now.findings
    assert [f._replace(digest=later.digest(f)) for f in later.suppressed] == list(now.suppressed)
    assert any(f.digest for f in now.findings)


def test_the_notification_is_valid_sarif_after_the_errors() -> None:
    log = assert_valid_sarif(render("sarif", report(errors=["x.yml:3:1: YAML syntax error"], left_out=7)))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False  # for the unreadable file, not the results left out
    error, left_out = invocation["toolExecutionNotifications"]
    assert error["level"] == "error"
    assert left_out["level"] == "warning"
    assert left_out["message"]["text"].startswith("7 of 11 results left out: ")
