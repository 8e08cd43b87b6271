"""The base file's own resource figures against what the overlay writes: never lowered silently.

The base's `shm_size` is the /dev/shm the container runs with, and the pages in it count in the
memory cgroup (facts/sizing.md): the plan keeps it and counts it in the memory limit, unless the
calculator wrote the settings that bound what the server keeps there (`Sizing.shm_bound`:
PostgreSQL with the overlay's command), and then it says so.

Each tmpfs the base mounts with a size is counted in the memory limit too, its file:line in the
plan's mount and a note (`with_base_tmpfs`). The base's pids limit is never lowered by the
profile's `pids`, one number for every service (`base_pids`).

Every other figure the overlay writes over (`mem_limit` or deploy's memory limit, `memswap_limit`,
the memory reservation, `cpus`, a pids limit the profile raises) is an `Override`: the base's key
and value with its file:line, the value written, and why. Its text is a base note (overlay
header, stderr, explain); the exports write the value in their own units (`Override.text`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from composegen.sizing import runs
from composegen.sizing.common import raised_memswap
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, total
from composegen.sizing.result import Sizing, TmpfsMount
from composegen.units import format_bytes

if TYPE_CHECKING:
    from composegen.facts import Fact

#: The source of a memory limit a kept /dev/shm or tmpfs is added to.
LIMIT_WHY = "tmpfs and shm pages count against the limit (facts/sizing.md)"
#: Why a kept /dev/shm is counted in the memory limit.
SHM_COUNTED = "its /dev/shm pages count in the memory cgroup (facts/sizing.md)"


class Override(NamedTuple):
    """A base figure the overlay writes another value over: `found` is the base's key, value and
    where (a fact of program `compose`), `value` what the overlay writes (bytes, cores; -1: no
    swap limit), `why` the reason."""

    found: Fact
    value: float
    why: str

    def text(self, written: str) -> str:
        """`mem_limit 4g at docker-compose.yml:5 → 1216M: why`, `written` the value as the target writes it."""
        return f"{as_written(self.found)} at {runs.file_line(self.found.origin)} → {written}: {self.why}"

    def compose_text(self) -> str:
        """The text with the value as compose writes it."""
        if self.found.setting == "cpus":
            return self.text(Quantity("cpus", self.value, "cpus").compose_value())
        if self.found.setting == "pids":
            return self.text(str(int(self.value)))
        return self.text("-1" if self.value < 0 else format_bytes(self.value))


def as_written(found: Fact) -> str:
    """`mem_limit 4g`, `deploy.resources.limits.memory 4g`: the key and its value as the base has them."""
    return found.raw.replace(": ", " ", 1)


def _value(found: Fact) -> float:
    """A resource fact's number (bytes, cores; -1: no swap limit)."""
    value = found.value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def derivation(q: Quantity) -> str:
    """A number as one short line, its rounding looked through and its sums opened: `working set
    with margin 478 MiB + /dev/shm 32 MiB`, `memory limit 400 MiB × reservation ratio 0.5`, and
    for a given one where it comes from: `profile prod: cpu.default`."""
    while len(q.parts) == 1:
        q = q.parts[0]
    if not q.parts:
        return q.source or f"{q.name} {q.show()}"
    if _is_sum(q):
        return " + ".join(_shown(p) for p in _terms(q))
    if len(q.parts) == 2 and q.formula == f"{q.parts[0].name} × {q.parts[1].name}":
        return f"{_shown(q.parts[0])} × {_shown(q.parts[1])}"
    return f"{q.formula} ({', '.join(_shown(p) for p in q.parts)})"


def _shown(q: Quantity) -> str:
    return f"{q.name} {q.show()}"


def _is_sum(q: Quantity) -> bool:
    return len(q.parts) > 1 and q.formula == " + ".join(p.name for p in q.parts)


#: The sums a memory limit is built of, opened in its derivation (a calculator's limit with its
#: mounts, the read-only root's /tmp added to it, a kept /dev/shm added to it).
LIMIT_SUMS = frozenset({"memory limit", "the plan's memory limit"})


def _terms(q: Quantity) -> list[Quantity]:
    """The terms of a sum, a memory limit's sum among them opened too."""
    return [t for p in q.parts for t in (_terms(p) if p.name in LIMIT_SUMS and _is_sum(p) else [p])]


