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
    `*_EXPIRY_HOURS`...). The names are composegen's one list (`composegen.masking`), so every
    name this rule calls a secret is also masked wherever composegen quotes a stack.

    Command lines too (`command`, `entrypoint`, a healthcheck's `test`): the value of a flag
    whose name says it holds a secret (`--password`, `--api-key`,
    `-Dspring.datasource.password=`), of redis's `--requirepass` and `--masterauth` and of
    `--auth` (the option `command_flags`), mysql's and mariadb's glued `-pPASSWORD`,
    `redis-cli -a PASSWORD`, curl's and wget's `-u user:password`, and a URL with a password,
    written literally or as the default of `${VAR:-literal}` (dify's and Langfuse's
    `redis-server --requirepass ${REDIS_PASSWORD:-difyai123456}`). The shell's own `$$VAR` and
    `$$(cat /run/secrets/db-password)`, placeholders, switches and file paths are no secrets.
    The finding never prints the value. A value written once in an anchor and merged into
    several services is one finding, at the anchor.

Why is this bad?
    The compose file is committed, copied into tickets and CI logs, and printed by
    `docker compose config`; a secret in it is a secret shared with everyone who can read the
    repository, and it cannot be rotated without a commit. `docker inspect` shows it too, and
    a command line's arguments are also readable by every user of the host (`ps`).

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
from typing import Any, NamedTuple

from composegen.compose.syntax import go_format, split_key_value
from composegen.compose.tree import Origin, key_origin
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    has_template,
    literal_fallback,
    once_per_origin,
    raw_at,
    raw_value,
    services_with,
    variable_names,
)
from composegen.masking import PROGRAM_SECRET_FLAGS, SECRET_NAMES, SecretNames, name_words
from composegen.yamlio import KeyPath

CODE = "CG508"
NAME = "secret-in-environment"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 7.5  # SARIF security-severity: a credential readable by everyone with the repository
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info, "prod": Severity.error}
OPTIONS: dict[str, Any] = {
    # which names hold a secret: composegen.masking's one list (`SECRET_NAMES`, what composegen masks
    # too): `names` always, else, unless a name is in `ignore_names` or ends in `ignore_suffixes`
    # (a path, a switch or a setting about the secret), a name with one of `words`, a word ending
    # in one of `word_endings` (PGPASSWORD) or one of the `pairs` of words
    **{key: list(values) for key, values in SECRET_NAMES.items()},
    # command-line flags whose value is a secret, besides those whose name says so (`--password`,
    # `--api-key`, `-Dspring.datasource.password=`): redis's `--requirepass` and `--masterauth`
    "command_flags": ["requirepass", "masterauth", "auth"],
    # values that stand in for a secret the reader must supply (besides `<placeholders>`)
    "placeholders": ["dummy", "placeholder", "redacted", "invalid", "xxx", "xxxx", "xxxxx", "***", "...", "replaceme"],
}

#: A URL with a password: scheme://user:password@host
#: What follows a URL's `://` when it holds a password: user:password@
_USERINFO_PASSWORD = re.compile(r"[^/\s:@]*:(?P<password>[^/\s@]+)@")


def _url_password(text: str) -> str | None:
    """The password of the first URL with one in `text` (`postgres://app:hunter2@db/app`), in
    time linear in the text: each `://` after a scheme looks ahead only to the next `/`."""
    start = text.find("://")
    while start >= 0:
        if start > 0 and text[start - 1].isalnum():
            found = _USERINFO_PASSWORD.match(text, start + 3)
            if found is not None:
                return found["password"]
        start = text.find("://", start + 3)
    return None


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


def _environment(service: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any, Origin | None]]:
    """(name, value, key-or-index, origin) of a service's environment, list or mapping form."""
    env = service.get("environment")
    if env is None:  # most services: and asking the Mapping ABC about None is slow
        return
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


#: The `SecretNames` of each set of name lists, by their text: every file of a run has the same
#: lists, and the answers one file's names got serve the next file's.
_NAMES_BY_LISTS: dict[tuple[tuple[str, ...], ...], SecretNames] = {}


