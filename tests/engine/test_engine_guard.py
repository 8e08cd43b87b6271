"""The guard: where engine tests must run (CI, COMPOSEGEN_REQUIRE_ENGINE=1), one that cannot run
fails the run instead of being skipped. Runs pytest on a small test file; needs no engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SAMPLE = """
import pytest

@pytest.mark.engine
def test_needs_the_engine(engine):
    pass

@pytest.mark.engine
def test_skips_itself():
    pytest.skip("not today")

def test_plain():
    pass
"""


def run_sample(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    engine: needs a running Docker Engine\n")
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "COMPOSEGEN_REQUIRE_ENGINE")}
    environ |= {"PYTHONPATH": str(REPO), "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"} | env
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.engine.plugin", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )


@pytest.mark.parametrize("env", [{"CI": "true"}, {"COMPOSEGEN_REQUIRE_ENGINE": "1"}], ids=["CI", "required"])
def test_where_engine_tests_must_run_a_missing_engine_or_a_skip_fails(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_sample(tmp_path, **env)
    out = result.stdout
    assert result.returncode == 1, out
    assert "engine tests must run here, but no engine answers at unix://" in out
    assert "engine test skipped where engine tests must run" in out and "not today" in out
    assert "1 engine tests were skipped where they must run: test_sample.py::test_skips_itself" in out
    assert "1 failed, 1 passed, 1 error" in out  # the plain test passes
    assert "During handling" not in out


def test_a_developer_without_an_engine_gets_them_skipped_with_the_reason(tmp_path: Path) -> None:
    result = run_sample(tmp_path, COMPOSEGEN_REQUIRE_ENGINE="0")
    out = result.stdout
    assert result.returncode == 0, out
    assert "1 passed, 2 skipped" in out
    assert "no Docker Engine (no engine answers at unix://" in out and "scripts/engine up" in out
