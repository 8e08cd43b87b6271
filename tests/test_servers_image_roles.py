"""scripts/servers-image's tags are the ones the engine tests use, and composegen's role detection
recognises each of them as the server it holds (no `role:` needed in a stack that uses them)."""

from __future__ import annotations

import re

import pytest

from composegen.sizing.detect import detect
from composegen.sizing.inputs import BaseService
from tests.engine.plugin import REPO, SERVERS_IMAGES

ROLES = {"postgres": "postgres", "redis": "redis", "mariadb": "mysql", "zookeeper": "zookeeper"}


def test_the_script_makes_the_tags_the_fixture_names() -> None:
    script = (REPO / "scripts" / "servers-image").read_text()
    made = dict(re.findall(r'^  "(\w+)\|(composegen-servers/[\w.:-]+)\|', script, re.MULTILINE))
    assert made == SERVERS_IMAGES


@pytest.mark.parametrize("server", sorted(ROLES))
def test_each_server_image_is_detected_as_its_role(server: str) -> None:
    role, reason = detect(BaseService(name=server, image=SERVERS_IMAGES[server]))
    assert role == ROLES[server], reason


def test_the_python_image_running_gunicorn_is_a_python_web_service() -> None:
    web = BaseService(name="web", image=SERVERS_IMAGES["python"], command=("gunicorn", "app:app"))
    assert detect(web)[0] == "python-web"
