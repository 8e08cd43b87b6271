"""What a service runs: its argv as compose passes it, and the programs found in it.

    service_words(service, path_origin) -> words of entrypoint + command, each with its origin
    find_commands(words, image) -> the program invocations, wrappers looked through

compose runs `entrypoint + command` (a string is split the way compose-go splits it: `shell_split`).
Where no entrypoint is set, the image's own runs: for the official database images its script
hands a command that starts with `-` to the server (`command: -c shared_buffers=1GB` is
`postgres -c shared_buffers=1GB`), and the LLM server images take the whole command as the
server's arguments. Wrappers are looked through: `sh -c "…"` (each command of the script),
`exec`, `env`, `tini --`, `gosu user`, `python -m`, `uv run`, `docker-entrypoint.sh`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from composegen.compose.syntax import SyntaxProblem, go_format, go_shell_split, image_name, image_tag
from composegen.compose.tree import items
from composegen.yamlio import Origin


class Word(NamedTuple):
    """One argument and where it was written (`via`: command or entrypoint). A word of a shell
    script that names the container's variables (`$WORKERS`, compose's `$$WORKERS`) is read as the
    shell expands it: `text` is the value, `written` the word as written and `note` where each
    variable was set (`WORKERS set at app.env:3`). Only `text` is ever parsed; what is shown is
    `shown`/`cited`, which never quote a variable's value."""

    text: str
    origin: Origin | None
    via: str
    written: str = ""
    note: str = ""

    @property
    def shown(self) -> str:
        """The word as written."""
        return self.written or self.text

    def cited(self) -> str:
        """The word as written, and where its variables were set: `$WORKERS (WORKERS set at .env:3)`."""
        return f"{self.shown} ({self.note})" if self.note else self.shown


#: The container's variables a script can read: {name: (value, where it was set, `file:line`)}.
ScriptEnv = Mapping[str, tuple[str, str]]
#: `$NAME`, `${NAME}` in a script (as text, compiled by `re` when a script first names one)
_VARIABLE = r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))"
#: The longest word an expansion may make (a bound: an expansion never costs more than this).
_MAX_EXPANDED = 4096


def expanded(word: Word, env: ScriptEnv) -> Word:
    """A script word with its `$NAME` and `${NAME}` references replaced by the container's values,
    as the shell expands them; the word unchanged where it names none, or one the service does not
    set (the shell's value is then unknown), or where the result would exceed _MAX_EXPANDED."""
    text = word.text
    if "$" not in text or not env:
        return word
    parts: list[str] = []
    notes: dict[str, str] = {}
    size = 0
    at = 0
    for match in re.finditer(_VARIABLE, text):
        name = match.group(1) or match.group(2)
        found = env.get(name)
        if found is None:
            return word
        size += match.start() - at + len(found[0])
        if size > _MAX_EXPANDED:
            return word
        parts += (text[at : match.start()], found[0])
        notes[name] = f"{name} set at {found[1]}"
        at = match.end()
    if not notes:
        return word
    parts.append(text[at:])
    return Word("".join(parts), word.origin, word.via, text, ", ".join(notes.values()))


class ImageServer(NamedTuple):
    """An image whose entrypoint runs a server with the command as its arguments: `argv0` is put
    before a command that starts with `-` (or before any command, `always`)."""

    argv0: str
    always: bool = False


#: Official images whose entrypoint script runs the server when the command starts with `-`
#: (https://github.com/docker-library/postgres/blob/master/docker-entrypoint.sh: "if first arg is
#: `-f` or `--some-option`"; the same in redis, mysql, mariadb, mongo; clickhouse-server's runs it
#: for a first argument starting with `--`), and LLM server images whose
#: ENTRYPOINT is the server itself (vllm/vllm-openai: `vllm serve`; text-generation-inference:
#: `text-generation-launcher`; ollama: `/bin/ollama`; llama.cpp `:server*`: `llama-server`).
IMAGE_SERVERS: dict[str, ImageServer] = {
    "postgres": ImageServer("postgres"),
    "postgis": ImageServer("postgres"),
    "pgvector": ImageServer("postgres"),
    "timescaledb": ImageServer("postgres"),
    "mysql": ImageServer("mysqld"),
    "mariadb": ImageServer("mariadbd"),
    "redis": ImageServer("redis-server"),
    "valkey": ImageServer("valkey-server"),
    "mongo": ImageServer("mongod"),
    "clickhouse-server": ImageServer("clickhouse-server"),
    "vllm-openai": ImageServer("vllm", always=True),
    "text-generation-inference": ImageServer("text-generation-launcher", always=True),
    "ollama": ImageServer("ollama", always=True),
    "llama.cpp": ImageServer("llama-server", always=True),  # the `:server` tags only (see image_server)
}

