"""Schema validation: the vendored schema, one error per root cause, the typed reading compose
does after the schema, and agreement with compose v2 on what it refuses."""

from __future__ import annotations

import copy
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from compose_testlib import CORPUS

from composegen.compose import schema
from composegen.compose.interpolate import interpolate
from composegen.compose.oracle import OracleError, run_config
from composegen.compose.stack import load_stack
from composegen.compose.tree import plain
from composegen.compose.validator import CompiledSchema, UnsupportedSchema
from composegen.yamlio import SDict, SList, Timestamp, parse_document


def _service(**keys: Any) -> dict[str, Any]:
    return {"services": {"a": {"image": "busybox", **keys}}}


def test_vendored_schema_is_check_jsonschemas_copy_byte_for_byte() -> None:
    ours = resources.files("composegen.compose").joinpath("compose-spec.json").read_bytes()
    theirs = resources.files("check_jsonschema").joinpath("builtin_schemas/vendor/compose-spec.json").read_bytes()
    assert ours == theirs


def test_vendored_schema_ships_with_its_licence_and_origin() -> None:
    here = resources.files("composegen.compose")
    assert "Apache License" in here.joinpath("compose-spec.LICENSE").read_text(encoding="utf-8")
    notes = here.joinpath("SCHEMA.md").read_text(encoding="utf-8")
    assert "check-jsonschema 0.39.0" in notes
    assert "Apache License 2.0" in notes


def test_the_flattened_schema_accepts_exactly_what_the_original_does() -> None:
    from jsonschema import Draft202012Validator

    original = Draft202012Validator(schema.schema())
    flat = schema.validator()
    assert "unevaluatedProperties" not in str(flat.schema["$defs"]["service"])
    assert flat.schema["$defs"]["service"]["additionalProperties"] is False
    models = (
        [m for _, m, _ in WRONG]
        + VALID
        + [
            _service(pre_start=[{"command": ["true"], "image": "busybox"}]),
            _service(pre_start=[{"command": ["true"], "bogus": 1}]),
            {"jobs": {"j": {"image": "x", "triggers": {"manual": {}}}}},
            {"jobs": {"j": {"image": "x"}}},
            _service(deploy={"labels": ["a=1"]}, **{"x-note": "fine"}),
        ]
    )
    for model in models:
        assert original.is_valid(model) == flat.is_valid(model), model


def test_the_validator_is_built_once() -> None:
    assert schema.validator() is schema.validator()
    assert schema.schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _errors(validator: Any, model: Any) -> list[tuple[Any, ...]]:
    """What composegen.compose.schema reads of each error: path, keyword, value, message, schema
    node, and the same of the errors of each failed oneOf/anyOf branch."""
    return [
        (
            tuple(e.path),
            e.validator,
            repr(e.validator_value),
            e.message,
            e.schema,
            sorted((tuple(c.path), c.validator, repr(c.validator_value), c.message) for c in e.context),
        )
        for e in validator.iter_errors(model)
    ]


def _mutated(models: list[Any], count: int, seed: int) -> list[Any]:
    """`count` copies of the models with a few values, keys or items changed at random."""
    rng = random.Random(seed)
    values: list[Any] = [None, True, 0, -5, 1.5, 2.0, "", "x", "512M", [], ["a", "a"], [1], {}, {"x-a": 1}, 10**20]

    def mutate(node: Any, depth: int = 0) -> None:
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            roll = rng.random()
            if roll < 0.3 or depth > 6:
                node[key] = copy.deepcopy(rng.choice(values))
            elif roll < 0.4:
                node[rng.choice(["bogus", "x-fine", "image", "ports", "cpus"])] = copy.deepcopy(rng.choice(values))
            elif roll < 0.45:
                del node[key]
            else:
                mutate(node[key], depth + 1)
        elif isinstance(node, list) and node:
            index = rng.randrange(len(node))
            if rng.random() < 0.4 or depth > 6:
                node[index] = copy.deepcopy(rng.choice(values))
            else:
                mutate(node[index], depth + 1)

    found = []
    for _ in range(count):
        model = copy.deepcopy(rng.choice(models))
        for _ in range(rng.randint(1, 4)):
            mutate(model)
        found.append(model)
    return found


def test_the_validator_reports_exactly_what_jsonschema_reports() -> None:
    from jsonschema import Draft202012Validator

    reference = Draft202012Validator(schema.flattened(schema.schema()))
    ours = schema.validator()
    corpus = [plain(load_stack([f], env={}).data) for f in sorted(CORPUS.glob("*.yml"))]
    models = [m for _, m, _ in WRONG] + VALID + corpus
    for model in models + _mutated(corpus or models, 600, seed=1):
        assert _errors(ours, model) == _errors(reference, model), model
        assert ours.is_valid(model) == reference.is_valid(model)


#: Values at the edges of JSON types as Python holds them: a bool is no integer, 2.0 is one, a
#: float that is not whole is only a number, the reader's SDict/SList are objects and arrays.
TYPE_EDGES: list[Any] = [True, False, 0, 2, -3, 2.0, 1.5, 10**20, None, "", "x", [], {}, SList([1]), SDict({"a": 1})]


