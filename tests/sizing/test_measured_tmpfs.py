"""A profile's tmpfs data dir sized from what calibrate measured (sizing/measured.py measured_tmpfs):
the cases are data (measured_tmpfs_cases.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from composegen.profiles.loader import load_profile
from composegen.sizing.measured import ServiceMeasurement
from composegen.sizing.plan import plan_service
from composegen.units import MIB
from tests.conftest import REPO, leaves, make_inputs

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "measured_tmpfs_cases.yaml").read_text())["cases"]
PYTEST = load_profile("pytest", REPO).profile


def measurement(run: dict[str, Any], idle_run: str = "", path: str = "") -> ServiceMeasurement:
    """The run's figures (MiB); `tmpfs` (at_peak, peak): what the tmpfs at `path` held, read on its own."""
    peak = run["peak"] * MIB
    own = run.get("tmpfs")
    return ServiceMeasurement(
        service="db",
        samples=24,
        seconds=64.0,
        memory_p50=peak,
        memory_p90=peak,
        memory_p95=peak,
        memory_peak=peak,
        cpu_samples=23,
        cpu_p95=0.1,
        throttled_p95=0.0,
        oom_killed=False,
        oom_events=0,
        limit_at_kill=None,
        limit=None,
        leak=False,
        leak_reason="",
        source="m.json: db, 24 samples over 1m4s (profile pytest)",
        shmem_at_peak=run["shmem_at_peak"] * MIB,
        shmem_peak=run["shmem_peak"] * MIB if "shmem_peak" in run else None,
        idle_run=idle_run,
        tmpfs_at_peak={path: own[0] * MIB} if own else {},
        tmpfs_peak={path: own[1] * MIB} if own else {},
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_tmpfs_from_the_run(case: dict[str, Any]) -> None:
    inputs = make_inputs(case["role"], name="db", image=case["image"], **case["spec"])
    estimate = plan_service(inputs, PYTEST).tmpfs
    plan_ = plan_service(inputs, PYTEST, measured=measurement(case["run"], path=estimate[0].path))
    assert [t.path for t in plan_.tmpfs] == [t.path for t in estimate]
    size = plan_.tmpfs[0].size.value
    expected = estimate[0].size.value if case["tmpfs"] == "estimate" else case["tmpfs"] * MIB
    assert size == expected  # in whole MiB
    assert plan_.memory_limit.value == case["limit"] * MIB
    said = [n for n in plan_.notes if "sized from the run" in n]
    assert bool(said) == (case["tmpfs"] != "estimate")
    if said:  # the measured figure is typed as measured, and the note says what a full tmpfs does
        assert "measured" in {q.source_kind for q in leaves(plan_.tmpfs[0].size)}
        assert "ENOSPC" in said[0]


def test_a_tmpfs_the_base_file_mounts_keeps_its_estimate() -> None:
    inputs = make_inputs("mysql", name="db", image="mariadb:10.11", dataset="31M")
    inputs = inputs._replace(base=inputs.base._replace(tmpfs_targets=("/var/lib/mysql",)))
    estimate = plan_service(inputs, PYTEST).tmpfs[0].size.value
    plan_ = plan_service(inputs, PYTEST, measured=measurement({"peak": 245, "shmem_at_peak": 144, "shmem_peak": 144}))
    assert plan_.tmpfs[0].size.value == estimate


def test_a_run_that_saw_no_load_keeps_the_estimate() -> None:
    """calibrate without a workload: what the tmpfs held is the empty server, not the data."""
    inputs = make_inputs("mysql", name="db", image="mariadb:10.11")
    estimate = plan_service(inputs, PYTEST).tmpfs[0].size.value
    idle = measurement({"peak": 200, "shmem_at_peak": 125, "shmem_peak": 125}, idle_run="the calibrate run saw no load")
    assert plan_service(inputs, PYTEST, measured=idle).tmpfs[0].size.value == estimate


def test_a_base_tmpfs_beside_the_data_dir_keeps_its_size_and_the_data_dir_is_sized_from_the_run(
    tmp_path: Path,
) -> None:
    """The base's own sized tmpfs is counted at its size (sizing/base_resources.py with_base_tmpfs),
    never from the run; the plan's data dir beside it is still sized from what it held."""
    from composegen.render.overlay import plan

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: mariadb:10.11\n    tmpfs: [/scratch:size=256m]\n"
    )
    (tmp_path / "composegen.yaml").write_text("services:\n  db: {dataset: 31M}\n")
    inputs = plan("pytest", None, tmp_path).inputs[0]
    estimate = plan_service(inputs, PYTEST)
    assert [(t.path, t.size.value) for t in estimate.tmpfs][1:] == [("/scratch", 256 * MIB)]
    data = estimate.tmpfs[0].path
    run = measurement({"peak": 245, "shmem_at_peak": 144, "shmem_peak": 144, "tmpfs": (130, 130)}, path=data)
    measured = plan_service(inputs, PYTEST, measured=run)
    assert [t.path for t in measured.tmpfs] == [data, "/scratch"]
    assert measured.tmpfs[1].size.value == 256 * MIB
    assert any("sized from the run" in n for n in measured.notes)
    assert measured.memory_limit.value > 256 * MIB + measured.tmpfs[0].size.value
