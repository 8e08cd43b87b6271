"""Secrets are never printed: the one masking of text composegen quotes from a user's stack.

composegen quotes what a stack runs (a command line, an environment value it leaves alone, the
load command of `calibrate`) in overlays, `explain`, measurements files and error messages, and
all of those end up committed, uploaded or in CI logs. Before it quotes, `mask` replaces what looks
like a secret with `****`:
- the password of a URL: `postgres://app:hunter2@db` -> `postgres://app:****@db`, and a URL's
  user alone, which is a token there (`https://ghp_x@github.com` -> `https://****@github.com`);
- the value of a flag or an assignment whose name says it holds a secret: `--requirepass x`,
  `--token=x`, `--auth=x`, `--key x`, `-Dspring.datasource.password=x`, `API_KEY=x` (a `${VAR}`
  reference is no secret and stays);
- mysql's and mariadb's glued password flag, `-phunter2` (any `-p` glued to what is not a port);
- the body of a PEM private key, and tokens whose shape says what they are (AWS access key ids,
  GitHub and Stripe tokens, Slack tokens);
- each of the `known` values (those of a service's secret-named environment entries, see
  `secret_values`), wherever it appears: interpolation may have put it anywhere.
Masking too much costs a little legibility; masking too little leaks a password into a commit.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType

MASK = "****"

#: What a flag's or an assignment's name holding a secret contains, matched loosely (a wrongly
#: masked value is harmless); beside it, every name `secret_name` calls a secret.
_SECRET_PART = (
    r"(?:pass|secret|token|credential|auth|api[_.-]?key|private[_.-]?key|access[_.-]?key|auth[_.-]?key"
    r"|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)"
)
_SECRET_IN_NAME = re.compile(_SECRET_PART, re.IGNORECASE)
_VALUE = re.compile(r"(?:\"[^\"]*\"|'[^']*'|[^\s'\"]+)")
#: What may follow `://` up to the `@` of a URL's user information: no `/`, no space.
_USERINFO = re.compile(r"[^/\s@]*@")
#: Flags whose short name says little but that hold a secret: `--key x`, `--pw=x`.
_SHORT_SECRET_FLAGS = frozenset({"key", "pw", "pwd"})
# Names are found first and tested for a secret part after (`_masked_values`): a pattern with the
# secret part between two `[\w.-]*` backtracks quadratically on a long word (`--passpass...`).
#: --name value, --name=value, -Dname=value (a flag: its value may follow a space)
_FLAG = re.compile(r"(?<![\w-])--?(?P<name>[\w.-]+)(?:=|\s+)")
#: A flag alone in its argument (the next argument is its value).
_FLAG_ALONE = re.compile(r"--?(?P<name>[\w.-]+)")
# The patterns kept as text below are compiled on first use (re's own cache): a lint that only
# masks a command to detect a role does not pay for them.
#: A flag and its value as two items of a quoted list: `["redis-cli", "--pass", "VALUE"]`.
_FLAG_IN_LIST = r"(?<![\w-])--?(?P<name>[\w.-]+)(?P<quote>[\"'])\s*,\s*(?P=quote)"
_LISTED_VALUE = r"[^\"',]+"
#: mysql -pPASSWORD (glued: `-p PASSWORD` would prompt), mysqladmin, mysqldump, mariadb...
_GLUED_P = r"(?P<head>(?<![^\s'\"])-p)(?P<value>[^\s'\"]+)"
_MYSQL_CLIENT = r"(?i)(?<![\w-])(?:mysql|mariadb)"
_MYSQL_CLIENT_START = re.compile(_MYSQL_CLIENT).match  # (compiled once: asked of each word of each command)
#: `-p8080`, `-p 127.0.0.1:80:80`: a port, not a password (unless a mysql client runs)
_PORT_LIKE = r"[\d.:/-]+"
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_PEM_END = "-----END "
#: Tokens whose shape gives them away: AWS access key ids, GitHub, Stripe and Slack tokens.
_TOKEN = (
    r"(?<![A-Za-z0-9])(?:(?:AKIA|ASIA)[0-9A-Z]{16}|(?:ghp|gho|ghs|ghu|ghr|github_pat|sk_live|sk_test|rk_live"
    r"|xox[abprs])[_-][A-Za-z0-9_-]{8,})"
)
_TOKEN_HINTS = ("AKIA", "ASIA", "gh", "sk_", "rk_", "xox")
#: Whether a text holds one of `_TOKEN_HINTS` (one search in C: asked of each distinct line of a diff).
_TOKEN_HINT = re.compile("|".join(map(re.escape, _TOKEN_HINTS)))
#: NAME=value (an assignment: only with `=`, so that prose like "passes it on" is left alone)
_ASSIGNMENT = re.compile(r"(?<![\w.-])(?P<name>[\w.-]+)=")
#: Flags whose value is `user:password` (curl, wget, ab, hey).
_USER_FLAGS = frozenset({"-u", "--user", "-A"})
#: Which environment variables hold a secret: the one list, read by `secret_name` below (what
#: composegen masks) and by lint rule CG508, secret-in-environment (its default options), so that
#: every name lint calls a secret is masked. A name holds a secret when it is one of `names`, or,
#: unless it is one of `ignore_names` or ends in one of `ignore_suffixes`, when one of its words
#: (split at `_`, `-`, `.`) is one of `words` or ends in one of `word_endings`, or it holds one of
#: the `pairs` of words.
SECRET_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "words": (
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
        ),
        # a word ending in one of these (PGPASSWORD, MYSQLPASSWD)
        "word_endings": ("PASSWORD", "PASSWD"),
        # names that hold a secret whatever their words say (NEO4J_AUTH: `neo4j/<password>`)
        "names": ("NEO4J_AUTH", "RABBITMQ_ERLANG_COOKIE", "APP_KEY"),
        # names that hold no secret whatever their words say (the shell's working directory, the
        # token that names an etcd cluster)
        "ignore_names": ("PWD", "OLDPWD", "ETCD_INITIAL_CLUSTER_TOKEN", "INITIAL_CLUSTER_TOKEN"),
        "pairs": (
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
        ),
        # names ending like this hold a path, a switch or a setting about the secret, not the secret
        "ignore_suffixes": (
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
        ),
    }
)
_WORD_SEPARATORS = re.compile(r"[_\-.]+")


def name_words(name: str) -> list[str]:
    """A variable's or a flag's name in upper-case words: `db-root.password` -> DB, ROOT, PASSWORD."""
    return [w for w in _WORD_SEPARATORS.split(name.upper()) if w]


#: How many names a `SecretNames` remembers its answer for.
_MOST_ANSWERS = 4096


class SecretNames:
    """Which names hold a secret, by lists shaped like `SECRET_NAMES` (lint's options may change
    them), read once."""

    def __init__(self, lists: Mapping[str, Iterable[str]]) -> None:
        self.suffixes = tuple(str(s).upper() for s in lists.get("ignore_suffixes", ()))
        self.words = frozenset(str(w).upper() for w in lists.get("words", ()))
        self.endings = tuple(str(w).upper() for w in lists.get("word_endings", ()))
        self.pairs = [f"_{str(p).upper()}_" for p in lists.get("pairs", ())]
        self.names = {str(n).upper() for n in lists.get("names", ())}
        self.ignored = {str(n).upper() for n in lists.get("ignore_names", ())}
        self._answers: dict[str, bool] = {}  # a stack asks about the same names again and again

    def ignores(self, name: str) -> bool:
        """Whether the name says it holds no secret (a path, a setting about one), whatever its words."""
        upper = name.upper()
        return upper not in self.names and (upper in self.ignored or upper.endswith(self.suffixes))

    def __call__(self, name: str) -> bool:
        answer = self._answers.get(name)
        if answer is None:
            if len(self._answers) >= _MOST_ANSWERS:  # a long-lived caller: start again
                self._answers.clear()
            answer = self._answers[name] = self._holds_secret(name)
        return answer

    def _holds_secret(self, name: str) -> bool:
        upper = name.upper()
        if upper in self.names:
            return True
        if self.ignores(upper):
            return False
        words = name_words(upper)
        if any(w in self.words for w in words) or (self.endings and any(w.endswith(self.endings) for w in words)):
            return True
        joined = "_" + "_".join(words) + "_"
        return any(p in joined for p in self.pairs)


_SECRET_NAMES = SecretNames(SECRET_NAMES)
#: Words found inside a longer word too (MYSQL_ROOTPASSWORD, GITHUBTOKEN): masking more than CG508
#: flags is harmless. Shorter words (PASS, PWD) would hide BYPASS and CWD.
_INSIDE_A_WORD = tuple(w for w in SECRET_NAMES["words"] if len(w) >= 5)
#: Values too short or too common to replace wherever they appear ("1", "true").
MIN_KNOWN_LENGTH = 4
#: A known value shorter than this ("shop", "blog": a dev password that is also the database's
#: name) is replaced only where it stands alone, not inside `shop.wsgi`.
WHOLE_WORD_BELOW = 8


#: `${NAME:-default}` (and `-`, `:?`, `?`, `:+`, `+`): a reference whose default may be a secret.
_DEFAULTED = r"\$\{(?P<head>[A-Za-z_][A-Za-z0-9_]*:?[-?+])(?P<default>[^${}]+)\}"


def _references_only(value: str) -> str:
    """A reference kept (the environment holds the secret), the literal defaults in it masked:
    `${DB_PASSWORD:-devpass}` -> `${DB_PASSWORD:-****}`."""
    return re.sub(_DEFAULTED, lambda m: "${" + m.group("head") + MASK + "}", value) if "${" in value else value


def _hidden(value: str) -> str:
    if value.strip("\"'").startswith("$"):  # a reference: the environment holds the secret
        return _references_only(value)
    return MASK


def _secret_flag(name: str) -> bool:
    return name.lower() in _SHORT_SECRET_FLAGS or _SECRET_IN_NAME.search(name) is not None or secret_name(name)


#: Short flags whose value is a secret for one program only: `redis-cli -a PASSWORD`.
PROGRAM_SECRET_FLAGS: Mapping[str, tuple[str, ...]] = MappingProxyType({"redis-cli": ("-a",)})
#: `-a VALUE` (or `-a=VALUE`) where a program of `PROGRAM_SECRET_FLAGS` runs.
_PROGRAM_FLAG = r"(?<![\w-])(?P<flag>{flags})(?:\s+|=)(?P<value>\"[^\"]*\"|'[^']*'|[^\s'\"]+)"
#: curl's and wget's `-u user:password` / `--user user:password`.
_USER_PASSWORD = r"(?<![\w-])(?P<flag>-u|--user)(?:\s+|=)(?P<user>[\"']?[^\s:'\"]+:)(?P<value>[^\s'\"]+)"


def _program_flags(text: str) -> str:
    """`redis-cli -a VALUE` -> `redis-cli -a ****`, `curl -u user:VALUE` -> `curl -u user:****`."""
    for program, flags in PROGRAM_SECRET_FLAGS.items():
        if program in text:
            pattern = _PROGRAM_FLAG.format(flags="|".join(re.escape(f) for f in flags))
            text = re.sub(pattern, lambda m: m.group(0)[: m.start("value") - m.start()] + _hidden(m["value"]), text)
    if "-u" in text:
        text = re.sub(_USER_PASSWORD, lambda m: m.group(0)[: m.start("value") - m.start()] + _hidden(m["value"]), text)
    return text


def _masked_values(
    text: str,
    heads: Iterable[re.Match[str]],
    value_at: Callable[[re.Match[str]], re.Match[str] | None],
    secret: Callable[[str], bool],
) -> str:
    """`text` with the value after each head (a flag, `NAME=`) whose name is `secret` masked, in
    time linear in the text: each head is found once, its name tested once."""
    out: list[str] = []
    index = 0
    for head in heads:
        if head.start() < index or not secret(head.group("name")):
            continue
        value = value_at(head)
        if value is None:
            continue
        out.append(text[index : head.end()])
        out.append(_hidden(value.group()))
        index = value.end()
    out.append(text[index:])
    return "".join(out)


@functools.lru_cache(maxsize=_MOST_ANSWERS)  # a stack's commands repeat their flags
def _names_a_secret(arg: str) -> bool:
    """Whether `arg` is a flag alone in its argument whose name says the next one is a secret."""
    flag = _FLAG_ALONE.fullmatch(arg)
    return flag is not None and _secret_flag(flag["name"])


def _listed_value(text: str, head: re.Match[str]) -> re.Match[str] | None:
    value = re.compile(_LISTED_VALUE).match(text, head.end())
    return value if value is not None and text.startswith(head.group("quote"), value.end()) else None


def _url_credentials(text: str) -> str:
    """`scheme://user:PASSWORD@host` -> `user:****`, `scheme://TOKEN@host` -> `****`; in time linear
    in the text: each `://` looks ahead only to the next `/`, space or `@`."""
    out: list[str] = []
    index = 0
    start = text.find("://")
    while start >= 0:
        head = start + 3
        found = _USERINFO.match(text, head)
        if found is not None and start > 0 and text[start - 1].isalnum():
            userinfo = found.group()[:-1]
            user, colon, password = userinfo.partition(":")
            secret = password if colon else user
            if secret.startswith("$"):  # a reference: the environment holds it, not its default
                out.append(text[index:head])
                out.append(f"{user}:{_references_only(password)}" if colon else _references_only(user))
                index = found.end() - 1
            elif secret:
                out.append(text[index:head])
                out.append(f"{user}:{MASK}" if colon else MASK)
                index = found.end() - 1
        start = text.find("://", head)
    out.append(text[index:])
    return "".join(out)


def _private_keys(text: str) -> str:
    """The body of each PEM private key replaced (to the end of the text when it has no end line)."""
    out: list[str] = []
    index = 0
    for found in _PEM_BEGIN.finditer(text):
        if found.start() < index:  # inside a key already masked
            continue
        end = text.find(_PEM_END, found.end())
        out.append(text[index : found.end()] + MASK)
        index = len(text) if end < 0 else end
    out.append(text[index:])
    return "".join(out)


def _glued_password(text: str) -> str:
    mysql = re.search(_MYSQL_CLIENT, text) is not None

    def hide(match: re.Match[str]) -> str:
        value = match.group("value")
        if value.startswith("$") or (not mysql and re.fullmatch(_PORT_LIKE, value)):
            return match.group(0)
        return match.group("head") + MASK

    return re.sub(_GLUED_P, hide, text)


def replace_value(text: str, value: str, replacement: str) -> str:
    """`text` with each occurrence of the secret `value` replaced; a short one only where it stands
    alone (between spaces, quotes, `=`, `:` and `@`, or the ends), not inside a longer word."""
    if value not in text:
        return text
    if len(value) >= WHOLE_WORD_BELOW:
        return text.replace(value, replacement)
    alone = re.compile(rf"(?<![^\s'\"=:@]){re.escape(value)}(?![^\s'\"=:@])")
    return alone.sub(lambda _: replacement, text)


def _alone(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` stands alone, as `replace_value` requires of a short value."""
    return (start == 0 or text[start - 1].isspace() or text[start - 1] in _WORD_EDGES) and (
        end == len(text) or text[end].isspace() or text[end] in _WORD_EDGES
    )


