"""load_stack: origins of merged keys, extends, include, problems, and helpers; extends and
include checked against compose v2 too."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.compose import Origin, load_stack
from composegen.compose.normalize import canonical_services
from composegen.compose.oracle import OracleError, run_config
from composegen.compose.stack import has_tags, normalize_project_name
from composegen.compose.syntax import shell_split
from composegen.compose.tree import plain
from composegen.errors import InputError


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


BASE = """\
x-defaults: &defaults
  restart: unless-stopped
  environment:
    - LOG=info
services:
  web:
    <<: *defaults
    image: app:1
    ports:
      - "8080:80"
    deploy:
      resources:
        limits:
          memory: 1g
          cpus: "1"
  db:
    image: postgres:16
"""

OVERLAY = """\
services:
  web:
    environment:
      LOG: debug
    ports:
      - "8443:443"
    deploy:
      resources:
        limits:
          memory: 2g
"""


def test_every_merged_key_knows_its_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yml": BASE, "prod.yml": OVERLAY})
    base, over = tmp_path / "compose.yml", tmp_path / "prod.yml"
    stack = load_stack([base, over], env={})
    web = ("services", "web")
    assert stack.where((*web, "deploy", "resources", "limits", "memory")) == f"{over}:10"
    assert stack.where((*web, "deploy", "resources", "limits", "cpus")) == f"{base}:15"
    assert stack.where((*web, "image")) == f"{base}:8"
    assert stack.where((*web, "restart")) == f"{base}:2"  # written once, in the anchor
    assert stack.where((*web, "environment", "LOG")) == f"{over}:4"
    assert stack.where((*web, "ports", 0)) == f"{base}:10"
    assert stack.where((*web, "ports", 1)) == f"{over}:6"
    assert stack.where((*web, "no", "such", "key")) == f"{over}:2"
    assert stack.origin(("services", "db", "image")) == Origin(str(base), 17, 5)
    assert stack.where(("nothing",)) == str(base)


def test_helpers(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yml": """\
services:
  web: {image: app, command: "gunicorn -w 4 'app:create()'", entrypoint: [tini, --]}
  worker: {build: ., command: [celery, worker], profiles: [jobs]}
  debug: {image: busybox, profiles: [debug, jobs]}