@pytest.mark.parametrize(
    "names",
    [
        ["string"],
        ["integer"],
        ["number"],
        ["boolean"],
        ["null"],
        ["object"],
        ["array"],
        ["string", "number"],
        ["integer", "boolean"],
        ["null", "object"],
    ],
)
def test_the_type_keyword_agrees_with_jsonschema_at_the_edges(names: list[str]) -> None:
    from jsonschema import Draft202012Validator

    node = {"type": names if len(names) > 1 else names[0]}
    reference, ours = Draft202012Validator(node), CompiledSchema(node)
    for value in TYPE_EDGES:
        assert ours.is_valid(value) == reference.is_valid(plain(value)), (names, value)
    if names == ["string"]:
        assert not ours.is_valid(Timestamp("2001-12-14"))  # a date is no text to compose


def test_the_validator_refuses_a_keyword_it_does_not_implement() -> None:
    with pytest.raises(UnsupportedSchema, match="'not'"):
        CompiledSchema({"type": "object", "properties": {"a": {"not": {"type": "string"}}}}).is_valid({"a": 1})


def test_flattening_leaves_the_vendored_schema_as_it_is() -> None:
    before = json.dumps(schema.schema())
    schema.flattened(schema.schema())
    assert json.dumps(schema.schema()) == before


#: (model, [(error path, text in the message)]): each wrong value gives exactly its errors.
WRONG: list[tuple[str, dict[str, Any], list[tuple[tuple[Any, ...], str]]]] = [
    (
        "memory-as-integer",
        _service(deploy={"resources": {"limits": {"memory": 512}}}),
        [(("services", "a", "deploy", "resources", "limits", "memory"), "is not of type 'string'")],
    ),
    (
        "cpus-lots-in-limits",
        _service(deploy={"resources": {"limits": {"cpus": "lots"}}}),
        [(("services", "a", "deploy", "resources", "limits", "cpus"), "'lots' is not a number")],
    ),
    ("cpus-lots-on-the-service", _service(cpus="lots"), [(("services", "a", "cpus"), "'lots' is not a number")]),
    ("unknown-service-key", _service(foo=1), [(("services", "a", "foo"), "unknown key 'foo'")]),
    ("unknown-deploy-key", _service(deploy={"foo": 1}), [(("services", "a", "deploy", "foo"), "unknown key 'foo'")]),
    ("unknown-top-level-key", {"services": {"a": {"image": "x"}}, "foo": 1}, [(("foo",), "unknown key 'foo'")]),
    (
        "type-error-without-the-unevaluated-echo",
        _service(image=5),
        [(("services", "a", "image"), "5 is not of type 'string'")],
    ),
    (
        "two-root-causes-two-errors",
        _service(mem_limit=True, bar=1),
        [(("services", "a", "mem_limit"), "is not of type"), (("services", "a", "bar"), "unknown key 'bar'")],
    ),
    (
        "healthcheck-interval-not-a-duration",
        _service(healthcheck={"interval": "soon"}),
        [(("services", "a", "healthcheck", "interval"), "'soon' is not a duration")],
    ),
    (
        "memory-not-a-size",
        _service(deploy={"resources": {"limits": {"memory": "lots"}}}),
        [(("services", "a", "deploy", "resources", "limits", "memory"), "'lots' is not a size")],
    ),
    (
        "read-only-not-a-boolean",
        _service(read_only="maybe"),
        [(("services", "a", "read_only"), "'maybe' is not true or false")],
    ),
    (
        "retries-not-a-number",
        _service(healthcheck={"retries": "many"}),
        [(("services", "a", "healthcheck", "retries"), "'many' is not a whole number")],
    ),
    (
        "pids-not-a-number",
        _service(deploy={"resources": {"limits": {"pids": "x"}}}),
        [(("services", "a", "deploy", "resources", "limits", "pids"), "'x' is not a whole number")],
    ),
    (
        "environment-not-a-list-or-mapping",
        _service(environment=5),
        [(("services", "a", "environment"), "5 is not of type 'object', 'array'")],
    ),
    ("duplicate-security-opt", _service(security_opt=["a", "a"]), [(("services", "a", "security_opt"), "non-unique")]),
    (
        "bad-volume-short-syntax",
        _service(volumes=[":/media/"]),
        [(("services", "a", "volumes", 0), "empty section between colons")],
    ),
]


@pytest.mark.parametrize(("model", "expected"), [(m, e) for _, m, e in WRONG], ids=[n for n, _, _ in WRONG])
def test_one_error_per_root_cause(model: dict[str, Any], expected: list[tuple[tuple[Any, ...], str]]) -> None:
    errors = schema.validate(model)
    assert [e.path for e in errors] == [path for path, _ in expected], [str(e) for e in errors]
    for error, (_, text) in zip(errors, expected, strict=True):
        assert text in error.message


