"""Every input in linear time (issue 12): the shapes that were quadratic, pinned by their results
and, where only the time was wrong, by a CPU bound far above the linear time (a hundredth of a
second) and far below the quadratic one (tens of seconds). bench/hostile.py times the whole
commands on these shapes at up to 1 MB."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from composegen.compose import validator
from composegen.compose.interpolate import parse_env_text
from composegen.compose.merge import enforce_unicity
from composegen.compose.tree import SDict, SList, plain
from composegen.compose.validator import CompiledSchema
from composegen.errors import InputError
from composegen.masking import MASK, mask

#: CPU seconds a linear run stays far below, on any machine the tests run on.
BOUND = 2.0


def _cpu_seconds(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.process_time()
    result = action()
    return result, time.process_time() - start


def _ports(*entries: str) -> SDict:
    return SDict({"services": SDict({"web": SDict({"ports": SList.of([(e, None) for e in entries])})})})


def test_a_range_split_by_a_later_port_keeps_each_port_once_in_place() -> None:
    ports = plain(enforce_unicity(_ports("8080-8082:80-82", "8081:81", "443:443")))["services"]["web"]["ports"]
    assert ports == [
        {"target": 80, "published": "8080", "protocol": "tcp"},
        "8081:81",
        {"target": 82, "published": "8082", "protocol": "tcp"},
        "443:443",
    ]


def test_a_wide_range_split_by_one_port_is_linear() -> None:
    # `ports: ["1-20000:1-20000", "1:1"]`: 26 s of CPU before (each port compared its whole range)
    result, seconds = _cpu_seconds(lambda: enforce_unicity(_ports("1-20000:1-20000", "1:1")))
    ports = plain(result)["services"]["web"]["ports"]
    assert len(ports) == 20_000
    assert ports[0] == "1:1"
    assert ports[-1] == {"target": 20000, "published": "20000", "protocol": "tcp"}
    assert seconds < BOUND


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, True], True),  # JSON Schema: true is not 1
        ([1, 1.0], False),
        ([0, False, None, "0", "", []], True),
        ([{"a": 1}, {"a": 1.0}], False),
        ([{"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]}], True),
        ([[1, 2], [2, 1], [1, 2]], False),
        ([{"a": 1, "b": 2}, {"b": 2, "a": 1}], False),
        (["x", ["x"], {"x": None}], True),
    ],
)
def test_unique_items_agrees_with_jsonschema(items: list[Any], unique: bool) -> None:
    from jsonschema import Draft202012Validator

    assert Draft202012Validator({"uniqueItems": True}).is_valid(items) is unique
    assert CompiledSchema({"uniqueItems": True}).is_valid(items) is unique


def test_unique_items_compares_no_pair_of_mappings(monkeypatch: pytest.MonkeyPatch) -> None:
    # a range split in the merge is 65,535 mappings: comparing each pair took minutes
    compared = 0
    equal = validator._equal

    def counting(one: Any, two: Any) -> bool:
        nonlocal compared
        compared += 1
        return equal(one, two)

    monkeypatch.setattr(validator, "_equal", counting)
    ports = [{"target": port, "published": str(port)} for port in range(1, 2001)]
    assert CompiledSchema({"uniqueItems": True}).is_valid(ports)
    assert not CompiledSchema({"uniqueItems": True}).is_valid([*ports, {"published": "7", "target": 7}])
    assert compared == 0


@pytest.mark.parametrize(
    "token",
    [
        "a",  # a long word: the URL pattern tried a scheme at every letter
        "--passpass",  # a long flag name with no `=` after it: every split of the run was tried
        "pass",  # the same, as an assignment's name
        "1a+",  # a scheme that starts with a digit
        "a://" + "u" * 30,  # URLs without a password, back to back
    ],
)
def test_masking_a_long_command_is_linear(token: str) -> None:
    text = (token * (200_000 // len(token) + 1))[:200_000]
    masked, seconds = _cpu_seconds(lambda: mask(text))
    assert masked == text
    assert seconds < BOUND


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("1a://app:pw@db", f"1a://app:{MASK}@db"),  # a scheme after a digit is still found
        ("x_postgres://app:pw@db", f"x_postgres://app:{MASK}@db"),
        ("--db-password-x=pw --tokens pw", f"--db-password-x={MASK} --tokens {MASK}"),
        ("MY_PASS_WORD=pw PASS.X=pw", f"MY_PASS_WORD={MASK} PASS.X={MASK}"),
        ("--passpasspass", "--passpasspass"),
    ],
)
def test_masking_still_finds_what_it_found(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_a_long_env_file_is_linear() -> None:
    # each line copied the variables read so far and the rest of the text: 40,000 lines took 7 s
    text = "".join(f"export K{i}=${{K{i - 1}:-x}}\n" if i % 2 else f"K{i}=v{i}\n" for i in range(40_000))
    found, seconds = _cpu_seconds(lambda: parse_env_text(text, ".env"))
    assert len(found) == 40_000
    assert (found["K0"], found["K1"], found["K39999"]) == ("v0", "v0", "v39998")
    assert seconds < BOUND


def test_a_file_may_expand_to_sixteen_times_its_size() -> None:
    text = "A=" + "x" * 100_000 + "\n" + "".join(f"B{i}=${{A}}\n" for i in range(100))
    assert len(parse_env_text(text, ".env")) == 101  # 10 MB from 100 kB: within the budget
    with pytest.raises(InputError, match=r"^variables expand to too much text") as raised:
        parse_env_text(text + "".join(f"C{i}=${{A}}${{A}}\n" for i in range(100)), ".env")
    assert raised.value.where == ".env:110"  # C8: 11.8 MB, past 10 MB + 16 × the 102 kB file


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000 + "://x",  # a long word before `://`: a scheme was tried at every letter (72 s)
        "x://a:" * 40_000,  # URLs without `@`, back to back
        "--password " * 20_000,  # secret flags with no value after them
        "mysql " + "-p" * 100_000,
    ],
)
def test_secrets_on_a_long_command_or_value_are_looked_for_in_linear_time(text: str, tmp_path: Path) -> None:
    """CG508 on a long `command` and environment value (issue 16): each word looked at once."""
    from composegen.lint.engine import run_rule
    from composegen.lint.load import build_context
    from composegen.lint.rules import by_code_or_name

    quoted = text.replace("'", "''")
    (tmp_path / "compose.yml").write_text(
        f"services:\n  a:\n    image: x/y:1.0\n    command: '{quoted}'\n    environment:\n      X: '{quoted}'\n"
    )
    ctx = build_context([tmp_path / "compose.yml"], mode="file", env={}, project_dir=tmp_path)
    rule = by_code_or_name("CG508")
    assert rule is not None
    _, seconds = _cpu_seconds(lambda: run_rule(ctx, rule))
    assert seconds < BOUND


def test_a_file_with_a_password_on_each_service_is_masked_in_linear_time() -> None:
    """`lint --diff` masks the whole file (composegen.masking.mask_yaml): each secret value found is
    masked wherever it appears, and 2,000 of them, looked for one at a time on each line, took
    5.4 s (6,000: about 50 s)."""
    from composegen.masking import mask_yaml

    services = 6_000
    text = "services:\n" + "".join(
        f"  s{i}:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: pw{i:06d}x\n"
        f"    command: psql postgres://app:pw{i:06d}x@db\n"
        for i in range(services)
    )
    masked, seconds = _cpu_seconds(lambda: mask_yaml(text))
    assert "pw0" not in masked
    assert masked.count(MASK) == 2 * services
    assert seconds < BOUND


def test_each_services_plan_is_found_in_linear_time() -> None:
    """A swarm stack file asks the plan for each service's (StackPlan.service): a search of the
    list each time was quadratic, 0.9 s of a 4,000 service stack file."""
    from types import SimpleNamespace
    from typing import cast

    from composegen.sizing.model import ServicePlan, StackPlan

    plans = [cast(ServicePlan, SimpleNamespace(name=f"s{i}")) for i in range(20_000)]
    stack = StackPlan("prod", "compose", (*plans, cast(ServicePlan, SimpleNamespace(name="s0"))), fit=cast(Any, None))
    found, seconds = _cpu_seconds(lambda: [stack.service(p.name) for p in plans])
    assert found == plans  # the first of a name
    assert stack.service("nope") is None
    assert seconds < BOUND  # a search of the list each time: ~10 s


def test_a_service_with_many_sized_tmpfs_mounts_is_planned_and_rendered_in_linear_time(tmp_path: Path) -> None:
    """Each sized tmpfs of the base is a mount of the plan (sizing/base_resources.py): the overlay,
    the k8s export and verify leave the base's paths be, looked up in a tuple each time was
    quadratic (9.5 s of 40,000 mounts; 0.3 s now, planning 1 s)."""
    from composegen.export.k8s import export_k8s
    from composegen.render.overlay import plan, render_planned

    mounts = "".join(f"      - /t{i}:size=1m\n" for i in range(40_000))
    (tmp_path / "docker-compose.yml").write_text(f"services:\n  app:\n    image: example/app:1\n    tmpfs:\n{mounts}")
    planned, planning = _cpu_seconds(lambda: plan("dev", None, tmp_path))
    service = planned.stack.service("app")
    assert service is not None and len(service.tmpfs) == 40_000
    assert service.memory_limit.value > 40_000 * 1024**2
    text, rendering = _cpu_seconds(lambda: render_planned(planned, tmp_path / "docker-compose.dev.yml"))
    assert "/t39999" not in text.split("services:", 1)[1]  # the base's mounts are not written again
    _, exporting = _cpu_seconds(lambda: export_k8s(planned))
    assert rendering < BOUND and exporting < BOUND  # the parts that were quadratic
    # planning 40,000 mounts: 1 s alone, 2.06 s once inside the whole suite under load on a slow
    # host (2026-12-07; the collector walks the suite's heap); quadratic would be tens of seconds
    assert planning < 2 * BOUND
