"""The base's own shm_size, memory limit, memswap_limit, reservation and cpus are never written over
silently: a kept /dev/shm is counted in the limit, and every figure the overlay writes another value
over is a note naming the base's file:line (composegen.sizing.base_resources). The cases are in
base_resources_cases.yaml; the targets beyond the overlay are checked below."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.compose import oracle
from composegen.explain import service_text
from composegen.render.overlay import plan, render_planned
from composegen.yamlio import parse_document, read_document
from tests.sizing.test_base_facts import number

CASES: list[dict[str, Any]] = read_document(Path(__file__).parent / "base_resources_cases.yaml").data["cases"]


def _header_notes(text: str, service: str) -> list[str]:
    """The overlay header's base notes on `service`."""
    prefix = f"# from the base file: {service}: "
    return [line[len(prefix) :] for line in text.split("services:", 1)[0].splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_overlay_never_writes_over_a_base_figure_silently(tmp_path: Path, case: dict[str, Any]) -> None:
    (tmp_path / "docker-compose.yml").write_text(case["compose"])
    profile = case.get("profile", "pytest")
    planned = plan(profile, None, tmp_path)
    out = tmp_path / f"docker-compose.{profile}.yml"
    text = render_planned(planned, out)
    name = case["service"]
    written = parse_document(text, str(out)).data["services"][name]
    service = planned.stack.service(name)
    assert service is not None
    if "shm_size" in case:
        assert written.get("shm_size", None) == case["shm_size"]
    if "pids" in case:
        assert written.get("deploy", {}).get("resources", {}).get("limits", {}).get("pids") == case["pids"]
    if case.get("compose_accepts"):
        out.write_text(text)
        oracle.run_config([tmp_path / "docker-compose.yml", out], env={}, project_dir=tmp_path)
    if "memory_above" in case:
        assert service.memory_limit.value > number(case["memory_above"]), service.memory_limit.show()
    header = _header_notes(text, name)
    explained = service_text(service)
    for words in case.get("notes", []):
        assert any(words in n for n in header), (words, header)
        assert words in explained, words
    for words in case.get("no_note", []):
        assert not any(words in n for n in header), (words, header)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "docker-compose.yml").write_text(CASES[0]["compose"])  # postgres: shm_size 1g, mem_limit 4g
    return tmp_path


def test_explain_cites_the_base_figures_with_their_lines(tmp_path: Path) -> None:
    service = plan("pytest", None, _project(tmp_path)).stack.service("db")
    assert service is not None
    text = service_text(service)
    assert "docker-compose.yml:4: shm_size: 1g" in text
    assert "docker-compose.yml:5: mem_limit: 4g" in text


def test_the_swarm_stack_file_says_it_too(tmp_path: Path) -> None:
    from composegen.render.swarm import render_swarm_planned

    planned = plan("pytest", None, _project(tmp_path))
    text = render_swarm_planned(planned, tmp_path / "docker-stack.pytest.yml").text
    notes = _header_notes(text, "db")
    assert any(n.startswith("shm_size 1g at docker-compose.yml:4 → 32M: lowered") for n in notes), notes
    assert any(n.startswith("mem_limit 4g at docker-compose.yml:5 → ") for n in notes), notes


def test_the_k8s_export_says_it_in_its_own_units(tmp_path: Path) -> None:
    from composegen.export.k8s import export_k8s, service_text

    exported = export_k8s(plan("pytest", None, _project(tmp_path)))
    db = next(s for s in exported.services if s.service == "db")
    limit = plan("pytest", None, tmp_path).stack.service("db")
    assert limit is not None
    mebibytes = int(limit.memory_limit.value) // 1024**2
    assert f"# mem_limit 4g at docker-compose.yml:5 → resources.limits.memory {mebibytes}Mi: lowered" in (
        service_text(exported, db)
    )
    assert "# shm_size 1g at docker-compose.yml:4 → /dev/shm emptyDir sizeLimit 32Mi: lowered" in (
        service_text(exported, db)
    )
    chosen = {(n.service, n.what) for n in exported.defaults}
    assert ("db", "resources.limits.memory") in chosen


