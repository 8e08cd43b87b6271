"""The logic of stress and scale without an engine: the counts stepped through, the settled usage of
a step, the lines and the order breaches are named in, the fitted cost per replica, the plan's
totals for the dry run, and the chart."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.lines import (
    Breach,
    Events,
    HostBudget,
    Lines,
    Usage,
    budget_from,
    judge,
    lines_from,
)
from composegen.engine.plots import plot_steps
from composegen.engine.ramp import (
    Step,
    expected_totals,
    fits_up_to,
    marginal,
    marginals,
    ramp_counts,
    scale_counts,
    settled,
)
from composegen.engine.sampler import ContainerState, Sample
from composegen.engine.scale import parse_target, tier_note
from composegen.engine.statistics import least_squares
from composegen.engine.stress import StressRequest, ceiling, stopped_by, stress_block, stress_text
from composegen.errors import InputError
from composegen.profiles.models import HostSpec
from composegen.render.overlay import plan
from composegen.units import GIB, MIB
from tests.engine.stress_stack import STACK, cg

LINES = Lines()
ROOMY = HostBudget(64 * GIB, 64.0, "test")


@pytest.mark.parametrize(
    ("step", "maximum", "counts"),
    [(2, 10, [0, 2, 4, 6, 8, 10]), (5, 12, [0, 5, 10, 12]), (5, 5, [0, 5]), (1, 3, [0, 1, 2, 3])],
)
def test_a_ramp_starts_at_no_replicas_and_ends_at_the_maximum(step: int, maximum: int, counts: list[int]) -> None:
    assert ramp_counts(step, maximum) == counts


@pytest.mark.parametrize(
    ("current", "target", "step", "counts"),
    [
        (2, 10, 2, [4, 6, 8, 10]),
        (0, 7, 3, [3, 6, 7]),
        (10, 3, 4, [6, 3]),  # down in steps too
        (0, 200, None, [200]),  # immediate
        (5, 5, 2, []),
    ],
)
def test_a_scale_steps_from_the_current_count_to_the_target(
    current: int, target: int, step: int | None, counts: list[int]
) -> None:
    assert scale_counts(current, target, step) == counts


def usage(
    name: str = "s-app-1",
    memory: float = 10 * MIB,
    limit: float | None = 64 * MIB,
    cpu: float | None = 0.1,
    cpu_limit: float | None = None,
    service: str = "app",
) -> Usage:
    return Usage(name, service, memory, cpu, limit, cpu_limit, 3)


NO_EVENTS = Events({}, {})


@pytest.mark.parametrize(
    ("used", "kind", "line"),
    [
        (usage(memory=58 * MIB), "memory", 0.9 * 64 * MIB),  # 58 MiB > 57.6 MiB
        (usage(memory=57 * MIB), None, None),
        (usage(memory=500 * MIB, limit=None), None, None),  # no limit: no line of its own
        # the CPU line scales with the container's CPU limit: 90 % of 1.5 cores is 1.35 cores
        (usage(cpu=1.40, cpu_limit=1.5), "cpu", 1.35),
        (usage(cpu=1.30, cpu_limit=1.5), None, None),
        (usage(cpu=0.46, cpu_limit=0.5), "cpu", 0.45),
        (usage(cpu=3.0, cpu_limit=None), None, None),
    ],
)
def test_a_container_crosses_its_own_lines(used: Usage, kind: str | None, line: float | None) -> None:
    breaches = judge([used], NO_EVENTS, ROOMY, LINES)
    assert [b.kind for b in breaches] == ([kind] if kind else [])
    if kind:
        assert breaches[0].line == pytest.approx(line) and breaches[0].container == "s-app-1"


def test_the_cpu_message_names_the_scaled_line() -> None:
    (breach,) = judge([usage(cpu=1.4, cpu_limit=1.5)], NO_EVENTS, ROOMY, LINES)
    assert breach.message == "s-app-1: CPU 1.40 cores (140%) above 90% of its 1.5-core limit (1.35 cores (135%))"


def test_the_host_lines_take_the_stack_sums() -> None:
    budget = HostBudget(200 * MIB, 2.0, "--host-memory", "--host-cpus")
    three = [usage(f"s-agent-{i}", memory=62 * MIB, limit=None, cpu=0.61, service="agent") for i in range(3)]
    kinds = [b.kind for b in judge(three, NO_EVENTS, budget, LINES)]
    assert kinds == ["host memory", "host cpu"]  # 186 MiB > 180 MiB; 1.83 cores > 1.8
    assert judge(three[:2], NO_EVENTS, budget, LINES) == ()
    (memory, _) = judge(three, NO_EVENTS, budget, LINES)
    assert memory.container is None and "(180 MiB; --host-memory)" in memory.message
    assert judge(three, NO_EVENTS, budget, LINES)[1].message.endswith("(1.80 cores (180%); --host-cpus)")


def test_breaches_are_named_events_first_then_containers_then_the_host() -> None:
    budget = HostBudget(100 * MIB, None, "test")
    used = [usage("s-a-1", memory=60 * MIB), usage("s-b-1", memory=63 * MIB, service="b")]
    events = Events({"s-c-1": "c"}, {"s-c-1": ("c", 1), "s-d-1": ("d", 2)}, unhealthy="")
    kinds = [(b.kind, b.container) for b in judge(used, events, budget, LINES)]
    assert kinds == [
        ("oom", "s-c-1"),
        ("restart", "s-d-1"),  # the OOM-killed container's restart is not named twice
        ("memory", "s-b-1"),  # the furthest over its line first
        ("memory", "s-a-1"),
        ("host memory", None),
    ]
    unhealthy = judge([], Events({}, {}, "docker compose up failed (exit 1)"), budget, LINES)
    assert [b.kind for b in unhealthy] == ["unhealthy"]


def state(name: str, service: str = "agent", running: bool = True) -> ContainerState:
    return ContainerState(
        name, name, service, "running" if running else "exited", False, 0, 0, 64 * MIB, None, None, 1_500_000_000
    )


def sample(t: float, name: str, memory: float, cpu: float | None) -> Sample:
    return Sample(t, name, "agent", int(memory), int(memory), 64 * MIB, cpu, 1, None)


def test_a_step_is_judged_on_the_later_half_of_its_settle_window() -> None:
    samples = [
        sample(10.0, "a", 5 * MIB, None),  # start-up: left out
        sample(11.0, "a", 15 * MIB, 0.5),
        sample(12.5, "a", 20 * MIB, 0.2),
        sample(13.5, "a", 22 * MIB, 0.4),
        sample(13.5, "b", 9 * MIB, None),  # one reading: no CPU
        sample(20.0, "a", 99 * MIB, 0.9),  # after the window
    ]
    a, b = settled(samples, [state("a"), state("b"), state("c")], 10.0, 14.0)
    assert (a.container, a.working_set, a.cpu, a.samples) == ("a", 21 * MIB, pytest.approx(0.3), 2)
    assert a.cpu_limit == 1.5 and a.memory_limit == 64 * MIB
    assert (b.working_set, b.cpu, b.samples) == (9 * MIB, None, 1)


def step(index: int, replicas: int, memory: float, breaches: tuple[Breach, ...] = ()) -> Step:
    agents = [usage(f"s-agent-{i}", memory=memory / max(1, replicas), service="agent") for i in range(replicas)]
    return Step(index, replicas, tuple(agents), breaches, index * 10.0, index * 10.0 + 5, 2.0, "agent")


def test_a_step_whose_cpu_was_not_measured_says_unknown_never_0() -> None:
    """Issue 17: the stack's CPU read 0.00 at every step when the agents had one reading each."""
    from composegen.engine.stepper import timing

    measured = Step(1, 2, (usage("a", cpu=0.25), usage("b", cpu=0.5)), (), 0.0, 20.0, 4.0, "app", 12.0, 6, 0.3, 2.0)
    unknown = Step(2, 2, (usage("a", cpu=0.25), usage("b", cpu=None)), (), 20.0, 40.0, 4.0, "app", 12.0, 6, 0.3, 2.0)
    assert measured.cpu == pytest.approx(0.75) and unknown.cpu is None
    budget = HostBudget(200 * MIB, 2.0, "--host-memory")
    assert "CPU 0.75 cores of" in measured.line_text(LINES, budget)
    assert "CPU unknown of" in unknown.line_text(LINES, budget)
    assert unknown.as_json(LINES)["cpu_total"] is None
    row = stress_text({"steps": [unknown.as_json(LINES)]}, Path("c.json"), False, None, None).splitlines()[1]
    assert row.split()[:9] == ["2", "2", "4.0s", "12.0s", "6", "in", "0.30s", "20", "MiB"] and "unknown" in row
    assert timing(measured, 2.0) == (
        "settled 12.0s, 6 samplings every 2.00s (asked 2s) costing 0.30s, at least 3 settled samples a container"
    )
    assert marginals([measured, unknown]).get("cpu") is None  # a step of unknown CPU is no point of the fit


