"""verify's comparison, on inspect data recorded from a real engine (tests/engine/data/record.py):
the smoke stack under the pytest and prod profiles, and an OOM-killed container. No engine needed."""

from __future__ import annotations

import copy
import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.applied import Applied, from_inspect, is_oneoff, tmpfs_mounts
from composegen.engine.compare import Check, EngineInfo, compare_service, state_ok, table
from composegen.engine.verify import VerifyReport, compare_all, default_wait
from composegen.render.overlay import Planned, plan, render_planned
from composegen.sizing.quantity import given
from composegen.sizing.result import TmpfsMount
from tests.conftest import EXAMPLES

DATA = Path(__file__).resolve().parent / "data"
SMOKE = EXAMPLES / "smoke"
OLD_ENGINE = EngineInfo("20.10.24+dfsg1", "1.41")
NEW_ENGINE = EngineInfo("27.3.1", "1.47")
MIB = 1024**2


@cache
def _recorded(name: str) -> str:
    return (DATA / f"{name}.json").read_text()


def recorded(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(_recorded(name))
    return data


@cache
def planned(profile: str) -> Planned:
    return plan(profile, None, SMOKE)


def of(containers: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return next(c for c in containers if c["Config"]["Labels"]["com.docker.compose.service"] == service)


def failed(checks: list[Check]) -> dict[tuple[str, str], Check]:
    return {(c.service, c.field): c for c in checks if c.failed}


@pytest.mark.parametrize("profile", ["pytest", "prod"])
def test_a_stack_applied_as_planned_has_no_mismatch(profile: str) -> None:
    checks = compare_all(planned(profile), recorded(profile), OLD_ENGINE)
    assert failed(checks) == {}
    fields = {c.field for c in checks}
    assert {"containers", "state", "memory limit", "cpus", "pids limit", "healthcheck interval"} <= fields
    if profile == "pytest":
        assert "tmpfs /data" in fields  # the database's data dir
    else:
        assert {"memory reservation", "read_only", "no-new-privileges", "user", "cap_drop", "tmpfs /tmp"} <= fields
    # an Engine before 25 cannot take start_interval: shown, not counted
    start = [c for c in checks if c.field == "healthcheck start_interval"]
    assert start and all(c.status == "n/a" and "API 1.44" in c.note for c in start)


def test_applied_reads_limits_mounts_hardening_and_health() -> None:
    app = from_inspect(of(recorded("prod"), "app"))
    assert (app.service, app.number, app.status, app.health) == ("app", 1, "running", "healthy")
    # 16 MiB declared × prod's margin 1.3 + its 64 MiB /tmp = 84.8 MiB → 88 MiB (a whole 4 MiB), reserved × 0.5
    assert app.memory_limit == 88 * MIB and app.memory_reservation == 44 * MIB
    assert app.cpus == 0.25 and app.pids_limit == 512
    assert app.read_only and app.no_new_privileges and app.user == "1000:1000" and app.cap_drop == ("ALL",)
    tmp = app.tmpfs_at("/tmp")
    assert tmp is not None and (tmp.size, tmp.mode, tmp.form) == (64 * MIB, 0o1777, "mount")
    assert app.healthcheck is not None and app.healthcheck.interval == 15 and app.healthcheck.retries == 3
    assert app.healthcheck.test[:2] == ("CMD", "wget")


def test_an_oom_killed_container_reads_as_such() -> None:
    db = from_inspect(recorded("oom")[0])
    assert db.oom_killed and db.exit_code == 137 and db.status == "exited"
    assert not state_ok(db)
    mount = db.tmpfs_at("/data")
    assert mount is not None and (mount.size, mount.form) == (128 * MIB, "tmpfs")  # the short `tmpfs:` form


def mutated(profile: str, service: str, path: tuple[str, ...], value: Any) -> list[dict[str, Any]]:
    containers = copy.deepcopy(recorded(profile))
    target: Any = of(containers, service)
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return containers


MISMATCHES = [
    # (profile, service, inspect path, new value, field that must fail, applied text)
    ("pytest", "app", ("HostConfig", "Memory"), 48 * MIB, "memory limit", "48M"),
    ("pytest", "app", ("HostConfig", "Memory"), 0, "memory limit", "none"),
    ("pytest", "worker", ("HostConfig", "NanoCpus"), 2 * 10**9, "cpus", "2"),
    ("pytest", "db", ("HostConfig", "PidsLimit"), None, "pids limit", "none"),
    ("pytest", "db", ("HostConfig", "Mounts"), [], "tmpfs /data", "missing"),
    ("pytest", "db", ("HostConfig", "Mounts"), [{"Type": "tmpfs", "Target": "/data"}], "tmpfs /data", "unbounded"),
    ("pytest", "db", ("State", "Health", "Status"), "unhealthy", "state", "running unhealthy"),
    ("pytest", "db", ("State", "OOMKilled"), True, "state", "running healthy OOMKilled"),
    ("pytest", "app", ("RestartCount",), 2, "state", "running healthy 2 restarts"),
    ("pytest", "worker", ("Config", "Healthcheck", "Interval"), 30 * 10**9, "healthcheck interval", "30s"),
    ("pytest", "worker", ("Config", "Healthcheck", "Retries"), 3, "healthcheck retries", "3"),
    ("pytest", "app", ("Config", "Healthcheck", "StartPeriod"), 0, "healthcheck start_period", "default"),
    ("prod", "app", ("HostConfig", "MemoryReservation"), 0, "memory reservation", "none"),
    ("prod", "app", ("HostConfig", "ReadonlyRootfs"), False, "read_only", "false"),
    ("prod", "worker", ("HostConfig", "SecurityOpt"), None, "no-new-privileges", "false"),
    ("prod", "worker", ("Config", "User"), "", "user", "(image default)"),
    ("prod", "app", ("HostConfig", "CapDrop"), ["NET_RAW"], "cap_drop", "NET_RAW"),
]


@pytest.mark.parametrize(
    ("profile", "service", "path", "value", "field", "applied"), MISMATCHES, ids=[f"{m[1]}-{m[4]}" for m in MISMATCHES]
)
def test_each_wrong_setting_is_a_mismatch_named_by_service_and_field(
    profile: str, service: str, path: tuple[str, ...], value: Any, field: str, applied: str
) -> None:
    checks = compare_all(planned(profile), mutated(profile, service, path, value), OLD_ENGINE)
    wrong = failed(checks)
    assert list(wrong) == [(service, field)]
    assert wrong[(service, field)].applied == applied


def test_a_missing_container_and_an_extra_replica_are_mismatches() -> None:
    containers = [c for c in recorded("pytest") if "-worker-" not in c["Name"]]
    assert list(failed(compare_all(planned("pytest"), containers, OLD_ENGINE))) == [("worker", "containers")]
    doubled = [*recorded("pytest"), copy.deepcopy(of(recorded("pytest"), "app"))]
    assert list(failed(compare_all(planned("pytest"), doubled, OLD_ENGINE))) == [("app", "containers")]


def test_start_interval_is_compared_on_an_engine_that_takes_it() -> None:
    containers = copy.deepcopy(recorded("pytest"))
    for c in containers:
        c["Config"]["Healthcheck"]["StartInterval"] = 10**9
    checks = compare_all(planned("pytest"), containers, NEW_ENGINE)
    rows = [c for c in checks if c.field == "healthcheck start_interval"]
    assert len(rows) == 3 and all(c.status == "ok" for c in rows)
    del containers[0]["Config"]["Healthcheck"]["StartInterval"]
    assert [c.field for c in compare_all(planned("pytest"), containers, NEW_ENGINE) if c.failed] == [
        "healthcheck start_interval"
    ]


def test_a_tmpfs_the_base_mounts_may_be_smaller_never_bigger_or_unbounded() -> None:
    service = planned("pytest").stack.service("db")
    base = next(i.base for i in planned("pytest").inputs if i.name == "db")
    assert service is not None
    base_mounts = base._replace(tmpfs_targets=("/data",))
    db = of(recorded("pytest"), "db")

    def check(size: int | None) -> Check:
        data = copy.deepcopy(db)
        data["HostConfig"]["Mounts"] = [{"Type": "tmpfs", "Target": "/data", "TmpfsOptions": {"SizeBytes": size}}]
        rows = compare_service(service, base_mounts, [from_inspect(data)], OLD_ENGINE)
        return next(r for r in rows if r.field == "tmpfs /data")

    assert check(32 * MIB).status == "ok"
    assert check(64 * MIB).status == "ok"
    assert check(65 * MIB).status == "mismatch"
    assert check(None).applied == "unbounded" and check(None).status == "mismatch"


def test_a_size_assumed_for_a_base_tmpfs_with_none_is_not_a_mismatch() -> None:
    """The base's /tmp with no size, counted in the limit at an assumed size (base_resources.
    unsized_tmpfs): verify says n/a, not a mismatch of what composegen applied; render said why."""
    service = planned("pytest").stack.service("db")
    base = next(i.base for i in planned("pytest").inputs if i.name == "db")
    assert service is not None
    size = given("tmpfs /tmp", 64 * MIB, "bytes", "profile prod: hardening.tmp_size", "assumed")
    assumed = dataclasses.replace(service, tmpfs=(TmpfsMount("/tmp", size),))
    data = copy.deepcopy(of(recorded("pytest"), "db"))
    data["HostConfig"]["Mounts"] = [{"Type": "tmpfs", "Target": "/tmp", "TmpfsOptions": {}}]
    rows = compare_service(assumed, base._replace(tmpfs_targets=("/tmp",)), [from_inspect(data)], OLD_ENGINE)
    row = next(r for r in rows if r.field == "tmpfs /tmp")
    assert (row.applied, row.status) == ("unbounded", "n/a")
    assert "no size" in row.note


def test_short_form_tmpfs_options_and_capabilities() -> None:
    mounts = tmpfs_mounts({"Tmpfs": {"/run": "size=16m,mode=1777", "/x": "", "/y": "size=50%"}})
    assert [(m.target, m.size, m.mode) for m in mounts] == [
        ("/run", 16 * MIB, 0o1777),
        ("/x", None, None),
        ("/y", None, None),
    ]
    app = from_inspect(of(mutated("prod", "app", ("HostConfig", "CapDrop"), ["cap_all", "CAP_NET_RAW"]), "app"))
    assert app.cap_drop == ("cap_all", "CAP_NET_RAW")
    checks = compare_all(planned("prod"), mutated("prod", "app", ("HostConfig", "CapDrop"), ["all"]), OLD_ENGINE)
    assert failed(checks) == {}


def test_one_off_containers_are_not_replicas() -> None:
    data = copy.deepcopy(of(recorded("pytest"), "app"))
    assert not is_oneoff(data)
    data["Config"]["Labels"]["com.docker.compose.oneoff"] = "True"
    assert is_oneoff(data)


@pytest.mark.parametrize(
    ("docker", "kept"), [("20.10.24+dfsg1", False), ("24.0.7", False), ("25.0.0", True), ("28.2.2", True), (None, True)]
)
def test_an_engine_older_than_25_gets_no_start_interval_and_a_warning(
    tmp_path: Path, docker: str | None, kept: bool
) -> None:
    planned_here = plan("pytest", None, SMOKE, docker_version=docker)
    text = render_planned(planned_here, tmp_path / "docker-compose.pytest.yml")
    assert ("start_interval: " in text) is kept and "start_period: " in text
    warned = any("start_interval" in w for w in planned_here.stack.warnings)
    assert warned is not kept
    assert ("# warning: healthcheck.start_interval left out" in text) is not kept


def test_the_default_wait_covers_the_slowest_healthcheck() -> None:
    # pytest: start_period 10s + 10 retries × (5s + 3s) = 90 s, + 60 s slack
    assert default_wait(planned("pytest").stack) == 150
    # prod: 15s + 3 × (15s + 5s) = 75 s, + 60 s
    assert default_wait(planned("prod").stack) == 135


def test_table_and_report_name_every_mismatch() -> None:
    checks = compare_all(planned("pytest"), mutated("pytest", "app", ("HostConfig", "Memory"), 48 * MIB), OLD_ENGINE)
    text = table(checks)
    header, *rows = text.splitlines()
    assert header.split() == ["SERVICE", "SETTING", "PLANNED", "APPLIED", "RESULT"]
    assert any(r.split()[:2] == ["app", "memory"] and "MISMATCH" in r for r in rows)
    report = VerifyReport("p", OLD_ENGINE, tuple(checks), warnings=("w",))
    assert not report.ok
    out = report.text()
    assert out.startswith("warning: w\n")
    assert "verify: app: memory limit planned 32M, applied 48M" in out
    payload = report.as_json()
    assert payload["ok"] is False and payload["engine"]["api_version"] == "1.41"
    assert {"service": "app", "field": "memory limit"}.items() <= next(
        c for c in payload["checks"] if c["status"] == "mismatch"
    ).items()


def test_applied_from_sparse_data_does_not_crash() -> None:
    bare = from_inspect({})
    assert isinstance(bare, Applied)
    assert (bare.memory_limit, bare.tmpfs, bare.healthcheck, bare.health, bare.status) == (
        None,
        (),
        None,
        None,
        "unknown",
    )
    none_test = from_inspect({"Config": {"Healthcheck": {"Test": ["NONE"]}}})
    assert none_test.healthcheck is None


def test_an_old_engine_shows_start_interval_as_n_a_as_verify_plans_it() -> None:
    """Issue 12: verify plans for the engine it runs on, and a plan for Engine 20.10 has no
    start_interval, so the `n/a` row examples/smoke/README.md promises never appeared."""
    for_old = plan("pytest", None, SMOKE, docker_version=OLD_ENGINE.version)  # what verify() plans
    assert all(s.healthcheck is None or s.healthcheck.start_interval is None for s in for_old.stack.services)
    checks = compare_all(for_old, recorded("pytest"), OLD_ENGINE)
    rows = [c for c in checks if c.field == "healthcheck start_interval"]
    assert len(rows) == 3, rows
    assert all(c.status == "n/a" and c.applied == "not supported" and "left out of the overlay" in c.note for c in rows)
    assert {c.planned for c in rows} == {"1s"}  # the pytest profile's start_interval
    assert failed(checks) == {}
    assert "healthcheck start_interval" in table(checks)
