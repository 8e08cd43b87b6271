"""watch's alert and raise logic without an engine: a fake client records the Engine API updates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.sampler import ContainerState, OomEvent, Sample
from composegen.engine.watch import (
    CRITICAL,
    WARN,
    Watcher,
    WatchReport,
    WatchRequest,
    raised_limit,
    thresholds,
)
from composegen.profiles.loader import load_profile
from composegen.render.overlay import plan
from composegen.sizing.common import raised_memswap
from composegen.units import MIB

STACK = Path(__file__).resolve().parent / "stacks" / "watch"


class FakeContainer:
    def __init__(self, log: list[dict[str, Any]], refuse: bool) -> None:
        self.log = log
        self.refuse = refuse

    def update(self, **kwargs: Any) -> None:
        import docker.errors

        if self.refuse:
            raise docker.errors.APIError("Memory limit should be smaller than already set memoryswap limit")
        self.log.append(kwargs)


class FakeClient:
    def __init__(self, refuse: bool = False) -> None:
        self.updates: list[dict[str, Any]] = []
        self.refuse = refuse
        self.containers = self

    def get(self, ident: str) -> FakeContainer:
        return FakeContainer(self.updates, self.refuse)


def state(limit: int | None, swap: int | None = None, name: str = "p-app-1") -> ContainerState:
    return ContainerState(name, name, "app", "running", False, 0, 0, limit, swap, None, None)


def sample(working_set: int, name: str = "p-app-1") -> Sample:
    return Sample(1.0, name, "app", working_set, working_set, None, 0.0, 1, None)


def watcher(client: FakeClient, maximum: int | None = None, auto: bool = True) -> tuple[Watcher, WatchReport]:
    report = WatchReport("p", WARN, CRITICAL, auto)
    request = WatchRequest("pytest", None, Path.cwd(), auto_adjust=auto)
    lines: list[str] = []
    return Watcher(client, report, request, maximum, lines.append), report  # type: ignore[arg-type]


def run(w: Watcher, steps: Sequence[tuple[ContainerState, int]]) -> None:
    for t, (s, used) in enumerate(steps):
        w.observe(float(t), [s], [sample(used)])


@pytest.mark.parametrize(
    ("limit", "maximum", "expected"),
    [(64 * MIB, 1024 * MIB, 77 * MIB), (77 * MIB, 1024 * MIB, 93 * MIB), (93 * MIB, 96 * MIB, 96 * MIB)],
)
def test_raised_limit_is_20_percent_in_whole_mib_capped(limit: int, maximum: int, expected: int) -> None:
    assert raised_limit(limit, 0.2, maximum) == expected


def test_memswap_keeps_its_ratio_and_unlimited_stays_unlimited() -> None:
    assert raised_memswap(64 * MIB, 128 * MIB, 77 * MIB) == 154 * MIB  # the Engine's default 2×
    assert raised_memswap(64 * MIB, 64 * MIB, 77 * MIB) == 77 * MIB  # no swap stays no swap
    assert raised_memswap(64 * MIB, -1, 77 * MIB) == -1
    assert raised_memswap(64 * MIB, None, 77 * MIB) is None


def test_alerts_are_edge_triggered_and_the_raise_happens_at_critical() -> None:
    client = FakeClient()
    w, report = watcher(client, maximum=1024 * MIB)
    s64 = state(64 * MIB, 128 * MIB)
    run(w, [(s64, 40 * MIB), (s64, 52 * MIB), (s64, 53 * MIB), (s64, 58 * MIB)])
    assert [a.level for a in report.alerts] == ["warning", "critical"]  # 52 MiB is 81 %; 58 MiB is 91 %
    assert client.updates == [{"mem_limit": 77 * MIB, "memswap_limit": 154 * MIB}]
    assert [(c.old_limit, c.new_limit) for c in report.changes] == [(64 * MIB, 77 * MIB)]
    assert report.limits["p-app-1"] == 77 * MIB  # shown at once, before the next inspect
    # the next sample sees the raised limit: back under the warning line, an "ok" alert
    run(w, [(state(77 * MIB, 154 * MIB), 58 * MIB)])
    assert report.alerts[-1].level == "ok"


def test_without_auto_adjust_nothing_is_raised() -> None:
    client = FakeClient()
    w, report = watcher(client, auto=False)
    run(w, [(state(64 * MIB), 63 * MIB)])
    assert [a.level for a in report.alerts] == ["critical"] and client.updates == [] and report.changes == []


def test_never_past_the_maximum_and_said_once() -> None:
    client = FakeClient()
    w, report = watcher(client, maximum=96 * MIB)
    run(w, [(state(93 * MIB), 85 * MIB)])
    assert client.updates == [{"mem_limit": 96 * MIB}]
    run(w, [(state(96 * MIB), 90 * MIB), (state(96 * MIB), 95 * MIB)])
    assert len(client.updates) == 1
    assert report.refused == ["not raised: p-app-1 is at its maximum 96 MiB"]


def test_the_default_maximum_is_twice_the_first_limit() -> None:
    client = FakeClient()
    w, report = watcher(client)
    limit = 64 * MIB
    for _ in range(6):
        run(w, [(state(limit), int(limit * 0.95))])
        limit = client.updates[-1]["mem_limit"] if client.updates else limit
    assert max(u["mem_limit"] for u in client.updates) == 128 * MIB
    assert report.maximums["p-app-1"] == 128 * MIB


def test_a_refused_update_is_logged_not_fatal() -> None:
    client = FakeClient(refuse=True)
    w, report = watcher(client, maximum=1024 * MIB)
    run(w, [(state(64 * MIB), 60 * MIB)])
    assert report.changes == [] and "the engine refused" in report.refused[0]


def test_oom_events_and_the_overlay_change() -> None:
    client = FakeClient()
    w, report = watcher(client, maximum=1024 * MIB)
    run(w, [(state(64 * MIB), 60 * MIB)])
    w.ooms(2.0, [state(77 * MIB)], [OomEvent(2.0, "p-app-1", "app")])
    assert [a.level for a in report.ooms] == ["oom"] and report.ooms[0].limit == 77 * MIB
    assert report.overlay_change() == (
        'services:\n  app:\n    deploy:\n      resources:\n        limits:\n          memory: "77M"\n'
    )
    assert "1 OOM kill events, 1 limits raised" in report.text()


def test_thresholds_come_from_the_profile(tmp_path: Path) -> None:
    planned = plan("pytest", None, STACK)
    assert thresholds(planned) == (0.8, 0.9)
    custom = tmp_path / "tight.yaml"
    custom.write_text("name: tight\nextends: pytest\nmonitoring: {warn: 0.5, critical: 0.7}\nmemory: {maximum: 1G}\n")
    planned = plan(str(custom), None, STACK)
    assert thresholds(planned) == (0.5, 0.7)
    assert planned.profile.profile.memory.maximum == 1024 * MIB
    assert load_profile("dev", tmp_path).profile.memory.maximum is None


@pytest.mark.parametrize(
    ("achieved", "said"),
    [
        (2.01, "one every 2.01s (asked 2s: held)"),
        (4.5, "one every 4.50s (asked 2s: NOT held: a round costs more)"),
    ],
)
def test_the_report_states_the_interval_the_samplings_kept(achieved: float, said: str) -> None:
    report = WatchReport("p", WARN, CRITICAL, False, seconds=30.0, ticks=15)
    report.interval, report.achieved, report.read_from = 2.0, achieved, "500 from the cgroup fs"
    first = report.text().splitlines()[0]
    assert first == f"watch: p, 15 samplings over 30s, {said}; read 500 from the cgroup fs"
    assert report.as_json()["interval_achieved"] == achieved