def test_the_cost_per_replica_is_a_fitted_line_with_its_spread() -> None:
    noise = random.Random(6)
    points = [(n, 5 * MIB + 26 * MIB * n + noise.gauss(0, 0.5 * MIB)) for n in range(0, 12, 2)]
    fitted = marginal("stack memory", "bytes", points)
    assert fitted is not None
    assert fitted.per_replica == pytest.approx(26 * MIB, rel=0.02)
    low, high = fitted.as_json()["ci"]
    assert low < 26 * MIB < high and high - low < 1 * MIB
    assert 0.2 * MIB < fitted.fit.residual_sd < 1.0 * MIB and fitted.fit.autocorrelation == 0.0
    assert marginal("x", "bytes", [(0, 1.0), (2, 3.0), (2, 3.1)]) is None  # two counts make no spread


def test_steps_killed_or_restarted_are_left_out_of_the_fit() -> None:
    oom = Breach("oom", "s-agent-1", "agent", 1, 0, "OOM")
    line = Breach("host memory", None, None, 300.0, 200.0, "host")
    steps = [step(0, 0, 0.0), step(1, 2, 40 * MIB), step(2, 4, 80 * MIB), step(3, 6, 120 * MIB, (line,))]
    assert marginals(steps)["memory"].fit.n == 4  # a line crossed is still a good measurement
    assert marginals([*steps[:3], step(3, 6, 500 * MIB, (oom,))])["memory"].per_replica == pytest.approx(20 * MIB)


