"""`composegen export alerts`: promtool accepts the rules, and promtool unit tests built here fire
each alert on a synthetic unhealthy container of every service and stay quiet on a healthy one.

The unit tests are generated from the plan, not checked in: for each service one healthy container
(memory at half the limit, CPU at half the limit, no OOM) and one container per failure (memory
between warn and critical, above critical, a slow climb that reaches the limit within the horizon,
CPU above the threshold, an OOM kill), each with its own instance label.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from composegen.cli.app import app
from composegen.export import alerts as al
from composegen.profiles.models import MonitoringPolicy
from composegen.render.overlay import plan
from composegen.yamlio import KUBERNETES, dump
from tests.conftest import EXAMPLES

EXPORT_EXAMPLES = ["agent-scale", "dev", "ml", "prod", "pytest"]
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
#: Samples a minute for an hour; alerts are evaluated at 30 minutes (after `for: 5m`).
STEP = 60
SAMPLES = 60
EVAL_AT = 30 * 60


def humanize1024(value: float) -> str:
    """Prometheus' `humanize1024` template function (template/template.go)."""
    if abs(value) <= 1:
        return f"{value:.4g}"
    prefix = ""
    for unit in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(value) < 1024:
            break
        prefix = unit
        value /= 1024
    return f"{value:.4g}{prefix}"


def _series(metric: str, labels: Mapping[str, str], values: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{metric}{{{inner}}}", "values": values}


def _flat(value: float) -> str:
    return f"{value:.0f}x{SAMPLES}"


def _counter(rate: float) -> str:
    """A counter growing by `rate` per second."""
    return f"0+{rate * STEP:g}x{SAMPLES}"


def _annotations(rule: Mapping[str, Any], instance: str, value: float | None) -> dict[str, str]:
    out = {}
    for key, text in rule["annotations"].items():
        text = text.replace("{{ $labels.name }}", instance).replace("{{ $labels.pod }}", instance)
        if value is not None:
            text = text.replace("{{ $value | humanize1024 }}", humanize1024(value))
            text = text.replace("{{ $value | printf `%.2f` }}", f"{value:.2f}")
        out[key] = text
    return out


class _Synthetic:
    """The synthetic containers of one service and the alerts they must raise."""

    def __init__(self, rules: al.AlertRules, group: al.RuleGroup, project: str) -> None:
        self.by_alert = {str(r["alert"]): r for r in group.rules}
        service = str(self.by_alert[al.ALERT_MEMORY_WARNING]["labels"]["service"])  # type: ignore[index]
        self.service = service
        self.target = al.Target(rules.platform, project, service)
        self.extra = {"namespace": "default"} if rules.platform == "kubernetes" else {}
        self.limit = float(str(self.by_alert[al.ALERT_LEAK]["expr"]).rsplit(">", 1)[1])

    def labels(self, instance: str) -> dict[str, str]:
        return {**self.target.matchers(), **self.extra, self.target.instance_label: f"{self.service}-{instance}"}

    def fires(self, alert: str, instance: str, value: float | None, **more: str) -> dict[str, Any]:
        rule = self.by_alert[alert]
        return {
            "exp_labels": {**self.labels(instance), **more, **rule["labels"]},  # type: ignore[dict-item]
            "exp_annotations": _annotations(rule, f"{self.service}-{instance}", value),
        }


def unit_tests(rules: al.AlertRules, project: str, policy: MonitoringPolicy, rules_file: str) -> dict[str, Any]:
    """A promtool test file for `rules`: synthetic containers per service, expected alerts."""
    series: list[dict[str, str]] = []
    expected: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (al.ALERT_MEMORY_WARNING, al.ALERT_MEMORY_CRITICAL, al.ALERT_CPU, al.ALERT_OOM, al.ALERT_LEAK)
    }
    for group in rules.groups:
        s = _Synthetic(rules, group, project)
        memory = {
            "healthy": 0.5 * s.limit,
            "warm": round((policy.warn + policy.critical) / 2 * s.limit),
            "hot": round((policy.critical + 1) / 2 * s.limit),
        }
        for instance, value in memory.items():
            series.append(_series(al.MEMORY, s.labels(instance), _flat(value)))
        expected[al.ALERT_MEMORY_WARNING] += [
            s.fires(al.ALERT_MEMORY_WARNING, "warm", memory["warm"]),
            s.fires(al.ALERT_MEMORY_WARNING, "hot", memory["hot"]),
        ]
        expected[al.ALERT_MEMORY_CRITICAL].append(s.fires(al.ALERT_MEMORY_CRITICAL, "hot", memory["hot"]))
        # a climb from 30 % that stays below the warning line yet reaches the limit within the horizon
        slope = 1.5 * s.limit / policy.leak_horizon
        series.append(_series(al.MEMORY, s.labels("leak"), f"{0.3 * s.limit:.0f}+{slope * STEP:.0f}x{SAMPLES}"))
        expected[al.ALERT_LEAK].append(s.fires(al.ALERT_LEAK, "leak", None))
        cpu_rule = s.by_alert.get(al.ALERT_CPU)
        cores = float(cpu_rule["labels"]["cpu_limit"]) if cpu_rule else 1.0  # type: ignore[index]
        series.append(_series(al.CPU, s.labels("healthy"), _counter(0.5 * cores)))
        if cpu_rule is not None:
            busy = round((policy.cpu + 1) / 2 * cores, 2) + 0.001  # clear of a rounding edge in `%.2f`
            series.append(_series(al.CPU, s.labels("busy"), _counter(busy)))
            expected[al.ALERT_CPU].append(s.fires(al.ALERT_CPU, "busy", busy))
        oom_at = (EVAL_AT - 3 * STEP) // STEP  # the kill happens three minutes before the evaluation
        killed = f"0x{oom_at} 1x{SAMPLES - oom_at}"
        if rules.platform == "kubernetes":
            series += [
                _series(al.RESTARTS, s.labels("healthy"), _flat(0)),
                _series(al.RESTARTS, s.labels("oom"), killed),
                _series(al.LAST_TERMINATED, {**s.labels("healthy"), "reason": "Completed"}, _flat(1)),
                _series(al.LAST_TERMINATED, {**s.labels("oom"), "reason": "OOMKilled"}, _flat(1)),
            ]
            expected[al.ALERT_OOM].append(s.fires(al.ALERT_OOM, "oom", None, reason="OOMKilled"))
        else:
            series += [
                _series(al.OOM_EVENTS, s.labels("healthy"), _flat(0)),
                _series(al.OOM_EVENTS, s.labels("oom"), killed),
            ]
            expected[al.ALERT_OOM].append(s.fires(al.ALERT_OOM, "oom", None))
    minutes = f"{EVAL_AT // 60}m"
    return {
        "rule_files": [rules_file],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    # a minute in: every condition is true, none has held for `for` yet (no OOM yet)
                    *({"eval_time": "1m", "alertname": name, "exp_alerts": []} for name in expected),
                    *(
                        {"eval_time": minutes, "alertname": name, "exp_alerts": alerts}
                        for name, alerts in expected.items()
                    ),
                ],
            }
        ],
    }


