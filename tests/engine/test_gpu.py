"""GPU memory per container through NVML (composegen.engine.gpu), on recorded readings: a fake of the
few pynvml functions composegen calls, and /proc/PID/cgroup files the test writes. No GPU, driver,
nvidia-ml-py or engine is needed. Then what calibrate, watch and verify make of the readings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.calibrate import summary_text
from composegen.engine.compare import EngineInfo
from composegen.engine.gpu import (
    ContainerGpu,
    Device,
    GpuMeter,
    GpuSnapshot,
    NvmlApi,
    by_gpu_text,
    container_of,
    open_meter,
    planned_vram,
    wants_gpus,
)
from composegen.engine.live import LiveDisplay, Row
from composegen.engine.measurements import Recorder, RunInfo, document
from composegen.engine.sampler import ContainerState, Sample, Tick
from composegen.engine.verify import VerifyReport, vram_checks
from composegen.engine.watch import CRITICAL, WARN, Watcher, WatchReport, WatchRequest, rows
from composegen.render.overlay import Planned, plan
from composegen.sizing.measured import parse_measurements
from composegen.units import GIB, MIB

LLM = "a" * 64  # the vLLM container's id
WEB = "b" * 64  # a second container using the GPU
CGROUPS = {
    101: f"12:memory:/docker/{LLM}\n11:cpu,cpuacct:/docker/{LLM}\n",  # cgroup v1
    102: f"0::/system.slice/docker-{LLM}.scope\n",  # cgroup v2, a second process of the same container
    200: f"0::/system.slice/docker-{WEB}.scope\n",
    300: "0::/user.slice/user-1000.slice/session-2.scope\n",  # a process on the host, in no container
}  # pid 400 has no /proc entry: it ended between NVML's list and the read


@dataclass(frozen=True)
class RecordedGpu:
    """One GPU as nvidia-smi showed it: memory, and (pid, usedGpuMemory) per process."""

    name: str | bytes
    total: int
    used: int
    compute: tuple[tuple[int, int | None], ...] = ()
    graphics: tuple[tuple[int, int | None], ...] | None = None  # None: the driver does not support the query


@dataclass(frozen=True)
class Process:
    pid: int
    usedGpuMemory: int | None  # pynvml's name


@dataclass(frozen=True)
class Memory:
    total: int
    used: int
    free: int


class FakeNvmlError(Exception):
    pass


class FakeNvml:
    """The pynvml functions composegen calls, answering from recorded readings."""

    NVMLError = FakeNvmlError

    def __init__(self, gpus: Sequence[RecordedGpu], *, init_fails: bool = False) -> None:
        self.gpus = list(gpus)
        self.init_fails = init_fails
        self.fail_reads = False
        self.shutdowns = 0

    def nvmlInit(self) -> None:
        if self.init_fails:
            raise FakeNvmlError("NVML Shared Library Not Found")

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlDeviceGetCount(self) -> int:
        if self.fail_reads:
            raise FakeNvmlError("GPU is lost")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> RecordedGpu:
        return self.gpus[index]

    def nvmlDeviceGetName(self, handle: RecordedGpu) -> str | bytes:
        return handle.name

    def nvmlDeviceGetMemoryInfo(self, handle: RecordedGpu) -> Memory:
        return Memory(handle.total, handle.used, handle.total - handle.used)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: RecordedGpu) -> list[Process]:
        return [Process(pid, used) for pid, used in handle.compute]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: RecordedGpu) -> list[Process]:
        if handle.graphics is None:
            raise FakeNvmlError("Not Supported")
        return [Process(pid, used) for pid, used in handle.graphics]


#: Two L40S of a tensor-parallel vLLM (two processes in its container), a second service on GPU 1,
#: a process of the host and one that ended.
RECORDED = (
    RecordedGpu(b"NVIDIA L40S", 48 * GIB, 42 * GIB, ((101, 20 * GIB), (102, 1 * GIB), (300, 2 * GIB)), ((102, MIB),)),
    RecordedGpu("NVIDIA L40S", 48 * GIB, 30 * GIB, ((101, 21 * GIB), (200, 5 * GIB), (400, GIB))),
)


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    for pid, text in CGROUPS.items():
        (tmp_path / "proc" / str(pid)).mkdir(parents=True)
        (tmp_path / "proc" / str(pid) / "cgroup").write_text(text)
    return tmp_path / "proc"


def meter(proc: Path, gpus: Sequence[RecordedGpu] = RECORDED) -> tuple[GpuMeter, FakeNvml]:
    fake = FakeNvml(gpus)
    api: NvmlApi = fake
    return open_meter(lambda: api, proc), fake


def test_each_container_gets_its_processes_bytes_on_each_gpu(proc: Path) -> None:
    found, _ = meter(proc)
    assert found.reading and found.note == ""
    snapshot = found.read([LLM, WEB])
    assert snapshot is not None
    assert [(d.index, d.name, d.total, d.used) for d in snapshot.devices] == [
        (0, "NVIDIA L40S", 48 * GIB, 42 * GIB),
        (1, "NVIDIA L40S", 48 * GIB, 30 * GIB),
    ]
    # pid 102 is listed as compute and graphics: counted once, at its larger figure
    assert snapshot.of(LLM) == {0: 21 * GIB, 1: 21 * GIB}
    assert snapshot.of(WEB) == {1: 5 * GIB}
    assert snapshot.unattributed == 2  # the host's process and the one that ended
    assert by_gpu_text(snapshot.of(LLM)) == "GPU 0 21.00 GiB, GPU 1 21.00 GiB"


def test_only_the_containers_asked_about_are_attributed(proc: Path) -> None:
    snapshot, _ = meter(proc)
    read = snapshot.read([WEB])
    assert read is not None and read.of(LLM) == {} and read.of(WEB) == {1: 5 * GIB}


def test_a_process_whose_memory_the_driver_does_not_give_is_unknown_not_zero(proc: Path) -> None:
    found, _ = meter(proc, (RecordedGpu("NVIDIA A100 80GB PCIe", 80 * GIB, 9 * GIB, ((101, None), (102, GIB))),))
    snapshot = found.read([LLM])
    assert snapshot is not None and snapshot.of(LLM) == {0: None}
    assert by_gpu_text(snapshot.of(LLM)) == "GPU 0 ?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"12:memory:/docker/{LLM}\n", LLM),
        (f"0::/system.slice/docker-{LLM}.scope\n", LLM),
        (f"0::/kubepods/burstable/pod1/cri-containerd-{WEB}\n", WEB),
        (f"0::/docker/{'c' * 64}/docker/{WEB}\n", WEB),  # docker in docker: the inner one the project knows
        ("0::/init.scope\n", None),
        ("", None),
        (None, None),
    ],
)
def test_the_container_is_found_by_the_id_its_cgroup_names(text: str | None, expected: str | None) -> None:
    assert container_of(text, {LLM, WEB}) == expected


def test_without_nvidia_ml_py_one_note_and_nothing_read(proc: Path) -> None:
    def missing() -> NvmlApi:
        raise ImportError("No module named 'pynvml'")

    found = open_meter(missing, proc)
    assert not found.reading and found.read([LLM]) is None
    assert found.note == "GPU memory not read: nvidia-ml-py is not installed (pip install 'composegen[gpu]')"


def test_without_a_driver_one_note_and_nothing_read(proc: Path) -> None:
    fake = FakeNvml(RECORDED, init_fails=True)
    found = open_meter(lambda: fake, proc)
    assert found.read([LLM]) is None
    why = "NVML did not start (NVML Shared Library Not Found): no NVIDIA driver here"
    assert found.note == f"GPU memory not read: {why}"


def test_without_a_gpu_one_note_and_nvml_shut_down(proc: Path) -> None:
    found, fake = meter(proc, ())
    assert found.read([LLM]) is None and found.note == "GPU memory not read: NVML sees no GPU"
    assert fake.shutdowns == 1


def test_nvml_failing_during_a_run_stops_the_readings_with_a_note(proc: Path) -> None:
    found, fake = meter(proc)
    assert found.read([LLM]) is not None
    fake.fail_reads = True
    assert found.read([LLM]) is None
    assert found.note == "GPU memory no longer read: NVML failed (GPU is lost)"
    fake.fail_reads = False
    assert found.read([LLM]) is None and fake.shutdowns == 1
    found.close()
    assert fake.shutdowns == 1


# --- what the engine commands make of the readings ---------------------------------------------


@pytest.fixture
def vllm_stack(tmp_path: Path) -> Planned:
    """vLLM serving llama3-8b over 2 of 4 L40S: its plan has a VRAM per GPU."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: vllm/vllm-openai:v0.6.3\n    command: --model llama3-8b -tp 2\n"
        "  web:\n    image: nginx:1.27\n"
    )
    (tmp_path / "composegen.yaml").write_text("host: {memory: 128G, cpus: 32, gpus: {count: 4, model: L40S}}\n")
    return plan("dev", None, tmp_path)