def test_the_ceiling_is_the_last_count_before_the_first_breach() -> None:
    line = Breach("memory", "s-hub-1", "hub", 61.0, 57.6, "hub over")
    steps = [step(0, 0, 0.0), step(1, 2, 1.0), step(2, 4, 2.0), step(3, 6, 3.0, (line,))]
    assert ceiling(steps) == 4 and stopped_by(steps) == (6, line)
    assert ceiling(steps[:3]) == 4 and stopped_by(steps[:3]) == (None, None)  # not reached
    assert ceiling([step(0, 0, 0.0, (line,))]) is None  # the baseline itself is over a line


def test_the_budget_comes_from_the_flags_then_composegen_yaml_then_the_engine() -> None:
    host = HostSpec(memory=8 * GIB, cpus=4, reserve=1 * GIB)
    flags = budget_from(2 * GIB, 1.5, host, 64 * GIB, 16)
    assert flags == HostBudget(2 * GIB, 1.5, "--host-memory", "--host-cpus")
    assert flags.source == "--host-memory, --host-cpus"
    from_yaml = budget_from(None, None, host, 64 * GIB, 16)
    assert (from_yaml.memory, from_yaml.cpus) == (7 * GIB, 4.0)
    assert from_yaml.memory_source == "composegen.yaml: host.memory − reserve 1.00 GiB (composegen.yaml: host.reserve)"
    default = budget_from(None, None, HostSpec(memory=8 * GIB, cpus=4), 64 * GIB, 16)  # issue 12: sets no reserve
    assert default.memory_source == (
        "composegen.yaml: host.memory − reserve 1.00 GiB (composegen's default: composegen.yaml sets no host.reserve)"
    )
    assert budget_from(None, 3, None, 64 * GIB, 16) == HostBudget(64 * GIB, 3, "the engine's MemTotal", "--host-cpus")
    assert budget_from(None, None, None, None, None).source == "no host budget"


