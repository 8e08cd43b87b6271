"""composegen's estimate for a case, computed the way `composegen render` computes it: a project
folder with a docker-compose.yml and a composegen.yaml is written for the case, then planned."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composegen.render.overlay import plan
from composegen.sizing.quantity import Quantity

SERVICE = "app"


@dataclass(frozen=True)
class Estimate:
    working_set: float  # bytes, before the profile's margin
    limit: float  # bytes, the memory limit the overlay writes
    environment: Mapping[str, str]  # what the overlay sets in the service's environment


def working_set(memory: Quantity) -> Quantity:
    """The estimate under `working set with margin`: the calculator's working set."""
    for part in memory.parts:
        if part.unit == "bytes":
            return part
    return memory


def estimate(profile: str, service: Mapping[str, Any], compose_service: Mapping[str, Any]) -> Estimate:
    """Plan one service `app` with composegen.yaml `services.app` = `service` under `profile`."""
    with tempfile.TemporaryDirectory(prefix="composegen-accuracy-") as folder:
        root = Path(folder)
        # JSON is YAML: no YAML writer needed for these small files
        (root / "docker-compose.yml").write_text(json.dumps({"services": {SERVICE: dict(compose_service)}}))
        project = {"compose_files": ["docker-compose.yml"], "services": {SERVICE: dict(service)}}
        (root / "composegen.yaml").write_text(json.dumps(project))
        planned = plan(profile, None, root)
    chosen = planned.stack.service(SERVICE)
    assert chosen is not None
    env = {e.key: e.value for e in chosen.environment}
    return Estimate(working_set(chosen.sizing.memory).value, chosen.memory_limit.value, env)
