"""The text reporter shows a lint run's findings as they are where the report says they are in
`ORDER` already (`Report.in_order`): the same text as sorting them."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.lint.run import LintOptions, check
from composegen.report import text


def test_a_lint_runs_report_is_in_order_and_reads_as_sorted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # (files named below the folder composegen runs in: shown as named)
    services = "".join(f"  s{i}:\n    image: nginx:1.27.1\n    ports: ['{8000 + i % 3}:80']\n" for i in range(12))
    (tmp_path / "docker-compose.yml").write_text(f"services:\n{services}  s0:\n    image: x\n")
    outcome = check(LintOptions(files=(Path("docker-compose.yml"),), cwd=tmp_path, environ={}))
    report = outcome.report
    assert report is not None and report.in_order and len(report.findings) > 24
    assert text.render(report) == text.render(report._replace(in_order=False))
    shuffled = report._replace(findings=list(reversed(report.findings)), in_order=False)
    assert text.render(shuffled) == text.render(report)


def test_a_report_with_its_files_renamed_is_sorted_again(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n")
    outcome = check(LintOptions(files=(tmp_path / "docker-compose.yml",), cwd=tmp_path / "elsewhere", environ={}))
    assert outcome.report is not None and outcome.report.findings
    assert not outcome.report.in_order or outcome.report.findings == outcome.run.findings
