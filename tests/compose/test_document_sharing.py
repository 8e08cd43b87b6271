"""A parsed `Document` is shared, never changed: composegen.yamlio remembers the documents it read
(a render reads its base twice), so loading, linting or rendering a stack must leave every
document exactly as the file reads."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from compose_testlib import CORPUS

from composegen.cli import main
from composegen.compose.stack import load_stack
from composegen.compose.tree import plain
from composegen.errors import ComposegenError
from composegen.render.overlay import render
from composegen.yamlio import Document, parse_document, read_document, read_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORPUS_FILES = sorted(CORPUS.glob("*.yml"))


def as_read(path: Path) -> Document:
    return parse_document(read_text(path), str(path))


def assert_unchanged(paths: list[Path]) -> None:
    for path in paths:
        shared = read_document(path)  # what the loads above were given, remembered
        fresh = as_read(path)
        assert plain(shared.data) == plain(fresh.data), path
        assert dict(shared.positions) == dict(fresh.positions), path


def test_the_same_text_reads_as_the_same_document(tmp_path: Path) -> None:
    file = tmp_path / "compose.yml"
    file.write_text("services:\n  web:\n    image: nginx\n")
    assert read_document(file) is read_document(file)
    file.write_text("services:\n  web:\n    image: nginx:2\n")  # same size, maybe the same mtime
    assert plain(read_document(file).data) == {"services": {"web": {"image": "nginx:2"}}}


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_loading_and_linting_leave_the_documents_as_read(path: Path) -> None:
    with contextlib.suppress(ComposegenError):  # a file compose refuses: what was read still counts
        load_stack([path], project_dir=path.parent)
    with pytest.raises(SystemExit):
        main(["lint", "--format", "json", str(path)])
    assert_unchanged([path])


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
    assert_unchanged(list(rendered.planned.project.compose_paths()))
