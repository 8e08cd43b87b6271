"""The wheel carries the bundled profiles, templates and schema, and renders outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import EXAMPLES, REPO


def test_wheel_ships_its_data_and_renders_from_another_folder(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("composegen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for profile in ("dev", "pytest", "prod", "ml", "agent-scale"):
        assert f"composegen/_bundled/profiles/{profile}.yaml" in names
    assert "composegen/_bundled/templates/header.txt.j2" in names
    assert "composegen/compose/compose-spec.json" in names
    assert "composegen/models/catalog.json" in names

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere" / "pytest"
    shutil.copytree(EXAMPLES / "pytest", work)
    (work / "docker-compose.pytest.yml").unlink()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    where = subprocess.run(
        [sys.executable, "-c", "import composegen; print(composegen.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(site)), where
    result = subprocess.run(
        [sys.executable, "-m", "composegen", "render", "--profile", "pytest"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "docker-compose.pytest.yml").read_text() == (
        EXAMPLES / "pytest" / "docker-compose.pytest.yml"
    ).read_text()