#: A program's executable name -> the reader that reads it.
PROGRAMS: dict[str, str] = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "hypercorn": "hypercorn",
    "celery": "celery",
    "pytest": "pytest",
    "py.test": "pytest",
    "django-admin": "django",
    "java": "jvm",
    "node": "node",
    "nodejs": "node",
    "postgres": "postgres",
    "postmaster": "postgres",
    "mysqld": "mysql",
    "mariadbd": "mysql",
    "mongod": "mongodb",
    "redis-server": "redis",
    "clickhouse-server": "clickhouse",
    "valkey-server": "redis",
    "vllm": "vllm",
    "text-generation-launcher": "tgi",
    "llama-server": "llama.cpp",
    "ollama": "ollama",
}

#: `python -m X` modules, by their first dotted part.
PYTHON_MODULES: dict[str, str] = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "hypercorn": "hypercorn",
    "celery": "celery",
    "pytest": "pytest",
    "django": "django",
    "vllm": "vllm",
}

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
#: Wrappers that run the rest of the words as they are.
_PLAIN_WRAPPERS = frozenset({"exec", "nohup", "dumb-init", "docker-entrypoint.sh", "time", "command"})
#: `X run prog ...`: the package managers' run commands.
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye"})
#: Wrappers whose first argument is a user: `gosu app gunicorn ...`.
_USER_WRAPPERS = frozenset({"gosu", "su-exec"})
#: The longest chain of wrappers looked through (a bound, not a limit anyone meets).
_MAX_DEPTH = 8


@functools.lru_cache(maxsize=256)  # asked of each service's first words: program names, which repeat
def basename(word: str) -> str:
    return word.rstrip("/").rsplit("/", 1)[-1]


def split_value(value: Any, origin: Origin | None, via: str) -> list[Word]:
    """A `command`/`entrypoint` value as words (raises SyntaxProblem where compose refuses it)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [Word(w, origin, via) for w in go_shell_split(value)]
    if isinstance(value, list):
        return [Word(go_format(item), found or origin, via) for item, found in items(value)]
    return [Word(go_format(value), origin, via)]


def image_server(image: str | None) -> ImageServer | None:
    if not image:
        return None
    name = image_name(image)
    if name == "llama.cpp" and not image_tag(image).startswith("server"):
        return None
    return IMAGE_SERVERS.get(name)


#: Roles composegen.yaml may declare for a custom image built on an official server image,
#: whose entrypoint then takes the command as the server's flags.
ROLE_SERVERS: dict[str, ImageServer] = {
    "postgres": IMAGE_SERVERS["postgres"],
    "mysql": IMAGE_SERVERS["mysql"],
    "redis": IMAGE_SERVERS["redis"],
    "mongo": IMAGE_SERVERS["mongo"],
}


def service_words(
    service: Mapping[str, Any], key_origin: Callable[[str], Origin | None], role: str | None = None
) -> tuple[list[Word], SyntaxProblem | None]:
    """entrypoint + command as compose runs them, with the image's server put first where its
    entrypoint takes the command as flags (the image's, else the declared `role`'s: ROLE_SERVERS).
    A string compose would refuse gives the problem and the words read so far."""
    words: list[Word] = []
    entrypoint = service.get("entrypoint")
    command = service.get("command")
    try:
        if entrypoint is not None:  # (split_value of None is no words: no origin to look up)
            words.extend(split_value(entrypoint, key_origin("entrypoint"), "entrypoint"))
        command_words = split_value(command, key_origin("command"), "command") if command is not None else []
    except SyntaxProblem as problem:
        return words, problem
    image = service.get("image")
    server = image_server(str(image)) if entrypoint is None and image is not None else None
    if server is None and entrypoint is None and role is not None:
        server = ROLE_SERVERS.get(role)
    if server is not None:
        first = command_words[0].text if command_words else ""
        origin = command_words[0].origin if command_words else key_origin("image")
        starts_flags = first.startswith("-") or (server.argv0 == "redis-server" and first.endswith(".conf"))
        program = basename(first)
        own = program in PROGRAMS or program in _SHELLS or first.startswith("python")
        if not command_words or starts_flags or (server.always and not own):
            via = "command" if command_words else "image"
            words.append(Word(server.argv0, origin, via))
    words.extend(command_words)
    return words, None


# --- sh -c scripts ----------------------------------------------------------------------------


def script_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, split at unquoted `;`, `&`, `|` and newlines, each as
    its words (POSIX quoting: `'…'` literal, `"…"` and unquoted with backslash escapes; `#`
    comments; `$(…)` and backticks kept as text). One pass over the text."""
    commands: list[list[str]] = []
    words: list[str] = []
    buf: list[str] = []
    got = False
    quote = ""
    depth = 0  # inside $( … )
    i, n = 0, len(script)
    while i < n:
        char = script[i]
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                buf.append(char)
        elif quote == '"':
            if char == "\\" and i + 1 < n and script[i + 1] in '$`"\\\n':
                i += 1
                if script[i] != "\n":
                    buf.append(script[i])
            elif char == '"':
                quote = ""
            else:
                buf.append(char)
        elif depth:
            buf.append(char)
            depth += 1 if char == "(" else -1 if char == ")" else 0
        elif char == "\\":
            if i + 1 < n and script[i + 1] != "\n":
                buf.append(script[i + 1])
                got = True
            i += 1
        elif char in "'\"":
            quote = char
            got = True
        elif char == "$" and i + 1 < n and script[i + 1] == "(":
            buf.append("$(")
            depth, got = 1, True
            i += 1
        elif char == "#" and not got:
            while i < n and script[i] != "\n":
                i += 1
            continue
        elif char in " \t\r" or char in ";&|\n":
            if got:
                words.append("".join(buf))
                buf, got = [], False
            if char in ";&|\n" and words:
                commands.append(words)
                words = []
        else:
            buf.append(char)
            got = True
        i += 1
    if got:
        words.append("".join(buf))
    if words:
        commands.append(words)
    return commands


