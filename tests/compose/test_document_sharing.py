"""A parsed `Document` is never changed by what reads it: a render hands the base documents it
planned from to its check, so loading, linting or rendering a stack must leave every document
exactly as the file reads. And no module-wide cache hands one document to two readers: each
`read_document` parses afresh."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from compose_testlib import CORPUS

from composegen.compose.stack import load_stack
from composegen.compose.tree import plain
from composegen.errors import ComposegenError
from composegen.lint.context import LintContext
from composegen.lint.engine import run_rule
from composegen.lint.rules import all_rules
from composegen.render.overlay import render
from composegen.yamlio import Document, parse_document, read_document, read_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORPUS_FILES = sorted(CORPUS.glob("*.yml"))


def as_read(path: Path) -> Document:
    return parse_document(read_text(path), str(path))


def assert_unchanged(docs: Iterable[Document]) -> None:
    for shared in docs:
        fresh = as_read(Path(shared.path))
        assert plain(shared.data) == plain(fresh.data), shared.path
        assert dict(shared.positions) == dict(fresh.positions), shared.path


def test_mutating_a_read_document_does_not_change_the_next_read(tmp_path: Path) -> None:
    file = tmp_path / "compose.yml"
    file.write_text("services:\n  web:\n    image: nginx\n")
    first = read_document(file)
    first.data["services"]["web"]["image"] = "changed"
    del first.data["services"]["web"]
    again = read_document(file)
    assert again is not first
    assert plain(again.data) == {"services": {"web": {"image": "nginx"}}}
    file.write_text("services:\n  web:\n    image: nginx:2\n")  # same size, maybe the same mtime
    assert plain(read_document(file).data) == {"services": {"web": {"image": "nginx:2"}}}


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_loading_and_linting_leave_the_documents_as_read(path: Path) -> None:
    try:
        stack = load_stack([path], project_dir=path.parent)
    except ComposegenError:  # a file compose refuses: nothing to look at
        return
    context = LintContext(stack)
    for rule in all_rules():
        run_rule(context, rule)
    assert_unchanged(stack.documents)


#: every example, with the profile of its rendered overlay
EXAMPLE_PROFILES = sorted(
    (folder.name, overlay.name.split(".")[1])
    for folder in EXAMPLES.iterdir()
    for overlay in folder.glob("docker-compose.*.yml")
)


@pytest.mark.parametrize(("example", "profile"), EXAMPLE_PROFILES)
def test_rendering_leaves_the_base_documents_as_read(example: str, profile: str, tmp_path: Path) -> None:
    folder = EXAMPLES / example
    rendered = render(profile, None, folder, output=tmp_path / "out.yml")
    assert rendered.planned.base.documents
    assert_unchanged(rendered.planned.base.documents)