def budget(planned: Planned) -> float:
    llm = planned.stack.service("llm")
    assert llm is not None
    vram = planned_vram(llm)
    assert vram is not None
    return vram


DEVICES = (Device(0, "NVIDIA L40S", 48 * GIB, 42 * GIB), Device(1, "NVIDIA L40S", 48 * GIB, 30 * GIB))


def state(ident: str, name: str, service: str) -> ContainerState:
    return ContainerState(ident, name, service, "running", False, 0, 0, 64 * GIB, None, None, None)


def snapshot(llm: dict[int, int | None], web: dict[int, int | None] | None = None) -> GpuSnapshot:
    usage = [ContainerGpu(LLM, g, b) for g, b in llm.items()]
    usage += [ContainerGpu(WEB, g, b) for g, b in (web or {}).items()]
    return GpuSnapshot((), tuple(usage))


def test_the_stack_is_known_to_run_on_gpus(vllm_stack: Planned, tmp_path: Path) -> None:
    assert wants_gpus(vllm_stack) and budget(vllm_stack) == pytest.approx(0.9 * 48 * GIB)
    (tmp_path / "composegen.yaml").unlink()
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    assert not wants_gpus(plan("dev", None, tmp_path))


def test_calibrate_records_the_peak_per_service_and_gpu(vllm_stack: Planned) -> None:
    rec = Recorder()
    states = (state(LLM, "p-llm-1", "llm"), state(WEB, "p-web-1", "web"))
    for t, used in enumerate((10 * GIB, 42 * GIB, 41 * GIB)):
        samples = tuple(Sample(float(t), s.name, s.service, GIB, GIB, 64 * GIB, 0.5, 10, 0.0) for s in states)
        gpu = GpuSnapshot(DEVICES, snapshot({0: used, 1: used - GIB}).usage)
        rec.add(Tick(float(t), states, samples, (), gpu=gpu), "active")
    rec.add(Tick(3.0, states, (), ()), "active")  # a tick without a GPU reading changes nothing
    run = RunInfo("dev", Path("/stack"), ("docker-compose.yml",), "p", EngineInfo("27.0", "1.46"), 0.0, 4.0, 1.0)
    doc = document(rec, run, vllm_stack.stack)
    llm, web = doc["services"]["llm"], doc["services"]["web"]
    assert llm["gpu_memory"] == {"peak": 42 * GIB, "per_gpu": {"0": 42 * GIB, "1": 41 * GIB}, "read_from": "nvml"}
    assert llm["planned"]["vram_per_gpu"] == round(budget(vllm_stack))
    assert web["gpu_memory"] is None and "vram_per_gpu" not in web["planned"]
    assert doc["gpus"] == [{"index": i, "name": "NVIDIA L40S", "total": 48 * GIB} for i in (0, 1)]
    assert doc["gpu_note"] is None
    text = summary_text(doc, Path("m.json"))
    assert "llm: VRAM peak GPU 0 42.00 GiB, GPU 1 41.00 GiB (planned 43.20 GiB per GPU)" in text
    read = parse_measurements(json.dumps(doc), "m.json")
    assert read.services["llm"].gpu_memory_peak == 42 * GIB and read.services["web"].gpu_memory_peak is None