"""
        },
    )
    stack = load_stack([tmp_path / "compose.yml"], env={})
    assert stack.service_names() == ["web", "worker", "debug"]
    assert shell_split(stack.service("web")["command"]) == ["gunicorn", "-w", "4", "app:create()"]
    assert shell_split(stack.service("worker")["command"]) == ["celery", "worker"]
    assert shell_split(stack.service("debug").get("command")) is None
    assert shell_split(stack.service("web")["entrypoint"]) == ["tini", "--"]
    assert stack.active_service_names([]) == ["web"]
    assert stack.active_service_names(["jobs"]) == ["web", "worker", "debug"]
    assert stack.active_service_names(["*"]) == ["web", "worker", "debug"]
    assert stack.service("web")["image"] == "app"
    with pytest.raises(InputError, match="no service named 'nope'"):
        stack.service("nope")


def test_dot_env_beside_the_first_file_and_the_shell_over_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/compose.yml": "services:\n  web:\n    image: app:${TAG}\n    environment: [FROM_ENV]\n",
            "app/.env": "TAG=1.0\nFROM_ENV=dotenv\n",
            "over.yml": 'services:\n  web:\n    labels: ["tag=${TAG}"]\n',
        },
    )
    files = [tmp_path / "app" / "compose.yml", tmp_path / "over.yml"]
    stack = load_stack(files, env={})
    assert plain(stack.service("web")) == {
        "image": "app:1.0",
        "environment": ["FROM_ENV=dotenv"],
        "labels": ["tag=1.0"],
    }
    assert load_stack(files, env={"TAG": "2.0"}).service("web")["image"] == "app:2.0"
    assert stack.project_dir == tmp_path / "app"


def test_project_name_and_compose_project_name(tmp_path: Path) -> None:
    labelled = 'services:\n  a:\n    image: x\n    labels: ["p=${COMPOSE_PROJECT_NAME}"]\n'
    write(
        tmp_path, {"My App/compose.yml": labelled, "named.yml": "name: ${NAME:-demo}\nservices:\n  a:\n    image: x\n"}
    )
    assert load_stack([tmp_path / "My App" / "compose.yml"], env={}).name == "myapp"
    stack = load_stack([tmp_path / "My App" / "compose.yml"], env={})
    assert stack.service("a")["labels"] == ["p=myapp"]
    assert load_stack([tmp_path / "named.yml"], env={}).name == "demo"
    assert load_stack([tmp_path / "named.yml"], env={"COMPOSE_PROJECT_NAME": "x"}).name == "x"
    assert normalize_project_name("-My_App 2!") == "my_app2"


@pytest.mark.oracle
def test_compose_variables_match(tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    labelled = 'services:\n  a:\n    image: x\n    labels: ["pwd=${PWD}", "project=${COMPOSE_PROJECT_NAME}"]\n'
    write(tmp_path, {"compose.yml": labelled})
    stack = load_stack([tmp_path / "compose.yml"], env={})
    result = run_config([tmp_path / "compose.yml"], env={})
    assert canonical_services(stack.data, tmp_path) == canonical_services(result.data, tmp_path)


def test_problems_are_collected_not_raised(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yml": """\
services:
  a:
    image: app:${TAG}
    environment:
      KEY: ${API_KEY:?set API_KEY}
    tmpfs: [/run, "/run:size=1m"]
    labels: [a=1]
    labels: [b=2]
"""
        },
    )
    stack = load_stack([tmp_path / "compose.yml"], env={})
    found = [(p.kind, p.error, p.where()) for p in stack.problems]
    path = str(tmp_path / "compose.yml")
    assert found == [
        ("variable-unset", False, f"{path}:3"),
        ("variable-required", True, f"{path}:5"),
        ("duplicate-key", True, f"{path}:8"),
        ("mount-conflict", True, f"{path}:6"),
    ]
    assert "required variable API_KEY is missing a value: set API_KEY" in stack.problems[1].message
    assert stack.problems[3].message == "services.a.tmpfs[1]: target /run already mounted as services.a.tmpfs[0]"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "file not found"),
        ({"compose.yml": "- a list\n"}, "must hold a mapping"),
        ({"compose.yml": "services: [\n"}, "YAML syntax error"),
    ],
)
def test_unreadable_files_raise_one_line(tmp_path: Path, files: dict[str, str], message: str) -> None:
    write(tmp_path, files)
    with pytest.raises(InputError, match=message) as caught:
        load_stack([tmp_path / "compose.yml"], env={})
    assert "\n" not in caught.value.one_line()


def test_an_empty_file_is_an_empty_stack(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yml": ""})
    assert load_stack([tmp_path / "compose.yml"], env={}).service_names() == []
    with pytest.raises(InputError, match="no compose file"):
        load_stack([], env={})


def test_effective_environment_reads_env_files_in_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yml": """\
services:
  a:
    image: x
    env_file: [a.env, {path: optional.env, required: false}]
    environment: [B=from-compose, C, D]
  b:
    image: x
    env_file: missing.env
""",
            "a.env": "A=1\nB=2\n",
        },
    )
    stack = load_stack([tmp_path / "compose.yml"], env={"C": "shell"})
    assert stack.effective_environment("a") == {"A": "1", "B": "from-compose", "C": "shell", "D": None}
    with pytest.raises(InputError, match=r"env file .*missing\.env not found"):
        stack.effective_environment("b")


def test_no_tags_survive_loading(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: x\n    ports: !reset []\n    dns: !override [1.1.1.1]\n"
    write(tmp_path, {"compose.yml": text})
    stack = load_stack([tmp_path / "compose.yml"], env={})
    assert not has_tags(stack.data)
    assert plain(stack.service("a")) == {"image": "x", "dns": ["1.1.1.1"]}


# --- extends ------------------------------------------------------------------------------------

EXTENDS: dict[str, dict[str, str]] = {
    "same-file": {
        "compose.yml": """\