#: Beside white space, what may stand next to a short known value (`replace_value`'s pattern).
_WORD_EDGES = frozenset("'\"=:@")
#: `KnownValues.found` looks a text's slices up in a set where the values have at most this many
#: lengths (each a pass over the text), and runs the automaton where they have more.
_FEW_LENGTHS = 4
#: Above this many known values, `mask_yaml` finds them all in one pass (`KnownValues`) rather than
#: searching for each on each line.
ONE_PASS_ABOVE = 16


#: `KnownValues`' automaton: each state's next states by character, the state it falls back to,
#: and the lengths of the values that end in it.
_Automaton = tuple[list[dict[str, int]], list[int], list[tuple[int, ...]]]


#: `KnownValues._by_length` looks up only the slices at a character all the values share where it
#: stands at under one start in this many.
_ANCHOR_SHARE = 4
#: The fewest starts for which `KnownValues._by_length` looks for an anchor at all.
_ANCHORED_FROM = 16
#: Characters by how often they stand in what composegen masks (commands, URLs, `file:line: `
#: quotes), most often first; `_anchor` prefers one that is not here, then the latest here.
_COMMON_CHARACTERS = " e-at/osrin:lc.=dpu0m1w2h_3gkbf456789yvxqjz"


def _anchor(values: frozenset[str]) -> tuple[int, str] | None:
    """An (offset, character) where every one of `values` (all of one length) has that character,
    the one likely rarest in a text (`_COMMON_CHARACTERS`); None where they share none. A stack's
    generated secrets share a prefix (`secretvalue000017`, `pw000017x`), and a text holds few
    slices that start like one."""
    first = next(iter(values))
    best: tuple[int, str] | None = None
    best_rank = -1
    for offset, char in enumerate(first):
        rank = _COMMON_CHARACTERS.find(char)
        rank = len(_COMMON_CHARACTERS) if rank < 0 else rank
        if rank > best_rank and all(value[offset] == char for value in values):
            best, best_rank = (offset, char), rank
    return best


