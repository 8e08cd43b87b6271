"""secret-in-environment (CG508): a password, token or key written literally in the file.

What it does:
    Flags an `environment` entry whose name says it holds a secret (`*PASSWORD*`, `*PASSWD*`,
    `*SECRET*`, `*TOKEN*`, `*API_KEY*`, `*PRIVATE_KEY*`, `*ACCESS_KEY*`, `*CREDENTIALS*`...)
    and whose value is written literally in the compose file, and any entry whose value is a
    URL with a literal password in it (`postgres://app:hunter2@db/app`). Well-known names
    count too: `PGPASSWORD`, `ORACLE_PWD`, `RABBITMQ_DEFAULT_PASS`, `NEO4J_AUTH`. The value
    is judged as written, before interpolation: `${DB_PASSWORD}` or `${DB_PASSWORD:-}` is a
    reference and is fine, but a default, `${DB_PASSWORD:-hunter2}`, is a literal secret that
    runs whenever `.env` leaves the variable out (as is a default of a variable whose own name
    says it holds a secret). Not secrets: `*_FILE` and `*_FILEPATH` keys (a path to a secret
    file), empty values, entries with no value (passed through from the shell), flags like
    `true` or `"yes"` (`MYSQL_RANDOM_ROOT_PASSWORD`), placeholders (`<your-key>`, `dummy`,
    `your-api-key`) and etcd's cluster token (a cluster's name, not a credential), a file's
    path (`/run/secrets/db-password`) and names that end in what a setting about the secret
    holds (`*_CLASS`, `*_LOCATION`, `*_PROTOCOL`, `*_MECHANISM`, `*_USERS`, a duration such as
    `*_EXPIRY_HOURS`...). The finding never prints the value. A value written once in an
    anchor and merged into several services is one finding, at the anchor.

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
from composegen.lint.readers import (
    has_template,
    literal_fallback,
    once_per_origin,
    raw_at,
    variable_names,
)
from composegen.yamlio import KeyPath

CODE = "CG508"
NAME = "secret-in-environment"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 7.5  # SARIF security-severity: a credential readable by everyone with the repository
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info, "prod": Severity.error}
OPTIONS: dict[str, Any] = {
    # a name holding one of these words (split at `_`, `-`, `.`) names a secret
    "words": [
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "PASS",
        "PWD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "CREDENTIALS",
        "APIKEY",
        "ENCRYPTIONKEY",  # Kibana's XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY
    ],
    # ... and so does a word ending in one of these (PGPASSWORD, MYSQLPASSWD)
    "word_endings": ["PASSWORD", "PASSWD"],
    # names that hold a secret whatever their words say (NEO4J_AUTH: `neo4j/<password>`)
    "names": ["NEO4J_AUTH", "RABBITMQ_ERLANG_COOKIE", "APP_KEY"],
    # names that hold no secret whatever their words say (the shell's working directory, the
    # token that names an etcd cluster)
    "ignore_names": ["PWD", "OLDPWD", "ETCD_INITIAL_CLUSTER_TOKEN", "INITIAL_CLUSTER_TOKEN"],
    # values that stand in for a secret the reader must supply (besides `<placeholders>`)
    "placeholders": ["dummy", "placeholder", "redacted", "invalid", "xxx", "xxxx", "xxxxx", "***", "...", "replaceme"],
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
        "_FILEPATH",
        "_FILENAME",
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
        "_SCHEME",
        "_CLASS",
        "_LOCATION",
        "_SERVERS",
        "_PROTOCOL",
        "_MECHANISM",
        "_SOURCE",
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
        "_USERS",
        # a duration: how long a token or a password's reset link lives
        "_SECONDS",
        "_MINUTES",
        "_HOURS",
        "_DAYS",
    ],
}

#: A URL with a password: scheme://user:password@host
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<password>[^/\s@]+)@")
#: Values that are placeholders, not secrets: `<your-key>`, and text that asks the reader for
#: theirs (`your-resend-api-key`, `your_openai_api_key_here`).
_PLACEHOLDER = re.compile(r"^(?:<[^<>]*>|your[-_ ].*)$", re.IGNORECASE)
_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "disabled", "enabled", "0", "1"})


# --- raw values: the text as written, before interpolation ----------------------------------


def _entry_text(found: bool, value: Any, item: bool) -> tuple[bool, str | None]:
    """An `environment`-like entry (`KEY: value` or `- KEY=value`) as written (`raw_at`'s answer):
    (found, its value text), the text None when the file gives no value (compose then takes it
    from the shell)."""
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
    """The options that say which names hold a secret, read once for a whole run."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.suffixes = tuple(str(s).upper() for s in options.get("ignore_suffixes", ()))
        self.words = [str(w).upper() for w in options.get("words", ())]
        self.endings = tuple(str(w).upper() for w in options.get("word_endings", ()))
        self.pairs = [f"_{str(p).upper()}_" for p in options.get("pairs", ())]
        self.names = {str(n).upper() for n in options.get("names", ())}
        self.ignored = {str(n).upper() for n in options.get("ignore_names", ())}

    def __call__(self, name: str) -> bool:
        upper = name.upper()
        if upper in self.names:
            return True
        if upper in self.ignored or upper.endswith(self.suffixes):
            return False
        words = _words(name)
        if any(w in words for w in self.words) or (self.endings and any(w.endswith(self.endings) for w in words)):
            return True
        joined = "_" + "_".join(words) + "_"
        return any(p in joined for p in self.pairs)


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


def _unquoted(text: str) -> str:
    """A value without the quotes a `- KEY="value"` list item keeps (compose keeps them)."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return stripped[1:-1].strip()
    return stripped


#: An absolute path of two parts or more (`/run/secrets/db-password`): where a secret is, not the secret.
_FILE_PATH = re.compile(r"^/(?:[\w.-]+/)+[\w.-]+$")


def _stands_in(text: str, placeholders: frozenset[str]) -> bool:
    """An empty value, a flag, a placeholder or a file's path: nothing a reader could use."""
    bare = _unquoted(text)
    return (
        not bare
        or bare.lower() in _FLAGS
        or bare.lower() in placeholders
        or bool(_PLACEHOLDER.match(bare) or _FILE_PATH.match(bare))
    )


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    secret_name = SecretNames(options)
    placeholders = frozenset(str(p).lower() for p in options.get("placeholders", ()))
    for name, service in ctx.services():
        for key, value, where, origin in _environment(service):
            path: KeyPath = ("services", name, "environment", where)
            if value is None:
                continue  # passed through from the shell
            found, text = _entry_text(*raw_at(ctx, origin, path))
            if not found or text is None:
                continue  # not written in a file we read, or passed through from the shell
            if has_template(text):
                yield from _fallback(name, key, text, path, secret_name, placeholders)
                continue
            if _stands_in(text, placeholders):
                continue  # empty, a flag or a placeholder
            if secret_name(key):
                yield Violation(
                    path,
                    f"service {name!r} sets {key} to a literal value in the file (value masked): "
                    f"reference a variable (`{key}: ${{{key}}}`) or use a secret file",
                    service=name,
                )
            elif _URL_PASSWORD.search(text):
                yield Violation(path, _url_message(name, key), service=name)


def _url_message(service: str, key: str) -> str:
    return (
        f"service {service!r} sets {key} to a URL with a literal password (value masked): "
        "put the password in a variable or a secret file"
    )


def _fallback(
    service: str,
    key: str,
    text: str,
    path: KeyPath,
    secret_name: SecretNames,
    placeholders: frozenset[str],
) -> Iterator[Violation]:
    """A value written with variables: a literal secret where a default supplies it."""
    everything = literal_fallback(text)
    if everything is None:
        return  # a required variable: compose runs only with it set
    variables = variable_names(text)
    secret_variables = [variable for variable in variables if secret_name(variable)]
    # a key that names a secret: any default is its value; else only the secret variables' defaults
    read = everything if secret_name(key) else literal_fallback(text, secret_name) if secret_variables else None
    if read is not None and read[0] != read[1] and not _stands_in(read[0], placeholders):
        named = (secret_variables or variables)[0]
        yield Violation(
            path,
            f"service {service!r} gives {key} a literal default (value masked), used whenever .env "
            f"leaves the variable out: drop the default (`${{{named}:?set it in .env}}`) or use a secret file",
            service=service,
        )
    elif _URL_PASSWORD.search(everything[0]):
        yield Violation(path, _url_message(service, key), service=service)
