"""`--fix` and `--diff`: apply the mechanical fixes findings carry, keeping the rest of the file.

Each fix is a list of `Edit`s addressed by key path inside one file. A file is edited through
yamlio's round trip (ruamel: comments, anchors and key order survive), and only the lines the
edits changed are carried back into the original text: the round trip may re-quote or re-indent
lines nobody touched, and those keep their original text. The result is read back and must hold
exactly the data the round trip holds; when it cannot (an edit inside text the round trip
rewrites), that file's fixes are skipped with a reason, never applied halfway. Files are written
atomically (temp file and rename).

A file whose fixes all append list items (no-new-privileges on each service) is planned on its
text instead (composegen.lint.fix_text), to the same text, in time proportional to its size: the
round trip reads and writes a megabyte in seconds, twice.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composegen.errors import ComposegenError
from composegen.lint.finding import Edit, Finding, Fix
from composegen.lint.fix_text import plan_text
from composegen.lint.line_diff import opcodes, unified_diff
from composegen.yamlio import Document, dump_roundtrip, load_roundtrip, read_data, read_text


class EditError(Exception):
    """An edit whose path does not lead where it should (a scalar on the way, a missing index)."""


@dataclass(frozen=True)
class FileChange:
    path: Path
    display: str
    before: str
    after: str
    fixes: tuple[str, ...]  # the description of each fix applied
    #: `before` read, where the plan read it (SARIF's fixes ask where its keys are)
    document: Document | None = field(default=None, compare=False, repr=False)
    #: the lines the fix of each finding (by `Finding.key`) inserts on its own, where the text
    #: planner placed them (fix_text.TextPlan.own): (the line they go before, 0-based; the lines)
    own: Mapping[Any, tuple[int, tuple[str, ...]]] = field(default_factory=dict, compare=False, repr=False)
    #: where the text planner put lines in (fix_text.TextPlan.inserted): the diff is read off them
    inserted: tuple[tuple[int, int], ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FixPlan:
    changes: tuple[FileChange, ...]
    applied: int  # findings whose fix is in `changes`
    skipped: tuple[str, ...]  # one line per fix that could not be applied, and why

    def diff(self) -> str:
        """A unified diff of every change (what --diff prints), secrets masked on both sides: a
        diff lands in CI logs and review comments, the compose file's passwords must not."""
        from composegen.masking import mask_yaml_texts  # lazy: only --diff prints a file's text

        out: list[str] = []
        for change in self.changes:
            before, after = mask_yaml_texts((change.before, change.after))  # mostly the same lines
            a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
            lines = unified_diff(a, b, f"a/{change.display}", f"b/{change.display}", inserted=change.inserted)
            if len(a) != before.count("\n") or len(b) != after.count("\n"):  # a line with no newline
                lines = [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]
            out.extend(lines)
        return "".join(out)

    def write(self) -> None:
        from composegen.writer import write_atomic

        for change in self.changes:
            write_atomic(change.path, change.after, force=True)


# --- edits on round-trip data --------------------------------------------------------------------


def _own_key(node: Any, key: Any) -> Any:
    """The key of mapping `node` spelled as in the file, if `node` itself holds it (not through
    a `<<:` merge key, whose text other mappings share)."""
    items = node.non_merged_items() if hasattr(node, "non_merged_items") else node.items()
    for existing, _value in items:
        if existing == key or str(existing) == str(key):
            return existing
    return _MISSING


class _Missing:
    pass


_MISSING = _Missing()


def _child(node: Any, key: Any, create: bool, where: str) -> Any:
    if isinstance(node, dict):
        own = _own_key(node, key)
        if own is _MISSING:
            if key in node or str(key) in node:
                raise EditError(f"{where}: {key!r} comes from a `<<:` merge key; edit its anchor instead")
            if not create:
                raise EditError(f"{where}: no key {key!r}")
            node[key] = {}
            return node[key]
        if node[own] is None and create:
            node[own] = {}
        return node[own]
    if isinstance(node, list):
        if isinstance(key, int) and -len(node) <= key < len(node):
            return node[key]
        raise EditError(f"{where}: no item {key!r} in the list")
    raise EditError(f"{where}: {key!r} is inside a scalar value")


