"""scripts/servers-image's tags are the ones the engine tests use, composegen detects each as the
server it holds, and writes for it what it writes for the official image: the server's flags
(the entrypoints take them as the official ones do) and the heap variable zkServer.sh reads."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from composegen.profiles.models import Profile
from composegen.sizing import jvm, mysql, postgres, redis
from composegen.sizing.detect import detect
from composegen.sizing.inputs import BaseService
from composegen.sizing.model import ServiceInputs, Sizing
from tests.conftest import make_inputs, make_profile
from tests.engine.plugin import REPO, SERVERS_IMAGES

SERVERS: dict[str, tuple[str, Callable[[ServiceInputs, Profile], Sizing]]] = {
    "postgres": ("postgres", postgres.size),
    "redis": ("redis", redis.size),
    "mariadb": ("mysql", mysql.size),
    "zookeeper": ("zookeeper", jvm.size_zookeeper),
}


def test_the_script_makes_the_tags_the_fixture_names() -> None:
    script = (REPO / "scripts" / "servers-image").read_text()
    made = dict(re.findall(r'^  "(\w+)\|([\w.:-]+) composegen-servers/', script, re.MULTILINE))
    assert made == SERVERS_IMAGES


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_each_server_image_is_detected_as_its_role(server: str) -> None:
    role, reason = detect(BaseService(name=server, image=SERVERS_IMAGES[server]))
    assert role == SERVERS[server][0], reason


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_composegen_writes_the_settings_it_writes_for_the_official_image(server: str) -> None:
    role, size = SERVERS[server]
    sizing = size(make_inputs(role, image=SERVERS_IMAGES[server]), make_profile())
    if server == "zookeeper":
        assert "ZK_SERVER_HEAP" in {e.key for e in sizing.environment}
    else:
        assert sizing.command, sizing.notes


def test_the_python_image_running_gunicorn_is_a_python_web_service() -> None:
    web = BaseService(name="web", image=SERVERS_IMAGES["python"], command=("gunicorn", "app:app"))
    assert detect(web)[0] == "python-web"
