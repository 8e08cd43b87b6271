"""`export k8s` writes a file per service: writing and checking them takes time in proportion to
their number (issue 12: every input in linear time). The folder was looked through once for each
file written (stale temp files) and the files written once for each file found (stale exports):
quadratic, 6 s and 4 s of an export of 4,000 services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen import writer
from composegen.errors import ComposegenError
from composegen.export.k8s import stale_files
from composegen.export.output import EXPORT_MARKER, exported_by_us
from composegen.paths import real_path
from composegen.writer import MARKER, _target, begins_with, generated_by_us, temp_prefix, write_all_atomic


def test_the_folder_is_looked_through_once_for_all_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{temp_prefix(tmp_path / 'a.b.yaml')}{dead.pid}.abc123.tmp"  # a name with dots
    live = tmp_path / f"{temp_prefix(tmp_path / 's1.yaml')}1.def456.tmp"  # pid 1 is always running
    other = tmp_path / f".other.yaml.{dead.pid}.x.tmp"  # another target's: not ours to judge
    for path in (stale, live, other):
        path.write_text("half")
    looks = []
    scandir = os.scandir

    def counting(path: str | Path) -> object:
        looks.append(path)
        return scandir(path)

    monkeypatch.setattr(writer.os, "scandir", counting)
    files = [(tmp_path / f"s{i}.yaml", f"s{i}\n") for i in range(300)] + [(tmp_path / "a.b.yaml", "x\n")]
    write_all_atomic(files)
    assert len(looks) == 1  # once for the folder, not once a file
    assert not stale.exists() and live.exists() and other.exists()
    assert all(path.read_text() == text for path, text in files)


def test_stale_exports_are_found_in_linear_time(tmp_path: Path) -> None:
    written = [tmp_path / f"s{i}.yaml" for i in range(10_000)]
    for path in written:
        path.write_text("x\n")
    start = time.process_time()
    assert stale_files(tmp_path, written) == []
    assert time.process_time() - start < 2.0  # each file looked for in the list: ~10 s


def _stale_as_globbed(folder: Path, written: list[Path]) -> list[Path]:
    """`stale_files` as it looked before: a Path for each `*.yaml` in the folder."""
    ours = set(written)
    return sorted(p for p in folder.glob("*.yaml") if p not in ours and exported_by_us(p))


#: What a name in the export folder may be: (its name, what it holds).
_ENTRIES = st.tuples(
    st.sampled_from(["s1.yaml", "s2.yaml", ".s3.yaml", ".yaml", "s4.yml", "s5.YAML", "s6.yaml.tmp", "secret.env"]),
    st.sampled_from(["ours", "rendered", "not ours", "folder"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(_ENTRIES, max_size=8), written=st.lists(st.tuples(st.booleans(), st.integers(0, 9)), max_size=6)
)
def test_stale_exports_are_those_the_folder_globbed_for(
    tmp_path_factory: pytest.TempPathFactory, entries: list[tuple[str, str]], written: list[tuple[bool, int]]
) -> None:
    """Names read from the folder (no Path for each file) find what globbing it found: only
    `*.yaml` an export wrote, not written now (in this folder: the same name written
    in another folder is no reason to leave one out)."""
    base = tmp_path_factory.mktemp("stale")
    folder, other = base / "k8s", base / "other"
    folder.mkdir()
    other.mkdir()
    names = [name for name, _ in entries]
    for name, kind in dict(entries).items():
        path = folder / name
        if kind == "folder":
            path.mkdir()
        else:
            path.write_text({"ours": EXPORT_MARKER, "rendered": MARKER, "not ours": "kind: Secret"}[kind] + "\n")
    chosen = [(folder if here else other) / names[at % len(names)] for here, at in written if names]
    assert stale_files(folder, chosen) == _stale_as_globbed(folder, chosen)


#: What may be at an output path: (how it is made in `folder`, given the project folder).
_SITUATIONS = ("new", "ours", "not ours", "link in", "link out", "dangling link", "folder", "input", "no folder")


def _make(kind: str, project: Path, outside: Path) -> Path:
    path = project / "out" / f"{kind.replace(' ', '-')}.yaml"
    if kind == "no folder":
        return project / "missing" / "x.yaml"
    if kind in ("ours", "input"):
        path.write_text(f"{writer.MARKER}\n")
    elif kind == "not ours":
        path.write_text("mine\n")
    elif kind == "link in":
        (project / "target.yaml").write_text(f"{writer.MARKER}\n")
        path.symlink_to(project / "target.yaml")
    elif kind == "link out":
        (outside / "elsewhere.yaml").write_text(f"{writer.MARKER}\n")
        path.symlink_to(outside / "elsewhere.yaml")
    elif kind == "dangling link":
        path.symlink_to(outside / "nothing.yaml")
    elif kind == "folder":
        path.mkdir()
    return path


def _outcome(path: Path, **options: Any) -> tuple[str, object]:
    """What `_target` says of `path`: the file it replaces and its mode, or the line refusing it."""
    try:
        found, mode = _target(path, ours=generated_by_us, **options)
    except ComposegenError as err:
        return "refused", err.one_line()
    return str(found), mode


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(_SITUATIONS), min_size=1, max_size=6), force=st.booleans(), link=st.booleans())
def test_the_quick_look_at_a_target_says_what_the_full_one_says(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], force: bool, link: bool
) -> None:
    """`_target` with `folders` (one lstat a file, each folder looked at once) says for every
    target what it says without (a realpath and stats of each file), through a linked folder too."""
    base = tmp_path_factory.mktemp("quick")
    project, outside = base / "project", base / "outside"
    for folder in (project / "out", outside):
        folder.mkdir(parents=True)
    if link:  # the project reached through a link to it: the real paths differ from the given ones
        (base / "via").symlink_to(project)
        project = base / "via"
    paths = [_make(kind, project, outside) for kind in dict.fromkeys(kinds)]
    read = {real_path(p) for p in paths if p.name == "input.yaml"}
    folders: dict[str, writer._Folder] = {}
    for path in paths:
        options = {"force": force, "read": read, "root": project}
        assert _outcome(path, **options, folders=folders) == _outcome(path, **options), path.name


def _begins_with_as_read(path: Path, marker: str) -> bool:
    """`begins_with` as it read files before (through a text wrapper, a line at a time)."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        return handle.readline().startswith(marker)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    head=st.binary(max_size=40) | st.sampled_from([b"# Exported by composegen 1", b"# Generated by composegen\n"]),
    marker=st.sampled_from([MARKER, EXPORT_MARKER, "#", "# Exported by composegen 1"]),
    cut=st.integers(min_value=0, max_value=30),
)
def test_begins_with_reads_the_first_bytes_as_the_first_line_was_read(
    tmp_path: Path, head: bytes, marker: str, cut: int
) -> None:
    path = tmp_path / "file.yaml"
    path.write_bytes(head + marker.encode()[:cut])
    assert begins_with(path, marker) == _begins_with_as_read(path, marker)