class KnownValues:
    """Known secret values found together in one pass over a text (an Aho-Corasick automaton).

    `replace_value` for each value is time proportional to the text times the values: `lint --diff`
    of a file with a password on each of 2,000 services took 5.4 s, 4,000 took four times that
    (issue 12: every input in linear time). Each occurrence is masked, a short value only where it
    stands alone; occurrences that overlap become one mask."""

    def __init__(self, values: Iterable[str]) -> None:
        #: the automaton (`_automaton`), built when first searched with: `found` looks up slices
        #: instead where the values have few lengths, and building it is a step per character of
        #: every value (4,016 secrets of 17 characters, three times an export)
        self._machine: _Automaton | None = None
        #: `found`'s answers by text: a stack's commands and probes repeat the same words
        #: (`/bin/sh`, `-c`, `psql`) in every service, each searched once
        self._found: dict[str, frozenset[str]] = {}
        self.values = frozenset(v for v in values if len(v) >= MIN_KNOWN_LENGTH)
        #: the values by length, where they have few lengths (`_by_length`)
        lengths = sorted({len(v) for v in self.values})
        self._lengths = (
            {n: frozenset(v for v in self.values if len(v) == n) for n in lengths}
            if len(lengths) <= _FEW_LENGTHS
            else {}
        )
        #: `_anchor` by length, made on the first text `_by_length` searches
        self._anchored: dict[int, tuple[int, str] | None] = {}

    def _automaton(self) -> _Automaton:
        """The automaton of the values, built on the first search that needs it."""
        if self._machine is not None:
            return self._machine
        goto: list[dict[str, int]] = [{}]
        fail: list[int] = [0]
        ends: list[tuple[int, ...]] = [()]
        for value in self.values:
            state = 0
            for char in value:
                following = goto[state].get(char)
                if following is None:
                    following = len(goto)
                    goto.append({})
                    fail.append(0)
                    ends.append(())
                    goto[state][char] = following
                state = following
            ends[state] += (len(value),)
        queue = deque(goto[0].values())  # the states one character deep fail to the root
        while queue:
            state = queue.popleft()
            for char, following in goto[state].items():
                queue.append(following)
                fallback = fail[state]
                while fallback and char not in goto[fallback]:
                    fallback = fail[fallback]
                fail[following] = goto[fallback].get(char, 0)
                ends[following] += ends[fail[following]]
        self._machine = (goto, fail, ends)
        return self._machine

    def overlap(self, text: str) -> bool:
        """Whether two occurrences in `text` overlap (no one of them can be replaced whole)."""
        end = -1
        for start, stop in sorted(self.spans(text)):
            if start < end:
                return True
            end = max(end, stop)
        return False

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each occurrence in `text`, in the order they end."""
        goto, fail, ends = self._automaton()
        found: list[tuple[int, int]] = []
        state = 0
        for index, char in enumerate(text):
            while state and char not in goto[state]:
                state = fail[state]
            state = goto[state].get(char, 0)
            for length in ends[state]:
                start = index + 1 - length
                if length >= WHOLE_WORD_BELOW or _alone(text, start, index + 1):
                    found.append((start, index + 1))
        return found

    def found(self, text: str) -> set[str]:
        """Each value that occurs in `text`, whether it stands alone or not."""
        answer = self._found.get(text)
        if answer is None:
            found = self._by_length(text) if self._lengths else self._search(text)
            answer = self._found[text] = frozenset(found)
        return set(answer)

    def _by_length(self, text: str) -> set[str]:
        """`_search` where the values have few lengths: each of the text's slices of those lengths
        looked up in a set. A comprehension does a character's work in C, the automaton's loop in
        Python: several times quicker for the few lengths most stacks' secrets come in (issue 12's
        env-secrets: 4,016 values of one length), and never worse than `_FEW_LENGTHS` slices a
        character. tests/test_masking.py checks it against `_search`."""
        found: set[str] = set()
        for length, values in self._lengths.items():
            starts = len(text) - length + 1
            if starts <= 0:
                continue
            # (a short text has few slices: looking for an anchor would cost more than they do)
            anchor = self._rarest_anchor(length, text, starts) if starts >= _ANCHORED_FROM else None
            if anchor is None:
                found.update(values.intersection([text[i : i + length] for i in range(starts)]))
                continue
            # only the slices where the character every value has at `offset` stands
            offset, char = anchor
            at = text.find(char, offset)
            while 0 <= at < starts + offset:
                piece = text[at - offset : at - offset + length]
                if piece in values:
                    found.add(piece)
                at = text.find(char, at + 1)
        return found

    def _rarest_anchor(self, length: int, text: str, starts: int) -> tuple[int, str] | None:
        """The offset and character every value of `length` has there that is likely rarest in a
        text (`_anchor`), where `text` holds it at under a quarter of the `starts` (a slice looked
        up for each is then cheaper than one for each start); else None."""
        if length in self._anchored:
            anchor = self._anchored[length]
        else:
            anchor = self._anchored[length] = _anchor(self._lengths[length])
        if anchor is None or text.count(anchor[1]) >= starts // _ANCHOR_SHARE:
            return None
        return anchor

    def _search(self, text: str) -> set[str]:
        goto, fail, ends = self._automaton()
        last_end: dict[int, int] = {}  # a state where values end -> where it was last reached
        state = 0
        for index, char in enumerate(text):
            while state and char not in goto[state]:
                state = fail[state]
            state = goto[state].get(char, 0)
            if ends[state]:
                last_end[state] = index + 1
        return {text[end - length : end] for state, end in last_end.items() for length in ends[state]}

    def replace(self, text: str) -> str:
        """`text` with each occurrence masked."""
        spans = sorted(self.spans(text))
        if not spans:
            return text
        out: list[str] = []
        done = 0
        start, end = spans[0]
        for next_start, next_end in spans[1:]:
            if next_start < end:
                end = max(end, next_end)
                continue
            out += (text[done:start], MASK)
            done = end
            start, end = next_start, next_end
        out += (text[done:start], MASK, text[end:])
        return "".join(out)


class StackSecrets:
    """A stack's known secret values (Stack.secret_values), and a service's own (`with_own`), for
    `mask`: a text is searched for all of the stack's at once (`KnownValues`), then those found
    are masked one at a time, exactly as a handful of values always was.

    Masking each service's command with every value of the stack, one at a time, was time
    proportional to the services times the values: a stack of 4,000 services each interpolating
    its own secret from `.env` took 3.6 s to render, 16 s as a swarm stack file, 21 s to export
    (issue 12: every input in linear time). The search is built once and shared by every service."""

    __slots__ = ("_finder", "_masked", "own", "values")

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = tuple(sorted({v for v in values if len(v) >= MIN_KNOWN_LENGTH}))
        self.own: tuple[str, ...] = ()
        #: built on the first text searched (most stacks' services are known by their image: no
        #: text to mask), then shared by every service (`with_own`)
        self._finder: list[KnownValues] = []
        #: `mask`'s answers by text where no service's own value occurs, shared by every service:
        #: the words of commands and probes (`/bin/sh`, `-c`, `psql`) repeat in each
        self._masked: dict[str, str] = {}

    def with_own(self, own: Iterable[str]) -> StackSecrets:
        """These values and a service's own few (looked for one by one); the search is shared."""
        own = tuple(own)
        if not own and not self.own:  # (most services: no value of their own, nor the stack's)
            return self
        joined = StackSecrets()
        joined.values, joined._finder, joined._masked = self.values, self._finder, self._masked
        joined.own = own
        return joined

    def found_in(self, text: str) -> set[str]:
        """The values that occur in `text` (`mask` masks two or more together)."""
        found = self._stack_found(text)
        found.update(self._own_found(text))
        return found

    def _stack_found(self, text: str) -> set[str]:
        if self.values and not self._finder:
            self._finder.append(KnownValues(self.values))
        return self._finder[0].found(text) if self.values else set()

    def _own_found(self, text: str) -> list[str]:
        return [v for v in self.own if len(v) >= MIN_KNOWN_LENGTH and v in text]

    def mask(self, text: str) -> str:
        """`mask(text, self)`: a text that holds none of the service's own values is masked alike
        for every service, once."""
        if self.own and self._own_found(text):  # (the stack file, the export: no own values)
            return _mask(text, self.found_in(text))
        done = self._masked.get(text)
        if done is None:
            done = self._masked[text] = _mask(text, self._stack_found(text))
        return done

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StackSecrets) and (self.values, self.own) == (other.values, other.own)

    def __hash__(self) -> int:
        return hash((self.values, self.own))

    def __repr__(self) -> str:
        return f"StackSecrets({len(self.values)} values, {len(self.own)} own)"  # never the values


