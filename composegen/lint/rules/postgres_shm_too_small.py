"""postgres-shm-too-small (CG110): a PostgreSQL /dev/shm no bigger than maintenance_work_mem.

What it does:
    For a service composegen sees as PostgreSQL (detected from its image, or `role: postgres` in
    composegen.yaml), compares `shm_size` (docker's default 64M when unset) with
    `maintenance_work_mem`: the value passed as `-c maintenance_work_mem=...` in the command, else
    what pgtune sets for the container's memory limit (limit ÷ 16, at most 8 GB). Flags the
    service when /dev/shm is not larger. A sized tmpfs volume at /dev/shm (what a Swarm stack uses,
    having no `shm_size`) counts as /dev/shm. With neither a setting nor a limit it checks nothing.

Why is this bad?
    PostgreSQL allocates the shared memory of parallel queries and parallel index builds in
    /dev/shm. Docker gives a container 64M of it. When that runs out, queries fail with "could not
    resize shared memory segment ... No space left on device" (docker-library/postgres#416):
    usually on production-sized data, rarely on the small data of a laptop or a test run
    (which is why dev and pytest stacks get information, not a warning).

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        command: ["postgres", "-c", "maintenance_work_mem=256MB"]
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        command: ["postgres", "-c", "maintenance_work_mem=256MB"]
        shm_size: 320m
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import as_bytes, is_fragment, memory_limit, number_fact, services_in_role
from composegen.units import GIB, MIB, human_bytes

CODE = "CG110"
NAME = "postgres-shm-too-small"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}

#: docker's /dev/shm when `shm_size` is unset.
DOCKER_SHM = 64 * MIB
#: pgtune (facts/sizing.md §Databases): maintenance_work_mem = RAM / 16, at most 8 GB.
PGTUNE_CAP = 8 * GIB


def maintenance_work_mem(ctx: LintContext, name: str) -> tuple[int, str] | None:
    """(bytes, as written) of the maintenance_work_mem the service's postgres runs with (`-c
    maintenance_work_mem=...`, `--maintenance-work-mem=...`: the last one wins), as
    composegen.facts reads every command."""
    facts = ctx.facts(name)
    found = number_fact(facts, "maintenance_work_mem", "postgres") if facts is not None else None
    if found is None:
        return None
    return int(found.value or 0), found.raw.partition("=")[2]


def shm_tmpfs_size(service: Mapping[str, Any]) -> tuple[int, str] | None:
    """(bytes, as described) of a long-form tmpfs volume mounted at /dev/shm with a size."""
    volumes = service.get("volumes")
    for volume in volumes if isinstance(volumes, list) else ():
        if not isinstance(volume, Mapping) or volume.get("type") != "tmpfs" or volume.get("target") != "/dev/shm":
            continue
        options = volume.get("tmpfs")
        raw = options.get("size") if isinstance(options, Mapping) else None
        size = as_bytes(raw)
        if size is not None:
            return size, f"the tmpfs at /dev/shm (size {raw})"
    return None


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_in_role(ctx, "postgres"):
        if is_fragment(ctx, service):
            continue
        raw_shm = service.get("shm_size")
        mounted = shm_tmpfs_size(service)
        if mounted is not None:
            shm, shm_text = mounted  # a tmpfs at /dev/shm replaces docker's: Swarm has no shm_size
        elif raw_shm is None:
            shm, shm_text = DOCKER_SHM, "/dev/shm (docker's default 64M: no shm_size)"
        else:
            parsed = as_bytes(raw_shm)
            if parsed is None:
                continue
            shm, shm_text = parsed, f"shm_size {raw_shm}"
        # with neither, postgres runs with no flags: the stack's facts are left unread
        runs_flags = "command" in service or "entrypoint" in service
        setting = maintenance_work_mem(ctx, name) if runs_flags else None
        if setting is not None:
            needed, needed_text = setting[0], f"maintenance_work_mem={setting[1]} in its command"
        else:
            limit = memory_limit(name, service)
            if limit is None:
                continue
            needed = int(min(limit.value / 16, PGTUNE_CAP))
            needed_text = (
                f"pgtune's maintenance_work_mem for the {limit.shown()} memory limit, {human_bytes(needed)} "
                "(limit ÷ 16)"
            )
        if shm > needed:
            continue
        yield Violation(
            ("services", name, "shm_size"),
            f"service {name!r}: {shm_text} is not above {needed_text}: parallel queries and index builds "
            "fail with 'could not resize shared memory segment' (docker-library/postgres#416); "
            + ("set the tmpfs size above it" if mounted is not None else "set shm_size above it"),
            service=name,
        )
