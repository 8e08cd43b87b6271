"""Real files hold any type anywhere: the schema, security and hygiene rules never raise on them
(schema-invalid reports what is wrong; the other rules skip what they cannot read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composegen.compose.stack import load_stack
from composegen.errors import ComposegenError
from composegen.lint.context import LintContext
from composegen.lint.engine import run_rule
from composegen.lint.rules import all_rules

CODES = {
    "CG001",
    "CG002",
    "CG003",
    "CG004",
    "CG005",
    "CG006",
    *(f"CG5{n:02d}" for n in range(1, 9)),
    *(f"CG60{n}" for n in range(1, 7)),
}
KEYS = [
    "image",
    "build",
    "user",
    "privileged",
    "environment",
    "ports",
    "volumes",
    "cap_add",
    "security_opt",
    "network_mode",
    "pid",
    "ipc",
    "restart",
    "deploy",
    "logging",
    "depends_on",
    "links",
    "volumes_from",
    "container_name",
    "profiles",
    "networks",
    "secrets",
    "configs",
    "tmpfs",
    "scale",
]
ODD: list[Any] = [
    None,
    0,
    -1,
    3.5,
    True,
    "",
    "x",
    "${UNSET}",
    "host",
    [],
    [None],
    [1, [2]],
    [{"a": None}],
    {},
    {"a": None},
    {"a": [1]},
    {"target": "x", "source": 5},
    ["5432:5432", {"target": None}],
]


def _lint(tmp_path: Path, data: Any, mode: str = "file") -> None:
    (tmp_path / "docker-compose.yml").write_text(json.dumps(data))  # JSON is YAML
    try:
        stack = load_stack([tmp_path / "docker-compose.yml"], env={}, project_dir=tmp_path)
    except ComposegenError:
        return  # the loader refuses it with a message; nothing reaches the rules
    # built directly: role detection (composegen.resolve) is not what this test is about
    ctx = LintContext(stack=stack, mode="stack" if mode == "stack" else "file", usage="prod")
    for rule in all_rules():
        if rule.code in CODES:
            for finding in run_rule(ctx, rule):
                assert finding.line >= 1


@pytest.mark.parametrize("key", KEYS)
def test_odd_values_of_a_service_key(key: str, tmp_path: Path) -> None:
    for value in ODD:
        for mode in ("file", "stack"):
            _lint(
                tmp_path,
                {"services": {"a": {"image": "nginx:1.27.1", key: value}, "b": {key: value, "build": "."}}},
                mode,
            )


@pytest.mark.parametrize("top", [None, [], "x", 5, {"a": None}, {"a": "x"}, {"a": [1]}])
def test_odd_top_level_sections(top: Any, tmp_path: Path) -> None:
    for section in ("services", "networks", "volumes", "secrets", "configs"):
        _lint(tmp_path, {"services": {"a": {"image": "nginx:1.27.1"}}, section: top}, "stack")
    _lint(tmp_path, {"services": top}, "stack")


def test_odd_nested_values(tmp_path: Path) -> None:
    service = {
        "image": "nginx:1.27.1",
        "deploy": {"replicas": "x", "restart_policy": None, "resources": [1]},
        "logging": {"driver": None, "options": ["max-size=1m"]},
        "depends_on": {"b": None, "c": [1], "a": {"condition": None}},
        "environment": {"PASSWORD": ["x"], "TOKEN": {"a": 1}, "SECRET": 12345678, "API_KEY": 1.5},
        "ports": [
            {"target": "80", "published": "x"},
            {"published": 80},
            {"target": 5432, "published": 5432, "host_ip": 5},
            {"target": 5432, "published": "5432", "host_ip": None, "protocol": 6},
            "1-2:3-4",
            "99999:1",
        ],
        "volumes": [{"type": "bind", "source": None, "target": "/x"}, "::", ":/x"],
        "user": ["root"],
    }
    _lint(tmp_path, {"services": {"a": service, "b": {"image": "x", "depends_on": ["a"]}}}, "stack")