def service_secrets(stack: StackSecrets | None, environment: Mapping[str, str]) -> StackSecrets:
    """What nothing that quotes a service may print: the stack's known values (None: none) and
    those of the service's own secret-named environment entries."""
    return (stack if stack is not None else StackSecrets()).with_own(secret_values(environment))


def mask(text: str, known: Iterable[str] | KnownValues | StackSecrets = ()) -> str:
    """`text` with what looks like a secret replaced by `****` (see the module docstring)."""
    if isinstance(known, StackSecrets):
        return known.mask(text)
    return _mask(text, known)


def _mask(text: str, known: Iterable[str] | KnownValues) -> str:
    if not isinstance(known, KnownValues):
        present = {k for k in known if len(k) >= MIN_KNOWN_LENGTH and k in text}
        # two values in one text are masked together: one at a time, the first masked could cut
        # the second short and leave the rest of it in the clear (`abcdefgh****`)
        known = KnownValues(present) if len(present) > 1 else present
    if isinstance(known, KnownValues):
        text = known.replace(text)
    else:
        for value in known:
            text = replace_value(text, value, MASK)
    return _mask_patterns(text) if may_match_a_pattern(text) else text


def may_match_a_pattern(text: str) -> bool:
    """Whether `_mask_patterns` may change `text`: every one of its patterns needs a `-` (a flag,
    `-p`, a PEM line), an `=` (an assignment), `://` (a URL) or a token's prefix. Most lines of a
    compose file (`  web:`, `    image: nginx`) have none, and a large file has many unique ones."""
    return "-" in text or "=" in text or "://" in text or _TOKEN_HINT.search(text) is not None


