"""What the Swarm target adds to each service's `deploy`: the CPU reservation, rolling-update and
rollback pacing, the restart policy and placement, each from the plan and the profile.

Swarm-only keys (facts/compose-spec.md, "What compose v2 honours outside Swarm": reservations.cpus,
update_config, rollback_config, placement and the full restart_policy act only under `docker stack
deploy`). The choices composegen makes, and why:
- `reservations.cpus` = the cpus limit × the profile's memory.reservation_ratio: one ratio for both
  resources, so a replica's reservation is the same share of its limit in each.
- `update_config.monitor` = the healthcheck's worst time to unhealthy, start_period + retries ×
  (interval + timeout) (facts/sizing.md, "Healthchecks"): a task that will fail its healthcheck
  does so within the monitor window, and the update rolls back instead of going on. Without a
  healthcheck, the expected startup × the profile's startup margin, at least Swarm's own 5 s.
- `failure_action: rollback` for updates (Swarm's default, pause, leaves half a fleet on the new
  version), `pause` for a failed rollback (it needs a person).
- `order: stop-first` for a service that keeps data (a database role, or a named volume: two tasks
  must not write one volume), `start-first` for the rest (no gap in service).
- `parallelism` / `delay`: the profile's agents.update_parallelism / agents.update_delay for agent
  services (hundreds of replicas), one replica at a time with `UPDATE_DELAY` between for the rest.
- `restart_policy.condition` from the profile's restart: on-failure -> on-failure; always and
  unless-stopped -> any; no -> none. `window` = the monitor: a restart counts as failed only if
  the task dies within it.
- `placement.max_replicas_per_node`: when the plan needs more than one host of composegen.yaml's
  size, the most replicas of the service `composegen plan` puts on one host, so Swarm does not pile
  more onto one node than the plan found room for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from composegen.profiles.models import Profile
from composegen.sizing.hosts import cpu_reservation
from composegen.sizing.model import Healthcheck, ServicePlan
from composegen.sizing.quantity import Quantity, given, largest, rounded_up, times, total

#: Roles that keep data: updated stop-first, so two tasks never write one data directory.
DATA_ROLES = frozenset({"postgres", "mysql", "mongo", "redis", "clickhouse", "elasticsearch", "kafka", "zookeeper"})
#: Between one-replica batches of a non-agent service: one healthcheck interval of the prod
#: profile, so the next batch starts after the last one was probed at least once.
UPDATE_DELAY = 10.0
#: Swarm's own default update monitor (docker service update --update-monitor: 5s).
SWARM_MONITOR = 5.0
#: Swarm's default restart delay (docker service create --restart-delay: 5s), written out.
RESTART_DELAY = 5.0
RESTART_CONDITION = {"on-failure": "on-failure", "always": "any", "unless-stopped": "any", "no": "none"}
#: `RESTART_DELAY` as the stack file writes it (`5s`), worked out once and not for each service.
_RESTART_DELAY_WRITTEN = given("restart delay", RESTART_DELAY, "seconds", "").compose_value()


@dataclass(frozen=True)
class SwarmDeploy:
    """The Swarm-only deploy settings of one service, with their derivations."""

    cpu_reservation: Quantity | None
    parallelism: Quantity
    delay: Quantity
    monitor: Quantity
    order: str
    order_reason: str
    restart_condition: str | None
    max_replicas_per_node: int | None

    def update_config(self) -> dict[str, Any]:
        return {
            "parallelism": int(self.parallelism.value),
            "delay": self.delay.compose_value(),
            "failure_action": "rollback",
            "monitor": self.monitor.compose_value(),
            "order": self.order,
        }

    def rollback_config(self) -> dict[str, Any]:
        return {
            "parallelism": int(self.parallelism.value),
            "delay": "0s",
            "failure_action": "pause",
            "monitor": self.monitor.compose_value(),
            "order": self.order,
        }

    def restart_policy(self) -> dict[str, Any] | None:
        if self.restart_condition is None:
            return None
        return {
            "condition": self.restart_condition,
            "delay": _RESTART_DELAY_WRITTEN,
            "window": self.monitor.compose_value(),
        }

    def comment(self) -> str:
        parts = [f"update {int(self.parallelism.value)} at a time, {self.order} ({self.order_reason})"]
        parts.append(f"monitor {self.monitor.show()} ({self.monitor.formula or self.monitor.source})")
        if self.cpu_reservation is not None:
            parts.append(f"cpu reservation {self.cpu_reservation.compose_value()}")
        return "; ".join(parts)


def _monitor(plan: ServicePlan, profile: Profile) -> Quantity:
    h = plan.healthcheck
    if h is not None:
        probes = times(
            "retries × (interval + timeout)",
            given("retries", h.retries, "count", f"profile {profile.name}: healthcheck.retries"),
            total("interval + timeout", (h.interval, h.timeout)),
            unit="seconds",
        )
        worst = total("monitor", (h.start_period, probes), "worst time to unhealthy (facts/sizing.md)")
        return Quantity(
            "monitor", worst.value, "seconds", "start_period + retries × (interval + timeout)", "", worst.parts
        )
    margin = given("startup margin", profile.healthcheck.startup_margin, "ratio", f"profile {profile.name}")
    expected = times("startup × margin", plan.startup, margin, unit="seconds")
    floor = given(
        "Swarm's default monitor", SWARM_MONITOR, "seconds", "docker service update --update-monitor", "default"
    )
    whole = rounded_up(largest("monitor", (expected, floor)), 1, "second")
    formula = "max(startup × startup margin, Swarm's default 5s), up to a whole second"
    return Quantity("monitor", whole.value, "seconds", formula, "", (expected, floor))


def keeps_data(plan: ServicePlan, service: Mapping[str, Any]) -> str | None:
    """Why the service keeps data (so it updates stop-first), or None."""
    if plan.role in DATA_ROLES:
        return f"role {plan.role} keeps data"
    for entry in service.get("volumes") or ():
        if isinstance(entry, Mapping) and entry.get("type", "volume") == "volume" and entry.get("source"):
            return f"named volume {entry['source']}"
        if isinstance(entry, str):
            source = entry.split(":", 1)[0]
            if ":" in entry and source and source[0] not in "./~$":
                return f"named volume {source}"
    return None


def _pacing(agent: bool, profile: Profile) -> tuple[Quantity, Quantity]:
    """(parallelism, delay) of an update: the profile's for agents, one at a time for the rest."""
    if agent:
        src = f"profile {profile.name}: agents"
        parallelism = given("parallelism", profile.agents.update_parallelism, "count", f"{src}.update_parallelism")
        delay = given("delay", profile.agents.update_delay, "seconds", f"{src}.update_delay")
    else:
        parallelism = given("parallelism", 1, "count", "one replica at a time")
        delay = given("delay", UPDATE_DELAY, "seconds", "composegen: one healthcheck interval between batches")
    return parallelism, delay


