"""secret-in-environment (CG508): a password, token or key written literally in the file.

What it does:
    Flags an `environment` entry whose name says it holds a secret (`*PASSWORD*`, `*PASSWD*`,
    `*SECRET*`, `*TOKEN*`, `*API_KEY*`, `*PRIVATE_KEY*`, `*ACCESS_KEY*`, `*CREDENTIALS*`...)
    and whose value is written literally in the compose file, and any entry whose value is a
    URL with a literal password in it (`postgres://app:hunter2@db/app`). The value is judged
    as written, before interpolation: `${DB_PASSWORD}` or `${DB_PASSWORD:-}` is a reference and
    is fine; so are `*_FILE` keys (a path to a secret file), empty values, entries with no
    value (passed through from the shell), flags like `true` and `<placeholders>` the reader
    must replace. The finding never prints the value. A value written once in an anchor and
    merged into several services is one finding, at the anchor.

Why is this bad?
    The compose file is committed, copied into tickets and CI logs, and printed by
    `docker compose config`; a secret in it is a secret shared with everyone who can read the
    repository, and it cannot be rotated without a commit. `docker inspect` shows it too.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        environment:
          POSTGRES_PASSWORD: hunter2
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        environment:
          POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
    ```
    with the value in an uncommitted `.env`, or better a compose secret read from a file:
    `POSTGRES_PASSWORD_FILE: /run/secrets/db_password`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.syntax import go_format, split_key_value
from composegen.compose.tree import Origin, key_origin
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import has_template, once_per_origin, raw_at, raw_value
from composegen.yamlio import KeyPath

CODE = "CG508"
NAME = "secret-in-environment"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info, "prod": Severity.error}
OPTIONS: dict[str, Any] = {
    # a name holding one of these words (split at `_`, `-`, `.`) names a secret
    "words": ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "CREDENTIALS", "APIKEY"],
    # ... and so does one holding one of these pairs of words
    "pairs": [
        "API_KEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "SECRET_KEY",
        "AUTH_KEY",
        "ENCRYPTION_KEY",
        "SIGNING_KEY",
        "MASTER_KEY",
        "CLIENT_SECRET",
        "DB_PASS",
        "ROOT_PASS",
    ],
    # names ending like this hold a path, a switch or a setting about the secret, not the secret
    "ignore_suffixes": [
        "_FILE",
        "_PATH",
        "_DIR",
        "_ENABLED",
        "_ENABLE",
        "_DISABLED",
        "_METHOD",
        "_LENGTH",
        "_EXPIRY",
        "_EXPIRES",
        "_TTL",
        "_TIMEOUT",
        "_URL_PATH",
        "_TYPE",
        "_MODE",
        "_PROVIDER",
        "_HEADER",
        "_COOKIE_NAME",
        "_ALGORITHM",
        "_POLICY",
        "_REQUIRED",
        "_HOST",
        "_PORT",
        "_USER",
        "_USERNAME",
        "_NAME",
        "_ID",
        "_KEY_ID",
        "_ROTATION",
        "_BACKEND",
    ],
}

#: A URL with a password: scheme://user:password@host
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<password>[^/\s@]+)@")
#: Values that are switches or placeholders, not secrets.
_PLACEHOLDER = re.compile(r"^<[^<>]*>$")
_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "disabled", "enabled", "0", "1"})


# --- raw values: the text as written, before interpolation ----------------------------------


def entry_text(ctx: LintContext, path: KeyPath) -> tuple[bool, str | None]:
    """An `environment`-like entry (`KEY: value` or `- KEY=value`) as written: (found, its value
    text), the text None when the file gives no value (compose then takes it from the shell)."""
    return _entry_text(*raw_value(ctx, path))


def _entry_text(found: bool, value: Any, item: bool) -> tuple[bool, str | None]:
    if not found:
        return False, None
    if item:  # a `- KEY=value` list item
        _, text = split_key_value(go_format(value))
        return True, text
    return True, None if value is None else go_format(value)


# --- the rule --------------------------------------------------------------------------------


_SEPARATORS = re.compile(r"[_\-.]+")


def _words(name: str) -> list[str]:
    return [w for w in _SEPARATORS.split(name.upper()) if w]


class SecretNames:
    """The `words`, `pairs` and `ignore_suffixes` options, read once for a whole run."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.suffixes = tuple(str(s).upper() for s in options.get("ignore_suffixes", ()))
        self.words = [str(w).upper() for w in options.get("words", ())]
        self.pairs = [f"_{str(p).upper()}_" for p in options.get("pairs", ())]

    def __call__(self, name: str) -> bool:
        if name.upper().endswith(self.suffixes):
            return False
        words = _words(name)
        if any(w in words for w in self.words):
            return True
        joined = "_" + "_".join(words) + "_"
        return any(p in joined for p in self.pairs)


def names_secret(name: str, options: Mapping[str, Any]) -> bool:
    return SecretNames(options)(name)


def _environment(service: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any, Origin | None]]:
    """(name, value, key-or-index, origin) of a service's environment, list or mapping form."""
    env = service.get("environment")
    if isinstance(env, (dict, Mapping)):
        for key, value in env.items():
            yield str(key), value, key, key_origin(env, key)
    elif isinstance(env, list):
        for index, entry in enumerate(env):
            if isinstance(entry, str):
                key, value = split_key_value(entry)
                yield key, value, index, key_origin(env, index)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    secret_name = SecretNames(options)
    for name, service in ctx.services():
        for key, value, where, origin in _environment(service):
            path: KeyPath = ("services", name, "environment", where)
            if value is None:
                continue  # passed through from the shell
            found, text = _entry_text(*raw_at(ctx, origin, path))  # entry_text(ctx, path), knowing the origin
            if not found or text is None:
                continue  # not written in a file we read, or passed through from the shell
            if not text.strip() or has_template(text) or _PLACEHOLDER.match(text.strip()):
                continue  # empty, a reference (the environment gives the value) or a `<placeholder>`
            if secret_name(key) and text.strip().lower() not in _FLAGS:
                yield Violation(
                    path,
                    f"service {name!r} sets {key} to a literal value in the file (value masked): "
                    f"reference a variable (`{key}: ${{{key}}}`) or use a secret file",
                    service=name,
                )
            elif _URL_PASSWORD.search(text):
                yield Violation(
                    path,
                    f"service {name!r} sets {key} to a URL with a literal password (value masked): "
                    "put the password in a variable or a secret file",
                    service=name,
                )