#: The `file:line: ` that explain puts before each fact it quotes (composegen.sizing.runs.where_text),
#: in the letters of a plain file name: no space, quote, `=`, `,`, `*`, `:` or `://` inside, nor a
#: `-` in front, so that none of `_patterns_masked`'s patterns can match in it or reach past its
#: closing space into the text after it (each needs one of those, or a token's or a program's name,
#: which `_inert_prefix` looks for apart).
_FILE_LINE = r"([A-Za-z0-9_.][A-Za-z0-9_./-]*):[0-9]+: "
#: What `_inert_prefix` refuses in a file name besides: what a pattern looks for across the text.
_WHOLE_TEXT_NAMES = r"(?i)mysql|mariadb|" + "|".join(map(re.escape, PROGRAM_SECRET_FLAGS))


@functools.cache
def _file_line() -> re.Pattern[str]:
    """`_FILE_LINE` compiled, on first use: a command that masks few texts does not pay for it."""
    return re.compile(_FILE_LINE)


def _inert_prefix(text: str) -> int:
    """The length of the `file:line: ` that `text` starts with, where `_patterns_masked` of the
    text is that prefix, as it is, before the masking of the rest (0 where it starts with none)."""
    found = _file_line().match(text)
    return found.end() if found is not None and _inert_name(found.group(1)) else 0


