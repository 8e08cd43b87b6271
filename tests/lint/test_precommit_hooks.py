"""The hooks of .pre-commit-hooks.yaml through the real `pre-commit try-repo`, on a temporary git
repository: composegen-lint fails on a bad compose file and passes a good one; composegen-render-
check fails when a rendered overlay is out of date and passes once it is rendered again.

pre-commit installs this repository (a committed copy of the working tree) into a virtualenv with
`pip install .`; that needs PyPI (or the machine's pip configuration) and nothing else. The
environment is built once per session, in a temporary PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO

GIT_ENV = {
    "GIT_AUTHOR_NAME": "composegen tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "composegen tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of this repository's working tree (pre-commit clones a git revision)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    target = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file() and not name.startswith("tests/"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", "-b", "main", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "-m", "snapshot", cwd=target)
    return target


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repo: Path, home: Path, project: Path, hook: str) -> subprocess.CompletedProcess[str]:
    git("add", "-A", cwd=project)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "PRE_COMMIT")}
    env.update(GIT_ENV)
    env["PRE_COMMIT_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(hook_repo), hook, "--all-files", "--ref", "HEAD", "--color", "never"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def new_project(root: Path) -> Path:
    root.mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    return root


def test_the_hooks_file_names_both_hooks() -> None:
    from composegen.yamlio import read_document

    hooks = read_document(REPO / ".pre-commit-hooks.yaml").data
    assert [h["id"] for h in hooks] == ["composegen-lint", "composegen-render-check"]
    pattern = re.compile(hooks[0]["files"])
    for name in (
        "compose.yaml",
        "sub/compose.prod.yml",
        "docker-compose.yml",
        "x/docker-compose.pytest.yml",
        "docker-compose-postgres.yml",
        "app.compose.yml",
        "deploy/app.compose.yaml",
    ):
        assert pattern.search(name), name
    for name in ("composegen.yaml", "profiles/dev.yaml", "compose.yml.orig", "composer.yml", "my-compose.yml"):
        assert not pattern.search(name), name


def test_composegen_lint_hook(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    (project / "deploy").mkdir()
    (project / "deploy" / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27.1\n    deploy: {resources: {limits: {memory: 64M}}}\n"
    )
    (project / "app.compose.yaml").write_text("services:\n  db:\n    image: postgres:16.4\n")
    (project / "other.yaml").write_text("not: [a compose file\n")  # not matched: never read
    passed = try_repo(hook_repo, pre_commit_home, project, "composegen-lint")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "composegen lint" in passed.stdout and "Passed" in passed.stdout

    (project / "deploy" / "compose.prod.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27.1\n    deploy: {resources: {limits: {memory: 512}}}\n"
    )
    failed = try_repo(hook_repo, pre_commit_home, project, "composegen-lint")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "deploy/compose.prod.yml" in failed.stdout and "CG109" in failed.stdout


def test_composegen_render_check_hook(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    shutil.copytree(EXAMPLES / "dev", project / "stack")
    passed = try_repo(hook_repo, pre_commit_home, project, "composegen-render-check")
    assert passed.returncode == 0, passed.stdout + passed.stderr

    base = project / "stack" / "docker-compose.yml"
    base.write_text(base.read_text().replace("postgres:16.4", "postgres:16.5"))
    failed = try_repo(hook_repo, pre_commit_home, project, "composegen-render-check")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "docker-compose.dev.yml: out of date: run `composegen render --profile dev`" in failed.stdout

    subprocess.run(
        [sys.executable, "-m", "composegen", "render", "--profile", "dev"],
        cwd=project / "stack",
        check=True,
        capture_output=True,
    )
    fixed = try_repo(hook_repo, pre_commit_home, project, "composegen-render-check")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_render_check_all_reads_the_profile_from_each_header(tmp_path: Path) -> None:
    stack = tmp_path / "repo" / "stack"
    shutil.copytree(EXAMPLES / "dev", stack)
    shutil.copy(stack / "docker-compose.dev.yml", stack / "dev-copy.yml")  # -o dev-copy.yml: stale output name
    result = cg("render", "--check-all", cwd=stack)
    assert result.returncode == 1
    assert "dev-copy.yml: out of date: run `composegen render --profile dev -o dev-copy.yml`" in result.stderr
    (stack / "dev-copy.yml").unlink()
    assert cg("render", "--check-all", cwd=stack).returncode == 0
    # from the repository root, with changed files as pre-commit passes them
    root = tmp_path / "repo"
    assert cg("render", "--check-all", "stack/docker-compose.yml", "README.md", cwd=root).returncode == 0
    overlay = stack / "docker-compose.dev.yml"
    written = re.search(r'memory: "(\d+)M"', overlay.read_text())  # a limit the overlay writes, made stale
    assert written is not None
    overlay.write_text(overlay.read_text().replace(written[0], f'memory: "{int(written[1]) + 4}M"', 1))
    stale = cg("render", "--check-all", "stack/composegen.yaml", cwd=root)
    assert stale.returncode == 1 and "out of date: run `composegen render --profile dev`" in stale.stderr
    assert cg("render", "--check-all", "README.md", cwd=root).returncode == 0  # no project: nothing to check


def test_render_check_all_says_when_it_cannot_tell_the_profile(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(EXAMPLES / "dev", stack)
    overlay = stack / "docker-compose.dev.yml"
    overlay.write_text(overlay.read_text().replace("# profile: dev ", "# profile: mine "))
    result = cg("render", "--check-all", cwd=stack)
    assert result.returncode == 1
    assert "cannot tell which profile made it (header names 'mine')" in result.stderr
    profile = (REPO / "profiles" / "dev.yaml").read_text()
    (stack / "profiles").mkdir()
    (stack / "profiles" / "mine.yaml").write_text(profile)
    assert "cannot tell" not in cg("render", "--check-all", cwd=stack).stderr


def test_render_needs_a_profile_unless_checking_all(tmp_path: Path) -> None:
    result = cg("render", cwd=tmp_path)
    assert result.returncode == 2 and "missing option --profile" in result.stderr
    result = cg("render", "--check-all", cwd=tmp_path)
    assert result.returncode == 2 and "no composegen.yaml here" in result.stderr