def test_a_kept_base_shm_size_reaches_the_k8s_pod(tmp_path: Path) -> None:
    """Kubernetes gives a pod 64M of /dev/shm: the base's 2g becomes a Memory emptyDir, in the limit."""
    from composegen.export.k8s import export_k8s

    (tmp_path / "docker-compose.yml").write_text(CASES[3]["compose"])  # a browser with shm_size 2g
    exported = export_k8s(plan("pytest", None, tmp_path))
    pod = exported.services[0].manifests[0].body["spec"]["template"]["spec"]
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}} in pod["volumes"]


@pytest.mark.parametrize(
    ("command", "shm"),
    [(["render", "-o", "-"], "32M"), (["export", "k8s", "-o", "-"], "/dev/shm emptyDir sizeLimit 32Mi")],
)
def test_the_commands_say_it_on_stderr(tmp_path: Path, command: list[str], shm: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "composegen", *command, "--profile", "pytest"],
        cwd=_project(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "db: mem_limit 4g at docker-compose.yml:5 → " in done.stderr
    assert f"db: shm_size 1g at docker-compose.yml:4 → {shm}: lowered" in done.stderr


def test_a_service_that_sets_only_its_limits_is_not_masked_against_every_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Masking each service's lines against every secret of the stack takes services × secrets: a
    line that holds only a figure read as a number has nothing to mask (3,000 such services with a
    secret each took 12 s to render, 3 s without their facts)."""
    import composegen.masking
    from composegen.sizing.runs import base_facts

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: nginx:1.27\n    mem_limit: 256m\n    cpus: 0.5\n"
        "    environment:\n      PASSWORD: s3cr3t-value\n"
    )
    inputs = plan("pytest", None, tmp_path).inputs[0]

    def refuse(*_: object) -> str:
        raise AssertionError("masked")

    monkeypatch.setattr(composegen.masking, "mask", refuse)
    assert base_facts(inputs) == (
        "docker-compose.yml:4: mem_limit: 256m (where the overlay writes another value, a note says why)",
        "docker-compose.yml:5: cpus: 0.5 (where the overlay writes another value, a note says why)",
    )


#: The base's /tmp with no size, in each form compose takes (size=0 is docker's unbounded default).
#: Each with the line the note names.
UNSIZED_TMP = {
    "short, one string": ("    tmpfs: /tmp\n", 4),
    "short, a list": ("    tmpfs: [/tmp]\n", 4),
    "short, options without a size": ('    tmpfs: ["/tmp:mode=1777"]\n', 4),
    "short, size 0": ('    tmpfs: ["/tmp:size=0"]\n', 4),
    "long form, no size": ("    volumes:\n      - type: tmpfs\n        target: /tmp\n", 5),
}


@pytest.mark.parametrize(("mount", "line"), UNSIZED_TMP.values(), ids=UNSIZED_TMP.keys())
def test_a_base_tmp_with_no_size_is_counted_as_the_read_only_roots(tmp_path: Path, mount: str, line: int) -> None:
    """Under a read-only profile the plan counts its own /tmp; where the base mounts /tmp with no
    size the overlay writes none (the base's runs), and the limit still counts it, assumed: never
    less than a base with no /tmp gets (main counted nothing for it)."""
    base = "services:\n  app:\n    image: ghcr.io/acme/app:1.0.0\n"
    (tmp_path / "docker-compose.yml").write_text(base)
    without = plan("prod", None, tmp_path).stack.service("app")
    (tmp_path / "docker-compose.yml").write_text(base + mount)
    planned = plan("prod", None, tmp_path)
    service = planned.stack.service("app")
    assert without is not None and service is not None
    assert service.memory_limit.value == without.memory_limit.value, service.memory_limit.show()
    tmp = [m for m in service.tmpfs if m.path == "/tmp"]
    assert len(tmp) == 1 and tmp[0].size.source_kind == "assumed"
    out = tmp_path / "docker-compose.prod.yml"
    text = render_planned(planned, out)
    assert "/tmp" not in text.split("services:", 1)[1]  # the base's mount runs: the overlay writes none
    said = f"at docker-compose.yml:{line}: no size: "
    notes = _header_notes(text, "app")
    assert any(said in n and "counted at the read-only root's 64 MiB, assumed" in n for n in notes), notes
    out.write_text(text)
    oracle.run_config([tmp_path / "docker-compose.yml", out], env={}, project_dir=tmp_path)
