"""One step of a stress ramp or a gradual scale on a real engine: scale the service with the real
compose v2 (`up -d --no-recreate --scale SERVICE=N --wait`), let it settle while every container is
sampled, and judge the settled usage and what happened against the lines (`lines.judge`).

Shared by `composegen stress` and `composegen scale`; the live table and the log line of each
step are made here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from composegen.engine.lines import Events, HostBudget, Lines, judge
from composegen.engine.live import Display, Row, short_name
from composegen.engine.measurements import Recorder
from composegen.engine.project import ComposeProject, Outcome
from composegen.engine.ramp import Step, settled
from composegen.engine.sampler import ContainerState, Sampler, Tick, achieved
from composegen.errors import InputError
from composegen.sizing.measurements_file import PhaseRecord

#: Readings per step at the least: CPU needs two of a container.
MIN_TICKS = 2
#: The engine collects stats once a second: a shorter interval only repeats readings.
MIN_INTERVAL = 0.5


def check_timing(interval: float, settle: float | None) -> None:
    """--interval and --settle, checked before anything starts."""
    if interval < MIN_INTERVAL:
        raise InputError(
            f"--interval {interval:g}s is below {MIN_INTERVAL:g}s",
            fix="the engine collects stats once a second: sample every 0.5s or more",
        )
    if settle is not None and settle < 0:
        raise InputError("--settle is negative", fix="give a duration such as 20s")


def rows(tick: Tick, recorder: Recorder, project: str) -> list[Row]:
    """The live table's rows: the containers of the last tick, with the peaks seen so far."""
    by_name = {s.container: s for s in tick.samples}
    out: list[Row] = []
    for state in tick.containers:
        sample = by_name.get(state.name)
        series = recorder.series.get(state.name)
        out.append(
            Row(
                container=short_name(state.name, project),
                service=state.service,
                working_set=sample.working_set if sample else None,
                limit=state.memory_limit,
                peak=max((s.working_set for s in series.samples), default=None) if series else None,
                cpu=sample.cpu if sample else None,
                pids=sample.pids if sample else None,
                state="OOM-killed" if state.oom_killed else state.status,
            )
        )
    return out


def timing(step: Step, interval: float) -> str:
    """A step's time: settling, the samplings in it and what they cost, the interval kept."""
    kept = "" if step.interval_achieved is None else f" every {step.interval_achieved:.2f}s (asked {interval:g}s)"
    fewest = step.fewest_samples()
    each = "" if fewest is None else f", at least {fewest} settled samples a container"
    return f"settled {step.settle_seconds:.1f}s, {step.ticks} samplings{kept} costing {step.sample_seconds:.2f}s{each}"


def failure(outcome: Outcome, wait: float) -> str:
    """Why `up --wait` failed, in one line."""
    if outcome.timed_out:
        return f"docker compose up --wait did not finish within {wait + 60:.0f} s"
    return f"docker compose up failed (exit {outcome.returncode}): {outcome.last_lines(2)}"


@dataclass
class Stepper:
    """Steps one service of a running project through replica counts."""

    project: ComposeProject
    sampler: Sampler
    recorder: Recorder
    service: str
    lines: Lines
    budget: HostBudget
    settle: float  # seconds sampled after each step is healthy
    interval: float  # seconds between samples
    wait: float  # seconds `up --wait` may take
    display: Display
    log: Callable[[str], None]
    steps: list[Step] = field(default_factory=list)
    restarts: dict[str, int] = field(default_factory=dict)  # container -> restart count last seen
    killed: set[str] = field(default_factory=set)  # containers already reported OOM-killed

    def step(self, replicas: int, label: str) -> Step:
        """Scale to `replicas`, settle, sample, judge; the step is logged and kept."""
        index = len(self.steps)
        started = self.sampler.now()
        self.display.phase(f"{label}: {self.service}={replicas}", self.settle)
        clock = time.monotonic()
        outcome = self.project.scale(self.service, replicas, self.wait)
        healthy_after = time.monotonic() - clock if outcome.ok else None
        window = self.sampler.now()
        ticks = self._settle(label, window)
        end = self.sampler.now()
        samples = [s for tick in ticks for s in tick.samples]
        states = ticks[-1].containers
        events = self._events(ticks, "" if outcome.ok else failure(outcome, self.wait))
        usages = settled(samples, [s for s in states if s.running], window, end)
        step = Step(
            index=index,
            replicas=replicas,
            usages=usages,
            breaches=judge(usages, events, self.budget, self.lines),
            started=started,
            ended=end,
            healthy_after=healthy_after,
            service=self.service,
            settle_seconds=end - window,
            ticks=len(ticks),
            sample_seconds=sum(t.cost for t in ticks),
            interval_achieved=achieved(ticks),
        )
        self.steps.append(step)
        self.recorder.phases.append(PhaseRecord(label, self.interval, window, end, len(ticks)))
        healthy = f"healthy after {healthy_after:.1f}s" if healthy_after is not None else "NOT healthy"
        measured = step.line_text(self.lines, self.budget, self.project.name)
        self.log(f"{label}: {self.service}={replicas}, {healthy}; {timing(step, self.interval)}; {measured}")
        return step

    def _settle(self, label: str, window: float) -> list[Tick]:
        """Sample every `interval` for `settle` seconds (at least MIN_TICKS readings); stop early
        on an OOM kill or a restart, which end the step whatever the rest would show."""
        ticks: list[Tick] = []
        next_at = window
        while True:
            tick = self.sampler.tick()
            self.recorder.add(tick, label)
            ticks.append(tick)
            elapsed = self.sampler.now() - window
            self.display.update(rows(tick, self.recorder, self.project.name), elapsed, self._last_step())
            if len(ticks) >= MIN_TICKS and (elapsed >= self.settle or self._disturbed(tick)):
                return ticks
            interval = self.sampler.pace(self.interval)
            next_at = max(next_at + interval, self.sampler.now() - interval)
            while (now := self.sampler.now()) < next_at:
                time.sleep(min(0.1, next_at - now))

    def _last_step(self) -> str:
        """The live table's note: what the step before measured."""
        if not self.steps:
            return ""
        last = self.steps[-1]
        return (
            f"last step, {self.service}={last.replicas}: {last.line_text(self.lines, self.budget, self.project.name)}"
        )

    def _disturbed(self, tick: Tick) -> bool:
        return bool(tick.ooms) or any(
            c.oom_killed or c.restart_count > self.restarts.get(c.name, 0) for c in tick.containers
        )

    def _events(self, ticks: Sequence[Tick], unhealthy: str) -> Events:
        killed: dict[str, str] = {}
        restarted: dict[str, tuple[str, int]] = {}
        last: dict[str, ContainerState] = {}
        for tick in ticks:
            for event in tick.ooms:
                killed[event.container] = event.service
            for state in tick.containers:
                last[state.name] = state
                if state.oom_killed and state.name not in self.killed:
                    killed[state.name] = state.service
        for name, state in last.items():
            more = state.restart_count - self.restarts.get(name, 0)
            if more > 0:
                restarted[name] = (state.service, more)
            self.restarts[name] = state.restart_count
        self.killed |= set(killed)
        return Events(killed, restarted, unhealthy)
