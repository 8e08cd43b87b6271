"""scripts/engine and make-image.sh against the running engine: idempotent, and quick about it."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.engine


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / args[0]), *args[1:]], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def test_up_on_a_running_engine_uses_it_and_keeps_the_image(engine: Any, smoke_image: str) -> None:
    up = script("scripts/engine", "up")
    assert up.returncode == 0, up.stderr
    assert "using the engine at" in up.stderr and "up to date" in up.stderr
    status = script("scripts/engine", "status")
    assert status.returncode == 0 and status.stdout.startswith("running at ")
    assert script("scripts/engine", "host").stdout.strip() == os.environ["DOCKER_HOST"]


def test_the_smoke_image_has_the_applets_the_stacks_use(engine: Any, smoke_image: str) -> None:
    output = engine.containers.run(
        smoke_image,
        [
            "sh",
            "-c",
            "for a in sh sleep dd head cat free wget nc httpd mkdir rm echo true test date; do "
            "command -v $a >/dev/null || echo missing $a; done; id -u; test -w /tmp && echo tmp-ok",
        ],
        remove=True,
        network_mode="none",
        user="1000:1000",
    ).decode()
    assert "missing" not in output
    assert output.split() == ["1000", "tmp-ok"]


def test_make_image_reimports_only_when_asked(engine: Any, smoke_image: str) -> None:
    again = script("examples/smoke/make-image.sh")
    assert again.returncode == 0 and "up to date" in again.stderr
    forced = script("examples/smoke/make-image.sh", "--force")
    assert forced.returncode == 0 and "imported composegen-smoke:local" in forced.stderr
