"""The base stack a render reads, and the check of base + overlay as compose would merge them."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from composegen.compose import schema
from composegen.compose.stack import Stack, load_more, load_stack
from composegen.compose.tree import origin_at
from composegen.errors import InputError
from composegen.paths import os_error
from composegen.yamlio import Document, parse_document, read_back

#: Loading problems that come from the base's own variables, not from what composegen wrote.
_BASE_ONLY = frozenset({"variable-unset", "variable-required", "variable-invalid"})
#: Those the environment decides: the machine that renders need not hold the variables of the
#: one that deploys (an unset variable is only a warning to compose; a required one is checked
#: where the stack starts).
_ENVIRONMENT_DECIDES = frozenset({"variable-unset", "variable-required"})
#: Problems at whose paths `Stack.validate` drops the schema's errors.
_SKIPPED_BY_VALIDATE = frozenset({"variable-required", "variable-invalid"})


def load_base(paths: Sequence[Path], root: Path) -> tuple[Stack, bool]:
    """The merged, interpolated base stack, exactly as `docker compose -f ... config` builds it;
    refused, naming its file and line, when compose would refuse the base alone (a duplicate key,
    a malformed `${`, a schema error, a service with neither image nor build, a reference to a
    service, volume, network, secret or config it does not define, a dependency cycle): an
    overlay over it could never be used, and the error is the base's. With it, whether
    `schema.validate` finds nothing at all in it (none of its errors left to the environment):
    `check_merged` then validates only what an overlay changes."""
    stack = load_stack(list(paths), project_dir=root)
    problems = [
        (p.where(), p.message + (" (write a literal $ as $$)" if p.kind == "variable-invalid" else ""))
        for p in stack.problems
        if p.error and p.kind not in _ENVIRONMENT_DECIDES
    ]
    errors = stack.validate()
    valid = not errors and not any(p.kind in _SKIPPED_BY_VALIDATE for p in stack.problems)
    for error in errors:
        origin = origin_at(stack.data, error.path)
        problems.append((origin.where() if origin is not None else str(paths[0]), str(error)))
    if not problems:
        problems = _refused_project(stack)
    if problems:
        where, message = problems[0]
        raise InputError(
            f"compose would refuse the base stack: {message}",
            where=where,
            fix="fix the compose file; `composegen lint` lists every problem",
        )
    return stack, valid


def _refused_project(stack: Stack) -> list[tuple[str, str]]:
    """What compose refuses in a project whose every value is valid, as lint finds it: a service
    with neither an image nor a build, a reference to something undefined, a dependency cycle."""
    from composegen.lint.context import LintContext  # lazy: only a valid base gets this far
    from composegen.lint.engine import run_rule
    from composegen.lint.readers import no_image_or_build
    from composegen.lint.rule import Rule
    from composegen.lint.rules import depends_on_cycle, undefined_reference

    problems = [
        (stack.where(("services", name)), f"service {name!r} has neither an image nor a build context")
        for name, service in stack.iter_services()
        if no_image_or_build(service)
    ]
    context = LintContext(stack, mode="stack")
    for module in (undefined_reference, depends_on_cycle):
        for finding in run_rule(context, Rule.from_module(module)):
            problems.append((f"{finding.file}:{finding.line}", finding.message))
    return problems


def check_merged(
    paths: Sequence[Path],
    root: Path,
    overlay_text: str,
    overlay_name: str,
    read: Sequence[Document] = (),
    overlay_data: Mapping[str, Any] | None = None,
    base: Stack | None = None,
    base_valid: bool = False,
) -> tuple[list[str], Document]:
    """Problems compose would report for base + overlay: schema errors and mount conflicts; and
    the overlay as read (a large overlay costs seconds to parse: once is enough). `read`: the
    documents of `paths` the caller already parsed (the base it planned from), used as they are.
    `overlay_data`: the data `overlay_text` was dumped from, read back from the data itself
    (`yamlio.read_back`: no parsing, and no positions), instead of parsing the text.
    `base`: the stack `paths` loaded (`load_base`), which the overlay is loaded over without
    loading its files again (`stack.load_more`), and `base_valid` (`load_base`'s): the merged
    stack is then validated only where the overlay changed it (`schema.valid_over`), and only
    whether it is valid: when it is not, the problems say only that (check again without `base`
    for what they are).

    The overlay is written to a private temporary folder (never beside the user's files) and
    merged last, with the project folder of the base: relative paths resolve as compose resolves
    them, against the first file's folder.
    """
    with tempfile.TemporaryDirectory(prefix="composegen-check-") as folder:
        overlay = Path(folder) / overlay_name
        try:
            overlay.write_text(overlay_text, encoding="utf-8")
        except OSError as err:  # a name too long: the real write would fail the same way
            raise os_error(err, overlay_name, "write the file") from None
        if overlay_data is not None:
            parsed = read_back(overlay_data, str(overlay), overlay_text)
        else:
            parsed = parse_document(overlay_text, str(overlay), generated=True)
        if base is not None:
            stack = load_more(base, [overlay], read={overlay: parsed})
        else:
            given = {path: doc for path in paths for doc in read if doc.path == str(path)}
            stack = load_stack([*paths, overlay], project_dir=root, read={**given, overlay: parsed})
        problems = [
            f"{p.where() or overlay_name}: {p.message}" for p in stack.problems if p.error and p.kind not in _BASE_ONLY
        ]
        if base is not None and base_valid:
            if not schema.valid_over(stack.data, base.data):
                problems.append(f"{overlay_name}: the schema or compose's reading of values refuses the merged stack")
            return problems, parsed
        for error in schema.validate(stack.data):
            origin = origin_at(stack.data, error.path)
            where = origin.where() if origin is not None else overlay_name
            problems.append(f"{where.replace(folder + '/', '')}: {error}")
    return problems, parsed