def _secret_names(options: Mapping[str, Any]) -> SecretNames:
    lists = tuple(tuple(map(str, options.get(key, ()))) for key in SECRET_NAMES)
    found = _NAMES_BY_LISTS.get(lists)
    if found is None:
        if len(_NAMES_BY_LISTS) >= 16:  # a long-lived caller trying many lists: start again
            _NAMES_BY_LISTS.clear()
        found = _NAMES_BY_LISTS[lists] = SecretNames(options)
    return found


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    secret_name = _secret_names(options)
    placeholders = frozenset(str(p).lower() for p in options.get("placeholders", ()))
    flags = CommandFlags(secret_name, options)
    # (a service that sets none of them has no command and no environment: most of a large stack)
    for name, service in services_with(ctx, *_READ_KEYS):
        for keys, what in _COMMAND_KEYS:
            if _has_command(service, keys):
                yield from _command_violations(ctx, name, ("services", name, *keys), what, flags, placeholders)
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
            elif _url_password(text):
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
    variables = variable_names(text)
    secret_variables = [variable for variable in variables if secret_name(variable)]
    if not secret_variables and "@" not in text and not secret_name(key):
        # no secret by name, and no URL password: its `user:password@` would be written in `text`
        # (what a default supplies is text written there too)
        return
    everything = literal_fallback(text)
    if everything is None:
        return  # a required variable: compose runs only with it set
    # a key that names a secret: any default is its value; else only the secret variables' defaults
    # (where no `-` or `+` is written there is no default or alternate value to read: `everything`
    # already says that the text around the variables is all there is)
    defaults = "-" in text or "+" in text
    read = (
        everything
        if secret_name(key) or not defaults
        else literal_fallback(text, secret_name)
        if secret_variables
        else None
    )
    if read is not None and read[0] != read[1] and not _stands_in(read[0], placeholders):
        named = (secret_variables or variables)[0]
        yield Violation(
            path,
            f"service {service!r} gives {key} a literal default (value masked), used whenever .env "
            f"leaves the variable out: drop the default (`${{{named}:?set it in .env}}`) or use a secret file",
            service=service,
        )
    elif _url_password(everything[0]):
        yield Violation(path, _url_message(service, key), service=service)


# --- secrets on command lines: `command`, `entrypoint`, a healthcheck's `test` ----------------

_COMMAND_KEYS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("command",), "command"),
    (("entrypoint",), "entrypoint"),
    (("healthcheck", "test"), "healthcheck"),
)
#: The service keys this rule reads under: the commands' first keys and `environment`.
_READ_KEYS = (*dict.fromkeys(keys[0] for keys, _ in _COMMAND_KEYS), "environment")
#: A shell word as written: quoted parts and bare text, glued (`--password="a b"`).
_ARGUMENT = re.compile(r"""(?:"[^"]*"|'[^']*'|[^\s"']+)+""")
_QUOTED = re.compile(r""""([^"]*)"|'([^']*)'""")
#: Programs a command runs whose short flags hold a secret: mysql's glued `-pPASSWORD`, curl's
#: and wget's `-u user:password`.
_MYSQL_CLIENT = re.compile(r"(?i)^(?:mysql|mariadb)")
_USER_FLAGS = frozenset({"-u", "--user"})
_USER_PROGRAMS = frozenset({"curl", "wget"})


class CommandFlags:
    """Which flags of a command line hold a secret, read once for a whole run."""

    def __init__(self, secret_name: SecretNames, options: Mapping[str, Any]) -> None:
        self.secret_name = secret_name
        self.named = frozenset(str(f).lower().lstrip("-") for f in options.get("command_flags", ()))

    def __call__(self, flag: str) -> bool:
        """`--requirepass`, `--api-key`, `-Dspring.datasource.password` (not `-p`, `-a`: one letter
        says nothing without its program)."""
        name = flag.lstrip("-")
        return len(name) > 1 and (name.lower() in self.named or self.secret_name("_".join(name_words(name))))


def _has_command(service: Mapping[str, Any], key: tuple[str, ...]) -> bool:
    node: Any = service
    for part in key:
        if not isinstance(node, (dict, Mapping)) or part not in node:  # (dict first: the ABC is slow)
            return False
        node = node[part]
    return isinstance(node, (str, list))