def test_calibrate_says_when_a_service_went_above_its_vram_plan_and_why_none_was_read(vllm_stack: Planned) -> None:
    rec = Recorder(gpu_note="GPU memory not read: NVML sees no GPU")
    rec.add(Tick(0.0, (state(LLM, "p-llm-1", "llm"),), (), (), gpu=snapshot({0: 45 * GIB})), "active")
    run = RunInfo("dev", Path("/stack"), ("docker-compose.yml",), "p", EngineInfo("27.0", "1.46"), 0.0, 1.0, 1.0)
    doc = document(rec, run, vllm_stack.stack)
    text = summary_text(doc, Path("m.json"))
    assert "llm: VRAM peak GPU 0 45.00 GiB (planned 43.20 GiB per GPU: ABOVE the plan)" in text
    assert "GPU memory not read: NVML sees no GPU" in text.splitlines()


def test_watch_shows_vram_beside_ram(vllm_stack: Planned) -> None:
    report = WatchReport("p", WARN, CRITICAL, False)
    lines: list[str] = []
    request = WatchRequest("dev", None, Path.cwd())
    watcher = Watcher(None, report, request, None, lines.append)  # type: ignore[arg-type]
    states = [state(LLM, "p-llm-1", "llm"), state(WEB, "p-web-1", "web")]
    samples = [Sample(0.0, s.name, s.service, 2 * GIB, 2 * GIB, 64 * GIB, 0.5, 10, 0.0) for s in states]
    watcher.observe(0.0, states, samples, snapshot({0: 30 * GIB, 1: 29 * GIB}))
    watcher.observe(1.0, states, samples, snapshot({0: 20 * GIB, 1: 31 * GIB}, {2: None}))
    watcher.observe(2.0, states, samples)  # no GPU reading this time
    assert report.vram_peaks == {"p-llm-1": {0: 30 * GIB, 1: 31 * GIB}, "p-web-1": {2: None}}
    text = report.text()
    assert "  p-llm-1: peak 2.00 GiB of 64.00 GiB (3%), VRAM peak GPU 0 30.00 GiB, GPU 1 31.00 GiB" in text
    assert "  p-web-1: peak 2.00 GiB of 64.00 GiB (3%), VRAM peak GPU 2 ?" in text
    assert report.as_json()["containers"]["p-llm-1"]["vram_peak"] == {"0": 30 * GIB, "1": 31 * GIB}
    shown = rows(report, states, samples, watcher.levels)
    assert [r.vram for r in shown] == [31 * GIB, None]
    report.gpu_note = "GPU memory no longer read: NVML failed (GPU is lost)"
    assert report.gpu_note in report.text().splitlines()


