"""Render never plans below what runs: the base file's own settings are sizing inputs (issue 13
items 2-3). The cases are in base_facts_cases.yaml."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from composegen.explain import service_text
from composegen.render.overlay import plan
from composegen.sizing.quantity import Quantity, kind_of
from composegen.units import GIB, MIB
from composegen.yamlio import read_document

CASES: list[dict[str, Any]] = read_document(Path(__file__).parent / "base_facts_cases.yaml").data["cases"]
UNITS = {"MiB": MIB, "GiB": GIB}


def number(text: str | int) -> float:
    """`12 * 38 MiB`, `2 GiB + 256 MiB`, `12`: sizes with one operator at a time, left to right."""
    if isinstance(text, int):
        return float(text)
    tokens = re.findall(r"\d+(?:\.\d+)? ?(?:MiB|GiB)?|[*+-]", text)
    assert "".join(tokens).replace(" ", "") == text.replace(" ", ""), text

    def value(token: str) -> float:
        amount, _, unit = token.strip().partition(" ")
        return float(amount) * UNITS.get(unit, 1)

    result = value(tokens[0])
    for op, token in zip(tokens[1::2], tokens[2::2], strict=True):
        right = value(token)
        result = result * right if op == "*" else result + right if op == "+" else result - right
    return result


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_render_sizes_for_what_runs(tmp_path: Path, case: dict[str, Any]) -> None:
    (tmp_path / "docker-compose.yml").write_text(case["compose"])
    for name, text in case.get("files", {}).items():
        (tmp_path / name).write_text(text)
    for name, classes in case.get("jars", {}).items():  # a jar of that many class files
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp_path / name, "w") as jar:
            for n in range(classes):
                jar.writestr(f"com/example/C{n}.class", b"")
    if "project" in case:
        (tmp_path / "composegen.yaml").write_text("compose_files: [docker-compose.yml]\n" + case["project"])
    planned = plan(case.get("profile", "dev"), None, tmp_path)
    service = planned.stack.service(case["service"])
    assert service is not None
    if "role" in case:
        assert service.role == case["role"], service.role_reason
    for name, expected in case.get("extra", {}).items():
        assert service.sizing.extra[name].value == pytest.approx(number(expected)), name
    for name, source in case.get("extra_source", {}).items():
        assert source in service.sizing.extra[name].source, name
    for name in case.get("extra_absent", []):
        assert name not in service.sizing.extra, name
    if "memory_above" in case:
        assert service.memory_limit.value > number(case["memory_above"])
    if "memory_below" in case:
        assert service.memory_limit.value < number(case["memory_below"])
    env = {e.key: e.value for e in service.environment}
    for key, value in case.get("env", {}).items():
        assert env.get(key) == value, key
    for key in case.get("env_absent", []):
        assert key not in env, key
    for key, words in case.get("env_without", {}).items():
        assert words not in env[key], key
    if "note" in case:
        assert any(case["note"] in n for n in service.sizing.base_notes), service.sizing.base_notes
        assert any(case["note"] in n for n in planned.stack.base_notes)
    if "sizing_note" in case:
        assert any(case["sizing_note"] in n for n in service.sizing.notes), service.sizing.notes
    for words in case.get("explain", []):
        assert words in service_text(service), words
    if "origin" in case:
        assert case["origin"] in service_text(service)


def test_the_overlay_header_says_what_the_plan_took_from_the_base(tmp_path: Path) -> None:
    from composegen.render.overlay import render_planned

    (tmp_path / "docker-compose.yml").write_text(CASES[0]["compose"])
    planned = plan("dev", None, tmp_path)
    text = render_planned(planned, tmp_path / "docker-compose.dev.yml")
    header = text.split("services:", 1)[0]
    assert "# from the base file: web: workers: sized for 12" in header
    assert "docker-compose.yml:4: gunicorn -w 12" in header
    assert "GUNICORN_CMD_ARGS" not in text


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("composegen.yaml: services.web.workers", "declared"),
        ("profile dev: memory.margin", "profile"),
        # an assumption or a default is typed where it is made, never read from words
        ("composegen default (assumed)", "fact"),
        ("composegen default", "fact"),
        ("measured: bench/accuracy (docs/sizing.md §Measured)", "measured"),
        ("WEB_CONCURRENCY in the base compose file", "base file"),
        ("facts/sizing.md §Web workers (gunicorn)", "fact"),
        ("", ""),
    ],
)
def test_a_quantity_source_has_a_typed_kind(source: str, kind: str) -> None:
    assert kind_of(source) == kind
    assert Quantity("x", 1, "count", source=source).source_kind == kind


def test_a_typed_kind_wins_over_the_text() -> None:
    q = Quantity("workers", 12, "count", source="base file docker-compose.yml:5: gunicorn -w 12", kind="base file")
    assert q.source_kind == "base file"
    assert q.renamed("w").kind == "base file"


def test_lint_counts_the_workers_the_base_command_runs(tmp_path: Path) -> None:
    """An ML service whose models are declared and whose workers are on the base's command line is
    linted for those workers, not one (the seeds' central failure counted a quarter of its size)."""
    import io
    import json

    from composegen.cli.lint_output import main
    from composegen.lint.run import LintOptions

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  nlp:\n    image: python:3.12\n"
        '    command: ["gunicorn", "--workers", "4", "nlp.app:create_app()"]\n'
        "    mem_limit: 3g\n"
    )
    (tmp_path / "composegen.yaml").write_text(
        "compose_files: [docker-compose.yml]\n"
        "services:\n  nlp:\n    models: [{name: facebook/bart-large, dtype: fp32}]\n"
    )
    out, err = io.StringIO(), io.StringIO()
    main(LintOptions(cwd=tmp_path, environ={}, format="json"), out, err)
    messages = [f["message"] for f in json.loads(out.getvalue()) if f["code"] == "CG301"]
    assert any("4 workers" in m for m in messages), messages


def test_an_llm_model_composegen_does_not_know_is_one_error_at_its_line(tmp_path: Path) -> None:
    from composegen.errors import InputError

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: vllm/vllm-openai:v0.6.0\n    command: --model acme/unknown-7b\n"
    )
    with pytest.raises(InputError) as caught:
        plan("dev", None, tmp_path)
    assert "acme/unknown-7b" in caught.value.message
    assert "names no model" not in caught.value.message
    assert str(caught.value.where).endswith("docker-compose.yml:4")


def test_the_swarm_stack_file_header_says_it_too(tmp_path: Path) -> None:
    from composegen.render.swarm import render_swarm_planned

    (tmp_path / "docker-compose.yml").write_text(CASES[0]["compose"])
    planned = plan("dev", None, tmp_path)
    text = render_swarm_planned(planned, tmp_path / "docker-stack.dev.yml").text
    assert "# from the base file: web: workers: sized for 12" in text.split("services:", 1)[0]
    assert "GUNICORN_CMD_ARGS" not in text


def test_render_says_it_on_stderr(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "docker-compose.yml").write_text(CASES[0]["compose"])
    done = subprocess.run(
        [sys.executable, "-m", "composegen", "render", "--profile", "dev", "-o", "-"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "composegen: note: web: workers: sized for 12" in done.stderr