def _arguments(value: Any) -> list[tuple[str, int | None]]:
    """The words of a command as written, each with the index of the list item it is in (None for
    a command written as one string); an item holding a script gives each of its words."""
    items: list[tuple[str, int | None]] = [(value, None)] if isinstance(value, str) else []
    if isinstance(value, list):
        items = [(go_format(item), index) for index, item in enumerate(value) if not isinstance(item, (dict, list))]
    return [(_unquoted_word(word.group()), index) for text, index in items for word in _ARGUMENT.finditer(text)]


def _unquoted_word(word: str) -> str:
    """A shell word with its quotes taken out (most words have none: no substitution to run)."""
    return _QUOTED.sub(r"\1\2", word) if '"' in word or "'" in word else word


class _Secret(NamedTuple):
    """A secret found on a command line: the flag it follows (or "a URL"), its text as written,
    and the list item holding it."""

    flag: str
    value: str
    item: int | None


def _command_secrets(words: list[tuple[str, int | None]], flags: CommandFlags) -> Iterator[_Secret]:
    programs = {word.rsplit("/", 1)[-1] for word, _ in words if not word.startswith("-")}
    mysql = any(_MYSQL_CLIENT.match(program) for program in programs)
    program_flags = {flag for program in programs for flag in PROGRAM_SECRET_FLAGS.get(program, ())}
    user_flags = _USER_FLAGS if programs & _USER_PROGRAMS else frozenset()
    for position, (word, index) in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else None
        if "://" in word and _url_password(word):
            yield _Secret("a URL", word, index)
        if not word.startswith("-") or word == "-":
            continue
        flag, equals, value = word.partition("=")
        if mysql and word.startswith("-p") and not word.startswith("--") and len(word) > 2:
            yield _Secret("-p", word[2:], index)  # mysql -pPASSWORD (`-p PASSWORD` would prompt)
        elif equals and flags(flag):
            yield _Secret(flag, value, index)
        elif not equals and following is not None and not following[0].startswith("-"):
            if flags(word) or word in program_flags:
                yield _Secret(word, following[0], following[1])
            elif word in user_flags and ":" in following[0]:  # curl -u user:password
                yield _Secret(word, following[0].split(":", 1)[1], following[1])


def _literal_secret(secret: _Secret, placeholders: frozenset[str]) -> str | None:
    """How a secret on a command line is written in the file: "literal", "default" (a
    `${VAR:-literal}`), or None where the file holds none (a variable, the shell's `$$VAR` or
    `$$(cat file)`, a placeholder, a flag, a file's path)."""
    if secret.flag == "a URL":
        if has_template(secret.value):
            read = literal_fallback(secret.value)
            text = read[0] if read is not None else ""
        else:
            text = secret.value
        password = _url_password(text)
        return "literal" if password is not None and "$" not in password else None
    if has_template(secret.value):
        read = literal_fallback(secret.value)
        if read is None or read[0] == read[1] or "$" in read[0] or _stands_in(read[0], placeholders):
            return None
        return "default"
    literal = secret.value.replace("$$", "$")
    return None if "$" in literal or _stands_in(literal, placeholders) else "literal"


def _command_violations(
    ctx: LintContext,
    service: str,
    path: KeyPath,
    what: str,
    flags: CommandFlags,
    placeholders: frozenset[str],
) -> Iterator[Violation]:
    found, value, _ = raw_value(ctx, path)
    if not found:
        return
    reported: set[int | None] = set()
    for secret in _command_secrets(_arguments(value), flags):
        kind = _literal_secret(secret, placeholders)
        if kind is None or secret.item in reported:
            continue
        reported.add(secret.item)
        at: KeyPath = path if secret.item is None else (*path, secret.item)
        if secret.flag == "a URL":
            message = f"service {service!r} passes a URL with a literal password on its {what} (value masked)"
            advice = "put the password in a variable or a secret file"
        elif kind == "default":
            named = variable_names(secret.value)[0]
            message = (
                f"service {service!r} gives {secret.flag} on its {what} a literal default (value masked), "
                "used whenever .env leaves the variable out"
            )
            advice = f"drop the default (`${{{named}:?set it in .env}}`) or read the secret from a file"
        else:
            message = f"service {service!r} passes {secret.flag} a literal secret on its {what} (value masked)"
            advice = "reference a variable (`${NAME:?set it in .env}`) or read the secret from a file"
        yield Violation(at, f"{message}: {advice}", service=service)
