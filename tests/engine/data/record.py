"""Record the inspect data the comparison unit tests read (run by hand on a live engine):

    DOCKER_HOST=$(scripts/engine host) .venv/bin/python tests/engine/data/record.py

It starts examples/smoke under the pytest and prod profiles exactly as `composegen verify` does,
saves every container's `docker inspect` data as <profile>.json, and takes the stack down. It
also saves the OOM-killed container of tests/engine/stacks/tmpfs-oom as oom.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from composegen.engine.client import connect, engine_info, project_containers  # noqa: E402
from composegen.engine.project import ComposeProject, project_name, running  # noqa: E402
from composegen.render.overlay import plan, render_planned  # noqa: E402

SMOKE = REPO / "examples" / "smoke"
OOM_STACK = REPO / "tests" / "engine" / "stacks" / "tmpfs-oom" / "docker-compose.yml"


def record(profile: str) -> None:
    client = connect()
    planned = plan(profile, None, SMOKE, docker_version=engine_info(client).version)
    with tempfile.TemporaryDirectory() as tmp:
        overlay = Path(tmp) / f"docker-compose.{profile}.yml"
        overlay.write_text(render_planned(planned, overlay))
        name = project_name(f"record-{profile}")
        with running(ComposeProject(name, (SMOKE / "docker-compose.yml", overlay), log=print), client) as project:
            up = project.up(120)
            print(profile, "up:", up.returncode, up.last_lines(2))
            (HERE / f"{profile}.json").write_text(json.dumps(project_containers(client, name), indent=1) + "\n")


def record_oom() -> None:
    client = connect()
    name = project_name("record-oom")
    with running(ComposeProject(name, (OOM_STACK,), log=print), client) as project:
        project.up_detached(60)
        for _ in range(120):
            found = project_containers(client, name)
            if found and found[0]["State"]["Status"] == "exited":
                break
            time.sleep(0.5)
        (HERE / "oom.json").write_text(json.dumps(found, indent=1) + "\n")


if __name__ == "__main__":
    record("pytest")
    record("prod")
    record_oom()
