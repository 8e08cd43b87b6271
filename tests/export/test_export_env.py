"""`composegen export env`: the real compose v2 `config` with each `.env.<tier>` resolves to that tier's
numbers, and those numbers are the ones `render` derives when composegen.yaml itself holds the
tier's inputs (so a tier is planned by the calculators, not scaled)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from composegen.cli.app import app
from composegen.compose.oracle import run_config
from composegen.export import env_tiers
from composegen.export.k8s import STATEFUL_ROLES
from composegen.render.overlay import plan
from composegen.sizing.model import StackPlan
from composegen.units import parse_bytes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLEAN_ENV = {"PATH": "/usr/bin:/bin"}


def _copy(example: str, tmp_path: Path) -> Path:
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    for overlay in folder.glob("docker-compose.*.yml"):
        overlay.unlink()
    return folder


def _project_with_tier_inputs(folder: Path, example: str, tier: str) -> Path:
    """A copy of composegen.yaml that states the tier's inputs itself (workers, agents, host)."""
    planned = plan(example, None, folder)
    spec = planned.profile.profile.tiers[tier]
    data: dict[str, Any] = yaml.safe_load((folder / "composegen.yaml").read_text())
    services = data.setdefault("services", {})
    for item in planned.inputs:
        entry = services.setdefault(item.name, {})
        if spec.workers is not None and item.role in env_tiers.WORKER_ROLES:
            entry["workers"] = spec.workers
        if spec.agents is not None and item.spec.agents is not None:
            entry["agents"] = spec.agents
    if spec.host is not None:
        data["host"] = {"memory": spec.host.memory, "cpus": spec.host.cpus, "reserve": spec.host.reserve}
    path = folder / f"composegen.{tier}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _config(folder: Path, overlay: Path, env_files: list[Path]) -> dict[str, Any]:
    result = run_config(
        [folder / "docker-compose.yml", overlay], env=CLEAN_ENV, env_files=env_files, project_dir=folder
    )
    return result.data["services"]  # type: ignore[no-any-return]


def _assert_resolves_to(services: dict[str, Any], stack: StackPlan, replicas: dict[str, int]) -> None:
    for plan_ in stack.services:
        deploy = services[plan_.name]["deploy"]
        limits, reservations = deploy["resources"]["limits"], deploy["resources"].get("reservations", {})
        assert parse_bytes(limits["memory"]) == plan_.memory_limit.value, plan_.name
        if plan_.cpus is not None:
            assert float(limits["cpus"]) == pytest.approx(plan_.cpus.value), plan_.name
        if plan_.memory_reservation is not None:
            assert parse_bytes(reservations["memory"]) == plan_.memory_reservation.value, plan_.name
        assert deploy.get("replicas", 1) == replicas[plan_.name], plan_.name
        environment = services[plan_.name].get("environment", {})
        for setting in plan_.environment:
            assert environment.get(setting.key) == setting.value, (plan_.name, setting.key)


@pytest.mark.oracle
@pytest.mark.parametrize("example", ["prod", "agent-scale"])
def test_compose_config_with_each_tier_env_file_resolves_to_that_tiers_plan(example: str, tmp_path: Path) -> None:
    folder = _copy(example, tmp_path)
    planned = plan(example, None, folder)
    exported = env_tiers.export_tiers(planned, None, None)
    env_tiers.write_tiers(exported)
    dotenv = [folder / ".env"] if (folder / ".env").is_file() else []
    assert [t.name for t in exported.tiers] == ["dev", "prod-small", "prod-large"]
    for tier in exported.tiers:
        services = _config(folder, exported.overlay, [*dotenv, folder / f".env.{tier.name}"])
        _assert_resolves_to(services, tier.stack, {s.name: s.replicas for s in tier.stack.services})
        # the same numbers as a plain plan of composegen.yaml holding the tier's inputs
        spec = planned.profile.profile.tiers[tier.name]
        stated = plan(example, _project_with_tier_inputs(folder, example, tier.name), folder)
        for own, restated in zip(tier.stack.services, stated.stack.services, strict=True):
            assert own.memory_limit.value == restated.memory_limit.value, (tier.name, own.name)
            assert (own.cpus and own.cpus.value) == (restated.cpus and restated.cpus.value)
            by_tier = spec.replicas and own.role not in STATEFUL_ROLES and own.role != "agent"
            assert own.replicas == (spec.replicas if by_tier else restated.replicas), (tier.name, own.name)
    # no tier file: the defaults are the profile's own numbers
    services = _config(folder, exported.overlay, dotenv)
    _assert_resolves_to(services, planned.stack, {s.name: s.replicas for s in planned.stack.services})


