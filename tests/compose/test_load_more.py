"""`load_more` (one more file over a stack already loaded) gives what `load_stack` of all the files
gives, and `schema.valid_over` (validate only what the later file changed) says "valid" exactly
where `schema.validate` of the whole merged model finds nothing: render checks its overlay with
both, and must refuse exactly what it refused when it loaded and validated everything again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from compose_testlib import load_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_compose_merge import write_case

from composegen.compose import schema
from composegen.compose.stack import Stack, load_more, load_stack
from composegen.compose.tree import SDict, SList, plain
from composegen.yamlio import Timestamp, parse_document

CASES = [case for case in load_cases("merge_cases.yaml") if not case.get("our_raises")]


def origins(value: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """Where each key and item of a model was written, by path."""
    found: dict[tuple[Any, ...], Any] = {}
    if isinstance(value, SDict):
        for key, item in value.items():
            found[(*path, key)] = value.origins.get(key)
            found.update(origins(item, (*path, key)))
    elif isinstance(value, SList):
        for index, item in enumerate(value):
            found[(*path, index)] = value.origins[index]
            found.update(origins(item, (*path, index)))
    return found


def assert_same_stack(more: Stack, full: Stack) -> None:
    assert plain(more.data) == plain(full.data)
    assert origins(more.data) == origins(full.data)
    assert more.problems == full.problems
    assert [d.path for d in more.documents] == [d.path for d in full.documents]
    assert (more.files, more.project_dir, more.name) == (full.files, full.project_dir, full.name)
    assert dict(more.environment) == dict(full.environment)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_load_more_is_load_stack_of_every_file(case: dict[str, Any], tmp_path: Path) -> None:
    base, over = write_case(case, tmp_path)
    full = load_stack([base, over], env={})
    more = load_more(load_stack([base], env={}), [over])
    assert_same_stack(more, full)


def test_load_more_uses_a_document_given(tmp_path: Path) -> None:
    base = tmp_path / "base.yml"
    base.write_text("services:\n  a:\n    image: busybox\n    environment: ['A=${X:-1}']\n", encoding="utf-8")
    over = tmp_path / "over.yml"  # never written: its document is given, as render's overlay is
    doc = parse_document("services:\n  a:\n    environment: {B: '2'}\n", str(over))
    full = load_stack([base, over], env={}, read={over: doc})
    assert_same_stack(load_more(load_stack([base], env={}), [over], read={over: doc}), full)
    assert plain(full.data)["services"]["a"]["environment"] == {"A": "1", "B": "2"}


def test_a_later_file_that_names_the_project_is_loaded_in_full(tmp_path: Path) -> None:
    base = tmp_path / "base.yml"
    text = "services:\n  a:\n    image: busybox\n    labels: ['p=${COMPOSE_PROJECT_NAME}']\n"
    base.write_text(text, encoding="utf-8")
    over = tmp_path / "over.yml"
    over.write_text("name: other\nservices:\n  a:\n    restart: always\n", encoding="utf-8")
    more = load_more(load_stack([base], env={}), [over], env={})
    assert_same_stack(more, load_stack([base, over], env={}))
    assert (more.name, plain(more.data)["services"]["a"]["labels"]) == ("other", ["p=other"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_valid_over_agrees_with_validate(case: dict[str, Any], tmp_path: Path) -> None:
    base, over = write_case(case, tmp_path)
    first = load_stack([base], env={})
    assert not schema.validate(first.data), "valid_over is for a base that validates: every case's base does"
    merged = load_more(first, [over])
    assert schema.valid_over(merged.data, first.data) == (not schema.validate(merged.data))


def test_the_schema_is_judged_key_by_key() -> None:
    """valid_over takes the model apart where the vendored schema allows it (else it validates
    the whole model: right, but no faster)."""
    assert schema._decomposes()


# --- property: random overlays, valid and not, over a valid base -------------------------------

#: Values for a service key, valid and not (to the schema, or to compose's reading of them).
SERVICE_VALUES: dict[str, list[str]] = {
    "deploy": [
        "{resources: {limits: {cpus: '0.5', memory: 512M}}}",
        "{resources: {limits: {cpus: lots}}}",
        "{resources: {limits: {memory: 1x}}}",
        "{resources: {limits: {pids: many}}}",
        "{replicas: 2}",
        "{replicas: two}",
    ],
    "mem_limit": ["512M", "1x", "512"],
    "read_only": ["true", "maybe", "'true'"],
    "restart": ["always", "5", "[always]"],
    "security_opt": ["[no-new-privileges:true]", "[a, a]", "label"],
    "labels": ["{a: b}", "[a=b]", "{a: {b: c}}", "{a: 2001-12-14}", "{a: '2001-12-14'}"],
    "healthcheck": ["{interval: 30s}", "{interval: soon}", "{retries: many}", "{test: [CMD, 'true']}"],
    "environment": ["{K: v}", "[K=v]", "['K =v']", "{K: {x: y}}", "{K: 1}"],
    "ports": ["['80:80']", "['80:80/xyz']", "['1-2:1-3']"],
    "volumes": ["['/a:/b']", "['/a:/b:zz:zz']", "[{type: tmpfs, target: /t, tmpfs: {size: 1x}}]"],
    "command": ["[a, b]", "'a \"b'", "a b"],
    "frobnicate": ["1"],
    "x-note": ["{anything: [1, 2]}"],
    "cap_drop": ["[ALL]", "ALL"],
    "logging": ["{driver: json-file, options: {max-size: 10m}}", "{driver: 5}"],
}
TOP_VALUES = [
    "",
    "networks: {default: {driver: bridge}}\n",
    "networks: {default: {driver: [bridge]}}\n",
    "volumes: {data: {}}\n",
    "secrets: {s: {}}\n",
    "secrets: {s: {file: ./s.txt}}\n",
    "bogus: 1\n",
]
BASE = (
    "services:\n"
    + "".join(
        f"  s{i}:\n    image: busybox\n    command: [sleep, '{i}']\n"
        "    environment: {A: '1'}\n    healthcheck: {test: [CMD, 'true'], interval: 10s}\n"
        "    labels: {team: x}\n"
        for i in range(4)
    )
    + "secrets: {s: {file: ./s.txt}}\n"
)
entry = st.tuples(st.sampled_from(sorted(SERVICE_VALUES)), st.integers(0, 5))
overlays = st.tuples(
    st.lists(st.lists(entry, max_size=4), min_size=1, max_size=4),  # the keys of each service
    st.sampled_from(TOP_VALUES),
)


Drawn = list[list[tuple[str, int]]]


def overlay_text(services: Drawn, top: str) -> str:
    text = "services:\n"
    for index, keys in enumerate(services):
        text += f"  s{index}:\n" + "".join(
            f"    {key}: {SERVICE_VALUES[key][pick % len(SERVICE_VALUES[key])]}\n" for key, pick in dict(keys).items()
        )
        if not keys:
            text += "    restart: always\n"
    return text + top


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overlays)
def test_valid_over_refuses_what_validate_refuses(tmp_path: Path, drawn: tuple[Drawn, str]) -> None:
    base = tmp_path / "docker-compose.yml"
    base.write_text(BASE, encoding="utf-8")
    first = load_stack([base], env={})
    assert not schema.validate(first.data)
    over = tmp_path / "overlay.yml"
    doc = parse_document(overlay_text(*drawn), str(over))
    merged = load_more(first, [over], read={over: doc})
    errors = schema.validate(merged.data)
    assert schema.valid_over(merged.data, first.data) == (not errors), [str(e) for e in errors]


def test_the_overlays_drawn_are_valid_and_not(tmp_path: Path) -> None:
    """The property above sees both answers (a check that every overlay passes proves nothing)."""
    base = tmp_path / "docker-compose.yml"
    base.write_text(BASE, encoding="utf-8")
    first = load_stack([base], env={})
    seen = set()
    for key, values in SERVICE_VALUES.items():
        for value in values:
            over = tmp_path / "overlay.yml"
            doc = parse_document(f"services:\n  s1:\n    {key}: {value}\n", str(over))
            merged = load_more(first, [over], read={over: doc})
            verdict = schema.valid_over(merged.data, first.data)
            assert verdict == (not schema.validate(merged.data)), (key, value)
            seen.add(verdict)
    assert seen == {True, False}
    assert re.search("unknown key", str(schema.validate({"services": {"a": {"image": "x", "frobnicate": 1}}})))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (True, 1),
        (1, 1.0),
        ("1", 1),
        (Timestamp("2001-12-14"), "2001-12-14"),
        ({"a": True}, {"a": 1}),
        ({"a": 1}, {"a": 1.0}),
        (["x"], [Timestamp("x")]),
        ({"a": "b"}, ["a", "b"]),
        ({"a": {"b": 1}}, {"a": {"b": True}}),
        ({1: "x"}, {"1": "x"}),
        ([], {}),
    ],
)
def test_values_the_schema_may_tell_apart_are_never_taken_for_one(one: Any, other: Any) -> None:
    """valid_over validates each distinct value of a service key once: two values the schema or
    compose's reading could judge differently must never look alike."""
    assert schema._frozen(one) != schema._frozen(other)
    assert schema._frozen(one) == schema._frozen(SDict(one) if isinstance(one, dict) else one)


def test_a_long_value_is_checked_not_compared() -> None:
    with pytest.raises(TypeError):
        schema._frozen(SList([f"{p}:{p}" for p in range(1, 100)], [None] * 99))