def apply_edit(data: Any, edit: Edit) -> None:
    """Apply one edit to round-trip data (a ruamel CommentedMap), or raise EditError."""
    if not edit.path:
        raise EditError("an edit needs a key path")
    where = ".".join(str(k) for k in edit.path)
    node = data
    create = edit.action in ("set", "append")
    for key in edit.path[:-1]:
        node = _child(node, key, create, where)
    last = edit.path[-1]
    if edit.action == "append":
        if isinstance(node, dict):
            own = _own_key(node, last)
            current = node[own] if own is not _MISSING else None
            if current is None:
                node[last if own is _MISSING else own] = [edit.value]
            elif isinstance(current, list):
                current.append(edit.value)
            else:
                raise EditError(f"{where}: not a list")
            return
        target = _child(node, last, False, where)
        if not isinstance(target, list):
            raise EditError(f"{where}: not a list")
        target.append(edit.value)
        return
    if isinstance(node, dict):
        own = _own_key(node, last)
        if edit.action == "delete":
            if own is not _MISSING:
                del node[own]
            return
        node[last if own is _MISSING else own] = edit.value
        return
    if isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node):
        if edit.action == "delete":
            del node[last]
        else:
            node[last] = edit.value
        return
    if not isinstance(node, (dict, list)):
        raise EditError(f"{where}: {edit.path[-2] if len(edit.path) > 1 else '(top)'!r} is a scalar value")
    raise EditError(f"{where}: no item {last!r} in the list")


# --- carrying changed lines back into the original text ------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _shift(lines: list[str], delta: int) -> list[str] | None:
    """Lines indented `delta` more (or less) spaces; None when there is not that much to remove."""
    if delta == 0:
        return lines
    out = []
    for line in lines:
        if not line.strip():
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        elif _indent(line) >= -delta:
            out.append(line[-delta:])
        else:
            return None
    return out


def _delta(a: Sequence[str], orig: Sequence[str], mapping: dict[int, int], index: int, depth: int) -> int:
    """How much deeper the user's file indents the level of `depth` than the round trip does,
    judged by the nearest line above `index` at that depth or above it."""
    for back in range(min(index, len(a)) - 1, -1, -1):
        line = a[back]
        if _is_comment_or_blank(line) or _indent(line) > depth:
            continue
        found = mapping.get(back)
        return 0 if found is None else _indent(orig[found]) - _indent(line)
    return 0


def carry_over(original: str, before: str, after: str) -> str | None:
    """Apply the line changes from `before` to `after` (two round-trip dumps) to `original`,
    the user's text `before` was dumped from. None when a changed line has no counterpart there.

    Lines the round trip rewrote one for one (quotes, indentation) still count as counterparts;
    new lines take the user's indentation of their level. Lines added at the end of a block go
    above comments that close an outer block (the round trip hangs such a comment on the last
    key above it, and would put new keys after it). The caller checks the result reads back as
    `after` does.
    """
    orig = original.splitlines(keepends=True)
    if orig and not orig[-1].endswith("\n"):
        orig[-1] += "\n"
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in opcodes(a, orig):
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for offset in range(i2 - i1):
                mapping[i1 + offset] = j1 + offset
    hunks: list[tuple[int, int, list[str]]] = []  # (start, end) in orig, replaced by lines
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag == "equal":
            continue
        added = b[j1:j2]
        depth = _indent(next((line for line in added if line.strip()), added[0])) if added else 0
        if tag == "insert":
            while i1 > 0 and _is_comment_or_blank(a[i1 - 1]) and (not a[i1 - 1].strip() or _indent(a[i1 - 1]) < depth):
                i1 -= 1
            i2 = i1
        if i1 < i2:
            span = [mapping.get(i) for i in range(i1, i2)]
            starts = [s for s in span if s is not None]
            if len(starts) != len(span) or starts != list(range(starts[0], starts[0] + len(starts))):
                return None
            start, end = starts[0], starts[-1] + 1
            delta = _indent(orig[start]) - _indent(a[i1])
        elif i1 - 1 in mapping or i1 in mapping or i1 == 0:
            start = end = mapping[i1 - 1] + 1 if i1 - 1 in mapping else mapping.get(i1, 0)
            delta = _delta(a, orig, mapping, i1, depth)
        else:
            return None
        shifted = _shift(added, delta)
        if shifted is None:
            return None
        hunks.append((start, end, shifted))
    for start, end, lines in sorted(hunks, key=lambda h: (h[0], h[1]), reverse=True):
        orig[start:end] = lines
    return "".join(orig)


# --- planning --------------------------------------------------------------------------------------


def _fix_key(fix: Fix) -> object:
    """What makes two fixes one: their edits' reprs; or the edits themselves, where they compare
    as their reprs do (text values, keys of text or int: the common case, a fix on each of
    thousands of services, without writing a repr for each)."""
    for edit in fix.edits:
        if not isinstance(edit.value, str):
            return _edits_repr(fix)
        for key in edit.path:  # (a loop, not all(...) over a generator: asked once per finding)
            if not isinstance(key, str) and type(key) is not int:
                return _edits_repr(fix)
    return fix.edits