@functools.lru_cache(maxsize=64)  # (explain names a stack's few files once per fact)
def _inert_name(name: str) -> bool:
    """Whether a file's name in `_FILE_LINE` holds no token's prefix and no program's name a
    pattern looks for across the text."""
    return _TOKEN_HINT.search(name) is None and re.search(_WHOLE_TEXT_NAMES, name) is None


@functools.lru_cache(maxsize=_MOST_ANSWERS)  # services' texts are often alike once their values are masked
def _mask_patterns(text: str) -> str:
    """`_patterns_masked(text)`, a `file:line: ` in front kept as it is and the rest masked alone:
    explain quotes each of 4,016 services' facts behind its own line number, and the rest (`gunicorn
    -w 2 (gunicorn workers = 2)`) is alike in each, read by the patterns once.
    tests/hostile/test_stack_secrets.py checks it against `_patterns_masked` of the whole."""
    cut = _inert_prefix(text)
    return text[:cut] + _rest_masked(text[cut:]) if cut else _patterns_masked(text)


@functools.lru_cache(maxsize=_MOST_ANSWERS)
def _rest_masked(text: str) -> str:
    """`_patterns_masked` of what follows a `file:line: `, by its text (alike behind every line)."""
    return _patterns_masked(text)


def _patterns_masked(text: str) -> str:
    """`_mask` past the known values: what the patterns of the module docstring mask. (Only run
    where `may_match_a_pattern`: a pattern added here must need one of the marks it looks for.)
    A function of the text alone: 7,518 services' `psql postgres://app:PASSWORD@db` are one
    `psql postgres://app:****@db` once their passwords are masked, read by the patterns once."""
    if "-----BEGIN" in text:
        text = _private_keys(text)
    if "://" in text:
        text = _url_credentials(text)
    if any(prefix in text for prefix in _TOKEN_HINTS):
        text = re.sub(_TOKEN, MASK, text)
    if "-p" in text:
        text = _glued_password(text)
    text = _program_flags(text)
    text = _masked_values(text, _FLAG.finditer(text), lambda h: _VALUE.match(text, h.end()), _secret_flag)
    if "," in text:
        listed = re.compile(_FLAG_IN_LIST).finditer(text)
        text = _masked_values(text, listed, lambda h: _listed_value(text, h), _secret_flag)
    secret_part = _SECRET_IN_NAME.search
    return _masked_values(
        text,
        _ASSIGNMENT.finditer(text),
        lambda h: _VALUE.match(text, h.end()),
        lambda n: secret_part(n) is not None or secret_name(n),
    )


