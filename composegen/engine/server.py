"""What the database servers really run with: the settings composegen wrote into a database's
command, asked of the server itself after `up` (verify), planned against applied.

A container can take a flag and the server still run without it (MariaDB kept max_connections 151
when the declared connections were not written; facts/real-servers.md). So verify asks each
server: PostgreSQL through psql (`current_setting()`, what `SHOW` prints), Redis and Valkey through
their cli (`CONFIG GET`), MySQL and MariaDB through their client (`SHOW VARIABLES`). Each client
runs inside the server's own container (`docker exec`) over its local socket, with the credentials
the container's environment already holds: composegen reads and prints none of them.

Everything but `read_servers` is pure: what to ask (`server_query`), how to read the answer
(`parse_applied`) and the comparison (`compare_server`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from composegen.engine.applied import SERVICE_LABEL
from composegen.engine.compare import Check
from composegen.facts import values
from composegen.units import KIB, MIB

if TYPE_CHECKING:
    from composegen.sizing.model import ServicePlan

Kind = Literal["postgres", "redis", "mysql"]
KINDS: dict[str, Kind] = {"postgres": "postgres", "redis": "redis", "mysql": "mysql"}
#: What the server rounds a size to (PostgreSQL manual, config-setting: a value in a setting's own
#: unit; shared_buffers and effective_cache_size are 8 kB pages, the WAL sizes whole MB): planned
#: and applied differing by less are the same setting. Other sizes: 1 kB.
PG_GRANULE = {"shared_buffers": 8 * KIB, "effective_cache_size": 8 * KIB, "max_wal_size": MIB, "min_wal_size": MIB}
#: A setting name composegen writes: lower-case words (never quoted into SQL otherwise).
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
#: Characters of the server's answer a row may show; an answer is cut to this many.
SHOWN = 120

_PSQL = (
    'PGPASSWORD="${POSTGRES_PASSWORD:-}" exec psql -X -q -t -A -F "=" -v ON_ERROR_STOP=1 '
    '-U "${POSTGRES_USER:-postgres}" -d postgres -c "$1"'
)
_REDIS = 'cli=$1; shift; for p in "$@"; do "$cli" --no-auth-warning CONFIG GET "$p" || exit 1; done'
_MYSQL = (
    'pw="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
    'f="${MARIADB_ROOT_PASSWORD_FILE:-${MYSQL_ROOT_PASSWORD_FILE:-}}"; '
    'if [ -z "$pw" ] && [ -n "$f" ]; then pw=$(cat "$f"); fi; '
    "c=$(command -v mariadb || command -v mysql) || exit 127; "
    'MYSQL_PWD="$pw" exec "$c" -uroot -N -B -e "$1"'
)


@dataclass(frozen=True)
class ServerQuery:
    """The settings composegen wrote for one database service, and how to ask its server."""

    service: str
    kind: Kind
    planned: tuple[tuple[str, str], ...]  # (the server's name for the setting, the value written)
    cli: str = ""  # redis-cli or valkey-cli

    def command(self) -> tuple[str, ...]:
        """The argv to run in the server's container."""
        names = [name for name, _ in self.planned]
        if self.kind == "postgres":
            listed = ", ".join(f"'{n}'" for n in names)
            sql = f"SELECT name, current_setting(name) FROM pg_settings WHERE name IN ({listed}) ORDER BY name"
            return ("sh", "-c", _PSQL, "sh", sql)
        if self.kind == "redis":
            return ("sh", "-c", _REDIS, "sh", self.cli, *names)
        listed = ", ".join(f"'{n}'" for n in names)
        return ("sh", "-c", _MYSQL, "sh", f"SHOW VARIABLES WHERE Variable_name IN ({listed})")


def _pairs(args: Sequence[str]) -> list[tuple[str, str]]:
    """`--name value` pairs of a redis-server command (composegen writes one value a name)."""
    found = []
    for i, arg in enumerate(args):
        if arg.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            found.append((arg[2:], args[i + 1]))
        elif arg.startswith("--") and (i + 1 == len(args) or args[i + 1].startswith("--")):
            found.append((arg[2:], ""))
    return found


