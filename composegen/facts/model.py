"""The typed facts read from a stack: what each service runs, with where each was written.

Named tuples, not dataclasses: lint imports this path, and a dataclass costs a lint run its import
(see composegen/sizing/inputs.py).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from composegen.yamlio import Origin

#: `read`: the value was parsed; `unreadable`: written but not parsable (`-w abc`, `$WORKERS`), the
#: text is kept in `raw` and `value` is None; `not-read`: a config file named or mounted whose
#: contents composegen does not read (`value` is its path).
Status = Literal["read", "unreadable", "not-read"]
Value = int | float | bool | str | None


class Fact(NamedTuple):
    """One setting a service runs with, as written in the stack.

    `program`: who reads it (`gunicorn`, `jvm`, `postgres`, `compose` for the stack's own keys);
    `setting`: what it sets (`workers`, `heap_max`, `shared_buffers`; the names are the
    `*_SETTINGS` tuples of each reader module); `value`: parsed (int; bytes as an int; float;
    bool; str); `raw`: the text as written (`-w 12`, `--workers=4`, `ES_JAVA_OPTS=-Xmx4g`);
    `origin`: file, line, column of the key or item it was read from; `via`: which part of the
    service (`command`, `entrypoint`, `environment GUNICORN_CMD_ARGS`, `volumes`, `file name`).
    `overridden`: a later source of the same program and setting wins over this one (by the
    program's own precedence, see `ServiceFacts.get`)."""

    program: str
    setting: str
    value: Value
    raw: str
    origin: Origin | None
    via: str
    status: Status = "read"
    overridden: bool = False

    def where(self) -> str:
        """`file:line`, or `""` where the origin is unknown."""
        return self.origin.where() if self.origin else ""


#: The setting of a tmpfs mount's size the base sets, one per target: `tmpfs /scratch` (bytes).
TMPFS_SETTING = "tmpfs "


def tmpfs_target(fact: Fact) -> str | None:
    """The target of a base tmpfs mount's size (`tmpfs /scratch` -> `/scratch`,
    composegen.facts.stack.tmpfs_sizes); None for any other fact."""
    if fact.program == "compose" and fact.setting.startswith(TMPFS_SETTING):
        return fact.setting[len(TMPFS_SETTING) :]
    return None


class Unread(NamedTuple):
    """Arguments of a known program that no reader understood, kept as written (never refused)."""

    program: str
    args: tuple[str, ...]
    origin: Origin | None
    via: str


class Command(NamedTuple):
    """One program invocation found in a service's argv (a `sh -c` script may hold several):
    `program` is the reader's name (`gunicorn`), `argv` the words from the program on, wrappers
    (`exec`, `env`, `sh -c`, `python -m`, image entrypoints) looked through."""

    program: str
    argv: tuple[str, ...]
    origin: Origin | None
    via: str


class ServiceFacts(NamedTuple):
    """Everything read from one service. `facts` are grouped by program and setting, each group in
    its program's precedence order (lowest first): the last one of a group is the one that runs
    (`overridden` is False on it alone)."""

    service: str
    image: str | None
    image_name: str  # `postgres` for `docker.io/library/postgres:16` ("" when the service only builds)
    argv: tuple[str, ...]  # entrypoint + command (the image server first where its entrypoint takes flags)
    commands: tuple[Command, ...]  # the programs recognised in argv (the last one is the main one)
    facts: tuple[Fact, ...]
    unread: tuple[Unread, ...] = ()
    run_once: bool = False
    run_once_evidence: tuple[Fact, ...] = ()
    target_evidence: tuple[Fact, ...] = ()  # this service's Swarm-only keys (deploy.mode: global, ...)

    @property
    def programs(self) -> tuple[str, ...]:
        """The programs recognised, in order, each once."""
        return tuple(dict.fromkeys(c.program for c in self.commands))

    def get(self, setting: str, program: str | None = None) -> Fact | None:
        """The fact that wins for a setting (of one program, or of any): the last one not
        overridden; None when nothing sets it."""
        found = None
        for fact in self.facts:
            if fact.setting == setting and (program is None or fact.program == program) and not fact.overridden:
                found = fact
        return found

    def all(self, setting: str, program: str | None = None) -> tuple[Fact, ...]:
        """Every fact for a setting, overridden ones included, in precedence order."""
        return tuple(f for f in self.facts if f.setting == setting and (program is None or f.program == program))

    def tmpfs_sizes(self) -> tuple[tuple[str, Fact], ...]:
        """Each tmpfs mount the compose file sizes: its target and the size's fact (`tmpfs
        /scratch`), read or unreadable."""
        return tuple((target, f) for f in self.facts if (target := tmpfs_target(f)) is not None)

    def value(self, setting: str, program: str | None = None) -> Value:
        """The winning fact's parsed value (None when unset or unreadable)."""
        fact = self.get(setting, program)
        return fact.value if fact is not None else None


Target = Literal["swarm", "compose"]
Usage = Literal["pytest", "dev", "prod"]


class StackFacts(NamedTuple):
    """What the stack as a whole says: its target (`swarm` where anything Swarm-only is found, else
    None: nothing says) and its usage (from the file names; None: nothing says), each with its
    evidence, and every service's facts."""

    services: dict[str, ServiceFacts]
    target: Target | None
    target_evidence: tuple[Fact, ...]
    usage: Usage | None
    usage_evidence: tuple[Fact, ...]