class Kept:
    """What `swarm_deploy` works out from the profile and a plan's parts, kept for one stack file
    (one profile): services that share their inputs get the same quantities, made once."""

    def __init__(self) -> None:
        self.pacing: dict[bool, tuple[Quantity, Quantity]] = {}
        #: by (the healthcheck, else the startup): all `_monitor` reads of a plan
        self.monitors: dict[tuple[Healthcheck | None, Quantity | None], Quantity] = {}
        self.cpu: dict[tuple[Quantity | None, Quantity | None], Quantity | None] = {}

    def monitor(self, plan: ServicePlan, profile: Profile) -> Quantity:
        key = (plan.healthcheck, plan.startup if plan.healthcheck is None else None)
        found = self.monitors.get(key)
        if found is None:
            found = self.monitors[key] = _monitor(plan, profile)
        return found


def swarm_deploy(
    plan: ServicePlan,
    profile: Profile,
    service: Mapping[str, Any],
    max_per_node: int | None,
    kept: Kept | None = None,
) -> SwarmDeploy:
    """The Swarm-only settings of `plan` (its merged compose `service` tells whether it keeps data);
    `kept`: what services of the same stack file share (see `Kept`), else made here."""
    kept = kept if kept is not None else Kept()
    agent = plan.role == "agent"
    pacing = kept.pacing.get(agent)
    if pacing is None:
        pacing = kept.pacing[agent] = _pacing(agent, profile)
    parallelism, delay = pacing
    cpu_key = (plan.cpus, plan.cpu_reservation)
    if cpu_key in kept.cpu:
        reservation = kept.cpu[cpu_key]
    else:
        reservation = kept.cpu[cpu_key] = cpu_reservation(plan, profile)
    data = keeps_data(plan, service)
    return SwarmDeploy(
        cpu_reservation=reservation,
        parallelism=parallelism,
        delay=delay,
        monitor=kept.monitor(plan, profile),
        order="stop-first" if data else "start-first",
        order_reason=data or "stateless: the new task starts before the old one stops",
        restart_condition=RESTART_CONDITION.get(profile.restart) if profile.restart else None,
        max_replicas_per_node=max_per_node,
    )