def mask_argv(argv: Sequence[str], known: Iterable[str] | StackSecrets = ()) -> list[str]:
    """A command's arguments masked one by one; the argument after a flag that names a secret
    (`--password`, `hunter2`) masked whole, and the password of `-u user:password`."""
    known = known if isinstance(known, StackSecrets) else tuple(known)
    programs = [arg.rsplit("/", 1)[-1] for arg in argv]
    mysql = any(map(_MYSQL_CLIENT_START, programs))
    program_flags = {flag for program in programs for flag in PROGRAM_SECRET_FLAGS.get(program, ())}
    out: list[str] = []
    for index, arg in enumerate(argv):
        previous = argv[index - 1] if index else ""
        if mysql and arg.startswith("-p") and len(arg) > 2 and not arg.startswith("-p$"):
            out.append("-p" + MASK)  # mysql -pPASSWORD, whatever it looks like
        elif (_names_a_secret(previous) or previous in program_flags) and not arg.startswith(("-", "$")):
            out.append(MASK)
        elif previous in _USER_FLAGS and ":" in arg:  # curl -u user:password
            out.append(arg.split(":", 1)[0] + ":" + MASK)
        else:
            out.append(mask(arg, known))
    return out


#: `$NAME`, `${NAME...}`: a variable a compose file interpolates.
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")  # (compiled once: asked of every string with a `$`)
#: Variables compose sets itself (a path, the project's name): no secret, and too common to mask.
_COMPOSE_VARIABLES = frozenset({"PWD", "COMPOSE_PROJECT_NAME"})


def interpolated_variables(texts: Iterable[str], variables: Mapping[str, str]) -> dict[str, str]:
    """The variables of `variables` (a `.env` file's, the environment's) that `texts` (the strings
    of the compose files as written) interpolate, with their values: composegen never writes those
    values down, whatever their name (too short ones aside: "1", "true")."""
    # one search of the texts joined by a line break, which no reference holds or crosses (a
    # search of each took 12,048 calls for 4,016 services)
    names = set(_REFERENCE.findall("\n".join(text for text in texts if "$" in text)))
    return {
        name: value
        for name in sorted(names - _COMPOSE_VARIABLES)
        if (value := variables.get(name)) is not None and len(value) >= MIN_KNOWN_LENGTH
    }