# --- looking through wrappers -----------------------------------------------------------------


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier()


def shell_script_at(words: Sequence[Word]) -> int | None:
    """The index of the script of `sh -c script` (or `bash -ec`, `sh -l -c`), or None."""
    i = 1
    while i < len(words) and words[i].text.startswith("-") and words[i].text != "--":
        option = words[i].text
        if not option.startswith("--") and "c" in option[1:]:
            return i + 1 if i + 1 < len(words) else None
        i += 1
    return None


def unwrap(words: list[Word]) -> list[Word]:
    """The words after leading assignments and plain wrappers (`exec`, `env A=1`, `tini --`)."""
    while words:
        first = basename(words[0].text)
        if _is_assignment(words[0].text) or first in _PLAIN_WRAPPERS:
            words = words[1:]
        elif first == "env":
            words = words[1:]
            while words and (_is_assignment(words[0].text) or words[0].text.startswith("-")):
                words = words[1:]
        elif first in ("tini", "tini-static"):
            words = words[1:]
            while words and words[0].text.startswith("-"):
                done = words[0].text == "--"
                words = words[1:]
                if done:
                    break
        elif first in _USER_WRAPPERS:
            words = words[2:]
        elif first in _RUNNERS and len(words) > 1 and words[1].text == "run":
            words = words[2:]
            while words and words[0].text.startswith("-"):
                words = words[1:]
        else:
            return words
    return words


_PYTHON_OPTIONS_WITH_ARGUMENT = frozenset({"-W", "-X", "-Q"})


def _python(words: list[Word]) -> tuple[str, list[Word]] | None:
    """`python [-u] -m gunicorn …` -> ("gunicorn", words from the module on); `python manage.py
    runserver` -> ("django", …)."""
    i = 1
    while i < len(words):
        word = words[i].text
        if word == "-m" and i + 1 < len(words):
            module = words[i + 1].text.split(".", 1)[0]
            program = PYTHON_MODULES.get(module)
            return (program, words[i + 1 :]) if program else None
        if word.startswith("-m") and len(word) > 2:
            program = PYTHON_MODULES.get(word[2:].split(".", 1)[0])
            return (program, words[i:]) if program else None
        if word in _PYTHON_OPTIONS_WITH_ARGUMENT:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        if basename(word) == "manage.py":
            return "django", words[i:]
        return None
    return None


class _Without(Mapping[str, tuple[str, str]]):
    """A script's view of the container's variables: those it has set itself (`removed`) hidden."""

    def __init__(self, env: ScriptEnv, removed: set[str]) -> None:
        self.env = env
        self.removed = removed

    def __getitem__(self, name: str) -> tuple[str, str]:
        if name in self.removed:
            raise KeyError(name)
        return self.env[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.env if name not in self.removed)

    def __len__(self) -> int:
        return sum(1 for _ in self)


_DECLARATIONS = frozenset({"export", "readonly", "local", "declare", "typeset"})


def script_assignments(command: Sequence[str]) -> list[str]:
    """The variables a script command sets for the rest of the script (`NAME=value` alone, or
    `export NAME=value`); a command that runs a program sets them for that program only."""
    words = list(command[1:]) if command and command[0] in _DECLARATIONS else list(command)
    if command and command[0] not in _DECLARATIONS and not all(_is_assignment(w) for w in words):
        return []
    return [w.partition("=")[0] for w in words if _is_assignment(w)]


def find_commands(words: list[Word], depth: int = 0, env: ScriptEnv | None = None) -> Iterator[tuple[str, list[Word]]]:
    """(program, words from the program on) for each program invocation the words run. `env`:
    the container's variables, which a `sh -c` script's `$NAME` words read (see `expanded`)."""
    words = unwrap(words)
    if not words or depth > _MAX_DEPTH:
        return
    first = basename(words[0].text)
    if first in _SHELLS:
        at = shell_script_at(words)
        if at is not None:
            script = words[at]
            known = _Without(env or {}, set())
            for command in script_commands(script.text):
                known.removed.update(script_assignments(command))  # the script's own: not the container's
                read = [expanded(Word(w, script.origin, script.via), known) for w in command]
                yield from find_commands(read, depth + 1, known)
        return
    program = PROGRAMS.get(first)
    if program is not None:
        yield program, words
        return
    if first.startswith("python") and (first[6:] == "" or first[6:].replace(".", "").isdigit()):
        found = _python(words)
        if found is not None:
            yield found
