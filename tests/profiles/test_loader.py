"""Profiles and composegen.yaml: bundled profiles load, extends resolves, bad input names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.errors import InputError
from composegen.profiles.loader import bundled_profiles, deep_merge, load_profile, load_project
from composegen.profiles.models import RolePolicy
from composegen.profiles.schema import FILES, schema_text
from tests.conftest import REPO


def test_bundled_profiles_all_load() -> None:
    assert set(bundled_profiles()) >= {"dev", "pytest", "prod", "ml", "agent-scale"}
    for name in bundled_profiles():
        assert load_profile(name, REPO).profile.name == name


def test_extends_merges_child_over_parent() -> None:
    loaded = load_profile("pytest", REPO)
    assert loaded.files[1].endswith("dev.yaml")
    profile = loaded.profile
    assert profile.memory.margin == 1.25  # pytest's own
    assert profile.roles["postgres"].memory == 256 * 1024**2  # from dev
    assert profile.tmpfs.data_dirs is True


def test_user_profile_by_path_extends_bundled(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\nextends: prod\nmemory:\n  margin: 1.5\n")
    profile = load_profile(str(mine), tmp_path).profile
    assert profile.memory.margin == 1.5 and profile.hardening.read_only is True


def test_deep_merge() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"c": 3}, "l": [2]}) == {"a": {"b": 1, "c": 3}, "l": [2]}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("name: x\nmemory:\n  margin: lots\n", "memory.margin", 3),
        ("name: x\nmemroy: {}\n", "unknown key 'memroy'", 2),
        ("name: x\nhealthcheck:\n  interval: 5 seconds\n", "not a duration", 3),
        ("name: x\nname: y\n", "duplicate key", 2),
        (
            "name: x\nagents:\n  tiers:\n"
            "    - {up_to: null, memory: 1G, cpus: 1}\n    - {up_to: 5, memory: 1G, cpus: 1}\n",
            "only the last agent tier",
            2,
        ),
        ("- just\n- a list\n", "must be a YAML mapping", 1),
        ("name: x\n  bad: indent\n", "YAML syntax error", 2),
    ],
)
def test_bad_profiles_name_file_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_profile(str(path), tmp_path)
    assert message in err.value.one_line()
    assert err.value.where.startswith(f"{path}:{line}")


def test_unknown_profile_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown profile 'nope'") as err:
        load_profile("nope", tmp_path)
    assert "pytest" in err.value.fix


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nextends: ./b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: ./a.yaml\n")
    with pytest.raises(InputError, match="cycle"):
        load_profile(str(tmp_path / "a.yaml"), tmp_path)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("services:\n  db:\n    dataset: 4 gigs\n", "not a size compose understands", 3),
        ("services:\n  web:\n    workers: -2\n", "greater than or equal to 1", 3),
        ("services:\n  web:\n    role: wizard\n", "services.web.role", 3),
        ("compose_files: [missing.yml]\n", "does not exist", 1),
        ("compose_files: [../escape.yml]\n", "outside the project folder", 1),
        ("host:\n  cpus: 4\n", "host.memory is required", 1),
    ],
)
def test_bad_project_names_file_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    (tmp_path / "docker-compose.yml").write_text("services: {web: {image: x}}\n")
    (tmp_path.parent / "escape.yml").write_text("services: {}\n")
    path = tmp_path / "composegen.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_project(path, tmp_path)
    assert message in err.value.one_line()
    assert err.value.where == f"{path}:{line}"


def test_no_project_file_finds_compose_files(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    (tmp_path / "compose.override.yaml").write_text("services: {}\n")
    loaded = load_project(None, tmp_path)
    assert loaded.project.compose_files == ("compose.yaml", "compose.override.yaml")
    with pytest.raises(InputError, match=r"no composegen\.yaml and no compose file"):
        load_project(None, tmp_path / "..")


@pytest.mark.parametrize("kind", ["project", "profile"])
def test_exported_json_schemas_are_current(kind: str) -> None:
    path = REPO / "schemas" / FILES[kind]  # type: ignore[index]
    assert path.read_text() == schema_text(kind), f"regenerate: composegen schema {kind} > {path}"  # type: ignore[arg-type]


def test_project_profiles_extend_bundled_ones_and_each_other(tmp_path: Path) -> None:
    project = tmp_path / "composegen.yaml"
    project.write_text(
        "profiles:\n"
        "  ci:\n"
        "    extends: pytest\n"
        "    memory: {margin: 1.5}\n"
        "  ci-slow:\n"
        "    extends: ci\n"
        "    healthcheck: {startup_margin: 3}\n"
    )
    loaded = load_profile("ci-slow", tmp_path, project)
    assert loaded.profile.name == "ci-slow"
    assert loaded.profile.memory.margin == 1.5 and loaded.profile.healthcheck.startup_margin == 3
    assert loaded.profile.tmpfs.data_dirs is True  # from pytest
    assert [key.rsplit("/", 1)[-1] for key in loaded.files] == [
        "composegen.yaml: profiles.ci-slow",
        "composegen.yaml: profiles.ci",
        "pytest.yaml",
        "dev.yaml",
    ]
    # without the project file, the name is unknown
    with pytest.raises(InputError, match="unknown profile 'ci-slow'"):
        load_profile("ci-slow", tmp_path)


def test_project_profile_errors_point_into_composegen_yaml(tmp_path: Path) -> None:
    project = tmp_path / "composegen.yaml"
    project.write_text("profiles:\n  ci:\n    extends: pytest\n    memory:\n      margin: lots\n")
    with pytest.raises(InputError) as err:
        load_profile("ci", tmp_path, project)
    assert err.value.where == f"{project}:5" and "memory.margin" in err.value.message
    project.write_text("profiles:\n  a: {extends: b}\n  b: {extends: a}\n")
    with pytest.raises(InputError, match="cycle: a -> b -> a"):
        load_profile("a", tmp_path, project)


@pytest.mark.parametrize("name", ["prod", "dev"])
def test_a_profile_gives_its_role_policies_and_an_empty_one_for_a_role_it_does_not_name(name: str) -> None:
    profile = load_profile(name, REPO, None).profile
    for role, policy in profile.roles.items():
        assert profile.role(role) is policy
    empty = profile.role("no-such-role")
    assert empty == RolePolicy() and all(value is None for value in empty.model_dump().values())
    assert profile.role("python-web") == RolePolicy() or "python-web" in profile.roles