def _rules_for(example: str, platform: al.Platform) -> tuple[al.AlertRules, str, MonitoringPolicy, str]:
    planned = plan(example, None, EXAMPLES / example)
    policy = planned.profile.profile.monitoring or MonitoringPolicy()
    rules = al.alert_rules(planned.stack, planned.profile.profile.monitoring, planned.base.name, platform)
    return rules, planned.base.name, policy, al.rules_text(rules, example, planned.digest)


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


@pytest.mark.parametrize("platform", al.PLATFORMS)
@pytest.mark.parametrize("example", EXPORT_EXAMPLES)
def test_promtool_checks_the_rules_and_their_unit_tests_pass(
    example: str, platform: al.Platform, tmp_path: Path
) -> None:
    rules, project, policy, text = _rules_for(example, platform)
    (tmp_path / "alerts.yml").write_text(text)
    checked = _promtool("check", "rules", "alerts.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {rules.count()} rules found" in checked.stdout
    tests = unit_tests(rules, project, policy, "alerts.yml")
    (tmp_path / "alerts_test.yml").write_text(dump(tests, layout=KUBERNETES))
    tested = _promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    fired = sum(len(t["exp_alerts"]) for t in tests["tests"][0]["alert_rule_test"])
    assert fired >= 5 * len(rules.groups) - len(rules.skipped)


def test_a_broken_threshold_fails_the_unit_tests(tmp_path: Path) -> None:
    """The unit tests can fail: a rule whose warning line moved to 95 % misses the warm container."""
    rules, project, policy, text = _rules_for("prod", "compose")
    (tmp_path / "alerts.yml").write_text(text.replace("> 0.8 *", "> 0.95 *"))
    (tmp_path / "alerts_test.yml").write_text(dump(unit_tests(rules, project, policy, "alerts.yml"), layout=KUBERNETES))
    tested = _promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert tested.returncode == 1 and "ContainerMemoryHigh" in tested.stdout + tested.stderr


def test_rules_name_the_service_its_limit_and_the_profile_thresholds() -> None:
    rules, _, _, _ = _rules_for("prod", "compose")
    api = {str(r["alert"]): r for r in next(g for g in rules.groups if g.name == "composegen.acme.api").rules}
    warning = api[al.ALERT_MEMORY_WARNING]
    assert warning["labels"] == {"severity": "warning", "service": "api", "memory_limit": "720M"}
    assert warning["for"] == "5m"
    assert warning["expr"] == (
        "container_memory_working_set_bytes{container_label_com_docker_compose_project='acme',"
        "container_label_com_docker_compose_service='api'} > 0.8 * 754974720"
    )
    assert api[al.ALERT_MEMORY_CRITICAL]["expr"].endswith("> 0.9 * 754974720")  # type: ignore[union-attr]
    assert api[al.ALERT_CPU]["expr"].endswith("[5m]) > 0.8 * 1")  # type: ignore[union-attr]
    assert api[al.ALERT_LEAK]["expr"].startswith("predict_linear(")  # type: ignore[union-attr]
    assert api[al.ALERT_LEAK]["expr"].endswith("[1h], 86400) > 754974720")  # type: ignore[union-attr]
    assert "720M" in str(warning["annotations"])


def test_thresholds_come_from_the_profile(tmp_path: Path) -> None:
    custom = tmp_path / "tight.yaml"
    custom.write_text(
        "name: tight\nextends: prod\nmonitoring: {warn: 0.7, critical: 0.85, cpu: 0.6, pending: 2m, "
        "leak_window: 30m, leak_horizon: 6h}\n"
    )
    planned = plan(str(custom), None, EXAMPLES / "prod")
    rules = al.alert_rules(planned.stack, planned.profile.profile.monitoring, "acme", "compose")
    first = {str(r["alert"]): r for r in rules.groups[0].rules}
    assert str(first[al.ALERT_MEMORY_WARNING]["expr"]).endswith("> 0.7 * 754974720")
    assert str(first[al.ALERT_MEMORY_CRITICAL]["expr"]).endswith("> 0.85 * 754974720")
    assert "> 0.6 * 1" in str(first[al.ALERT_CPU]["expr"])
    assert "[30m], 21600)" in str(first[al.ALERT_LEAK]["expr"])
    assert first[al.ALERT_MEMORY_WARNING]["for"] == "2m"


def test_a_profile_without_cpu_limits_lists_the_cpu_alert_as_skipped(tmp_path: Path) -> None:
    custom = tmp_path / "nocpu.yaml"
    custom.write_text("name: nocpu\nextends: prod\ncpu: {limits: false}\n")
    planned = plan(str(custom), None, EXAMPLES / "prod")
    rules = al.alert_rules(planned.stack, planned.profile.profile.monitoring, "acme", "compose")
    assert {s.what for s in rules.skipped} == {al.ALERT_CPU}
    assert len(rules.skipped) == len(rules.groups)


def test_cli_writes_the_file_and_reports_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "prod")
    out = tmp_path / "alerts.yml"
    result = CliRunner().invoke(app, ["export", "alerts", "--profile", "prod", "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["output"] == str(out) and report["rules"] == 30 and report["skipped"] == []
    assert yaml.safe_load(out.read_text()) == {"groups": report["groups"]}
    again = CliRunner().invoke(app, ["export", "alerts", "--profile", "prod", "-o", str(out)])
    assert again.exit_code == 0, again.output  # composegen's own file: replaced


def test_cli_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "prod")
    out = tmp_path / "alerts.yml"
    out.write_text("groups: []\n")
    result = CliRunner().invoke(app, ["export", "alerts", "--profile", "prod", "-o", str(out)])
    assert result.exit_code == 2 and "not overwriting" in result.output
    assert out.read_text() == "groups: []\n"
