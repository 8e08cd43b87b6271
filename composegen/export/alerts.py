"""Prometheus alert rules against each service's planned limits (`composegen export alerts`).

Per service: working set above `monitoring.warn` of the memory limit (warning) and above
`monitoring.critical` (critical), CPU above `monitoring.cpu` of the CPU limit, an OOM kill, and a
leak: `predict_linear` over `monitoring.leak_window` says the working set reaches the limit within
`monitoring.leak_horizon`. Each condition must hold for `monitoring.pending` (5m in prod).

Which metrics (the exporter decides the names):
- `compose` (default): cAdvisor on the Docker host. `container_memory_working_set_bytes` (what
  the kernel weighs against the limit: usage minus inactive file pages, the number `docker stats`
  shows), `container_cpu_usage_seconds_total` and `container_oom_events_total` (cAdvisor counts
  the kernel's OOM kills per container). cAdvisor copies Docker labels onto every series as
  `container_label_<name>`, so a service is `container_label_com_docker_compose_service`.
- `kubernetes`: the kubelet's cAdvisor for memory and CPU (`container` is the container name,
  which `export k8s` sets to the service name) and kube-state-metrics for the OOM kill:
  `kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}` while
  `kube_pod_container_status_restarts_total` went up (a restart whose last reason was OOMKilled).

Thresholds are the planned limit as a constant in the expression (`> 0.8 * 536870912`): the rule
names the number composegen derived, and fires even where the limit was never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from composegen.export.notes import Note
from composegen.export.output import export_header
from composegen.profiles.models import MonitoringPolicy
from composegen.sizing.model import ServicePlan, StackPlan
from composegen.units import format_bytes, format_cpus, format_duration
from composegen.yamlio import KUBERNETES, dump

Platform = Literal["compose", "kubernetes"]
PLATFORMS: tuple[Platform, ...] = ("compose", "kubernetes")

MEMORY = "container_memory_working_set_bytes"
CPU = "container_cpu_usage_seconds_total"
OOM_EVENTS = "container_oom_events_total"
LAST_TERMINATED = "kube_pod_container_status_last_terminated_reason"
RESTARTS = "kube_pod_container_status_restarts_total"
#: The range `rate()` of CPU and `increase()` of OOM counters look back over.
RATE_WINDOW = "5m"

ALERT_MEMORY_WARNING = "ContainerMemoryHigh"
ALERT_MEMORY_CRITICAL = "ContainerMemoryCritical"
ALERT_CPU = "ContainerCpuHigh"
ALERT_OOM = "ContainerOomKilled"
ALERT_LEAK = "ContainerMemoryLeak"


@dataclass(frozen=True)
class Target:
    """Where the series of one service are: the label matchers of the platform's exporter."""

    platform: Platform
    project: str
    service: str

    def matchers(self) -> dict[str, str]:
        """The labels every series of this service carries (and the synthetic tests give them)."""
        if self.platform == "kubernetes":
            return {"container": self.service}
        return {
            "container_label_com_docker_compose_project": self.project,
            "container_label_com_docker_compose_service": self.service,
        }

    @property
    def instance_label(self) -> str:
        """The label that tells one container of the service from another."""
        return "pod" if self.platform == "kubernetes" else "name"

    def selector(self, **extra: str) -> str:
        """`{a='x',b='y'}`: single-quoted PromQL strings, so the YAML needs no escapes."""
        pairs = {**self.matchers(), **extra}
        return "{" + ",".join(f"{k}='{_escape(v)}'" for k, v in pairs.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _duration(seconds: float) -> str:
    """A Prometheus duration: whole seconds as `1h30m`, `5m`, `45s`."""
    return format_duration(max(1.0, seconds))


def _share(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[dict[str, object], ...]

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "rules": list(self.rules)}


@dataclass(frozen=True)
class AlertRules:
    groups: tuple[RuleGroup, ...]
    skipped: tuple[Note, ...]
    platform: Platform

    def count(self) -> int:
        return sum(len(g.rules) for g in self.groups)

    def as_dict(self) -> dict[str, object]:
        """The rules file as data: `{groups: [...]}`."""
        return {"groups": [g.as_dict() for g in self.groups]}


def _rule(
    alert: str,
    expr: str,
    pending: float,
    severity: str,
    plan: ServicePlan,
    summary: str,
    description: str,
    **labels: str,
) -> dict[str, object]:
    rule: dict[str, object] = {"alert": alert, "expr": expr}
    if pending:
        rule["for"] = _duration(pending)
    return rule | {
        "labels": {
            "severity": severity,
            "service": plan.name,
            "memory_limit": format_bytes(plan.memory_limit.value),
            **labels,
        },
        "annotations": {"summary": summary, "description": description},
    }


def service_rules(
    plan: ServicePlan, policy: MonitoringPolicy, target: Target
) -> tuple[list[dict[str, object]], list[Note]]:
    """The rules of one service, and the alerts it cannot have (no CPU limit)."""
    limit = int(plan.memory_limit.value)
    shown = format_bytes(limit)
    memory = f"{MEMORY}{target.selector()}"
    name = plan.name
    uses = f"{{{{ $labels.{target.instance_label} }}}} of {name} uses {{{{ $value | humanize1024 }}}}B"
    rules = [
        _rule(
            ALERT_MEMORY_WARNING,
            f"{memory} > {_share(policy.warn)} * {limit}",
            policy.pending,
            "warning",
            plan,
            f"{name}: memory above {policy.warn:.0%} of its {shown} limit",
            f"{uses} of its {shown} limit (warning at {policy.warn:.0%}) for {_duration(policy.pending)}.",
        ),
        _rule(
            ALERT_MEMORY_CRITICAL,
            f"{memory} > {_share(policy.critical)} * {limit}",
            policy.pending,
            "critical",
            plan,
            f"{name}: memory above {policy.critical:.0%} of its {shown} limit",
            f"{uses} of its {shown} limit: the kernel OOM-kills it at the limit.",
        ),
    ]
    skipped: list[Note] = []
    if plan.cpus is not None:
        cores = plan.cpus.value
        rules.append(
            _rule(
                ALERT_CPU,
                f"rate({CPU}{target.selector()}[{RATE_WINDOW}]) > {_share(policy.cpu)} * {format_cpus(cores)}",
                policy.pending,
                "warning",
                plan,
                f"{name}: CPU above {policy.cpu:.0%} of its {format_cpus(cores)} core limit",
                f"{name} uses {{{{ $value | printf `%.2f` }}}} cores of its {format_cpus(cores)}: "
                "it is throttled at the limit.",
                cpu_limit=format_cpus(cores),
            )
        )
    else:
        skipped.append(Note(name, ALERT_CPU, "no CPU limit (the profile writes none)"))
    rules.append(
        _rule(
            ALERT_OOM,
            _oom_expr(target),
            0.0,
            "critical",
            plan,
            f"{name}: a container was OOM-killed at its {shown} limit",
            f"The kernel killed a process of {name} at its {shown} memory limit: "
            f"raise the limit (composegen explain {name}) or find what grew.",
        )
    )
    horizon = _duration(policy.leak_horizon)
    rules.append(
        _rule(
            ALERT_LEAK,
            f"predict_linear({memory}[{_duration(policy.leak_window)}], {int(policy.leak_horizon)}) > {limit}",
            policy.pending,
            "warning",
            plan,
            f"{name}: memory grows towards its {shown} limit within {horizon}",
            f"{name}'s working set, extrapolated over the last {_duration(policy.leak_window)}, reaches its "
            f"{shown} limit within {horizon}: a leak, or a limit too small for the load.",
        )
    )
    return rules, skipped


def _oom_expr(target: Target) -> str:
    if target.platform == "kubernetes":
        return (
            f"({LAST_TERMINATED}{target.selector(reason='OOMKilled')} == 1) and on (namespace, pod, container) "
            f"(increase({RESTARTS}{target.selector()}[{RATE_WINDOW}]) > 0)"
        )
    return f"increase({OOM_EVENTS}{target.selector()}[{RATE_WINDOW}]) > 0"


def alert_rules(stack: StackPlan, policy: MonitoringPolicy | None, project: str, platform: Platform) -> AlertRules:
    """One rule group per service; `policy` None takes the defaults (80 %, 90 %, 5m, 24h)."""
    chosen = policy or MonitoringPolicy()
    groups: list[RuleGroup] = []
    skipped: list[Note] = []
    for plan in stack.services:
        rules, left_out = service_rules(plan, chosen, Target(platform, project, plan.name))
        groups.append(RuleGroup(f"composegen.{project}.{plan.name}", tuple(rules)))
        skipped.extend(left_out)
    return AlertRules(tuple(groups), tuple(skipped), platform)


def rules_text(rules: AlertRules, profile: str, digest: str) -> str:
    """The rules file: composegen's header, then `groups:`."""
    header = (
        f"{export_header('alerts')}\n"
        f"# profile: {profile}   platform: {rules.platform}   inputs: {digest}\n"
        f"# check: promtool check rules FILE\n"
    )
    return header + dump(rules.as_dict(), layout=KUBERNETES)


def rules_json(rules: AlertRules, output: str | None) -> dict[str, object]:
    return {
        "output": output,
        "platform": rules.platform,
        "rules": rules.count(),
        **rules.as_dict(),
        "skipped": [s.as_dict() for s in rules.skipped],
    }


__all__ = ["PLATFORMS", "AlertRules", "Platform", "Target", "alert_rules", "rules_json", "rules_text"]
