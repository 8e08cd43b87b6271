"""The ports a service's command says it listens on, for a service that declares none (`ports`,
`expose`): `gunicorn --bind 0.0.0.0:8000` is how most Python web services say it.

Read, for the servers whose flags are plain to read (their documentation):
- gunicorn, hypercorn: `-b` / `--bind HOST:PORT` (repeatable; `unix:` and `fd://` binds are not ports);
- uvicorn: `--port N`;
- daphne, `flask run`: `-p` / `--port N`;
- Django's `manage.py runserver [ADDR:]PORT`.
A value that is not a port number (a `$PORT` left to the shell) is not read. Pure and linear in
the command's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from composegen.facts.argv import basename, script_commands

BIND = "bind"  # HOST:PORT, [::]:PORT or :PORT
PORT = "port"  # a bare port number

#: Per server (the program's file name, or `python -m NAME`), its options that name a port.
PORT_OPTIONS: Mapping[str, Mapping[str, str]] = {
    "gunicorn": {"-b": BIND, "--bind": BIND},
    "hypercorn": {"-b": BIND, "--bind": BIND},
    "uvicorn": {"--port": PORT},
    "daphne": {"-p": PORT, "--port": PORT},
    "flask": {"-p": PORT, "--port": PORT},
}


def _tokens(argv: Sequence[str]) -> list[str]:
    """The words of the command, with a shell's `-c "..."` script split into words too (as the
    stack-reading layer splits one)."""
    out: list[str] = []
    for word in argv:
        if " " in word:
            out.extend(w for command in script_commands(word) for w in command)
        else:
            out.append(word)
    return out


def _port(value: str, kind: str) -> int | None:
    if kind == BIND:
        if value.startswith(("unix:", "fd://")) or ":" not in value:
            return None
        value = value.rsplit(":", 1)[1]
    if not (value.isascii() and value.isdigit()):
        return None
    port = int(value)
    return port if 0 < port < 65536 else None


def command_ports(argv: Iterable[str]) -> list[tuple[int, str]]:
    """(port, the words it was read from) for each port the command names, by port, once each."""
    words = _tokens(list(argv))
    found: dict[int, str] = {}
    server = ""
    for i, word in enumerate(words):
        name = basename(word)
        if name in PORT_OPTIONS or name == "runserver":
            server = name
            if name == "runserver" and i + 1 < len(words) and not words[i + 1].startswith("-"):
                port = _port(words[i + 1] if ":" in words[i + 1] else f":{words[i + 1]}", BIND)
                if port is not None:
                    found.setdefault(port, f"runserver {words[i + 1]}")
            continue
        options = PORT_OPTIONS.get(server)
        if options is None:
            continue  # (no server with options named yet: nothing to read)
        option, _, attached = word.partition("=")
        kind = options.get(option)
        value = attached if attached else (words[i + 1] if i + 1 < len(words) else "")
        if kind is None and len(word) > 2 and word[:2] in options and not word.startswith("--"):
            kind, option, value = options[word[:2]], word[:2], word[2:]  # -b0.0.0.0:8000
        if kind is None:
            continue
        port = _port(value, kind)
        if port is not None:
            found.setdefault(port, f"{server} {option} {value}")
    return sorted(found.items())
