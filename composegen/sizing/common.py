"""Small pieces every role calculator uses: baselines, margins, tmpfs data dirs, startup."""

from __future__ import annotations

from composegen.profiles.models import Profile
from composegen.sizing.model import ServiceInputs, TmpfsMount
from composegen.sizing.quantity import Quantity, given, largest, times, total

FACTS_SIZING = "facts/sizing.md"
FACTS_COMPOSE = "facts/compose-spec.md"


def declared_memory(inputs: ServiceInputs) -> Quantity | None:
    """The working set the user declared in composegen.yaml, if any."""
    if inputs.spec.memory is None:
        return None
    return given("declared working set", inputs.spec.memory, "bytes", f"composegen.yaml: services.{inputs.name}.memory")


def baseline_memory(inputs: ServiceInputs, profile: Profile, fallback: int, fallback_source: str) -> Quantity:
    """A role's baseline working set: declared, else the profile's role value, else `fallback`."""
    declared = declared_memory(inputs)
    if declared is not None:
        return declared
    chosen = profile.role(inputs.role).memory
    if chosen is not None:
        return given(f"{inputs.role} baseline", chosen, "bytes", f"profile {profile.name}: roles.{inputs.role}.memory")
    return given(f"{inputs.role} baseline", fallback, "bytes", fallback_source)


def baseline_cpus(
    inputs: ServiceInputs, profile: Profile, fallback: float | None = None, fallback_source: str = ""
) -> Quantity:
    """Cores: declared, else the profile's role value, else `fallback`, else the profile default."""
    if inputs.spec.cpus is not None:
        return given("declared cpus", inputs.spec.cpus, "cpus", f"composegen.yaml: services.{inputs.name}.cpus")
    chosen = profile.role(inputs.role).cpus
    if chosen is not None:
        return given("cpus", chosen, "cpus", f"profile {profile.name}: roles.{inputs.role}.cpus")
    if fallback is not None:
        return given("cpus", fallback, "cpus", fallback_source)
    return given("cpus", profile.cpu.default, "cpus", f"profile {profile.name}: cpu.default")


def startup_time(inputs: ServiceInputs, profile: Profile, fallback: float, fallback_source: str) -> Quantity:
    """Expected seconds to healthy: declared, else the profile's role value, else `fallback`."""
    if inputs.spec.startup is not None:
        return given(
            "declared startup", inputs.spec.startup, "seconds", f"composegen.yaml: services.{inputs.name}.startup"
        )
    chosen = profile.role(inputs.role).startup
    if chosen is not None:
        return given("startup", chosen, "seconds", f"profile {profile.name}: roles.{inputs.role}.startup")
    return given("startup", fallback, "seconds", fallback_source)


def with_margin(working_set: Quantity, profile: Profile) -> Quantity:
    """working set × the profile's memory margin."""
    margin = given("margin", profile.memory.margin, "ratio", f"profile {profile.name}: memory.margin")
    return times("working set with margin", working_set, margin, unit="bytes")


def data_dir_tmpfs(inputs: ServiceInputs, profile: Profile, path: str, purpose: str) -> TmpfsMount | None:
    """A tmpfs for a database's data dir, sized from the dataset, when the profile asks for one.

    tmpfs pages are charged to the container's memory cgroup (facts/sizing.md §Databases: a 64M
    container writing 100M into its tmpfs is OOM-killed), so the caller adds the size to the limit.
    """
    if not profile.tmpfs.data_dirs:
        return None
    floor = given("tmpfs minimum", profile.tmpfs.minimum, "bytes", f"profile {profile.name}: tmpfs.minimum")
    if inputs.spec.dataset is None:
        size = floor
    else:
        dataset = given("dataset", inputs.spec.dataset, "bytes", f"composegen.yaml: services.{inputs.name}.dataset")
        factor = given(
            "dataset factor", profile.tmpfs.dataset_factor, "ratio", f"profile {profile.name}: tmpfs.dataset_factor"
        )
        size = largest("tmpfs size", (times("dataset × factor", dataset, factor, unit="bytes"), floor))
    return TmpfsMount(path=path, size=size.renamed(f"tmpfs {path}"), mode="1777", purpose=purpose)


def limit_with_mounts(process: Quantity, mounts: tuple[TmpfsMount, ...], shm: Quantity | None = None) -> Quantity:
    """The memory limit: process memory plus every tmpfs and /dev/shm, which the cgroup also charges."""
    parts = [process, *(m.size for m in mounts)]
    if shm is not None:
        parts.append(shm.renamed("/dev/shm"))
    if len(parts) == 1:
        return process.renamed("memory limit")
    return total("memory limit", parts, "tmpfs and shm pages count against the limit (facts/sizing.md)")