def with_base_shm(inputs: ServiceInputs, sizing: Sizing) -> Sizing:
    """`sizing` with the base's shm_size kept and counted in the memory limit where the plan has
    none or a smaller one it cannot vouch for (no `Sizing.shm_bound`); unchanged otherwise (a
    smaller bounded one, or a larger one, is an `Override`: see `overrides`)."""
    found = runs.fact(inputs, "shm_size", "compose")
    if found is None:
        return sizing
    planned = sizing.shm_size
    if planned is not None and (planned.value >= _value(found) or sizing.shm_bound):
        return sizing
    base = runs.fact_quantity("shm_size", found, "bytes")
    more = base
    why = SHM_COUNTED
    if planned is not None:
        more = Quantity(
            "/dev/shm the base sets above the plan's",
            base.value - planned.value,
            "bytes",
            f"{base.name} − planned shm_size",
            "",
            (base, planned.renamed("planned shm_size")),
        )
        why += f"; not lowered to the plan's {planned.show()}, which nothing written bounds"
    before = sizing.memory if planned is None else sizing.memory.renamed("the plan's memory limit")  # LIMIT_SUMS
    counted = more.renamed("/dev/shm") if planned is None else more
    memory = total("memory limit", (before, counted), LIMIT_WHY)
    note = f"{as_written(found)} at {runs.file_line(found.origin)}: kept, and counted in the memory limit: {why}"
    return sizing._replace(
        memory=memory,
        shm_size=base,
        extra={**sizing.extra, "shm_size": base},
        base_notes=(*sizing.base_notes, note),
    )


#: Why a tmpfs the base mounts is counted in the memory limit.
TMPFS_COUNTED = "its pages count in the memory cgroup (facts/sizing.md)"


def with_base_tmpfs(inputs: ServiceInputs, sizing: Sizing) -> Sizing:
    """`sizing` with each tmpfs the base mounts with a size counted in the memory limit, as a mount
    of the plan at the base's size with its file:line (the overlay writes no mount on a path the
    base mounts: render.context, export.k8s and verify leave it be). Where the calculator plans
    its own mount on the same path, the base's is the one that runs: the limit counts the larger
    of the two, and a note says which."""
    if inputs.facts is None or not inputs.base.tmpfs_targets:
        return sizing
    found = [(path, f) for path, f in inputs.facts.tmpfs_sizes() if not f.overridden and runs.usable(f)]
    if not found:
        return sizing
    mounts = list(sizing.tmpfs)
    planned_at = {m.path: i for i, m in enumerate(mounts)}  # the calculator's own (linear in the mounts)
    added: list[Quantity] = []
    notes: list[str] = []
    for path, fact in found:
        line = runs.file_line(fact.origin)
        where = f"{as_written(fact)} at {line}"
        size = runs.fact_quantity(f"tmpfs {path}", fact, "bytes")
        index = planned_at.get(path)
        if index is None:
            mounts.append(TmpfsMount(path, size, None, f"the base's own, {line}"))
            added.append(size)
            notes.append(f"{where}: counted in the memory limit: {TMPFS_COUNTED}")
            continue
        planned = mounts[index].size
        stands = f"{where}: the base's mount runs (the overlay writes none on its path)"
        if planned.value >= size.value:
            notes.append(f"{stands}; the limit counts the plan's {planned.show()} for it, not less")
            continue
        more = Quantity(
            f"tmpfs {path} the base mounts above the plan's",
            size.value - planned.value,
            "bytes",
            f"tmpfs {path} − planned tmpfs {path}",
            "",
            (size, planned.renamed(f"planned tmpfs {path}")),
        )
        mounts[index] = mounts[index]._replace(size=size)
        added.append(more)
        counted = f"counted in the memory limit at its size, not the plan's {planned.show()}"
        notes.append(f"{stands}: {counted}: {TMPFS_COUNTED}")
    memory = total("memory limit", (sizing.memory, *added), LIMIT_WHY)
    return sizing._replace(memory=memory, tmpfs=tuple(mounts), base_notes=(*sizing.base_notes, *notes))


#: Why a tmpfs the base mounts with no size is a risk (facts/sizing.md: tmpfs pages are charged to the cgroup).
UNSIZED = "nothing bounds it (docker's default: half the host's memory) and its pages count against the memory limit"


