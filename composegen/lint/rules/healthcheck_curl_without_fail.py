"""healthcheck-curl-without-fail (CG206): a healthcheck whose `curl` ignores the HTTP status.

What it does:
    Flags a healthcheck `test` that runs `curl` without `-f` / `--fail` (or `--fail-with-body`):
    in the exec form (`["CMD", "curl", ...]`), the shell form (`["CMD-SHELL", "curl ..."]` or a
    plain string) and `sh -c` scripts. A curl whose output is checked (piped into `grep`,
    `--write-out` of the status code, or inside `$(...)`) is not flagged.
    The fix adds `-f` right after `curl` where the test is written in the file as one plain
    command.

Why is this bad?
    Without `--fail`, curl exits 0 whenever the server answers, whatever it answers: a 500 or
    a 503 from an application that lost its database counts as healthy. The container never
    turns unhealthy, so `depends_on: condition: service_healthy` starts the dependents against
    a broken service, and nothing restarts it.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "http://localhost:8000/health"]
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from composegen.compose.syntax import go_format
from composegen.lint.context import LintContext
from composegen.lint.finding import Edit, Fix, Severity, Violation
from composegen.lint.readers import dig, disabled, healthcheck, raw_value, services_with, written_directly
from composegen.yamlio import KeyPath

CODE = "CG206"
NAME = "healthcheck-curl-without-fail"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info}
FIXABLE = True

_FAIL = frozenset({"--fail", "--fail-with-body"})
#: Options that say the script reads curl's output or status code itself.
_CHECKED = frozenset({"-w", "--write-out"})
#: curl's short options that take a value: a cluster (`-sSfo out`) ends at one of them.
_TAKES_VALUE = frozenset("AbcCdDeEFHKmoPQrTtuUwxXyYz")
#: Words that run the next word as the command.
_WRAPPERS = frozenset({"exec", "command", "timeout", "env", "nice", "nohup"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "busybox"})
#: A pipe (not `||`): the output goes to another program that judges it.
_PIPE = re.compile(r"(?<!\|)\|(?!\|)")


def _fails(words: Sequence[str]) -> bool:
    """Whether curl's arguments ask it to fail on an HTTP error, or check its output."""
    for word in words:
        if word in _FAIL or word in _CHECKED or word.startswith("--write-out="):
            return True
        if word.startswith("-") and not word.startswith("--"):
            for char in word[1:]:
                if char == "f" or char == "w":
                    return True
                if char in _TAKES_VALUE:
                    break
    return False


def _curl_at(words: Sequence[str]) -> int | None:
    """The index of the `curl` a simple command runs (also through exec, timeout...), or None."""
    from composegen.facts.argv import basename  # lazy: a stack without healthchecks never pays for facts

    for index, word in enumerate(words[:4]):
        name = basename(word)
        if name == "curl":
            return index
        if name not in _WRAPPERS and not word.isdigit() and not word.startswith("-"):
            return None
    return None


def _scripts(test: Any) -> tuple[list[list[str]], bool]:
    """The simple commands a healthcheck test runs, and whether they run as one exec'd command
    (the exec form)."""
    from composegen.facts.argv import basename

    if isinstance(test, str):
        return _shell(test), False
    if not isinstance(test, list) or not test:
        return [], False
    words = [go_format(w) for w in test]
    if words[0] == "CMD-SHELL":
        return _shell(" ".join(words[1:])), False
    if words[0] != "CMD":
        return [], False
    argv = words[1:]
    if argv and basename(argv[0]) in _SHELLS and "-c" in argv[1:-1]:
        return _shell(argv[argv.index("-c", 1) + 1]), False
    return [argv], True


def _shell(script: str) -> list[list[str]]:
    from composegen.facts.argv import script_commands

    if _PIPE.search(script):
        return []  # curl's output goes to a program that judges it (`| grep -q ok`)
    return script_commands(script)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "healthcheck"):  # (healthcheck is None for the others)
        hc = healthcheck(service)
        if hc is None or disabled(hc):
            continue
        test = hc.get("test")
        commands, exec_form = _scripts(test)
        for words in commands:
            at = _curl_at(words)
            if at is None or _fails(words[at + 1 :]):
                continue
            path: KeyPath = ("services", name, "healthcheck", "test")
            yield Violation(
                path,
                f"service {name!r}: the healthcheck's curl has no -f/--fail, so an HTTP error (a 500, a 503) "
                "still counts as healthy: add -f",
                service=name,
                fix=_fix(ctx, path, test, exec_form, at, len(commands)),
            )
            break  # one finding per healthcheck


def _fix(ctx: LintContext, path: KeyPath, test: Any, exec_form: bool, at: int, commands: int) -> Fix | None:
    """`-f` after curl, where the test is written directly in one file, as it reads (no variable),
    and curl is its one command, first."""
    file = written_directly(ctx, path)
    found, raw, _ = raw_value(ctx, path)
    if file is None or not found or raw != test or commands != 1 or at != 0:
        return None
    healthcheck_path = path[:-1]
    siblings = dig(ctx.data, *(str(k) for k in healthcheck_path)) or {}
    if any(written_directly(ctx, (*healthcheck_path, key)) != file for key in siblings):
        return None  # keys merged in from an anchor (`<<:`): an edit here would rewrite them
    if exec_form and isinstance(test, list):
        return Fix("add -f to curl", _exec_edits(file, path, [go_format(word) for word in test]))
    if isinstance(test, str) and test.lstrip().startswith("curl "):
        return Fix("add -f to curl", (Edit(file, path, "set", test.replace("curl ", "curl -f ", 1)),))
    if isinstance(test, list) and len(test) == 2 and str(test[1]).lstrip().startswith("curl "):
        return Fix("add -f to curl", (Edit(file, (*path, 1), "set", str(test[1]).replace("curl ", "curl -f ", 1)),))
    return None


def _exec_edits(file: str, path: KeyPath, test: list[str]) -> tuple[Edit, ...]:
    """Edits that put `-f` after curl in an exec-form test, item by item (a flow list keeps its
    style): into the short options that follow (`-sS` becomes `-fsS`), else in a new item 2,
    each later item moving one along."""
    if len(test) == 2:
        return (Edit(file, path, "append", "-f"),)
    first = test[2]
    if first.startswith("-") and not first.startswith("--") and len(first) > 1:
        return (Edit(file, (*path, 2), "set", "-f" + first[1:]),)
    moved = [Edit(file, (*path, index + 1), "set", test[index]) for index in range(len(test) - 2, 1, -1)]
    return (Edit(file, path, "append", test[-1]), *moved, Edit(file, (*path, 2), "set", "-f"))