@functools.lru_cache(maxsize=_MOST_ANSWERS)  # a stack asks about the same names again and again
def secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret: every name lint rule CG508
    calls a secret (`SECRET_NAMES`), and names with a secret word inside a longer word."""
    if _SECRET_NAMES(name):
        return True
    upper = name.upper()
    return not _SECRET_NAMES.ignores(upper) and any(word in upper for word in _INSIDE_A_WORD)


def secret_values(environment: Mapping[str, str]) -> tuple[str, ...]:
    """The values of the secret-named entries of an environment (no references, no short ones)."""
    return tuple(
        value
        for key, value in environment.items()
        if secret_name(key) and len(value) >= MIN_KNOWN_LENGTH and not value.startswith("$")
    )


#: A YAML line `KEY: value`, `- KEY=value` or `KEY: |` (a block: the lines below it are its value).
#: (compiled: `mask_yaml_texts` reads each distinct line of both sides of a diff with it)
_YAML_ENTRY = re.compile(r"^(?P<indent>\s*)(?:-\s+)?[\"']?(?P<name>[\w.-]+)[\"']?\s*(?::\s+|=|:$)(?P<value>.*)$")


def mask_yaml(text: str, known: Iterable[str] = ()) -> str:
    """A YAML file's text (a compose file quoted in a diff) masked line by line: the values of
    secret-named keys (`PASSWORD: x`, `- TOKEN=x`, and the lines of a block scalar under one),
    those values wherever else they appear, and what `mask` masks; lines stay lines."""
    return mask_yaml_texts((text,), known)[0]


#: How a line was read: whether a private key's body follows, the indentation of a block scalar
#: whose lines follow (None: none does), the line to show instead of it (None: the line itself),
#: and the secret value it holds (None: none).
_Reading = tuple[bool, int | None, str | None, str | None]


def _read_line(line: str, in_key: bool, block_indent: int | None) -> _Reading:
    """One line of `mask_yaml`'s reading, after the lines above left it `in_key` (inside a PEM
    private key) or at `block_indent` (inside a secret's block scalar)."""
    indent = len(line) - len(line.lstrip())
    if _PEM_BEGIN.search(line):
        return _PEM_END not in line, block_indent, None, None
    if in_key:
        in_key = _PEM_END not in line
        return in_key, block_indent, line if not in_key else line[:indent] + MASK, None
    if block_indent is not None and (not line.strip() or indent > block_indent):
        if line.strip():
            return in_key, block_indent, line[:indent] + MASK, line.strip()
        return in_key, block_indent, None, None
    entry = _YAML_ENTRY.match(line)
    if entry is None:
        return in_key, None, None, None
    value = entry.group("value").strip().strip("\"'")
    # nothing after the key (`s1:`, a service's own name): nothing to hide, whatever its name says
    # (a large stack has thousands of names, each asked about once otherwise)
    if not value or not secret_name(entry.group("name")):
        return in_key, None, None, None
    if value[:1] in ("|", ">"):
        return in_key, indent, None, None
    if value.startswith("$"):
        return in_key, None, line[: entry.start("value")] + _references_only(entry.group("value")), None
    return in_key, None, line[: entry.start("value")] + MASK, value


def mask_yaml_texts(texts: Sequence[str], known: Iterable[str] = ()) -> list[str]:
    """`mask_yaml` of each of `texts`, the work on a line done once for the lines alike (the two
    sides of a diff are mostly the same lines, and a large file repeats many: a megabyte took
    seconds). A line read outside a private key and a secret's block scalar is read alike
    wherever it stands; a line is masked alike in each text that found the same secret values."""
    known = tuple(known)
    readings: dict[str, _Reading] = {}  # lines read outside a key or block
    maskings: list[tuple[frozenset[str], Iterable[str] | KnownValues, dict[str, str]]] = []
    out: list[str] = []
    for text in texts:
        lines = text.split("\n")
        distinct = set(lines)
        for line in distinct.difference(readings):  # each line, as read outside a key or block
            readings[line] = _NOTHING_READ if _KEY_ALONE.fullmatch(line) else _read_line(line, False, None)
        found = set(known)
        hidden: dict[int, str] = {}
        # where no line holds anything (a key, a block, a secret: most files), reading them in
        # turn finds nothing: looked up in C, not walked line by line
        if not all(map(_NOTHING_READ.__eq__, map(readings.__getitem__, distinct))):
            _read_lines(lines, readings, hidden, found)
        values = frozenset(found)
        same = next((m for m in maskings if m[0] == values), None)
        if same is None:
            matcher: Iterable[str] | KnownValues = found if len(found) <= ONE_PASS_ABOVE else KnownValues(found)
            same = (values, matcher, {})
            maskings.append(same)
        _, matcher, masks = same
        sources = lines
        if hidden:
            sources = list(lines)
            for number, shown in hidden.items():
                sources[number] = shown
            distinct = set(sources)
        for source in distinct.difference(masks):  # each distinct line masked once
            masks[source] = source if not matcher and _left_as_it_is(source) else mask(source, matcher)
        out.append("\n".join(map(masks.__getitem__, sources)))
    return out


#: What `_read_line` makes of a line that holds nothing (outside a key or a block).
_NOTHING_READ: _Reading = (False, None, None, None)
#: A key alone on its line (`  web:`, each service's own name: a large file's most distinct
#: lines), which `_read_line` reads as nothing: no PEM line, no value, whatever its name says.
_KEY_ALONE = re.compile(r" *\w+:")


def _left_as_it_is(line: str) -> bool:
    """Whether `mask` without known values leaves `line` as it is, seen without calling it: a key
    alone (`_KEY_ALONE`: no `-`, `=` or `://` for a pattern) holding no token's prefix."""
    return _KEY_ALONE.fullmatch(line) is not None and _TOKEN_HINT.search(line) is None


def _read_lines(lines: Sequence[str], readings: dict[str, _Reading], hidden: dict[int, str], found: set[str]) -> None:
    """`mask_yaml`'s reading of `lines` in turn (`readings`: each line as read outside a key or
    block): the line to show instead of each that hides something into `hidden`, by its number,
    and the secret values found into `found`."""
    block_indent: int | None = None
    in_key = False  # inside a PEM private key
    for number, line in enumerate(lines):
        outside = not in_key and block_indent is None
        in_key, block_indent, shown, value = readings[line] if outside else _read_line(line, in_key, block_indent)
        if shown is not None:
            hidden[number] = shown
        if value is not None:
            found.add(value)