def test_the_live_table_has_a_vram_column_only_where_a_gpu_was_read() -> None:
    from io import StringIO

    from rich.console import Console

    def rendered(vram: int | None) -> str:
        out = StringIO()
        display = LiveDisplay("watch p", Console(file=out, width=160))
        display.rows = [Row("app-1", "app", GIB, 2 * GIB, GIB, 0.1, 3, "running", vram=vram)]
        display.console.print(display._render())
        return out.getvalue()

    assert "VRAM" in rendered(12 * GIB) and "12.00 GiB" in rendered(12 * GIB)
    assert "VRAM" not in rendered(None)


def verify_report(checks: list[Any]) -> VerifyReport:
    return VerifyReport("p", EngineInfo("27.0", "1.46"), tuple(checks))


CONTAINERS = [
    {"Id": LLM, "Config": {"Labels": {"com.docker.compose.service": "llm"}}},
    {"Id": WEB, "Config": {"Labels": {"com.docker.compose.service": "web"}}},
]


def test_verify_passes_a_service_within_its_vram_plan(vllm_stack: Planned) -> None:
    checks = vram_checks(vllm_stack.stack.services, CONTAINERS, snapshot({0: 40 * GIB, 1: 40 * GIB}), "")
    assert [(c.service, c.field, c.planned, c.applied, c.status) for c in checks] == [
        ("llm", "VRAM", "<= 43.20 GiB per GPU", "GPU 0 40.00 GiB, GPU 1 40.00 GiB", "ok")
    ]
    assert verify_report(checks).ok


