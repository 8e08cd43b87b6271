"""The `-f a -f b` merge: each row of the merge table, against our expectation and against the
real compose v2 (`merge_cases.yaml`), plus the merge API on plain dictionaries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from compose_testlib import get_path, load_cases

from composegen.compose.merge import enforce_unicity, merge_files, merge_into, port_keys
from composegen.compose.normalize import canonical_services
from composegen.compose.oracle import OracleError, run_config
from composegen.compose.stack import Stack, has_tags, load_stack
from composegen.compose.syntax import key_value_mapping
from composegen.compose.tree import SDict, SList, dotted, plain
from composegen.errors import InputError
from composegen.yamlio import parse_document

CASES = load_cases("merge_cases.yaml")
ROWS = {
    "mapping",
    "sequence",
    "replaced",
    "key-value",
    "ports",
    "mounts",
    "dedup",
    "tmpfs",
    "logging",
    "ulimits",
    "networks",
    "tags",
    "depends_on",
    "build",
    "extra_hosts",
    "env_file",
    "paths",
    "top-level",
    "ipam",
}


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


def write_case(case: dict[str, Any], root: Path) -> list[Path]:
    """base.yml and over.yml (and any other files) of a case, under `root`."""
    base = case.get("base_file") or (
        "services:\n  a:\n    image: busybox\n" + _indent(case.get("base", "")) + case.get("base_top", "")
    )
    over = case.get("over_file") or ("services:\n  a:\n" + _indent(case.get("over", "")) + case.get("over_top", ""))
    over_dir = root / case.get("over_dir", "")
    over_dir.mkdir(parents=True, exist_ok=True)
    (root / "base.yml").write_text(base, encoding="utf-8")
    (over_dir / "over.yml").write_text(over, encoding="utf-8")
    for name, text in (case.get("files") or {}).items():
        (root / name).write_text(text, encoding="utf-8")
    return [root / "base.yml", over_dir / "over.yml"]


def assert_same_services(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> None:
    """Equal canonical services, failing on the first differing key with both values shown."""
    assert sorted(ours) == sorted(theirs)
    for name, service in ours.items():
        for key in sorted(set(service) | set(theirs[name])):
            assert (name, key, service.get(key)) == (name, key, theirs[name].get(key))


def our_errors(stack: Stack) -> list[str]:
    return [f"{p.message}" for p in stack.problems if p.error] + [str(e) for e in stack.validate()]


def _top(value: Any, path: str) -> Any:
    """A top-level value in one comparable form (`KEY=VALUE` lists as mappings of strings)."""
    if path.endswith(("labels", "driver_opts", "options")):
        return {k: "" if v is None else v for k, v in key_value_mapping(value).items()}
    return plain(value)


def test_every_row_of_the_merge_table_has_cases() -> None:
    assert {case["row"] for case in CASES} == ROWS


def test_case_names_are_unique() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_merge_case(case: dict[str, Any], tmp_path: Path) -> None:
    if case.get("our_raises"):
        with pytest.raises(InputError, match=re.escape(case["our_raises"])):
            load_stack(write_case(case, tmp_path), env={})
        return
    stack = load_stack(write_case(case, tmp_path), env={})
    service = plain(stack.data["services"]["a"])
    for key, want in (case.get("expect") or {}).items():
        assert service.get(key) == want, key
    for path, want in (case.get("expect_top") or {}).items():
        assert plain(get_path(stack.data, path)) == want, path
    errors = our_errors(stack)
    if case.get("our_error"):
        assert any(case["our_error"] in text for text in errors), errors
    else:
        assert errors == []


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_merge_case_matches_compose(case: dict[str, Any], tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    files = write_case(case, tmp_path)
    if case.get("our_raises"):
        with pytest.raises(InputError, match=re.escape(case["our_raises"])):
            load_stack(files, env={})
        with pytest.raises(OracleError, match=re.escape(case["error"])):
            run_config(files, env={})
        return
    stack = load_stack(files, env={})
    if case.get("error"):
        with pytest.raises(OracleError, match=re.escape(case["error"])):
            run_config(files, env={})
        return
    resolve = bool(case.get("env_resolution"))
    result = run_config(files, env={}, env_resolution=resolve)
    ours, theirs = canonical_services(stack.data, tmp_path), canonical_services(result.data, tmp_path)
    if resolve:  # compose read the env files into `environment`: compared below
        for services in (ours, theirs):
            for service in services.values():
                service.pop("environment")
    assert_same_services(ours, theirs)
    for path in case.get("top_paths") or []:
        assert _top(get_path(stack.data, path), path) == _top(get_path(result.data, path), path), path
    if case.get("env_resolution"):
        assert stack.effective_environment("a") == result.data["services"]["a"]["environment"]


# --- the API on plain data ---------------------------------------------------------------------


def test_merge_files_takes_plain_dicts_and_leaves_them_alone() -> None:
    base = {"services": {"web": {"image": "app", "environment": ["A=1"], "ports": ["80:80"]}}}
    over = {"services": {"web": {"environment": {"B": "2"}, "ports": ["80:80", "443:443"]}}}
    merged = merge_files([base, over])
    assert plain(merged) == {
        "services": {"web": {"image": "app", "environment": {"A": "1", "B": "2"}, "ports": ["80:80", "443:443"]}}
    }
    assert base["services"]["web"]["ports"] == ["80:80"]
    assert over["services"]["web"]["environment"] == {"B": "2"}


#: The merge cases whose later file holds no `!reset` or `!override`.
UNTAGGED = [c for c in CASES if not c.get("our_raises") and "!" not in c.get("over", "") + (c.get("over_file") or "")]


@pytest.mark.parametrize("case", UNTAGGED, ids=[c["name"] for c in UNTAGGED])
def test_a_file_without_tags_merges_the_same_when_its_tags_are_not_looked_for(
    case: dict[str, Any], tmp_path: Path
) -> None:
    """The loader merges a file without walking it for tags when no file read holds one
    (`merge_into(tagged=False)`): the result is the one that walking for tags gives."""
    base, over = (parse_document(p.read_text(encoding="utf-8"), str(p)).data for p in write_case(case, tmp_path)[:2])
    assert not has_tags(over)
    looked = merge_into(base, over)
    taken = merge_into(base, over, tagged=False)
    assert plain(taken) == plain(looked)
    assert taken.origins == looked.origins


def test_a_tag_in_a_later_file_is_applied_after_files_without_tags(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text("services:\n  a:\n    image: busybox\n    ports: ['80:80']\n")
    (tmp_path / "mid.yml").write_text("services:\n  a:\n    environment: {A: '1'}\n")
    (tmp_path / "over.yml").write_text("services:\n  a:\n    ports: !reset []\n    environment: !override {B: '2'}\n")
    stack = load_stack([tmp_path / "base.yml", tmp_path / "mid.yml", tmp_path / "over.yml"], env={})
    assert plain(stack.data["services"]["a"]) == {"image": "busybox", "environment": {"B": "2"}}


def test_merge_files_of_one_file_still_keeps_one_entry_per_key() -> None:
    merged = merge_files([{"services": {"a": {"volumes": ["./x:/data", "./y:/data"]}}}])
    assert plain(merged)["services"]["a"]["volumes"] == ["./y:/data"]


def test_merge_files_of_nothing_is_empty() -> None:
    assert merge_files([]) == {}


def test_a_list_over_a_mapping_is_refused_with_the_place() -> None:
    with pytest.raises(InputError, match=r"cannot override services\.a\.x-thing"):
        merge_files([{"services": {"a": {"x-thing": {"k": 1}}}}, {"services": {"a": {"x-thing": [1]}}}])


@pytest.mark.parametrize(
    ("entry", "keys"),
    [
        ("8080:80", [("0.0.0.0", ("str", "8080"), 80, "tcp")]),
        ("127.0.0.1:8080:80/udp", [("127.0.0.1", ("str", "8080"), 80, "udp")]),
        ("[::1]:8080:80", [("::1", ("str", "8080"), 80, "tcp")]),
        (80, [("0.0.0.0", None, 80, "tcp")]),
        ("8080-8081:80-81", [("0.0.0.0", ("str", "8080"), 80, "tcp"), ("0.0.0.0", ("str", "8081"), 81, "tcp")]),
        ({"target": 80, "published": 8080}, [("0.0.0.0", ("int", 8080), 80, "tcp")]),
        ({"target": 80, "host_ip": "10.0.0.1", "protocol": "udp"}, [("10.0.0.1", None, 80, "udp")]),
    ],
)
def test_port_keys(entry: Any, keys: list[tuple[Any, ...]]) -> None:
    assert port_keys(entry) == keys


def test_unicity_keeps_origins_of_the_entry_that_wins() -> None:
    from composegen.compose.tree import Origin

    first, second = Origin("a.yml", 3, 7), Origin("b.yml", 5, 7)
    ports = SList(["8080:80", "8080:80"], [first, second])
    data = SDict({"services": SDict({"web": SDict({"ports": ports})})})
    result = enforce_unicity(data)
    assert result["services"]["web"]["ports"].origins == [second]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("services", "web", "ports", 0), "services.web.ports[0]"),
        ((), ""),
        (("x-a",), "x-a"),
    ],
)
def test_dotted(path: tuple[Any, ...], text: str) -> None:
    assert dotted(path) == text