def test_tiers_change_what_their_inputs_drive() -> None:
    planned = plan("prod", None, EXAMPLES / "prod")
    tiers = {t.name: t.stack for t in env_tiers.export_tiers(planned, None, Path("/nonexistent")).tiers}
    api = {name: stack.service("api") for name, stack in tiers.items()}
    limits = [api[n].memory_limit.value for n in ("dev", "prod-small", "prod-large")]  # type: ignore[union-attr]
    assert limits == sorted(limits) and len(set(limits)) == 3  # 1, 2, 4 workers
    assert [api[n].replicas for n in ("dev", "prod-small", "prod-large")] == [1, 1, 3]  # type: ignore[union-attr]
    db = {name: stack.service("db") for name, stack in tiers.items()}
    assert len({d.memory_limit.value for d in db.values()}) == 1  # type: ignore[union-attr]
    assert {d.replicas for d in db.values()} == {1}  # type: ignore[union-attr]  # a database keeps one replica
    agent_scale = plan("agent-scale", None, EXAMPLES / "agent-scale")
    scaled = {t.name: t.stack for t in env_tiers.export_tiers(agent_scale, None, None).tiers}
    assert [scaled[n].service("agent").replicas for n in ("dev", "prod-small", "prod-large")] == [10, 100, 1000]  # type: ignore[union-attr]


def test_variable_names_follow_the_service_names() -> None:
    assert env_tiers.variable_prefix("llm-proxy") == "LLM_PROXY"
    assert env_tiers.variable_prefix("web.app_2") == "WEB_APP_2"
    planned = plan("agent-scale", None, EXAMPLES / "agent-scale")
    names = {v.name for v in env_tiers.export_tiers(planned, ["dev"], None).variables}
    assert {"LLM_PROXY_MEMORY_LIMIT", "LLM_PROXY_CPUS", "LLM_PROXY_MEMORY_RESERVATION", "AGENT_REPLICAS"} <= names
    assert "GATEWAY_MEMORY_LIMIT" in names


def test_the_overlay_reads_variables_with_the_profiles_defaults() -> None:
    planned = plan("prod", None, EXAMPLES / "prod")
    exported = env_tiers.export_tiers(planned, ["prod-large"], None)
    text = exported.overlay_text
    assert text.startswith("# Exported by composegen") and "\n# Generated by composegen" not in text
    assert 'memory: "${API_MEMORY_LIMIT:-720M}"' in text
    assert 'WEB_CONCURRENCY: "${API_ENV_WEB_CONCURRENCY:-3}"' in text
    assert 'replicas: "${API_REPLICAS:-1}"' in text
    ((path, env),) = exported.env_files
    assert path.name == ".env.prod-large" and "API_REPLICAS=3\n" in env and "API_ENV_WEB_CONCURRENCY=4\n" in env


def test_a_profile_without_tiers_and_an_unknown_tier_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "dev")
    result = CliRunner().invoke(app, ["export", "env", "--profile", "dev"])
    assert result.exit_code == 2 and "profile dev defines no tiers" in result.output
    monkeypatch.chdir(EXAMPLES / "prod")
    result = CliRunner().invoke(app, ["export", "env", "--profile", "prod", "--tiers", "dev,huge"])
    assert result.exit_code == 2 and "no tier 'huge'" in result.output and "prod-small" in result.output


def test_cli_writes_the_files_reports_json_and_keeps_foreign_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy("prod", tmp_path)
    monkeypatch.chdir(folder)
    args = ["export", "env", "--profile", "prod", "--tiers", "dev,prod-large", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [Path(f).name for f in report["files"]] == ["docker-compose.prod.tiers.yml", ".env.dev", ".env.prod-large"]
    assert [t["name"] for t in report["tiers"]] == ["dev", "prod-large"]
    limit = next(v for v in report["variables"] if v["name"] == "API_MEMORY_LIMIT")
    assert limit["default"] == "720M" and set(limit["values"]) == {"dev", "prod-large"}
    (folder / ".env.dev").write_text("MINE=1\n")
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "not overwriting" in refused.output
    assert (folder / ".env.dev").read_text() == "MINE=1\n"


def test_render_check_all_passes_over_exports_beside_the_overlay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exports are not overlays: `render --check-all` must not try to re-render them."""
    folder = _copy("prod", tmp_path)
    monkeypatch.chdir(folder)
    runner = CliRunner()
    for args in (
        ["render", "--profile", "prod"],
        ["export", "env", "--profile", "prod"],
        ["export", "alerts", "--profile", "prod", "-o", "alerts.yml"],
        ["export", "k8s", "--profile", "prod", "-o", "."],
    ):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    checked = runner.invoke(app, ["render", "--check-all"])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip() == f"{folder / 'docker-compose.prod.yml'} is up to date"
    again = runner.invoke(app, ["export", "env", "--profile", "prod"])  # its own files: replaced
    assert again.exit_code == 0, again.output
