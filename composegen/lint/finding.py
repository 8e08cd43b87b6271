"""What a rule reports (Violation), what the user sees (Finding), and mechanical fixes (Fix); what a
reporter is told about a rule (RuleInfo) and a fix (TextEdit), and everything it is given (Report,
which the lint run assembles). The reporters import this module only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from functools import partial
from itertools import chain, compress, islice, repeat
from operator import attrgetter, eq, itemgetter, ne
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from composegen.compose.tree import Origin
from composegen.yamlio import KeyPath


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self.value]


_RANKS = {"info": 0, "warning": 1, "error": 2}


class Edit(NamedTuple):
    """One change to one file, addressed by the key path inside that file (not the merged stack).

    `set` writes `value` at `path` (creating missing mappings), `delete` removes the key,
    `append` adds `value` to the list at `path` (creating it). Values are plain YAML data.
    """

    file: str
    path: KeyPath
    action: Literal["set", "delete", "append"]
    value: Any = None


class Fix(NamedTuple):
    """A mechanical fix: what it does, and its edits."""

    description: str
    edits: tuple[Edit, ...]


class Violation(NamedTuple):
    """What a rule's `check` yields: a place in the merged stack (a key path) and a message.

    `path` is into `LintContext.stack.data`, e.g. ("services", "db", "deploy", "resources").
    The engine turns it into file:line:col through the stack's origins.
    """

    path: KeyPath
    message: str
    service: str | None = None
    fix: Fix | None = None
    severity: Severity | None = None  # overrides the rule's severity for this one finding
    origin: Origin | None = None  # an exact place, when the key path alone would point elsewhere


#: A `Violation` of all six fields, built in C: `new_violation((path, message, service, fix, severity,
#: origin))`. The rules that flag each service of a large stack make tens of thousands, and
#: `Violation(...)` runs a Python constructor for each.
new_violation: Callable[[tuple[KeyPath, str, str | None, Fix | None, Severity | None, Origin | None]], Violation] = (
    partial(tuple.__new__, Violation)
)


class Suppression(NamedTuple):
    """Why a finding does not count: `inSource` (a `# composegen:` directive in the file) or
    `external` (a baseline file), as SARIF names them."""

    kind: Literal["inSource", "external"]
    reason: str


class Finding(NamedTuple):
    """One reported problem, positioned and ready for a reporter.

    Two findings that differ only in their fix are the same finding: `key` is what makes one
    (`unique` keeps one of each). A named tuple, not a dataclass: a dataclass costs a lint run
    its import.

    `path` (the key path the rule named) and `digest` (a hash of the value found there, as
    written) make the finding's `fingerprint`, which survives lines moving. The digest is
    computed only where fingerprints are read (a baseline, SARIF: `run_rule(digests=True)`);
    elsewhere it is empty."""

    file: str
    line: int
    column: int
    code: str
    name: str
    severity: Severity
    message: str
    service: str | None = None
    fix: Fix | None = None
    path: KeyPath = ()
    digest: str = ""
    suppression: Suppression | None = None

    def fingerprint(self, file: str | None = None) -> str:
        """What identifies this finding across edits that move lines: its rule, file (`file`, or
        its own), service, key path and the hash of its value; never the value itself."""
        import hashlib

        parts = (
            self.code,
            self.file if file is None else file,
            self.service or "",
            "/".join(str(k) for k in self.path),
            self.digest,
        )
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def with_file(self, file: str) -> Finding:
        """This finding at `file`: `_replace(file=file)` at a quarter of its cost (a report can
        show 200,000 findings at the file's name as displayed)."""
        return Finding._make((file, *self[1:]))

    def with_digest(self, digest: str) -> Finding:
        """This finding with `digest`: `_replace(digest=digest)`, as `with_file` (SARIF gives each
        of 25,000 results its digest)."""
        return Finding._make((*self[:10], digest, self[11]))

    @property
    def key(self) -> tuple[str, int, int, str, str, Severity, str, str | None]:
        return self[:8]  # every field but `fix`

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "service": self.service,
            "message": self.message,
            "fixable": self.fix is not None,
            **({"suppressed": self.suppression._asdict()} if self.suppression is not None else {}),
        }


