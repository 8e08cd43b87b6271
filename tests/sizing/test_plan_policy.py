"""plan_stack makes what the profile gives every service once (sizing.plan._Policy) and shares it
among the services: each service's plan is the one planning it on its own gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_source_kinds import EVERY_ROLE, PROFILES

from composegen.render.overlay import plan
from composegen.sizing.plan import plan_service

#: Two of each role, one with a user set (no user from the profile), one with its own /tmp.
TWICE = EVERY_ROLE + "".join(
    f"  {name}2: {{image: {image!r}, user: '1000', tmpfs: [/tmp]}}\n"
    for name, image in (("web", "python:3.12"), ("other", "busybox:1.36"), ("proxy", "nginx:1.27"))
)


@pytest.mark.parametrize("profile", PROFILES)
def test_a_stack_plans_each_service_as_planning_it_alone_would(tmp_path: Path, profile: str) -> None:
    (tmp_path / "docker-compose.yml").write_text(TWICE)
    planned = plan(profile, None, tmp_path)
    alone = [plan_service(i, planned.profile.profile) for i in planned.inputs]
    assert list(planned.stack.services) == alone
    assert len({s.role for s in alone}) >= 14