def test_a_value_read_in_several_places_is_reported_at_each_as_that_place_reads_it() -> None:
    """The reading of a value is worked out once per kind of place (a stack repeats `512M` in
    every service): each place still gets its own error, with its own reading, in file order."""
    bad = {"image": "busybox", "cpus": "lots", "deploy": {"resources": {"limits": {"cpus": "lots", "memory": "1x"}}}}
    good = {"image": "busybox", "cpus": "0.5", "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "1G"}}}}
    model = {"services": {"a": bad, "b": good, "c": {**bad, "healthcheck": {"retries": "lots"}}}}
    found = [(e.path, e.message) for e in schema.validate(model)]
    service = [
        ("cpus", "'lots' is not a number"),
        ("deploy.resources.limits.cpus", "'lots' is not a number"),
        ("deploy.resources.limits.memory", "'1x' is not a size compose understands (write it like 512M or 2G)"),
    ]
    expected = [(("services", name, *where.split(".")), message) for name in "ac" for where, message in service]
    expected.append((("services", "c", "healthcheck", "retries"), "'lots' is not a whole number"))
    assert found == expected


@pytest.mark.oracle
@pytest.mark.parametrize("model", [m for _, m, _ in WRONG], ids=[n for n, _, _ in WRONG])
def test_compose_refuses_the_same_values(model: dict[str, Any], tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    import json

    (tmp_path / "compose.yml").write_text(json.dumps(model), encoding="utf-8")
    with pytest.raises(OracleError):
        run_config([tmp_path / "compose.yml"], env={})


VALID = [
    _service(
        deploy={
            "resources": {
                "limits": {"memory": "512M", "cpus": "0.5", "pids": 100},
                "reservations": {"memory": "256m", "cpus": 0.25},
            }
        }
    ),
    _service(mem_limit=536870912, memswap_limit=-1, shm_size="64m", cpus=1.5),
    _service(
        healthcheck={
            "test": ["CMD", "true"],
            "interval": "1m30s",
            "retries": 3,
            "start_period": "10s",
            "start_interval": "1s",
        }
    ),
    _service(read_only=True, ulimits={"nofile": {"soft": 1024, "hard": 2048}, "nproc": 64}),
    {"services": {"a": {"image": "x", "x-extra": {"anything": [1]}}}, "x-top": 1, "name": "demo"},
]


@pytest.mark.parametrize("model", VALID)
def test_valid_models_have_no_errors(model: dict[str, Any]) -> None:
    assert schema.validate(model) == []


INTERPOLATED = """\
services:
  a:
    image: busybox
    ports:
      - target: ${PORT:-80}
        published: "${PUBLISHED:-8080}"
    healthcheck:
      test: [CMD, "true"]
      retries: ${RETRIES:-3}
      disable: ${HC_OFF:-false}
    read_only: "${RO:-true}"
    cpus: ${CPUS:-0.5}
    deploy:
      replicas: ${REPLICAS:-2}
      resources:
        limits: {memory: "${MEM:-512M}", cpus: "${LIMIT_CPUS:-1}"}
    ulimits:
      nofile: ${NOFILE:-1024}
"""


def test_defaults_in_typed_places_validate_once_interpolated() -> None:
    doc = parse_document(INTERPOLATED, "compose.yml")
    value = interpolate(doc.data, {}).value
    assert schema.validate(value) == []
    service = plain(value)["services"]["a"]
    assert (service["ports"][0]["target"], service["healthcheck"]["retries"], service["read_only"]) == (80, 3, True)


def test_errors_map_to_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text("services:\n  a:\n    image: busybox\n", encoding="utf-8")
    (tmp_path / "over.yml").write_text(
        "services:\n  a:\n    deploy:\n      resources:\n        limits:\n          memory: 512\n    colour: blue\n",
        encoding="utf-8",
    )
    stack = load_stack([tmp_path / "base.yml", tmp_path / "over.yml"], env={})
    errors = stack.validate()
    assert [(e.dotted(), stack.where(e.path)) for e in errors] == [
        ("services.a.deploy.resources.limits.memory", f"{tmp_path / 'over.yml'}:6"),
        ("services.a.colour", f"{tmp_path / 'over.yml'}:7"),
    ]


def test_a_value_whose_variable_failed_is_not_reported_twice(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(
        "services:\n  a:\n    image: busybox\n    healthcheck:\n      retries: ${R:?set R}\n", encoding="utf-8"
    )
    stack = load_stack([tmp_path / "c.yml"], env={})
    assert [p.kind for p in stack.problems] == ["variable-required"]
    assert stack.validate() == []


def test_an_environment_entry_is_read_in_the_list_form_only() -> None:
    """compose-go refuses `- KEY =value` (a name ending in a space) in the list form; a mapping's
    text keys are not read so (nor walked: they are half of a stack's values in typed places)."""
    listed = {"services": {"a": {"image": "x", "environment": ["GOOD=1", "BAD =2"]}}}
    mapped = {"services": {"a": {"image": "x", "environment": {"GOOD": "1", "BAD ": "2"}}}}
    assert [(e.path, e.keyword) for e in schema.type_errors(listed)] == [(("services", "a", "environment", 1), "type")]
    assert schema.type_errors(mapped) == []
