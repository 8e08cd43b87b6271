"""What the base compose file makes a service run, as sizing inputs: the facts
`composegen.facts` reads (gunicorn -w 12, ES_JAVA_OPTS=-Xmx4g, postgres -c shared_buffers=2GB).

Precedence, the same for every calculator: composegen.yaml's declaration wins where the overlay
can make it so (the base sets the value in an environment variable, which the overlay's
environment replaces); what the base runs wins over the profile's defaults, and over a
declaration the overlay cannot enforce (a command line: composegen never replaces a command).
The plan never sizes below what will actually run; each such decision is a `base note`, which
render prints in the overlay header and on stderr, and explain lists.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, NamedTuple

from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, Unit, given, show_value

if TYPE_CHECKING:
    from composegen.facts import Fact
    from composegen.yamlio import Origin

#: Where a fact comes from the service's argv: the overlay cannot change it without replacing
#: the command, which composegen never does silently.
COMMAND_VIAS = frozenset({"command", "entrypoint"})
#: The base's resource figures (facts of program `compose`, composegen.facts.stack.resources):
#: the overlay may write over them, and says so (composegen.sizing.base_resources).
RESOURCE_SETTINGS = frozenset({"shm_size", "memory_limit", "memswap_limit", "memory_reservation", "cpus", "pids"})
#: The largest number the plan takes from the base: a million workers or tokens, a PiB. Above
#: (or at zero, which the programs refuse or read as "no limit") the fact is left to explain and
#: the plan falls back to the profile: a limit compose can still read.
MOST = 2**50
MOST_COUNT = 10**6


def usable(found: Fact, most: float = MOST) -> bool:
    """Whether the plan can size for the fact: read, and a number in 1..`most` (or not a number)."""
    value = found.value
    if found.status != "read" or value is None:
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    return 0 < value <= most


def fact(inputs: ServiceInputs, setting: str, *programs: str, most: float = MOST) -> Fact | None:
    """The fact that wins for `setting` (of the first of `programs` that sets it, or of any
    program), when the base sets it to a value the plan can size for (at most `most`: MOST_COUNT
    for a count); None otherwise."""
    facts = inputs.facts
    if facts is None or not facts.facts:  # (most services: nothing read)
        return None
    if len(programs) < 2:
        found = facts.get(setting, programs[0] if programs else None)
        return found if found is not None and usable(found, most) else None
    winners: dict[str, Fact] = {}  # each program's `facts.get(setting, program)`, in one pass
    for candidate in facts.facts:
        if candidate.setting == setting and not candidate.overridden:
            winners[candidate.program] = candidate
    for program in programs:
        found = winners.get(program)
        if found is not None and usable(found, most):
            return found
    return None


def ignored(inputs: ServiceInputs, setting: str, *programs: str, most: float = MOST) -> tuple[str, ...]:
    """A note for each of `programs` whose winning `setting` the plan cannot size for (`-w abc`,
    `-w 0`, a count beyond `most`): it still runs, and the plan falls back to the profile."""
    if inputs.facts is None:
        return ()
    notes = []
    for program in programs:
        found = inputs.facts.get(setting, program)
        if found is not None and not usable(found, most):
            notes.append(
                f"{setting}: {origin_text(found)} is not a value composegen can plan for: the profile's is "
                "planned, and the overlay cannot change what the base runs; fix the base or declare it"
            )
    return tuple(notes)


def env_key(found: Fact) -> str | None:
    """The environment variable a fact was read from (`ES_JAVA_OPTS`), None for the argv."""
    for prefix in ("environment ", "env_file "):
        if found.via.startswith(prefix):
            return found.via[len(prefix) :]
    return None


def overridable(found: Fact) -> bool:
    """Whether the overlay can replace the fact: it was read from an environment variable."""
    return env_key(found) is not None


@functools.lru_cache(maxsize=64)  # a calculator quotes a fact's origin in several notes
def origin_text(found: Fact) -> str:
    """`docker-compose.yml:7: gunicorn -w 12`, `docker-compose.yml:9: ES_JAVA_OPTS: -Xmx4g`."""
    key = env_key(found)
    if found.via in COMMAND_VIAS:
        text = f"{found.program} {found.raw}"
    elif key is not None and not found.raw.startswith(key):
        text = f"{key}: {found.raw}"
    else:
        text = found.raw
    return where_text(found.origin) + text


def fact_line(found: Fact) -> str:
    """One fact as explain lists it: `docker-compose.yml:7: gunicorn -w 12 (gunicorn workers = 12)`."""
    if found.status == "not-read":
        return (
            f"{origin_text(found)} ({found.program} {found.setting}: not read; declare the values "
            "it sets in composegen.yaml)"
        )
    if found.status == "unreadable" and _a_tmpfs_size(found):
        return f"{origin_text(found)} (no size composegen reads: nothing bounds it, its pages count against the limit)"
    if found.status == "unreadable":
        return f"{origin_text(found)} ({found.program} {found.setting}: unreadable, not used)"
    if found.setting == "healthcheck_test":
        return f"{origin_text(found)} (kept: the overlay sets only its timing)"
    if found.setting.startswith("healthcheck_"):
        return f"{origin_text(found)} (the overlay's healthcheck timing replaces it)"
    if found.program == "compose" and found.setting in RESOURCE_SETTINGS:
        return f"{origin_text(found)} (where the overlay writes another value, a note says why)"
    if _a_tmpfs_size(found):
        return f"{origin_text(found)} (counted in the memory limit: tmpfs pages count against it)"
    shown = f"{found.program} {found.setting} = {found.value}"
    return f"{origin_text(found)} ({shown}{', overridden' if found.overridden else ''})"


def where_text(origin: Origin | None) -> str:
    """`docker-compose.yml:7: `, or "" where the origin is unknown."""
    return f"{file_line(origin)}: " if origin is not None else ""


def file_line(origin: Origin | None) -> str:
    """`docker-compose.yml:7`, or "the base file" where the origin is unknown."""
    return origin.named() if origin is not None else "the base file"


def base_facts(inputs: ServiceInputs) -> tuple[str, ...]:
    """The programs the service runs and every fact read from it in the base file, one line each,
    for explain."""
    if inputs.facts is None or not (inputs.facts.commands or inputs.facts.facts):
        return ()  # (most services of a large stack: nothing read, nothing to mask)
    if not inputs.facts.commands and all(_a_number(f) for f in inputs.facts.facts):
        # (a service of a large stack that sets only its limits: nothing to mask, and masking each
        # against every secret of the stack would take time proportional to services × secrets)
        return tuple(fact_line(f) for f in inputs.facts.facts)
    from composegen.masking import mask, service_secrets  # lazy: explain only

    secrets = service_secrets(inputs.secrets, inputs.base.environment)
    runs = [
        f"{where_text(c.origin)}runs {c.program}: {mask(' '.join(c.argv), secrets)[:100]}"
        for c in inputs.facts.commands
    ]
    return (*runs, *(mask(fact_line(f), secrets) for f in inputs.facts.facts))


def _a_number(found: Fact) -> bool:
    """A resource figure read as a number (`mem_limit: 4g`): its line holds nothing secret."""
    return found.status == "read" and (
        (found.program == "compose" and found.setting in RESOURCE_SETTINGS) or _a_tmpfs_size(found)
    )


def _a_tmpfs_size(found: Fact) -> bool:
    """A base tmpfs mount's size (composegen.facts.stack.tmpfs_sizes), counted in the memory limit
    (composegen.sizing.base_resources)."""
    from composegen.facts.model import tmpfs_target  # loaded already: `found` is one of its facts

    return tmpfs_target(found) is not None


def fact_quantity(name: str, found: Fact, unit: Unit) -> Quantity:
    """The fact's value as a Quantity whose source is its origin."""
    value = found.value
    number = float(value) if isinstance(value, int | float) else 0.0
    return given(name, number, unit, f"base file {origin_text(found)}", kind="base file")


