"""The base stack a render reads, and the check of base + overlay as compose would merge them."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from composegen.compose import schema
from composegen.compose.stack import Stack, load_stack
from composegen.compose.tree import origin_at, plain
from composegen.errors import InputError
from composegen.paths import os_error

#: Loading problems that come from the base's own variables, not from what composegen wrote.
_BASE_ONLY = frozenset({"variable-unset", "variable-required", "variable-invalid"})


def load_base(paths: Sequence[Path], root: Path) -> Stack:
    """The merged, interpolated base stack, exactly as `docker compose -f ... config` builds it;
    refused, naming its file and line, when compose would refuse the base alone (a duplicate key,
    a schema error): an overlay over it could never be used, and the error is the base's."""
    stack = load_stack(list(paths), project_dir=root)
    problems = [(p.where(), p.message) for p in stack.problems if p.error and p.kind not in _BASE_ONLY]
    for error in stack.validate():
        origin = origin_at(stack.data, error.path)
        problems.append((origin.where() if origin is not None else str(paths[0]), str(error)))
    if problems:
        where, message = problems[0]
        raise InputError(
            f"compose would refuse the base stack: {message}",
            where=where,
            fix="fix the compose file; `composegen lint` lists every problem",
        )
    return stack


def check_merged(paths: Sequence[Path], root: Path, overlay_text: str, overlay_name: str) -> list[str]:
    """Problems compose would report for base + overlay: schema errors and mount conflicts.

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
        stack = load_stack([*paths, overlay], project_dir=root)
        problems = [
            f"{p.where() or overlay_name}: {p.message}" for p in stack.problems if p.error and p.kind not in _BASE_ONLY
        ]
        for error in schema.validate(plain(stack.data)):
            origin = origin_at(stack.data, error.path)
            where = origin.where() if origin is not None else overlay_name
            problems.append(f"{where.replace(folder + '/', '')}: {error}")
    return problems
