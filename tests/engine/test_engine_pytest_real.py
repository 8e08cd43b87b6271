"""examples/pytest on real servers (tests/engine/stacks/pytest-real, scripts/servers-image): under
`composegen render --profile pytest` the stack comes up healthy with `up --wait`, the backend runs
its generated suite of 2,000 tests against PostgreSQL (pgbench's tables loaded by an init script),
Redis (a dataset the suite loads), MariaDB (rows loaded by an init script) and the auth service,
and no container is OOM-killed or restarted. Each service's limit ÷ peak is printed (`-s`); the
full size, and the band it must lie in, is bench/servers.py's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.real_servers import TwinSize, composegen, engine_version, peaks_table, run_twin, twin_folder
from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

SERVICES = ["auth", "backend", "mariadb", "postgres", "redis"]


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    yield from nothing_left(engine, "composegen-servers-", "the twin stack")


def test_the_pytest_stack_on_real_servers(engine: Any, servers_images: dict[str, str], tmp_path: Path) -> None:
    size = TwinSize()
    root = twin_folder(tmp_path, size)
    rendered = composegen(
        "render", "--profile", "pytest", "--docker-version", engine_version(engine), "-o", "overlay.yml", cwd=root
    )
    assert rendered.returncode == 0, rendered.stderr

    run = run_twin(engine, root, size, root / "overlay.yml", log=print)
    print(peaks_table(run.peaks))

    assert run.up_ok, run.up_output
    assert run.suite_exit == 0, run.suite_output[-3000:]
    assert re.search(rf"\b{size.tests} passed\b", run.suite_output), run.suite_output[-500:]
    assert [p.service for p in run.peaks] == SERVICES
    for p in run.peaks:
        assert p.oom_kills == 0 and p.restarts == 0, p
        assert p.status in ("running (healthy)", "running"), p
        assert 0 < p.peak < p.limit, p  # measured, and under the limit composegen wrote