class Chosen(NamedTuple):
    """A value the plan sizes for, and what the base file had to do with it."""

    quantity: Quantity
    fact: Fact | None = None  # the base's fact the plan follows, or overrides
    override: bool = False  # composegen.yaml wins over the fact: the overlay must write its variable
    notes: tuple[str, ...] = ()


def chosen_setting(
    inputs: ServiceInputs,
    found: Fact | None,
    name: str,
    unit: Unit,
    declared: Quantity | None,
    fallback: Quantity,
) -> Chosen:
    """composegen.yaml's `declared` value, the base's fact `found`, or the profile's `fallback`:
    the declaration where the overlay can enforce it, else what the base runs, else the fallback.
    The notes say where the plan overrode the base or could not follow the declaration or the
    profile."""
    if found is None:
        return Chosen(declared if declared is not None else fallback)
    runs = fact_quantity(name, found, unit)
    where = origin_text(found)
    if declared is not None:
        if declared.value == runs.value:
            return Chosen(declared, found)
        if overridable(found):
            return Chosen(
                declared,
                found,
                override=True,
                notes=(
                    f"{name}: the overlay's {env_key(found)} overrides the base's "
                    f"({where}) with {declared.show()}, as composegen.yaml declares",
                ),
            )
        return Chosen(
            runs,
            found,
            notes=(
                f"{name}: composegen.yaml declares {declared.show()}, but the command runs "
                f"{runs.show()} ({where}), and composegen does not replace a command: sized for "
                f"{runs.show()}; change the command or the declaration",
            ),
        )
    if fallback.value != runs.value:
        return Chosen(runs, found, notes=(sized_for(name, runs, found, fallback),))
    return Chosen(runs, found)


def sized_for(name: str, runs: Quantity, found: Fact, instead: Quantity) -> str:
    """The note for a value the base sets where the profile would choose another."""
    return (
        f"{name}: sized for {runs.show()}, what the base runs ({origin_text(found)}); "
        f"the profile would plan {instead.show()} (declare it in composegen.yaml to change it"
        + (")" if overridable(found) else " and the command)")
    )


def at_least(
    name: str, planned: Quantity, needed: Quantity, found: Fact, what: str
) -> tuple[Quantity, tuple[str, ...]]:
    """`planned` raised to `needed` (what `found` makes the process hold), with a note; `planned`
    unchanged where it is already enough."""
    if planned.value >= needed.value:
        return planned, ()
    raised = Quantity(name, needed.value, needed.unit, f"raised to {needed.name}", "", (planned, needed))
    note = (
        f"{name}: raised from {planned.show()} to {show_value(needed.value, needed.unit)}: the base runs "
        f"{what} ({origin_text(found)}), which the plan never sizes below"
    )
    return raised, (note,)


def short_of(name: str, runs_value: Quantity, planned: Quantity, found: Fact, why: str) -> tuple[str, ...]:
    """A note when what the base runs (`found`) is below what the plan wanted (`why` says why it
    wanted that much); the plan still follows the base, which composegen does not replace."""
    if runs_value.value >= planned.value:
        return ()
    return (
        f"{name}: the base runs {runs_value.show()} ({origin_text(found)}), fewer than the "
        f"{planned.show()} planned ({why})",
    )
