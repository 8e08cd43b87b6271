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
from composegen.compose.tree import Origin, SDict, SList, key_origin
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.rules.schema_invalid import has_child
from composegen.yamlio import Document, KeyPath, Tagged

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

#: A `$` starting a variable template (after `$$` escapes are taken out).
_TEMPLATE = re.compile(r"\$(?:\{|[A-Za-z_])")
#: A URL with a password: scheme://user:password@host
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<password>[^/\s@]+)@")
#: Values that are switches or placeholders, not secrets.
_PLACEHOLDER = re.compile(r"^<[^<>]*>$")
_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "disabled", "enabled", "0", "1"})


def has_template(text: str) -> bool:
    """Whether text as written holds a variable reference (`${X}`, `$X`; `$$` is a literal `$`)."""
    return bool(_TEMPLATE.search(text.replace("$$", "")))


# --- raw values: the text as written, before interpolation ----------------------------------

#: (line, column) -> [the value first written there (tags unwrapped), whether it is a list item,
#: how many key paths share that text]. Several share a position when anchors or `<<:` merge
#: keys repeat one piece of text; the document itself shares the position of its first key.
RawIndex = dict[tuple[int, int], list[Any]]

_INDEX_CACHE: dict[int, tuple[Document, RawIndex]] = {}
_INDEX_CACHE_SIZE = 64


def _unwrapped(value: Any) -> Any:
    return value.value if isinstance(value, Tagged) else value


def raw_index(doc: Document) -> RawIndex:
    """What is written where in one document, before interpolation (cached per document): every
    key and item of `doc.data`, in the order written, by the line and column of its text."""
    cached = _INDEX_CACHE.get(id(doc))
    if cached is not None and cached[0] is doc:
        return cached[1]
    index: RawIndex = {(doc.root.line, doc.root.column): [_unwrapped(doc.data), False, 1]}

    def note(origin: Origin | None, value: Any, item: bool) -> None:
        if origin is None:
            return
        at = (origin.line, origin.column)
        found = index.get(at)
        if found is None:
            index[at] = [_unwrapped(value), item, 1]
        else:
            found[2] += 1

    def visit(value: Any) -> None:
        value = _unwrapped(value)
        if isinstance(value, SDict):
            origins = value.origins
            for key, child in value.items():
                note(origins.get(key), child, False)
                if isinstance(child, (dict, list, Tagged)):
                    visit(child)
        elif isinstance(value, SList):
            for child, origin in zip(value, value.origins, strict=True):
                note(origin, child, True)
                if isinstance(child, (dict, list, Tagged)):
                    visit(child)

    visit(doc.data)
    if len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(doc)] = (doc, index)
    return index


def shares_text(doc: Document, line: int, column: int) -> bool:
    """Whether the text at line:column stands for more than one key path of `doc`."""
    found = raw_index(doc).get((line, column))
    return found is not None and found[2] > 1


def walk(data: Any, keys: KeyPath) -> tuple[bool, Any]:
    """(found, value) at `keys` of plain document data (tags unwrapped)."""
    node = data
    for key in keys:
        if isinstance(node, Tagged):
            node = node.value
        if not has_child(node, key):
            return False, None
        node = node[key]
    return True, node.value if isinstance(node, Tagged) else node


def raw_value(ctx: LintContext, path: KeyPath) -> tuple[bool, Any, bool]:
    """The value at `path` of the merged stack as written in its file, before interpolation:
    (found, value, whether it is a list item). A list item (`- KEY=value`) gives the whole item."""
    node: Any = ctx.data
    for key in path[:-1]:
        if not has_child(node, key):
            return False, None, False
        node = node[key]
    return _raw_at(ctx, key_origin(node, path[-1]) if path else None, path)


def _raw_at(ctx: LintContext, origin: Origin | None, path: KeyPath = ()) -> tuple[bool, Any, bool]:
    """`raw_value` for the key or item written at `origin`, that the merged stack has at `path`."""
    if origin is None:
        return False, None, False
    for doc in ctx.stack.documents:
        if doc.path != origin.file:
            continue
        if path:  # most often the file has it at the same path: no need to index the whole file
            found, container = walk(doc.data, path[:-1])
            if found and has_child(container, path[-1]) and key_origin(container, path[-1]) == origin:
                return True, _unwrapped(container[path[-1]]), isinstance(container, list)
        indexed = raw_index(doc).get((origin.line, origin.column))
        if indexed is not None:
            return True, indexed[0], indexed[1]
    return False, None, False


def written_with_variable(ctx: LintContext, path: KeyPath) -> bool:
    """Whether the value at `path` was written with a variable reference (unknown: False)."""
    found, value, _ = raw_value(ctx, path)
    return found and isinstance(value, str) and has_template(value)


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


def once_per_origin(ctx: LintContext, violations: Iterator[Violation]) -> Iterator[Violation]:
    """One violation per place in the files: text that anchors or `<<:` merge keys repeat in
    several services is reported once, at that text, naming the other services."""
    found: dict[Any, tuple[Violation, list[str]]] = {}
    loose: list[Violation] = []
    for violation in violations:
        origin = ctx.origin(violation.path)
        if origin is None:
            loose.append(violation)
        elif origin in found:
            if violation.service and violation.service not in found[origin][1]:
                found[origin][1].append(violation.service)
        else:
            found[origin] = (violation, [])
    for violation, others in found.values():
        if others:
            also = ", ".join(repr(o) for o in others)
            violation = violation._replace(message=f"{violation.message} (the same text also serves {also})")
        yield violation
    yield from loose


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
            found, text = _entry_text(*_raw_at(ctx, origin, path))  # entry_text(ctx, path), knowing the origin
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
