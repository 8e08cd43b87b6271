"""Secrets are never printed: the one masking of text composegen quotes from a user's stack.

composegen quotes what a stack runs (a command line, an environment value it leaves alone, the
load command of `calibrate`) in overlays, `explain`, measurements files and error messages, and
all of those end up committed, uploaded or in CI logs. Before it quotes, `mask` replaces what looks
like a secret with `****`:
- the password of a URL: `postgres://app:hunter2@db` -> `postgres://app:****@db`;
- the value of a flag or an assignment whose name says it holds a secret: `--requirepass x`,
  `--token=x`, `-Dspring.datasource.password=x`, `API_KEY=x` (a `${VAR}` reference is no secret
  and stays);
- each of the `known` values (those of a service's secret-named environment entries, see
  `secret_values`), wherever it appears: interpolation may have put it anywhere.
Masking too much costs a little legibility; masking too little leaks a password into a commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

MASK = "****"

#: What a name holding a secret contains (the names of lint rule CG508, secret-in-environment,
#: matched loosely: a wrongly masked value is harmless).
_SECRET_PART = (
    r"(?:pass|secret|token|credential|api[_.-]?key|private[_.-]?key|access[_.-]?key|auth[_.-]?key"
    r"|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)"
)
#: A whole run of name characters with a secret part in it. Linear: the lookahead finds the part
#: once, and the run may end only where a name character does not follow (written as
#: `[\w.-]*PART[\w.-]*`, a long run of `passpass...` not followed by `=` took seconds per
#: kilobyte, trying every split of the run).
_NAME = rf"(?=[\w.-]*?{_SECRET_PART})[\w.-]*(?![\w.-])"
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s'\"]+)"
#: scheme://user:PASSWORD@host. Tried only where a run of scheme characters begins (its leading
#: digits and signs kept in `head`): tried at every letter, a long word took minutes.
_URL_PASSWORD = re.compile(
    r"(?P<head>(?<![A-Za-z0-9+.-])[0-9+.-]*[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<value>[^/\s@]+)(?=@)"
)
#: --name value, --name=value, -Dname=value (a flag: its value may follow a space)
_FLAG = re.compile(rf"(?P<head>(?<![\w-])--?{_NAME}(?:=|\s+))(?P<value>{_VALUE})", re.IGNORECASE)
#: NAME=value (an assignment: only with `=`, so that prose like "passes it on" is left alone)
_ASSIGNMENT = re.compile(rf"(?P<head>(?<![\w.-]){_NAME}=)(?P<value>{_VALUE})", re.IGNORECASE)
#: Flags whose value is `user:password` (curl, wget, ab, hey).
_USER_FLAGS = frozenset({"-u", "--user", "-A"})
#: A flag that names a secret, alone in its argument: the next argument is its value.
_FLAG_ALONE = re.compile(rf"--?{_NAME}", re.IGNORECASE)
_WORDS = re.compile(r"[_\-.]+")
_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL")
_SECRET_PAIRS = ("API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "SECRET_KEY", "AUTH_KEY", "MASTER_KEY", "DB_PASS")
#: Names like these hold a path or a setting about a secret, not the secret.
_NOT_SECRET_SUFFIXES = ("_FILE", "_PATH", "_DIR", "_HOST", "_PORT", "_USER", "_USERNAME", "_NAME", "_ID")
#: Values too short or too common to replace wherever they appear ("1", "true").
MIN_KNOWN_LENGTH = 4


def _hide(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.strip("\"'").startswith("$"):  # a reference: the environment holds the secret
        return match.group(0)
    return match.group("head") + MASK


def mask(text: str, known: Iterable[str] = ()) -> str:
    """`text` with what looks like a secret replaced by `****` (see the module docstring)."""
    for value in sorted({k for k in known if len(k) >= MIN_KNOWN_LENGTH}, key=len, reverse=True):
        text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(_hide, text)
    text = _FLAG.sub(_hide, text)
    return _ASSIGNMENT.sub(_hide, text)


def mask_argv(argv: Sequence[str], known: Iterable[str] = ()) -> list[str]:
    """A command's arguments masked one by one; the argument after a flag that names a secret
    (`--password`, `hunter2`) masked whole, and the password of `-u user:password`."""
    known = tuple(known)
    out: list[str] = []
    for index, arg in enumerate(argv):
        previous = argv[index - 1] if index else ""
        if _FLAG_ALONE.fullmatch(previous) and not arg.startswith(("-", "$")):
            out.append(MASK)
        elif previous in _USER_FLAGS and ":" in arg:  # curl -u user:password
            out.append(arg.split(":", 1)[0] + ":" + MASK)
        else:
            out.append(mask(arg, known))
    return out


def secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret."""
    upper = name.upper()
    if upper.endswith(_NOT_SECRET_SUFFIXES):
        return False
    joined = "_" + "_".join(w for w in _WORDS.split(upper) if w) + "_"
    # inside a word too (PGPASSWORD, MYSQL_ROOTPASSWORD): masking more than CG508 flags is harmless
    return any(word in upper for word in _SECRET_WORDS) or any(f"_{pair}_" in joined for pair in _SECRET_PAIRS)


def secret_values(environment: Mapping[str, str]) -> tuple[str, ...]:
    """The values of the secret-named entries of an environment (no references, no short ones)."""
    return tuple(
        value
        for key, value in environment.items()
        if secret_name(key) and len(value) >= MIN_KNOWN_LENGTH and not value.startswith("$")
    )
