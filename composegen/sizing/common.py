"""Small pieces every role calculator uses: baselines, margins, tmpfs data dirs, startup."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING

from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, SourceKind, given, largest, times, total
from composegen.sizing.result import TmpfsMount

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

FACTS_SIZING = "facts/sizing.md"


def declared_memory(inputs: ServiceInputs) -> Quantity | None:
    """The working set the user declared in composegen.yaml, if any."""
    if inputs.spec.memory is None:
        return None
    return given("declared working set", inputs.spec.memory, "bytes", f"composegen.yaml: services.{inputs.name}.memory")


def baseline_memory(
    inputs: ServiceInputs,
    profile: Profile,
    fallback: int,
    fallback_source: str,
    fallback_kind: SourceKind = "assumed",
) -> Quantity:
    """A role's baseline working set: declared, else the profile's role value, else `fallback`
    (composegen's own: `fallback_kind` says whether an assumption or a default)."""
    declared = declared_memory(inputs)
    if declared is not None:
        return declared
    chosen = profile.role(inputs.role).memory
    if chosen is not None:
        return given(f"{inputs.role} baseline", chosen, "bytes", f"profile {profile.name}: roles.{inputs.role}.memory")
    return given(f"{inputs.role} baseline", fallback, "bytes", fallback_source, fallback_kind)


def baseline_cpus(
    inputs: ServiceInputs,
    profile: Profile,
    fallback: float | None = None,
    fallback_source: str = "",
    fallback_kind: SourceKind = "assumed",
) -> Quantity:
    """Cores: declared, else the profile's role value, else `fallback`, else the profile default."""
    if inputs.spec.cpus is not None:
        return given("declared cpus", inputs.spec.cpus, "cpus", f"composegen.yaml: services.{inputs.name}.cpus")
    chosen = profile.role(inputs.role).cpus
    if chosen is not None:
        return given("cpus", chosen, "cpus", f"profile {profile.name}: roles.{inputs.role}.cpus")
    if fallback is not None:
        return given("cpus", fallback, "cpus", fallback_source, fallback_kind)
    # the profile's default for a role it does not name: nobody chose it for this service
    return given("cpus", profile.cpu.default, "cpus", f"profile {profile.name}: cpu.default", "default")


def startup_time(
    inputs: ServiceInputs,
    profile: Profile,
    fallback: float,
    fallback_source: str,
    fallback_kind: SourceKind = "assumed",
) -> Quantity:
    """Expected seconds to healthy: declared, else the profile's role value, else `fallback`."""
    if inputs.spec.startup is not None:
        return given(
            "declared startup", inputs.spec.startup, "seconds", f"composegen.yaml: services.{inputs.name}.startup"
        )
    chosen = profile.role(inputs.role).startup
    if chosen is not None:
        return given("startup", chosen, "seconds", f"profile {profile.name}: roles.{inputs.role}.startup")
    return given("startup", fallback, "seconds", fallback_source, fallback_kind)


def with_margin(working_set: Quantity, profile: Profile) -> Quantity:
    """working set × the profile's memory margin."""
    margin = given("margin", profile.memory.margin, "ratio", f"profile {profile.name}: memory.margin")
    return times("working set with margin", working_set, margin, unit="bytes")


def data_room(inputs: ServiceInputs, profile: Profile, counted_apart: Quantity | None = None) -> Quantity | None:
    """Room for the declared dataset in a data dir: dataset × the profile's tmpfs.dataset_factor
    (None: no dataset declared). `counted_apart`: the share of the factor that stands for what the
    caller counts on its own (a WAL, a redo log): it comes off the factor, never below 1 (the data
    itself)."""
    if inputs.spec.dataset is None:
        return None
    dataset = given("dataset", inputs.spec.dataset, "bytes", f"composegen.yaml: services.{inputs.name}.dataset")
    factor = given(
        "dataset factor", profile.tmpfs.dataset_factor, "ratio", f"profile {profile.name}: tmpfs.dataset_factor"
    )
    if counted_apart is not None:
        factor = Quantity(
            "dataset factor less what is counted apart",
            max(1.0, factor.value - counted_apart.value),
            "ratio",
            f"max(1, {factor.name} − {counted_apart.name})",
            "",
            (factor, counted_apart),
        )
    return times("dataset × factor", dataset, factor, unit="bytes")


def data_dir_tmpfs(
    inputs: ServiceInputs, profile: Profile, path: str, purpose: str, counted_apart: Quantity | None = None
) -> TmpfsMount | None:
    """A tmpfs for a database's data dir, sized from the dataset (data_room), at least the profile's
    tmpfs.minimum, when the profile asks for one.

    tmpfs pages are charged to the container's memory cgroup (facts/sizing.md §Databases: a 64M
    container writing 100M into its tmpfs is OOM-killed), so the caller adds the size to the limit.
    """
    if not profile.tmpfs.data_dirs:
        return None
    floor = given("tmpfs minimum", profile.tmpfs.minimum, "bytes", f"profile {profile.name}: tmpfs.minimum")
    room = data_room(inputs, profile, counted_apart)
    size = floor if room is None else largest("tmpfs size", (room, floor))
    return TmpfsMount(path=path, size=size.renamed(f"tmpfs {path}"), mode="1777", purpose=purpose)


def limit_with_mounts(process: Quantity, mounts: tuple[TmpfsMount, ...], shm: Quantity | None = None) -> Quantity:
    """The memory limit: process memory plus every tmpfs and /dev/shm, which the cgroup also charges."""
    parts = [process, *(m.size for m in mounts)]
    if shm is not None:
        parts.append(shm.renamed("/dev/shm"))
    if len(parts) == 1:
        return process.renamed("memory limit")
    return total("memory limit", parts, "tmpfs and shm pages count against the limit (facts/sizing.md)")


# --- helpers for calculators of images with known entrypoints (the databases) ---------------

_HUB_REGISTRIES = frozenset(
    {
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
    }
)


def image_repository(image: str | None) -> str | None:
    """The repository an image reference names, normalised: no tag, digest or Docker Hub prefix.

    `docker.io/library/postgres:16` → `postgres`; `postgis/postgis:16-3.4` → `postgis/postgis`;
    `docker.elastic.co/elasticsearch/elasticsearch:8.15.0` keeps its registry. A name that compose
    interpolates is cut at the first `$`: `postgres:${PG_VERSION}` → `postgres`, and
    `${REGISTRY}/postgres` → None, because composegen cannot know what it names.
    """
    if not image:
        return None
    text = image.strip().split("@", 1)[0]
    if "$" in text:
        text = text[: text.index("$")]
        if text.endswith(":"):
            text = text[:-1]
        if not text or text.endswith("/"):
            return None
    parts = text.lower().split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, parts = parts[0], parts[1:]
    parts[-1] = parts[-1].split(":", 1)[0]
    if not parts[-1]:
        return None
    if registry in _HUB_REGISTRIES:
        registry = ""
    if not registry and len(parts) == 2 and parts[0] == "library":
        parts = parts[1:]
    return "/".join([registry, *parts] if registry else parts)


def command_blocked(inputs: ServiceInputs, known_images: Collection[str]) -> str | None:
    """Why composegen must not write a `command` for this service; None when it may.

    A command replaces the base's: composegen writes one only where the base sets neither command
    nor entrypoint and the image is one whose entrypoint it knows (the settings are arguments to
    that entrypoint, which would mean nothing to another).
    """
    base = inputs.base
    if base.command is not None:
        return "the base file sets a command, which composegen does not replace"
    if base.entrypoint is not None:
        return "the base file sets an entrypoint, which may not take these arguments"
    if base.has_build:
        return "the service is built from a Dockerfile, whose CMD composegen cannot see"
    repo = image_repository(base.image)
    if repo is None:
        return (
            f"the image {base.image!r} is not a name composegen can read"
            if base.image
            else "the service names no image"
        )
    if repo not in known_images:
        return f"the image {repo!r} is not one whose entrypoint composegen knows ({', '.join(sorted(known_images))})"
    return None


def command_unless_blocked(
    inputs: ServiceInputs,
    known_images: Collection[str],
    command: tuple[str, ...],
    setting: str,
    *,
    consequence: str = "",
    shown: str | None = None,
) -> tuple[tuple[str, ...] | None, str | None]:
    """`command` when composegen may write one (see command_blocked), else None and a note that
    says why, what follows from it, and what to pass by hand."""
    blocked = command_blocked(inputs, known_images)
    if blocked is None:
        return command, None
    follows = f"{consequence}: " if consequence else ""
    return None, f"{setting} not applied: {blocked}; {follows}pass {shown or ' '.join(command)} yourself"


def env_preset(inputs: ServiceInputs, key: str) -> str | None:
    """The value composegen.yaml or the base file already gives `key`, if any."""
    if key in inputs.spec.environment:
        return inputs.spec.environment[key]
    return inputs.base.environment.get(key)


def data_dir_mounts(
    inputs: ServiceInputs,
    profile: Profile,
    path: str,
    purpose: str,
    fresh: Quantity | None = None,
    counted_apart: Quantity | None = None,
) -> tuple[tuple[TmpfsMount, ...], tuple[str, ...]]:
    """The data dir on tmpfs when the profile asks for it (common.data_dir_tmpfs), plus notes.

    `fresh` is what the server writes into an empty data dir before any data (system catalogs,
    WAL or redo logs): it is added to the dataset room, so the tmpfs does not fill up at init.
    """
    mount = data_dir_tmpfs(inputs, profile, path, purpose, counted_apart)
    if mount is None:
        return (), ()
    size = mount.size
    if fresh is not None:
        size = total(f"tmpfs {path}", (mount.size.renamed("room for data"), fresh))
    notes: list[str] = []
    if path in inputs.base.volume_targets:
        notes.append(
            f"the base file mounts a volume at {path}: the overlay replaces it with the tmpfs "
            "(compose merges volumes by target, the later file wins)"
        )
    return (TmpfsMount(path, size, mount.mode, purpose),), tuple(notes)


def startup_with_load(
    inputs: ServiceInputs,
    profile: Profile,
    fallback: float,
    fallback_source: str,
    load_rate: float,
    load_rate_source: str,
    fallback_kind: SourceKind = "assumed",
    load_rate_kind: SourceKind = "assumed",
) -> Quantity:
    """Expected seconds to healthy: the server's start, plus loading the declared dataset.

    A declared `startup:` is taken as it is (it already includes any load).
    """
    start = startup_time(inputs, profile, fallback, fallback_source, fallback_kind)
    if inputs.spec.startup is not None or inputs.spec.dataset is None:
        return start
    dataset = given("dataset", inputs.spec.dataset, "bytes", f"composegen.yaml: services.{inputs.name}.dataset")
    rate = given("load rate per second", load_rate, "bytes", load_rate_source, load_rate_kind)
    load = Quantity(
        "dataset load", dataset.value / rate.value, "seconds", "dataset ÷ load rate per second", "", (dataset, rate)
    )
    return total("startup", (start.renamed("server start"), load))


def raised_memswap(old_limit: int | None, old_memswap: int | None, new_limit: int) -> int | None:
    """The memory+swap limit to set with a new memory limit: none where none was set, unlimited
    stays unlimited, and a set one keeps its ratio to the memory limit (the Engine sets 2× when
    only memory is given); with no old memory limit to compare, no swap. Docker refuses a
    memory+swap limit below the memory limit, so an overlay that raises `mem_limit` over a base
    `memswap_limit` must raise that too (watch --auto-adjust and render both use this)."""
    if old_memswap is None:
        return None
    if old_memswap < 0:
        return -1
    if not old_limit:
        return new_limit
    return max(new_limit, math.ceil(new_limit * old_memswap / old_limit))


#: Connections a database must take beyond its clients (composegen's headroom, assumed): the
#: healthcheck's probe (pg_isready and mysqladmin ping open one; with max_connections equal to the
#: clients, PostgreSQL refused it 28-31 times a run, facts/real-servers.md) and an admin or
#: migration session (psql/mysql, a migration tool: 2).
HEALTHCHECK_CONNECTIONS = 1
ADMIN_CONNECTIONS = 2


def connection_headroom() -> tuple[Quantity, Quantity]:
    """The connections beyond the clients that every database's max_connections counts."""
    return (
        given("healthcheck probe", HEALTHCHECK_CONNECTIONS, "count", "composegen headroom (assumed)", kind="assumed"),
        given(
            "admin or migration session",
            ADMIN_CONNECTIONS,
            "count",
            "composegen headroom (assumed)",
            kind="assumed",
        ),
    )
