"""What every reader gets: the program invocations found in a service and its environment, each
part with where it was written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from composegen.facts.argv import Word
from composegen.facts.model import Fact, Status, Unread, Value
from composegen.facts.options import Option, parse_options, unread_of, value_fact
from composegen.yamlio import Origin


class EnvVar(NamedTuple):
    """One environment variable of a service: its value and the key or item it was read from."""

    name: str
    value: str
    origin: Origin | None
    via: str  # `environment NAME` (or `env_file NAME`)
    set_at: str = ""  # `file:line` where the value was written (`app.env:3` for an env file)


class Context(NamedTuple):
    """A service as the readers see it. A reader asks only through `runs`, `words_of`,
    `env_fact`, `env_words` and `name in env`: read.py runs it only where those may answer
    something (composegen.facts.read.needs_of)."""

    service: str
    image_name: str
    commands: tuple[tuple[str, tuple[Word, ...]], ...]  # (program, words from the program on)
    env: Mapping[str, EnvVar]

    def runs(self, program: str) -> bool:
        return any(found == program for found, _ in self.commands)

    def words_of(self, program: str) -> list[tuple[Word, ...]]:
        """The arguments (after the program's own name) of each invocation of `program`."""
        return [words[1:] for found, words in self.commands if found == program]

    def env_fact(
        self,
        program: str,
        setting: str,
        name: str,
        parse: Callable[[str], Value] | None,
        status: Status = "read",
    ) -> Fact | None:
        """A fact from one environment variable, if the service sets it (unset, empty: none)."""
        var = self.env.get(name)
        if var is None or var.value == "":
            return None
        return value_fact(program, setting, parse, var.value, f"{name}={var.value}", var.origin, var.via, status)

    def env_words(self, name: str, *, posix: bool = True) -> list[Word] | Fact:
        """An options variable (`GUNICORN_CMD_ARGS`, `JAVA_TOOL_OPTIONS`) as words (shlex, as
        gunicorn and the JVM split them), or an unreadable fact where the quoting is broken."""
        var = self.env.get(name)
        if var is None:  # (most services, for most of the variables the readers ask about)
            return []
        import shlex

        try:
            parts = shlex.split(var.value, posix=posix)
        except ValueError:
            return Fact("environment", name, None, f"{name}={var.value}", var.origin, var.via, "unreadable")
        return [Word(part, var.origin, var.via) for part in parts]


class Readout(NamedTuple):
    """What a reader found: facts in precedence order (lowest first), and unread arguments."""

    facts: list[Fact]
    unread: list[Unread]


def env_options(ctx: Context, name: str, facts: list[Fact]) -> list[Word]:
    """`Context.env_words`, with a broken variable recorded in `facts`."""
    found = ctx.env_words(name)
    if isinstance(found, Fact):
        facts.append(found)
        return []
    return found


EnvTable = tuple[tuple[str, str, Callable[[str], Value]], ...]


def read_program(
    ctx: Context,
    program: str,
    options: Mapping[str, Option],
    *,
    env: EnvTable = (),
    underscores: bool = False,
) -> Readout:
    """A program whose options may also be set by environment variables (`env`: (variable,
    setting, parser)), the command line winning: the variables' facts, then each invocation's."""
    facts: list[Fact] = []
    unread: list[Unread] = []
    for name, setting, parse in env:
        found = ctx.env_fact(program, setting, name, parse)
        if found is not None:
            facts.append(found)
    for words in ctx.words_of(program):
        parsed = parse_options(program, words, options, underscores=underscores)
        facts.extend(parsed.facts)
        unread.extend(unread_of(program, parsed.unread))
    return Readout(facts, unread)