def test_verify_fails_a_service_above_its_vram_plan_as_a_ram_breach(vllm_stack: Planned) -> None:
    checks = vram_checks(vllm_stack.stack.services, CONTAINERS, snapshot({0: 40 * GIB, 1: 44 * GIB}), "")
    report = verify_report(checks)
    assert not report.ok and [c.status for c in report.mismatches] == ["mismatch"]
    assert "verify: llm: VRAM planned <= 43.20 GiB per GPU, applied GPU 0 40.00 GiB, GPU 1 44.00 GiB" in report.text()


@pytest.mark.parametrize(
    ("read", "applied", "note"),
    [
        (None, "not read", "GPU memory not read: NVML sees no GPU"),
        (snapshot({}, {0: GIB}), "none on any GPU", "no process of it holds GPU memory"),
        (snapshot({0: None}), "GPU 0 ?", "the driver gives no memory per process here"),
    ],
)
def test_verify_says_na_where_the_vram_was_not_read(
    vllm_stack: Planned, read: GpuSnapshot | None, applied: str, note: str
) -> None:
    checks = vram_checks(vllm_stack.stack.services, CONTAINERS, read, "GPU memory not read: NVML sees no GPU")
    assert [(c.applied, c.status) for c in checks] == [(applied, "n/a")]
    assert checks[0].note.startswith(note)
    assert verify_report(checks).ok  # not read is no failure


def test_pynvml_has_every_function_the_interface_names() -> None:
    """The real module (nvidia-ml-py, a test extra) still offers what NvmlApi calls, and opening it
    here gives a meter or one note, never an error (no NVIDIA driver on CI's machine)."""
    import pynvml

    from composegen.engine.gpu import load_pynvml

    names = [n for n in vars(NvmlApi) if n.startswith("nvml")]
    assert len(names) == 8 and all(callable(getattr(pynvml, n)) for n in names)
    assert issubclass(pynvml.NVMLError, Exception)
    with open_meter(load_pynvml) as found:
        assert found.reading or found.note.startswith("GPU memory not read: ")


def test_each_sampler_tick_carries_the_gpu_reading_of_the_running_containers(proc: Path, tmp_path: Path) -> None:
    from composegen.engine.cgroupfs import CgroupReader
    from composegen.engine.sampler import Sampler
    from tests.engine.test_cgroupfs import FakeClient, inspect_doc

    docs = {LLM: inspect_doc(LLM, "p-llm-1", 101), WEB: inspect_doc(WEB, "p-web-1", 200, status="exited")}
    found, _ = meter(proc)
    no_cgroups = CgroupReader(tmp_path / "none", tmp_path / "none")  # memory through the (fake) Engine API
    with found, Sampler(FakeClient(docs), "p", no_cgroups, gpu=found) as sampler:  # type: ignore[arg-type]
        tick = sampler.tick()
    assert tick.gpu is not None
    assert tick.gpu.of(LLM) == {0: 21 * GIB, 1: 21 * GIB}
    assert tick.gpu.of(WEB) == {}  # exited: not asked about (its pid 200 is another's now)
    assert tick.gpu.unattributed == 3
    with Sampler(FakeClient(docs), "p", no_cgroups) as sampler:  # type: ignore[arg-type]
        assert sampler.tick().gpu is None  # no meter, no reading