def unsized_tmpfs(inputs: ServiceInputs, tmp: Quantity | None) -> tuple[TmpfsMount | None, tuple[str, ...]]:
    """The base's tmpfs mounts with no size composegen reads (none, `size=0`, one it cannot parse):
    a note each, naming its file:line and how to bound it. `tmp`: the read-only root's /tmp the
    plan would mount where the base mounts none; where the base mounts /tmp with no size, the
    overlay writes nothing on its path, and that /tmp is still counted in the limit, labelled
    assumed (the mount returned): never less than a base without /tmp gets."""
    if inputs.facts is None or not inputs.base.tmpfs_targets:
        return None, ()
    mount = None
    notes: list[str] = []
    for path, fact in inputs.facts.tmpfs_sizes():
        if fact.overridden or fact.status != "unreadable":
            continue
        line = runs.file_line(fact.origin)
        sized = f"`{path}:size=64m`" if fact.via == "tmpfs" else "`tmpfs: {size: 64m}` on the volume"
        fix = f"give it a size ({sized}) or measure the service with calibrate"
        if path == "/tmp" and tmp is not None and mount is None:
            counted = tmp._replace(source=f"{tmp.source}, assumed for the base's /tmp: it has no size", kind="assumed")
            mount = TmpfsMount("/tmp", counted, None, f"the base's own, {line}, with no size")
            counted_at = f"counted at the read-only root's {tmp.show()}, assumed"
            notes.append(f"{fact.raw} at {line}: no size: {UNSIZED}; {counted_at}: {fix}")
            continue
        notes.append(f"{fact.raw} at {line}: no size: {UNSIZED}, and the limit counts none of them: {fix}")
    return mount, tuple(notes)


def base_pids(inputs: ServiceInputs, profile: Quantity | None) -> tuple[Quantity | None, tuple[str, ...]]:
    """The pids limit the overlay writes, and a note where it keeps the base's: the profile's `pids`
    is one number for every service, not a word on this one's, so it never lowers the base's
    limit, nor sets one where the base sets none (0 or -1): the base's is written again (compose
    refuses a `pids_limit` beside a deploy limits block without the same pids). A lower base limit
    the profile raises is an `Override` (see `overrides`)."""
    found = inputs.facts.get("pids", "compose") if inputs.facts is not None else None
    if found is None or found.status != "read" or not isinstance(found.value, int):
        return profile, ()
    if profile is not None and 0 < found.value <= profile.value:
        return profile, ()
    kept = runs.fact_quantity("pids limit", found, "count")
    if profile is None:
        return kept, ()
    where = f"{as_written(found)} at {runs.file_line(found.origin)}"
    what = "no pids limit" if found.value <= 0 else "never lowered"
    why = f"the profile's pids {profile.show()} ({profile.source}) is one number for every service, not a word on it"
    return kept, (f"{where}: kept, {what}: {why}",)


def overrides(
    inputs: ServiceInputs,
    sizing: Sizing,
    limit: Quantity,
    reservation: Quantity | None,
    cpus: Quantity | None,
    pids: Quantity | None = None,
) -> tuple[Override, ...]:
    """Each base figure the overlay writes another value over, with why."""
    facts = inputs.facts
    if facts is None or not any(f.program == "compose" and f.setting in runs.RESOURCE_SETTINGS for f in facts.facts):
        return ()  # (most services: the base sets none of the figures below)
    out: list[Override] = []
    shm = runs.fact(inputs, "shm_size", "compose")
    if shm is not None and sizing.shm_size is not None and sizing.shm_size.value != _value(shm):
        lower = sizing.shm_size.value < _value(shm)
        why = f"lowered: {sizing.shm_bound}" if lower else f"raised to {derivation(sizing.shm_size)}"
        out.append(Override(shm, sizing.shm_size.value, why))
    memory = runs.fact(inputs, "memory_limit", "compose")
    if memory is not None and _value(memory) != limit.value:
        out.append(_to_plan(memory, limit, "; declare `memory:` in composegen.yaml for more"))
    swap = facts.get("memswap_limit", "compose")
    base = inputs.base
    written = raised_memswap(base.memory_limit, base.memswap_limit, int(limit.value))
    if swap is not None and swap.status == "read" and written is not None and written != _value(swap):
        why = (
            "kept in its ratio to the memory limit (Docker refuses a memory+swap limit below the memory limit)"
            if base.memory_limit
            else "the memory limit, no swap: the base sets no memory limit to keep a ratio to"
        )
        out.append(Override(swap, written, why))
    for setting, planned in (("memory_reservation", reservation), ("cpus", cpus), ("pids", pids)):
        found = runs.fact(inputs, setting, "compose")
        if found is not None and planned is not None and _value(found) != planned.value:
            out.append(_to_plan(found, planned))
    return tuple(out)


def _to_plan(found: Fact, planned: Quantity, lowered_hint: str = "") -> Override:
    """The base's `found` written over by the plan's `planned`: lowered or raised, to what."""
    lower = planned.value < _value(found)
    why = f"{'lowered' if lower else 'raised'} to {derivation(planned)}"
    return Override(found, planned.value, why + (lowered_hint if lower else ""))