services:
  base:
    image: app:1
    environment: {A: "1", B: "2"}
    ports: ["80:80"]
    deploy: {resources: {limits: {memory: 1g}}}
  web:
    extends: base
    environment: {B: "3"}
    deploy: {resources: {limits: {cpus: "2"}}}
  short:
    extends: {service: web}
    command: [run]
"""
    },
    "other-file-in-another-folder": {
        "common/services.yml": """\
services:
  base:
    image: base:1
    build: ./ctx
    volumes: ["./data:/data", "named:/n"]
    environment: {A: "1", B: "2"}
    depends_on: [db]
    labels: [x=1]
  db: {image: postgres}
  mid:
    extends: base
    environment: {B: "3"}
    command: mid
""",
        "compose.yml": """\
services:
  db: {image: postgres}
  web:
    extends: {file: common/services.yml, service: mid}
    environment: {C: "4"}
    ports: ["81:80"]
    volumes: ["./local:/data"]
  w2:
    extends: web
    image: other
    command: [x]
volumes:
  named: {}
""",
    },
    "reset-and-override-in-an-extending-service": {
        "compose.yml": """\
services:
  base: {image: x, ports: ["80:80"], environment: {A: "1", B: "2"}}
  web:
    extends: base
    ports: !reset []
    environment:
      A: !reset
  web2:
    extends: base
    environment: !override {C: "3"}