#: The order findings are shown in: file, line, column, code and message (the fields, by index:
#: a lint run can sort hundreds of thousands).
ORDER = itemgetter(0, 1, 2, 3, 6)


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once (the first of those with one `key`), in `ORDER`.

    Sorted first (a stable sort keeps findings that tie in the order they came), then each is
    compared only with those kept before it with the same `ORDER` (findings with one `key` tie):
    a lint run can hold 200,000 findings, and hashing every key cost more than the sort."""
    ordered = sorted(findings, key=ORDER)
    places = list(map(ORDER, ordered))
    if all(map(ne, places, islice(places, 1, None))):  # (in C) no two findings tie: each is kept
        return ordered
    kept: list[Finding] = []
    keep = kept.append
    place: tuple[Any, ...] = ()  # `ORDER` of the findings in kept[start:]
    start = 0
    for finding, here in zip(ordered, places, strict=True):
        if here != place:
            place, start = here, len(kept)
            keep(finding)
        elif all(other[:8] != finding[:8] for other in kept[start:]):  # `key`, inline
            keep(finding)
    return kept


#: The most results SARIF writes in its run. GitHub code scanning rejects an upload whose run holds
#: more than 25,000 results (and shows only the top 5,000 of those it takes, by severity):
#: https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
SARIF_MAX_RESULTS = 25_000


def sarif_results(
    findings: Sequence[Finding], suppressed: Sequence[Finding], limit: int = SARIF_MAX_RESULTS
) -> tuple[Sequence[Finding], Sequence[Finding], int]:
    """The findings and suppressed findings a SARIF run holds, and how many it leaves out: all of
    them, as they are, up to `limit`; past it the most severe findings first (in their order
    otherwise), then the most severe suppressed ones, `limit` in all."""
    left_out = len(findings) + len(suppressed) - limit
    if left_out <= 0:
        return findings, suppressed, 0
    most_severe = _most_severe_first(findings, limit)
    return most_severe, _most_severe_first(suppressed, limit - len(most_severe)), left_out


#: The severities, most severe first.
_MOST_SEVERE_FIRST = sorted(Severity, key=lambda severity: -_RANKS[severity.value])


def _most_severe_first(findings: Sequence[Finding], limit: int) -> list[Finding]:
    """The first `limit` of `findings` sorted (stably) by severity, errors first: each severity's
    findings in their order, picked in C (a large stack has 200,000 findings to sort by three
    values, and a sort key in Python costs a call for each)."""
    severities = list(map(attrgetter("severity"), findings))
    each = (compress(findings, map(eq, severities, repeat(severity))) for severity in _MOST_SEVERE_FIRST)
    return list(islice(chain.from_iterable(each), max(limit, 0)))


class RuleInfo(NamedTuple):
    """A rule as a reporter describes it (SARIF `tool.driver.rules`)."""

    code: str
    name: str
    severity: Severity  # the default severity
    summary: str  # one line
    doc: str = ""  # the rule's documentation, markdown
    fixable: bool = False
    help_uri: str = ""  # where its documentation is (docs/rules.md#...)
    security_severity: float | None = None  # security rules: 0.0-10.0 (code scanning ranks by it)


class TextEdit(NamedTuple):
    """A finding's fix as one replacement in its file (SARIF `fixes`): `length` characters from
    `offset` (0-based) replaced by `text`; the replaced span's first and last positions as lines
    and columns from 1 (composegen.lint.fix_parts makes them)."""

    file: str  # as displayed
    offset: int
    length: int
    text: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int


class Report(NamedTuple):
    """Everything a reporter shows (composegen.report): what `composegen.lint.run.check` returns
    for the command to print."""

    findings: Sequence[Finding]
    rules: Sequence[RuleInfo] = ()
    files: Sequence[str] = ()  # every file that was linted, as displayed
    errors: Sequence[str] = ()  # input errors (one line each): files that could not be linted
    color: bool = False
    version: str = ""
    root_uri: str = ""  # file:// URI of the folder relative paths are relative to (SARIF)
    fixed: int = 0  # problems fixed by --fix before this report
    suppressed: Sequence[Finding] = ()  # switched off by a directive or a baseline (json, SARIF)
    fixes: Mapping[tuple[Any, ...], Sequence[TextEdit]] = MappingProxyType({})  # by Finding.key (SARIF)
    #: findings and suppressed findings not in `findings` and `suppressed` (SARIF writes at most
    #: SARIF_MAX_RESULTS; the exit code still counts them all)
    left_out: int = 0
    #: `findings` are in `ORDER` already (a lint run's, as `unique` left them): the text reporter
    #: shows them as they are, without sorting 200,000 findings a second time
    in_order: bool = False