def server_query(plan: ServicePlan) -> ServerQuery | None:
    """What to ask the server of a database service whose command composegen wrote; None for
    another role, or where composegen wrote no command (the base's own runs: nothing planned)."""
    kind = KINDS.get(plan.role)
    command = plan.sizing.command
    if kind is None or not command:
        return None
    planned: list[tuple[str, str]]
    cli = ""
    if kind == "postgres":
        planned = [(arg.partition("=")[0], arg.partition("=")[2]) for arg in command[2::2] if "=" in arg]
    elif kind == "redis":
        planned = _pairs(command[1:])
        cli = command[0].replace("-server", "-cli")
    else:
        planned = []
        for arg in command:
            name, eq, value = arg.removeprefix("--").partition("=")
            if arg.startswith("--") and eq:
                planned.append((name.replace("-", "_"), value))
    planned = [(n, v) for n, v in planned if _NAME.match(n)]
    return ServerQuery(plan.name, kind, tuple(planned), cli) if planned else None


def parse_applied(kind: Kind, output: str) -> dict[str, str]:
    """The server's answer as {setting: value}: psql's `name=value` lines, redis-cli's name and
    value lines in turn (a value may be empty), the mysql client's tab-separated rows."""
    lines = output.replace("\r\n", "\n").removesuffix("\n").split("\n") if output else []
    if kind == "redis":
        return dict(zip(lines[0::2], lines[1::2], strict=False))
    separator = "=" if kind == "postgres" else "\t"
    found = {}
    for line in lines:
        name, sep, value = line.partition(separator)
        if sep:
            found[name.strip()] = value.strip()
    return found


def _size(kind: Kind, text: str) -> int | None:
    """A size as bytes: PostgreSQL's `128MB`, MySQL's `512M`, or plain bytes; None if neither."""
    try:
        if kind == "postgres":
            return values.postgres_size(text, 1)
        return values.mysql_size(text)
    except ValueError:
        return None


def same(kind: Kind, name: str, planned: str, applied: str) -> bool:
    """Whether the server runs the value written: a count or word as it is, a size to within
    what the server rounds it to."""
    if planned == applied:
        return True
    if kind == "redis" or planned.isdigit():
        return planned.strip().lower() == applied.strip().lower()
    want, got = _size(kind, planned), _size(kind, applied)
    if want is None or got is None:
        return False
    granule = PG_GRANULE.get(name, KIB) if kind == "postgres" else 1
    return abs(want - got) < granule


def compare_server(query: ServerQuery, applied: Sequence[Mapping[str, str]], problem: str = "") -> list[Check]:
    """One row a setting: planned against what each container's server reports. `problem`: the
    server could not be asked (a row says why, not a mismatch: the container rows stand)."""
    if problem:
        return [Check(query.service, "server settings", "asked", "unreadable", "n/a", problem[:SHOWN])]
    rows = []
    for name, planned in query.planned:
        got = [answer.get(name) for answer in applied]
        shown = ", ".join(dict.fromkeys("missing" if g is None else (g or '""') for g in got)) or "none"
        ok = bool(got) and all(g is not None and same(query.kind, name, planned, g) for g in got)
        rows.append(Check(query.service, f"server {name}", planned or '""', shown, "ok" if ok else "mismatch"))
    return rows


def read_servers(client: Any, plans: Sequence[ServicePlan], containers: Sequence[dict[str, Any]]) -> list[Check]:
    """Ask the server in each running container of a database service for the settings composegen
    wrote (docker exec through the Engine API), and compare them with the plan."""
    from composegen.engine.client import exec_in

    rows: list[Check] = []
    for plan in plans:
        query = server_query(plan)
        if query is None:
            continue
        mine = [
            c
            for c in containers
            if ((c.get("Config") or {}).get("Labels") or {}).get(SERVICE_LABEL) == plan.name
            and (c.get("State") or {}).get("Running")
        ]
        if not mine:
            rows.append(Check(plan.name, "server settings", "asked", "not running", "n/a", "no running container"))
            continue
        answers, problem = [], ""
        for container in mine:
            code, out, err = exec_in(client, str(container["Id"]), query.command())
            if code != 0:
                said = (err or out).strip().splitlines()
                problem = f"the server did not answer (exit {code}): {said[-1] if said else 'no output'}"
                break
            answers.append(parse_applied(query.kind, out))
        rows += compare_server(query, answers, problem)
    return rows
