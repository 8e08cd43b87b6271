"""The engine tests' fixtures and their guard, as a pytest plugin.

Loaded by tests/engine/conftest.py, and by `scripts/test` with `-p tests.engine.plugin` so that an
`engine`-marked test anywhere in the suite gets the same fixtures and the same guard.

- `engine`: a docker SDK client for the engine DOCKER_HOST names (else composegen's own engine,
  `scripts/engine up`, when its socket is there). When no engine answers, the test FAILS in CI
  (CI=true), when COMPOSEGEN_REQUIRE_ENGINE=1 (scripts/test sets it) or when running as root (who
  can start one with `scripts/engine up`; COMPOSEGEN_REQUIRE_ENGINE=0 lets root skip them too);
  it is skipped, with the way to get an engine, only for a developer without root.
- `smoke_image`: makes sure composegen-smoke:local is there (examples/smoke/make-image.sh).
- `servers_images`: makes sure the real servers' images are there (scripts/servers-image: seconds
  from its cached tarball, 3 to 4 minutes to build it the first time, as root), by role.
- The guard: under CI or COMPOSEGEN_REQUIRE_ENGINE=1, an `engine` test that was skipped, however
  it was skipped, is reported as failed, and the run fails with the list of them.
"""

from __future__ import annotations

import gc
import os
import subprocess
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
OWN_SOCKET = Path(os.environ.get("COMPOSEGEN_ENGINE_DIR", "/tmp/composegen-engine")) / "docker.sock"
SMOKE_IMAGE = "composegen-smoke:local"
#: scripts/servers-image's tags, by role: the official images' repositories, so that composegen
#: writes the servers' flags for them as it does for the official images
SERVERS_IMAGES = {
    "postgres": "postgres:15-composegen",
    "redis": "redis:7.0-composegen",
    "mariadb": "mariadb:10.11-composegen",
    "zookeeper": "zookeeper:3.8-composegen",
    "python": "python:3.11-composegen",
}
HOW = "start one with `scripts/engine up` (as root) and `export DOCKER_HOST=$(scripts/engine host)`"

_skipped_engine_tests: list[str] = []


def engine_required() -> bool:
    """Whether an engine test may not be skipped here: in CI, when COMPOSEGEN_REQUIRE_ENGINE=1,
    and for root (who can start one), unless COMPOSEGEN_REQUIRE_ENGINE=0 says otherwise."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return True
    required = os.environ.get("COMPOSEGEN_REQUIRE_ENGINE")
    if required in ("0", "1"):
        return required == "1"
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _no_engine(reason: str) -> None:
    if engine_required():
        pytest.fail(f"engine tests must run here, but {reason}: {HOW}", pytrace=False)
    pytest.skip(f"no Docker Engine ({reason}); {HOW}")


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    """A docker SDK client for a live engine (see the module docstring for fail vs skip)."""
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get("DOCKER_HOST") and OWN_SOCKET.exists():
            patch.setenv("DOCKER_HOST", f"unix://{OWN_SOCKET}")
        try:
            import docker
            import docker.errors
        except ImportError:
            docker = None
        if docker is None:
            _no_engine("the docker package is not installed (pip install -e '.[test]')")
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        problem, client = "", None
        try:
            client = docker.from_env(timeout=60)
            client.ping()
        except docker.errors.DockerException as err:
            problem = str(err).rsplit(": ", 1)[-1][:160]
        if problem:
            if client is not None:
                client.close()
            with warnings.catch_warnings():  # the SDK leaves the failed probe's socket to the collector
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
            _no_engine(f"no engine answers at {where} ({problem})")
        try:
            yield client
        finally:
            client.close()


@pytest.fixture(scope="session")
def smoke_image(engine: Any) -> str:
    """composegen-smoke:local on the engine (imported when missing or out of date)."""
    done = subprocess.run(
        [str(REPO / "examples" / "smoke" / "make-image.sh")], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"make-image.sh failed: {done.stderr.strip()}", pytrace=False)
    return SMOKE_IMAGE


@pytest.fixture(scope="session")
def servers_images(engine: Any) -> dict[str, str]:
    """The real servers' images on the engine, by role (imported, or built first, when missing)."""
    done = subprocess.run(
        [str(REPO / "scripts" / "servers-image")], capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/servers-image failed: {done.stderr.strip()[-2000:]}", pytrace=False)
    return dict(SERVERS_IMAGES)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.skipped and item.get_closest_marker("engine") is not None and engine_required():
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"engine test skipped where engine tests must run (CI / COMPOSEGEN_REQUIRE_ENGINE): {reason}"
        _skipped_engine_tests.append(item.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_engine_tests and engine_required():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _skipped_engine_tests and engine_required():
        terminalreporter.write_line(
            f"{len(_skipped_engine_tests)} engine tests were skipped where they must run: "
            + ", ".join(_skipped_engine_tests),
            red=True,
        )