"""
    },
}


@pytest.mark.parametrize("files", EXTENDS.values(), ids=EXTENDS.keys())
def test_extends(files: dict[str, str], tmp_path: Path) -> None:
    write(tmp_path, files)
    stack = load_stack([tmp_path / "compose.yml"], env={})
    assert all("extends" not in s for _, s in stack.iter_services())
    assert [str(e) for e in stack.validate()] == []


def test_extends_merges_with_the_merge_rules(tmp_path: Path) -> None:
    write(tmp_path, EXTENDS["same-file"])
    stack = load_stack([tmp_path / "compose.yml"], env={})
    assert plain(stack.service("short")) == {
        "image": "app:1",
        "environment": {"A": "1", "B": "3"},
        "ports": ["80:80"],
        "deploy": {"resources": {"limits": {"memory": "1g", "cpus": "2"}}},
        "command": ["run"],
    }
    path = tmp_path / "compose.yml"
    assert stack.where(("services", "short", "image")) == f"{path}:3"
    assert stack.where(("services", "short", "environment", "B")) == f"{path}:9"


def test_extends_from_another_folder_makes_its_paths_absolute(tmp_path: Path) -> None:
    write(tmp_path, EXTENDS["other-file-in-another-folder"])
    web = plain(load_stack([tmp_path / "compose.yml"], env={}).service("web"))
    common = tmp_path / "common"
    assert web["build"] == str(common / "ctx")
    assert web["volumes"] == ["./local:/data", "named:/n"]
    assert web["environment"] == {"A": "1", "B": "3", "C": "4"}


@pytest.mark.oracle
@pytest.mark.parametrize("files", EXTENDS.values(), ids=EXTENDS.keys())
def test_extends_matches_compose(files: dict[str, str], tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    write(tmp_path, files)
    stack = load_stack([tmp_path / "compose.yml"], env={})
    result = run_config([tmp_path / "compose.yml"], env={})
    assert canonical_services(stack.data, tmp_path) == canonical_services(result.data, tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  a: {image: x, extends: b}\n  b: {extends: c}\n  c: {extends: a}\n",
            r"extends cycle: a \(compose.yml\) -> b \(compose.yml\) -> c \(compose.yml\) -> a",
        ),
        ("services:\n  a: {image: x, extends: a}\n", "extends cycle"),
        (
            "services:\n  a: {image: x, extends: nope}\n",
            "service 'a' extends 'nope', which compose.yml does not define",
        ),
        ("services:\n  a: {image: x, extends: {file: compose.yml}}\n", "extends needs a service name"),
    ],
)
def test_bad_extends_raise_with_the_place(text: str, message: str, tmp_path: Path) -> None:
    write(tmp_path, {"compose.yml": text})
    with pytest.raises(InputError, match=message) as caught:
        load_stack([tmp_path / "compose.yml"], env={})
    assert caught.value.where.startswith(str(tmp_path / "compose.yml"))


@pytest.mark.oracle
@pytest.mark.parametrize(
    "text",
    [
        "services:\n  a: {image: x, extends: b}\n  b: {extends: c}\n  c: {extends: a}\n",
        "services:\n  a: {image: x, extends: nope}\n",
    ],
)
def test_compose_refuses_the_same_extends(text: str, tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    write(tmp_path, {"compose.yml": text})
    with pytest.raises(OracleError):
        run_config([tmp_path / "compose.yml"], env={})


def test_extends_sees_only_its_own_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "one.yml": "services:\n  a: {image: x, environment: [A=1]}\n  b: {extends: a}\n",
            "two.yml": "services:\n  a: {environment: [A=2]}\n",
        },
    )
    stack = load_stack([tmp_path / "one.yml", tmp_path / "two.yml"], env={})
    assert plain(stack.service("b"))["environment"] == ["A=1"]
    assert plain(stack.service("a"))["environment"] == {"A": "2"}


# --- include ------------------------------------------------------------------------------------

INCLUDE = {
    "lib/db.yml": 'services:\n  db:\n    image: "pg:${PGV:-15}"\n    volumes: ["./data:/var/lib/pg"]\n',
    "lib/.env": "PGV=16\n",
    "compose.yml": "include:\n  - lib/db.yml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
}


def test_include_brings_services_with_their_own_env_and_paths(tmp_path: Path) -> None:
    write(tmp_path, INCLUDE)
    stack = load_stack([tmp_path / "compose.yml"], env={})
    db = plain(stack.service("db"))
    assert db == {"image": "pg:16", "volumes": [f"{tmp_path / 'lib' / 'data'}:/var/lib/pg"]}
    assert stack.where(("services", "db", "image")) == f"{tmp_path / 'lib' / 'db.yml'}:3"
    assert "include" not in stack.data
    assert load_stack([tmp_path / "compose.yml"], env={"PGV": "17"}).service("db")["image"] == "pg:17"


@pytest.mark.oracle
@pytest.mark.parametrize("shell", [{}, {"PGV": "17"}])
def test_include_matches_compose(shell: dict[str, str], tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    write(tmp_path, INCLUDE)
    stack = load_stack([tmp_path / "compose.yml"], env=shell)
    result = run_config([tmp_path / "compose.yml"], env=shell)
    assert canonical_services(stack.data, tmp_path) == canonical_services(result.data, tmp_path)


def test_include_conflict_raises(tmp_path: Path) -> None:
    write(tmp_path, {**INCLUDE, "compose.yml": "include: [{path: lib/db.yml}]\nservices:\n  db: {image: other}\n"})
    with pytest.raises(InputError, match=r"services\.db conflicts with imported resource"):
        load_stack([tmp_path / "compose.yml"], env={})


def test_include_cycle_raises(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yml": "include: [other.yml]\nservices: {a: {image: x}}\n",
            "other.yml": "include: [compose.yml]\nservices: {b: {image: x}}\n",
        },
    )
    with pytest.raises(InputError, match="include cycle"):
        load_stack([tmp_path / "compose.yml"], env={})


def test_problem_where_is_empty_without_origin() -> None:
    from composegen.compose.stack import Problem

    assert Problem("variable-unset", "m").where() == ""