def _edits_repr(fix: Fix) -> str:
    return repr([(e.file, e.path, e.action, e.value) for e in fix.edits])


def _resolve(file: str, cwd: Path) -> Path:
    path = Path(file)
    return path if path.is_absolute() else cwd / path


def resolver(cwd: Path) -> Callable[[str], Path]:
    """The path an edit's file names, below `cwd` where relative; each name resolved once (a fix
    on each of thousands of services names one file thousands of times)."""
    known: dict[str, Path] = {}

    def resolve(file: str) -> Path:
        found = known.get(file)
        if found is None:
            found = known[file] = _resolve(file, cwd)
        return found

    return resolve


def plan(findings: Iterable[Finding], cwd: Path, display: Any = str, documents: Iterable[Document] = ()) -> FixPlan:
    """The changes the fixes of `findings` make, file by file; nothing is written. `documents`:
    files as lint read them (a file whose text is still one of theirs is not parsed again)."""
    fixes: dict[object, tuple[Fix, list[Finding]]] = {}
    for finding in findings:
        fix = finding.fix
        if fix is None or not fix.edits:
            continue
        fixes.setdefault(_fix_key(fix), (fix, []))[1].append(finding)
    by_file: dict[Path, list[tuple[Fix, list[Finding]]]] = {}
    #: `by_file`'s list for each file name an edit gives (a fix on each of thousands of services
    #: names one file: its path resolved and hashed once, not once per fix)
    by_name: dict[str, list[tuple[Fix, list[Finding]]]] = {}
    skipped: list[str] = []
    resolve = resolver(cwd)
    for fix, found in fixes.values():
        edits = fix.edits
        if len(edits) == 1 or all(edit.file == edits[0].file for edit in edits):
            name = edits[0].file
            entries = by_name.get(name)
            if entries is None:
                entries = by_name[name] = by_file.setdefault(resolve(name), [])
            entries.append((fix, found))
            continue
        files = {resolve(e.file) for e in edits}
        if len(files) != 1:
            skipped.append(f"{found[0].code}: {fix.description}: edits span several files, apply it by hand")
            continue
        by_file.setdefault(files.pop(), []).append((fix, found))
    read = {doc.text: doc for doc in documents if doc.text is not None}
    changes: list[FileChange] = []
    applied = 0
    for path, entries in by_file.items():
        change, count, problems = _plan_file(path, entries, display(path), read)
        skipped.extend(problems)
        if change is not None:
            changes.append(change)
            applied += count
    return FixPlan(tuple(changes), applied, tuple(skipped))


def _plan_file(
    path: Path, entries: Sequence[tuple[Fix, list[Finding]]], display: str, read: Mapping[str, Document]
) -> tuple[FileChange | None, int, list[str]]:
    """`read`: documents lint parsed, by their text."""
    try:
        text = read_text(path)
    except ComposegenError as err:
        return None, 0, [f"{display}: {err.one_line()}: its fixes were not applied"]
    on_text = plan_text(text, str(path), entries, read.get(text))
    if on_text is not None:
        own = {found[0].key: lines for index, lines in on_text.own.items() if len(found := entries[index][1]) == 1}
        change = FileChange(path, display, text, on_text.after, on_text.applied, on_text.before, own, on_text.inserted)
        return change, on_text.fixed, []
    try:
        data = load_roundtrip(text, str(path))
        before = dump_roundtrip(load_roundtrip(text, str(path)))
    except ComposegenError as err:
        return None, 0, [f"{display}: {err.one_line()}: its fixes were not applied"]
    problems: list[str] = []
    applied: list[str] = []
    count = 0
    for fix, found in entries:
        # one edit fails before it changes anything; several are tried on a copy
        trial = data if len(fix.edits) == 1 else copy.deepcopy(data)
        try:
            for edit in fix.edits:
                apply_edit(trial, edit)
        except EditError as err:
            problems.append(f"{display}:{found[0].line}: {found[0].code}: {fix.description}: {err}")
            continue
        data = trial
        applied.append(fix.description)
        count += len(found)
    if not applied:
        return None, 0, problems
    after = dump_roundtrip(data)
    result = carry_over(text, before, after)
    if result is None or not _same_data(result, after, str(path)):
        reason = "composegen cannot make it without rewriting lines it did not change; apply it by hand"
        problems.extend(f"{display}: {description}: {reason}" for description in applied)
        return None, 0, problems
    if result == text:
        return None, 0, problems
    return FileChange(path, display, text, result, tuple(applied), read.get(text)), count, problems


def _same_data(text: str, expected: str, path: str) -> bool:
    try:
        return bool(read_data(text, path) == read_data(expected, path))
    except ComposegenError:
        return False
