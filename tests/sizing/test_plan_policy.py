"""plan_stack makes what the profile gives every service once (sizing.plan._Policy) and shares it
among the services: each service's plan is the one planning it on its own gives."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from test_source_kinds import EVERY_ROLE, PROFILES

from composegen.render.overlay import plan
from composegen.sizing.model import ServicePlan
from composegen.sizing.plan import plan_service

#: Two of each role, one with a user set (no user from the profile), one with its own /tmp.
TWICE = EVERY_ROLE + "".join(
    f"  {name}2: {{image: {image!r}, user: '1000', tmpfs: [/tmp]}}\n"
    for name, image in (("web", "python:3.12"), ("other", "busybox:1.36"), ("proxy", "nginx:1.27"))
)


#: Servers sized alike (one kept sizing: `SIZING_KEYS`), which share one limit
#: (`sizing.plan._limits_once`), beside ones that differ: their own /tmp, a user, a shm_size.
ALIKE = (
    "services:\n"
    + "".join(
        f"  db{i}:\n    image: postgres:16.4\n    environment: {{POSTGRES_PASSWORD: pw{i:06d}x}}\n"
        f"    command: psql postgres://app:pw{i:06d}x@db\n"
        for i in range(4)
    )
    + (
        "  db4: {image: 'postgres:16.4', tmpfs: [/tmp]}\n"
        "  db5: {image: 'postgres:16.4', user: '999'}\n"
        "  db6: {image: 'postgres:16.4', shm_size: 1g}\n"
        "  db7: {image: 'postgres:16.4', tmpfs: ['/tmp:size=0']}\n"
    )
)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("stack", ["every-role", "alike"])
def test_a_stack_plans_each_service_as_planning_it_alone_would(tmp_path: Path, profile: str, stack: str) -> None:
    (tmp_path / "docker-compose.yml").write_text(TWICE if stack == "every-role" else ALIKE)
    planned = plan(profile, None, tmp_path)
    alone = [plan_service(i, planned.profile.profile) for i in planned.inputs]
    assert list(planned.stack.services) == alone
    if stack == "every-role":
        assert len({s.role for s in alone}) >= 14
    else:
        limits = [s.memory_limit for s in planned.stack.services[:4]]
        assert all(limit is limits[0] for limit in limits)  # one limit, made once


def test_each_plan_is_the_one_its_constructor_makes(tmp_path: Path) -> None:
    """`plan_service` builds its ServicePlan without the dataclass's `__init__`
    (`sizing.plan._service_plan`): equal to the constructor's, field for field."""
    (tmp_path / "docker-compose.yml").write_text(TWICE)
    for service in plan("prod", None, tmp_path).stack.services:
        made = ServicePlan(**{f.name: getattr(service, f.name) for f in fields(ServicePlan)})
        assert made == service
        assert vars(made) == vars(service)