def test_the_lines_default_to_the_profiles_critical_line() -> None:
    assert lines_from(None) == Lines(0.9, 0.9, 0.9, 0.9)
    assert lines_from(0.85, cpu=0.8, host=0.95) == Lines(0.85, 0.8, 0.95, 0.95)


def test_the_dry_run_totals_are_the_plans_limits_at_each_count() -> None:
    planned = plan("stress-test", None, STACK, docker_version="20.10")
    budget = HostBudget(600 * MIB, 2.0, "test")
    at4 = expected_totals(planned.stack, "agent", 4, budget)
    # the hub's 64M and 64M per agent (the agent-scale floor), reservations half of that
    assert (at4.memory_limits, at4.memory_reservations) == (320 * MIB, 160 * MIB)
    assert at4.cpus == pytest.approx(0.5 + 4 * 0.5) and at4.fits  # CPU is shared: only memory decides
    assert not expected_totals(planned.stack, "agent", 9, budget).fits
    assert fits_up_to(planned.stack, "agent", budget) == 8
    assert fits_up_to(planned.stack, "agent", HostBudget(None, None, "none")) is None


@pytest.mark.parametrize(
    ("text", "parsed"), [("agent=200", ("agent", 200)), (" agent = 0", ("agent", 0)), ("llm-proxy=3", ("llm-proxy", 3))]
)
def test_a_target_is_service_equals_count(text: str, parsed: tuple[str, int]) -> None:
    assert parse_target(text) == parsed


@pytest.mark.parametrize("text", ["agent", "agent=", "=3", "agent=many", "agent=-1", "agent=2.5"])
def test_a_target_that_is_not_service_equals_count_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="as SERVICE=COUNT"):
        parse_target(text)


def test_least_squares_of_independent_points_is_not_widened() -> None:
    xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    ys = [0.0, 1.2, 1.8, 3.2, 3.8, 5.2]  # alternating residuals: negative autocorrelation anyway
    steady = [0.0, 1.1, 2.1, 3.1, 2.9, 5.0]
    for values in (ys, steady):
        plain = least_squares(xs, values, autocorrelated=False)
        series = least_squares(xs, values)
        assert plain is not None and series is not None
        assert plain.autocorrelation == 0.0 and plain.high - plain.low <= series.high - series.low
        assert plain.residual_sd == pytest.approx(series.residual_sd)


