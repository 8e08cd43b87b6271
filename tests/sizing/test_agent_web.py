"""Agents by tier, python web workers, celery concurrency, pytest collection, LLM KV cache."""

from __future__ import annotations

import pytest

from composegen.errors import InputError
from composegen.profiles.loader import load_profile
from composegen.sizing import agent, llm, pytest_runner, python_web, worker
from composegen.units import GIB, KIB, MIB
from tests.conftest import REPO, make_inputs, make_profile

AGENT_SCALE = load_profile("agent-scale", REPO).profile


@pytest.mark.parametrize(
    ("agents", "memory_mb", "cpus"),
    [
        (1, 512, 0.5),
        (50, 512, 0.5),
        (51, 384, 0.35),
        (100, 384, 0.35),
        (101, 256, 0.25),
        (200, 256, 0.25),
        (201, 192, 0.15),
        (500, 192, 0.15),
        (501, 128, 0.1),
        (2000, 128, 0.1),
    ],
)
def test_agent_tiers_from_profile_data(agents: int, memory_mb: int, cpus: float) -> None:
    sizing = agent.size(make_inputs("agent", agents=agents), AGENT_SCALE)
    assert sizing.memory.value == memory_mb * MIB
    assert sizing.cpus is not None and sizing.cpus.value == pytest.approx(cpus)
    assert sizing.replicas is not None and sizing.replicas.value == agents


def test_agents_per_replica_multiplies_and_divides() -> None:
    sizing = agent.size(make_inputs("agent", agents=500, agents_per_replica=10), AGENT_SCALE)
    assert sizing.memory.value == 10 * 192 * MIB
    assert sizing.replicas is not None and sizing.replicas.value == 50
    assert {e.key: e.value for e in sizing.environment}["AGENT_POOL_SIZE"] == "10"


def test_agent_without_tiers_is_an_error() -> None:
    with pytest.raises(InputError, match="no agent tiers"):
        agent.size(make_inputs("agent", agents=5), make_profile())


@pytest.mark.parametrize(("cpus", "workers"), [(0.5, 2), (1, 3), (2, 5), (4, 9)])
def test_gunicorn_workers_from_the_cpu_limit(cpus: float, workers: int) -> None:
    sizing = python_web.size(make_inputs("python-web", cpus=cpus), make_profile())
    assert sizing.extra["workers"].value == workers  # (2 × cores) + 1
    # (24 MiB arbiter + workers × 38 MiB, both measured by bench/accuracy) × margin 1.2: no
    # framework in sight, so the heavier measured one (Django's)
    assert sizing.memory.value == pytest.approx((24 + workers * 38) * MIB * 1.2)


def test_declared_workers_and_memory_per_worker_win() -> None:
    sizing = python_web.size(make_inputs("python-web", workers=4, memory_per_worker="180M"), make_profile())
    assert sizing.memory.value == pytest.approx((24 + 4 * 180) * MIB * 1.2)  # the arbiter does not import the app
    env = {e.key: e.value for e in sizing.environment}
    assert env["WEB_CONCURRENCY"] == "4"


def test_preload_counts_the_arbiter_as_a_worker() -> None:
    inputs = make_inputs("python-web", workers=4, preload=True, memory_per_worker="180M")
    assert python_web.size(inputs, make_profile()).memory.value == pytest.approx(5 * 180 * MIB * 1.2)


def test_celery_concurrency_counts_the_cpu_limit_not_the_host() -> None:
    sizing = worker.size(make_inputs("worker", cpus=2), make_profile())
    assert sizing.extra["concurrency"].value == 2
    assert {e.key: e.value for e in sizing.environment}["CELERY_WORKER_CONCURRENCY"] == "2"
    # (2 + 1 main process) × 128 MiB assumed × margin 1.2: celery's main process imports the app
    assert sizing.memory.value == pytest.approx(3 * 128 * MIB * 1.2)


def test_pytest_collection_scales_with_tests_and_xdist() -> None:
    one = pytest_runner.size(make_inputs("pytest", tests=10000), make_profile())
    # 48 MiB + 10,000 × 7 KiB (measured by bench/accuracy), × margin 1.2; startup 10 s + 10,000 × 2 ms
    assert one.memory.value == pytest.approx((48 * MIB + 10000 * 7 * KIB) * 1.2)
    assert one.startup.value == pytest.approx(30.0)
    four = pytest_runner.size(make_inputs("pytest", tests=10000, workers=4), make_profile())
    assert four.memory.value == pytest.approx(5 * one.memory.value)


def test_web_startup_covers_collection_when_tests_declared() -> None:
    sizing = python_web.size(make_inputs("python-web", tests=6000), make_profile())
    assert sizing.startup.value == pytest.approx(10 + 6000 * 0.002)


def test_llm_weights_plus_kv_cache() -> None:
    inputs = make_inputs(
        "llm", models=[{"name": "llama3-8b", "dtype": "int4"}], context_length=8192, concurrent_sequences=4
    )
    sizing = llm.size(inputs, make_profile(memory={"margin": 1.0}))
    weights = 8_030_261_248 * 0.5
    kv = 128 * KIB * 8192 * 4  # = 4 GiB
    assert sizing.memory.value == pytest.approx(0.73 * GIB + weights + kv)


def test_llama3_70b_does_not_fit_32g_at_any_dtype() -> None:
    # facts: "llama3-70b in 32g" fails at every dtype (int4 weights alone 32.85 GiB)
    inputs = make_inputs("llm", models=[{"name": "llama3-70b", "dtype": "int4"}])
    assert llm.size(inputs, make_profile(memory={"margin": 1.0})).memory.value > 32 * GIB


def test_unknown_model_names_the_fix() -> None:
    with pytest.raises(InputError, match="unknown model") as err:
        make_inputs("ml-inference", models=[{"name": "gpt-99"}])
    assert "params" in err.value.fix
