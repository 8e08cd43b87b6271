"""The steps of a stress ramp or a gradual scale, and what is made of them. Pure.

- `ramp_counts`, `scale_counts`: the replica counts to step through.
- `settled`: each container's usage in a step, from the samples of the second half of its settle
  window (the first half is start-up: allocation, connection, warm-up).
- `Step`: one step's counts, usage, breaches and timings.
- `marginal`: memory and CPU per added replica, the least-squares line through one settled total
  per step (the steps are independent measurements, so the textbook interval applies), with its
  confidence interval and the residuals' spread: a fitted line, not one difference.
- `Expected`, `expected_totals`: what the plan's limits add up to at a count (the dry run).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from composegen.engine.lines import Breach, HostBudget, Lines, Usage, share_of_line, stack_cpu, stack_memory
from composegen.engine.live import short_name
from composegen.engine.sampler import ContainerState, Sample
from composegen.engine.statistics import CONFIDENCE, Fit, least_squares
from composegen.sizing.model import StackPlan
from composegen.units import human_bytes

#: The share of a settle window whose samples count (the later part).
SETTLED_SHARE = 0.5


def ramp_counts(step: int, maximum: int) -> list[int]:
    """0 (the baseline), step, 2 × step, ... up to `maximum` (the last step may be smaller)."""
    if step < 1 or maximum < 0:
        raise ValueError("step must be at least 1 and maximum at least 0")
    counts = list(range(0, maximum + 1, step))
    if counts[-1] != maximum:
        counts.append(maximum)
    return counts


def scale_counts(current: int, target: int, step: int | None) -> list[int]:
    """The counts from `current` (left out) to `target`, `step` at a time (None: at once)."""
    if current == target:
        return []
    if step is None:
        return [target]
    if step < 1:
        raise ValueError("step must be at least 1")
    direction = 1 if target > current else -1
    counts = list(range(current + direction * step, target, direction * step))
    return [*counts, target]


def settled(samples: Sequence[Sample], states: Sequence[ContainerState], start: float, end: float) -> tuple[Usage, ...]:
    """Each running container's mean usage over the samples of the later part of [start, end]
    (each container's last sample when none falls there)."""
    cut = start + (end - start) * (1.0 - SETTLED_SHARE)
    by_container: dict[str, list[Sample]] = {}
    for s in samples:
        if start <= s.t <= end:
            by_container.setdefault(s.container, []).append(s)
    out: list[Usage] = []
    for state in states:
        mine = by_container.get(state.name)
        if not mine:
            continue
        late = [s for s in mine if s.t >= cut] or mine[-1:]
        cpus = [s.cpu for s in late if s.cpu is not None]
        out.append(
            Usage(
                container=state.name,
                service=state.service,
                working_set=sum(s.working_set for s in late) / len(late),
                cpu=sum(cpus) / len(cpus) if cpus else None,
                memory_limit=state.memory_limit,
                cpu_limit=state.nano_cpus / 1e9 if state.nano_cpus else None,
                samples=len(late),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Step:
    """One step: the service at `replicas`, settled."""

    index: int
    replicas: int
    usages: tuple[Usage, ...]
    breaches: tuple[Breach, ...]
    started: float  # seconds since the run started
    ended: float
    healthy_after: float | None  # seconds `up --wait` took; None: it failed
    service: str
    settle_seconds: float = 0.0  # the settle window, from healthy to the last reading
    ticks: int = 0  # samplings in the settle window
    sample_seconds: float = 0.0  # of which spent reading (the rounds' cost, summed)
    interval_achieved: float | None = None  # the mean interval between the samplings

    @property
    def ok(self) -> bool:
        return not self.breaches

    @property
    def memory(self) -> float:
        return stack_memory(self.usages)

    @property
    def cpu(self) -> float | None:
        return stack_cpu(self.usages)

    def fewest_samples(self) -> int | None:
        """The fewest settled samples of any container (None: no container)."""
        return min((u.samples for u in self.usages), default=None)

    def service_usages(self) -> list[Usage]:
        return [u for u in self.usages if u.service == self.service]

    @property
    def clean(self) -> bool:
        """Measured undisturbed: no kill, restart or failed start (a line crossed is still a
        good measurement)."""
        return not any(b.kind in ("oom", "restart", "unhealthy") for b in self.breaches)

    def closest(self, lines: Lines) -> tuple[Usage, float] | None:
        """The container closest to (or furthest over) its own lines, and that share."""
        shares = [(u, share) for u in self.usages if (share := share_of_line(u, lines)) is not None]
        return max(shares, key=lambda us: us[1]) if shares else None

    def as_json(self, lines: Lines) -> dict[str, Any]:
        closest = self.closest(lines)
        mine = self.service_usages()
        return {
            "index": self.index,
            "replicas": self.replicas,
            "ok": self.ok,
            "started": round(self.started, 3),
            "ended": round(self.ended, 3),
            "healthy_after_seconds": None if self.healthy_after is None else round(self.healthy_after, 3),
            "settle_seconds": round(self.settle_seconds, 3),
            "sample_seconds": round(self.sample_seconds, 3),
            "ticks": self.ticks,
            "interval_achieved": None if self.interval_achieved is None else round(self.interval_achieved, 3),
            "fewest_samples": self.fewest_samples(),
            "memory_total": self.memory,
            "cpu_total": self.cpu,
            "service_memory_mean": sum(u.working_set for u in mine) / len(mine) if mine else None,
            "closest_to_its_line": None
            if closest is None
            else {"container": closest[0].container, "share_of_line": round(closest[1], 4)},
            "containers": [u.as_json() for u in self.usages],
            "breaches": [b.as_json() for b in self.breaches],
        }

    def line_text(self, lines: Lines, budget: HostBudget, project: str = "") -> str:
        """One log line: what the step measured against the lines (container names without the
        `project-` prefix)."""
        parts = [f"stack memory {human_bytes(self.memory)}"]
        if budget.memory:
            parts[-1] += f" of {human_bytes(lines.host_memory * budget.memory)} host line"
        cpu = "unknown" if self.cpu is None else f"{self.cpu:.2f} cores"
        parts.append(f"CPU {cpu}" + (f" of {lines.host_cpu * budget.cpus:.2f}" if budget.cpus else ""))
        mine = self.service_usages()
        if mine:
            parts.append(f"{self.service} {human_bytes(sum(u.working_set for u in mine) / len(mine))} each")
        closest = self.closest(lines)
        if closest is not None:
            parts.append(f"closest to its line: {short_name(closest[0].container, project)} at {closest[1]:.0%}")
        verdict = "; ".join(b.message for b in self.breaches) if self.breaches else "ok"
        return f"{', '.join(parts)}: {verdict}"


@dataclass(frozen=True)
class Marginal:
    """y per added replica: a least-squares line through one point per step."""

    what: str
    unit: str  # bytes or cores
    fit: Fit

    @property
    def per_replica(self) -> float:
        return self.fit.slope

    def as_json(self) -> dict[str, Any]:
        fit = self.fit
        return {
            "what": self.what,
            "unit": self.unit,
            "per_replica": fit.slope,
            "ci": [fit.low, fit.high],
            "confidence": fit.confidence,
            "stderr": fit.stderr,
            "residual_sd": fit.residual_sd,
            "intercept": fit.intercept,
            "steps": fit.n,
            "from_replicas": fit.x_first,
            "to_replicas": fit.x_last,
        }


def marginal(
    what: str, unit: str, points: Iterable[tuple[int, float]], confidence: float = CONFIDENCE
) -> Marginal | None:
    """The fitted line through (replicas, value); None with fewer than 3 distinct counts."""
    pairs = sorted(points)
    if len({x for x, _ in pairs}) < 3:
        return None
    fit = least_squares([float(x) for x, _ in pairs], [y for _, y in pairs], confidence, autocorrelated=False)
    return Marginal(what, unit, fit) if fit is not None else None


def marginals(steps: Sequence[Step]) -> dict[str, Marginal]:
    """Per added replica: the stack's memory and CPU, and the memory of the service's own
    containers (the rest is what the other services take on per replica), from the clean steps."""
    clean = [s for s in steps if s.clean]
    service = steps[0].service if steps else ""
    candidates = {
        "memory": marginal("stack memory", "bytes", [(s.replicas, s.memory) for s in clean]),
        "cpu": marginal("stack CPU", "cores", [(s.replicas, s.cpu) for s in clean if s.cpu is not None]),
        "service_memory": marginal(
            f"{service} containers' memory",
            "bytes",
            [(s.replicas, sum(u.working_set for u in s.service_usages())) for s in clean],
        ),
    }
    return {k: v for k, v in candidates.items() if v is not None}


# --- the dry run: what the plan's numbers add up to -------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The plan's totals with the service at `replicas`."""

    replicas: int
    memory_limits: float
    memory_reservations: float
    cpus: float
    budget: HostBudget

    @property
    def fits(self) -> bool:
        """The memory limits fit the host budget (CPU is shared, so its excess is only noted)."""
        return self.budget.memory is None or self.memory_limits <= self.budget.memory

    def as_json(self) -> dict[str, Any]:
        return {
            "replicas": self.replicas,
            "memory_limits": self.memory_limits,
            "memory_reservations": self.memory_reservations,
            "cpus": self.cpus,
            "fits": self.fits,
        }

    def text(self) -> str:
        memory = f"limits {human_bytes(self.memory_limits)}"
        if self.budget.memory:
            memory += f" of {human_bytes(self.budget.memory)}"
        cpus = f"cpus {self.cpus:.2f}" + (f" of {self.budget.cpus:g}" if self.budget.cpus else "")
        verdict = "fits" if self.fits else "DOES NOT FIT"
        return f"{memory}, reservations {human_bytes(self.memory_reservations)}, {cpus}: {verdict}"


def expected_totals(stack: StackPlan, service: str, replicas: int, budget: HostBudget) -> Expected:
    """The sums of the plan's limits, reservations and cpus (× replicas), with `service` at
    `replicas` and every other service as planned."""
    memory = reservations = cpus = 0.0
    for s in stack.services:
        count = replicas if s.name == service else s.replicas
        memory += count * s.memory_limit.value
        reservations += count * (s.memory_reservation.value if s.memory_reservation else 0.0)
        cpus += count * (s.cpus.value if s.cpus else 0.0)
    return Expected(replicas, memory, reservations, cpus, budget)


def fits_up_to(stack: StackPlan, service: str, budget: HostBudget) -> int | None:
    """The most replicas of `service` whose planned limits fit the host budget (None: no budget)."""
    if budget.memory is None:
        return None
    plan = stack.service(service)
    if plan is None or plan.memory_limit.value <= 0:
        return None
    others = expected_totals(stack, service, 0, budget).memory_limits
    return max(0, math.floor((budget.memory - others) / plan.memory_limit.value))