def test_the_chart_shows_every_step_against_the_lines(tmp_path: Path) -> None:
    line = Breach("memory", "s-hub-1", "hub", 61 * MIB, 57.6 * MIB, "hub over")
    steps = [step(i, 2 * i, 26 * MIB * 2 * i) for i in range(5)] + [step(5, 10, 260 * MIB, (line,))]
    block: dict[str, Any] = {
        "lines": LINES.as_json(),
        "host": HostBudget(400 * MIB, 2.0, "test").as_json(),
        "marginal": {k: m.as_json() for k, m in marginals(steps).items()},
        "steps": [s.as_json(LINES) for s in steps],
    }
    path = plot_steps(block, tmp_path / "out" / "chart.png", "composegen stress: agent")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 20_000
    # a scale that went back down is drawn by step, not by count
    back = [*steps[:3], step(3, 2, 52 * MIB)]
    block["steps"] = [s.as_json(LINES) for s in back]
    assert plot_steps(block, tmp_path / "back.png", "composegen scale: agent").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("stress", "-p", "stress-test", "-s", "agent", "-o", "c.json", "--step", "0"), "--step 0 is below 1"),
        (("stress", "-p", "stress-test", "-s", "agent", "-o", "c.json", "--max", "3"), "--max 3 is below --step 5"),
        (("stress", "-p", "stress-test", "-s", "agent", "-o", "c.json", "--interval", "0.1s"), "is below 0.5s"),
        (("stress", "-p", "stress-test", "-s", "agent", "-o", "c.json", "--memory-line", "1.5"), "outside (0, 1]"),
        (("stress", "-p", "stress-test", "-s", "agent", "-o", "nowhere/c.json"), "the output folder does not exist"),
        (("stress", "-p", "stress-test", "-s", "agent", "-o", "notes.txt"), "not a measurements file composegen wrote"),
        (("scale", "agent", "-p", "stress-test"), "cannot read 'agent' as SERVICE=COUNT"),
        (("scale", "agent=3", "-p", "stress-test", "--step", "0", "--dry-run"), "--step 0 is below 1"),
    ],
)
def test_bad_options_get_one_line_and_exit_2_before_any_engine(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = cg(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def block_of(steps: list[Step]) -> dict[str, Any]:
    request = StressRequest("stress-test", None, STACK, "agent", Path("c.json"), step=2)
    planned = plan("stress-test", None, STACK, docker_version="20.10")
    return stress_block(request, steps, HostBudget(200 * MIB, 2.0, "--host-memory"), LINES, planned)


def test_the_stress_block_and_its_text_name_the_ceiling_and_what_stopped_it() -> None:
    line = Breach("memory", "p-hub-1", "hub", 61 * MIB, 57.6 * MIB, "p-hub-1: memory 61 MiB above ...")
    steps = [step(i, 2 * i, 26 * MIB * 2 * i) for i in range(5)] + [step(5, 10, 260 * MIB, (line,))]
    block = block_of(steps)
    assert block["ceiling"] == {"replicas": 8, "reached": True, "stopped_at": 10, "stopped_by": line.as_json()}
    assert block["planned"] == {"memory_limit": 64 * MIB, "cpus": 0.5, "fits_by_limits": 2}
    assert block["marginal"]["memory"]["per_replica"] == pytest.approx(26 * MIB)
    text = stress_text(block, Path("c.json"), False, None, None, project="p")
    assert "ceiling: 8 replicas of agent (stopped at 10: p-hub-1: memory 61 MiB above ...)" in text
    assert "per added replica, stack memory: 26 MiB (95% CI 26 MiB to 26 MiB" in text
    assert text.splitlines()[0].split() == ["STEP", "REPLICAS", "UP", "SETTLED", "SAMPLINGS", "STACK", "MEMORY",
                                            "STACK", "CPU", "CLOSEST", "TO", "ITS", "LINE", "VERDICT"]  # fmt: skip
    assert text.splitlines()[6].split()[-1] == "memory"
    # a ramp that reached --max without crossing a line, and one whose baseline was over a line
    assert "ceiling: not reached: no line crossed up to 8 replicas" in stress_text(
        block_of(steps[:5]), Path("c.json"), False, None, None
    )
    over = stress_text(block_of([step(0, 0, 0.0, (line,))]), Path("c.json"), True, "interrupted", None)
    assert "ceiling: none: with no replicas of agent the stack is over a line already" in over
    assert "stress: PARTIAL run (interrupted): what was measured is kept" in over


def test_scaling_agents_into_another_tier_says_the_overlay_is_sized_for_the_old_count() -> None:
    example = plan("agent-scale", None, STACK.parents[3] / "examples" / "agent-scale")  # rendered for 500 agents
    note = tier_note(example, "agent", 200)
    assert note is not None and note.startswith("at 200 agents the tier is 256 MiB and 0.25 cores per agent")
    assert "the overlay is sized for 500 agents (192 MiB, 0.15 cores): set agents: 200" in note
    assert tier_note(example, "agent", 300) is None  # the same tier as 500
    assert tier_note(example, "gateway", 2) is None  # not an agent
    declared = plan("stress-test", None, STACK, docker_version="20.10")
    assert tier_note(declared, "agent", 200) is None  # its memory is declared: no tier applies


class Vanishing:
    """A container someone else removes while composegen works on it."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.name = "p-agent-3"
        self.labels = {"com.docker.compose.project": "p"}

    def remove(self, **_: Any) -> None:
        raise self.error


def test_a_container_removed_by_someone_else_is_not_an_error() -> None:
    import docker.errors

    from composegen.engine.project import _removed

    assert not _removed(Vanishing(docker.errors.NotFound("No such container")))
    busy = docker.errors.APIError("removal of container is already in progress", response=FakeResponse(409))
    assert not _removed(Vanishing(busy))
    with pytest.raises(docker.errors.APIError):
        _removed(Vanishing(docker.errors.APIError("boom", response=FakeResponse(500))))


class BusyNetwork:
    """A network the engine still says has active endpoints, the first `busy` times (compose's own
    `down` of 500 containers fails on it)."""

    def __init__(self, busy: int, message: str = "network p_default has active endpoints") -> None:
        self.busy = busy
        self.message = message
        self.tries = 0

    def remove(self) -> None:
        import docker.errors

        self.tries += 1
        if self.tries <= self.busy:
            raise docker.errors.APIError("error while removing network", explanation=self.message)


def test_a_network_with_active_endpoints_is_removed_again_until_it_goes() -> None:
    from composegen.engine.project import _network_removed

    network = BusyNetwork(busy=3)
    assert _network_removed(network, tries=5, pause=0.0) and network.tries == 4
    stuck = BusyNetwork(busy=99)
    assert not _network_removed(stuck, tries=5, pause=0.0) and stuck.tries == 5
    other = BusyNetwork(busy=1, message="forbidden")
    assert not _network_removed(other, tries=5, pause=0.0) and other.tries == 1  # no retry of another error


def test_a_network_the_engine_kept_is_named() -> None:
    """A container dockerd 20.10 failed to remove stays "Removal In Progress" with its endpoint until
    dockerd restarts (seen at 500 agents): the teardown names the network it could not remove."""
    from composegen.engine.project import kept_networks

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

    class Networks:
        @staticmethod
        def list(filters: dict[str, str]) -> list[Named]:
            assert filters == {"label": "com.docker.compose.project=p"}
            return [Named("p_default")]

    class Client:
        networks = Networks()

    assert kept_networks(Client(), "p") == ["p_default"]


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.reason = "test"


class EmptyStats:
    """An engine whose stats answer is an empty body (the container went away during the read)."""

    class api:  # stands in for DockerClient.api
        @staticmethod
        def stats(container: str, stream: bool, one_shot: bool) -> Any:
            import json

            return json.loads("")


def test_an_empty_stats_answer_is_no_reading_not_a_lost_engine() -> None:
    from composegen.engine.sampler import Sampler

    with Sampler(EmptyStats(), "p") as sampler:  # type: ignore[arg-type]
        container, reading, _ = sampler._read(state("p-agent-3"))
    assert container.name == "p-agent-3" and reading is None


@pytest.mark.parametrize("command", ["stress", "scale"])
def test_help_imports_neither_the_engine_sdk_nor_the_plotting(command: str, tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom composegen.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, command, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "--profile" in done.stdout
    loaded = set(done.stdout.splitlines()[-1].split())
    assert loaded & {"docker", "matplotlib", "jinja2", "ruamel", "requests"} == set()


@pytest.mark.parametrize("command", ["calibrate", "stress"])
@pytest.mark.parametrize("force", [False, True])
def test_a_measurements_run_never_writes_over_its_own_inputs(command: str, force: bool, tmp_path: Path) -> None:
    """`calibrate -o docker-compose.yml` replaced the base compose file (whatever the output held,
    it was replaced); with or without --force, an input of the run is refused before anything starts."""
    stack = tmp_path / "stack"
    shutil.copytree(STACK, stack)
    base = stack / "docker-compose.yml"
    before = base.read_bytes()
    args = ["-p", "stress-test", "-o", "docker-compose.yml", *(["--force"] if force else [])]
    if command == "stress":
        args += ["-s", "agent"]
    done = cg(command, *args, cwd=stack)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "docker-compose.yml" in lines[0], done.stderr
    assert base.read_bytes() == before


def test_calibrate_keeps_a_file_that_is_not_a_measurements_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = cg("calibrate", "-p", "stress-test", "-o", "notes.txt", cwd=tmp_path)
    assert done.returncode == 2 and "not a measurements file composegen wrote" in done.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
