"""The fixes the healthcheck rules attach: the right Edit(file, path, action, value), none when unsure.

The --fix engine is built elsewhere; here each edit is also applied with the round-trip editor and
the file linted again, to show that the edit removes the finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from composegen.lint.context import Mode
from composegen.lint.engine import run_rule
from composegen.lint.finding import Edit, Finding
from composegen.lint.load import build_context
from composegen.lint.rules import by_code_or_name
from composegen.profiles.loader import load_project
from composegen.yamlio import dump_roundtrip, load_roundtrip

PATH = ("services", "api", "healthcheck", "start_period")


def lint(folder: Path, files: dict[str, str], *, mode: Mode = "file", composegen: str | None = None) -> list[Finding]:
    for name, text in files.items():
        (folder / name).write_text(text)
    project = None
    if composegen is not None:
        (folder / "composegen.yaml").write_text(composegen)
        project = load_project(folder / "composegen.yaml", folder)
    rule = by_code_or_name("CG202")
    assert rule is not None
    ctx = build_context([folder / n for n in files], mode=mode, project=project, env={}, project_dir=folder)
    return run_rule(ctx, rule)


def apply(edit: Edit) -> None:
    assert edit.action == "set"
    path = Path(edit.file)
    data: Any = load_roundtrip(path.read_text(), edit.file)
    node = data
    for key in edit.path[:-1]:
        node = node.setdefault(key, {})
    node[edit.path[-1]] = edit.value
    path.write_text(dump_roundtrip(data))


BASE = (
    "services:\n"
    "  api:\n"
    "    image: ghcr.io/acme/api:2.1.0\n"
    "    healthcheck:\n"
    "      test: [CMD, curl, -fsS, 'http://localhost:8000/health']\n"
    "      start_interval: 2s\n"
)


def test_start_period_defaults_to_30s(tmp_path: Path) -> None:
    [finding] = lint(tmp_path, {"docker-compose.yml": BASE})
    assert finding.fix is not None
    assert finding.fix.edits == (Edit(str(tmp_path / "docker-compose.yml"), PATH, "set", "30s"),)
    apply(finding.fix.edits[0])
    assert lint(tmp_path, {"docker-compose.yml": (tmp_path / "docker-compose.yml").read_text()}) == []


def test_start_period_is_the_declared_startup(tmp_path: Path) -> None:
    [finding] = lint(tmp_path, {"docker-compose.yml": BASE}, composegen="services:\n  api: {startup: 2m}\n")
    assert finding.fix is not None
    assert finding.fix.edits == (Edit(str(tmp_path / "docker-compose.yml"), PATH, "set", "2m"),)


def test_an_assumed_startup_is_not_used(tmp_path: Path) -> None:
    # ClickHouse's startup is composegen's assumption (15 s): the fix keeps the neutral 30 s
    text = BASE.replace("ghcr.io/acme/api:2.1.0", "clickhouse/clickhouse-server:24.8")
    [finding] = lint(tmp_path, {"docker-compose.yml": text})
    assert finding.fix is not None
    assert finding.fix.edits[0].value == "30s"


def test_a_measured_startup_is_used(tmp_path: Path) -> None:
    # postgres' startup is measured on the real server (bench/servers: 8 s planned)
    text = BASE.replace("ghcr.io/acme/api:2.1.0", "postgres:16.4")
    [finding] = lint(tmp_path, {"docker-compose.yml": text})
    assert finding.fix is not None
    assert finding.fix.edits[0].value == "8s"


def test_a_zero_start_period_is_replaced(tmp_path: Path) -> None:
    text = BASE + "      start_period: 0s\n"
    [finding] = lint(tmp_path, {"docker-compose.yml": text})
    assert finding.fix is not None
    assert finding.fix.edits == (Edit(str(tmp_path / "docker-compose.yml"), PATH, "set", "30s"),)
    apply(finding.fix.edits[0])
    assert "start_period: 30s" in (tmp_path / "docker-compose.yml").read_text()


def test_the_fix_goes_to_the_overlay_that_set_start_interval(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  api:\n    image: ghcr.io/acme/api:2.1.0\n    healthcheck: {test: 'true'}\n",
        "docker-compose.fast.yml": "services:\n  api:\n    healthcheck: {start_interval: 1s}\n",
    }
    [finding] = lint(tmp_path, files, mode="stack")
    assert finding.fix is not None
    assert finding.fix.edits == (Edit(str(tmp_path / "docker-compose.fast.yml"), PATH, "set", "30s"),)


def test_no_fix_through_an_anchor(tmp_path: Path) -> None:
    text = (
        "x-health: &health\n"
        "  test: ['CMD', 'true']\n"
        "  start_interval: 2s\n"
        "services:\n"
        "  api: {image: 'ghcr.io/acme/api:2.1.0', healthcheck: *health}\n"
        "  web:\n"
        "    image: ghcr.io/acme/web:2.1.0\n"
        "    healthcheck:\n"
        "      <<: *health\n"
        "      interval: 5s\n"
    )
    findings = lint(tmp_path, {"docker-compose.yml": text})
    assert [(f.service, f.fix) for f in findings] == [("api", None), ("web", None)]
