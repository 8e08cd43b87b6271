"""A folder that is not there yet is written whole beside it and renamed into place once
(writer.write_folder_atomic): the same files as writing them one by one, all or nothing, and no
temp folder left behind."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen import writer
from composegen.errors import ComposegenError, WriteRefused
from composegen.writer import MARKER, make_folder, temp_prefix, write_all_atomic, write_folder_atomic


def _files(folder: Path, count: int) -> list[tuple[Path, str]]:
    return [(folder / f"s{i}.yaml", f"{MARKER}\ns{i}: {i}\n") for i in range(count)]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _tree(folder: Path) -> dict[str, tuple[str, int]]:
    """Each file of `folder`: its text and mode."""
    return {p.name: (p.read_text(), stat.S_IMODE(p.stat().st_mode)) for p in folder.iterdir()}


@pytest.mark.parametrize("count", [1, writer.SYNC_ONCE_FROM + 1])
def test_a_new_folder_is_renamed_into_place_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    folder = tmp_path / "k8s"
    renames: list[tuple[object, object]] = []
    rename, replace = os.rename, os.replace

    def counting_rename(src: str, dst: Path) -> None:
        renames.append((src, dst))
        rename(src, dst)

    def no_replace(src: str, dst: Path) -> None:
        raise AssertionError("a file renamed")

    monkeypatch.setattr(writer.os, "rename", counting_rename)
    monkeypatch.setattr(writer.os, "replace", no_replace)
    files = _files(folder, count)
    write_folder_atomic(folder, files)
    monkeypatch.setattr(writer.os, "replace", replace)
    assert len(renames) == 1
    assert _names(tmp_path) == ["k8s"]  # no temp folder beside it
    assert _tree(folder) == {path.name: (text, 0o644) for path, text in files}
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask  # as `mkdir` makes it


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077, 0o027])
def test_a_new_folder_s_files_get_their_mode_set_only_where_the_umask_takes_some(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    """Each file is made with 0o644 itself: set again (`fchmod`) for every file where the umask
    takes some of it, for none where it does not (the first file tells)."""
    chmods: list[int] = []
    fchmod = os.fchmod

    def counting_fchmod(fd: int, mode: int) -> None:
        chmods.append(mode)
        fchmod(fd, mode)

    monkeypatch.setattr(writer.os, "fchmod", counting_fchmod)
    folder = tmp_path / "k8s"
    files = _files(folder, 5)
    old = os.umask(umask)
    try:
        write_folder_atomic(folder, files)
    finally:
        os.umask(old)
    assert _tree(folder) == {path.name: (text, 0o644) for path, text in files}
    assert chmods == ([] if 0o644 & ~umask == 0o644 else [0o644] * len(files))


def test_a_failure_in_a_new_folder_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "k8s"
    written = []
    write_out = writer._write_out

    def full_at_the_fifth(fd: int, data: bytes) -> None:
        if len(written) == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(fd)
        write_out(fd, data)

    monkeypatch.setattr(writer, "_write_out", full_at_the_fifth)
    with pytest.raises(ComposegenError) as raised:
        write_folder_atomic(folder, _files(folder, 40))
    assert raised.value.where == str(folder / "s4.yaml")  # the file asked for, not the temp one
    assert _names(tmp_path) == []


def test_a_temp_folder_of_a_killed_run_is_removed_a_running_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = tmp_path / "k8s"
    stale = tmp_path / f"{temp_prefix(folder)}{dead.pid}.abc123.tmp"
    live = tmp_path / f"{temp_prefix(folder)}1.def456.tmp"  # pid 1 is always running
    for each in (stale, live):
        each.mkdir()
        (each / "s0.yaml").write_text("half\n")
    write_folder_atomic(folder, _files(folder, 3))
    assert _names(tmp_path) == sorted(["k8s", live.name])


def test_a_folder_made_meanwhile_is_written_file_by_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process makes the folder, with a file of its own, before the rename: that file is
    not replaced without --force, and nothing of this run is left."""
    folder = tmp_path / "k8s"
    rename = os.rename

    def another_process_first(src: str, dst: Path) -> None:
        folder.mkdir()
        (folder / "s0.yaml").write_text("mine\n")
        rename(src, dst)

    monkeypatch.setattr(writer.os, "rename", another_process_first)
    with pytest.raises(WriteRefused):
        write_folder_atomic(folder, _files(folder, 3))
    assert _names(tmp_path) == ["k8s"]
    assert (folder / "s0.yaml").read_text() == "mine\n"
    assert _names(folder) == ["s0.yaml"]


def test_a_name_too_long_for_the_temp_folder_is_written_file_by_file(tmp_path: Path) -> None:
    folder = tmp_path / ("k" * 240)  # a name the file system takes; with `.NAME.PID.TOKEN.tmp`, too long
    files = _files(folder, 2)
    write_folder_atomic(folder, files)
    assert _names(tmp_path) == [folder.name]
    assert _tree(folder) == {path.name: (text, 0o644) for path, text in files}


_NAMES = st.sampled_from(["a.yaml", "b.yaml", "c.d.yaml", "secret.example.env"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(st.tuples(_NAMES, st.text(max_size=20)), max_size=6),
    there=st.sampled_from(["missing", "empty", "ours", "not ours"]),
    nested=st.booleans(),
    force=st.booleans(),
)
def test_writing_a_folder_is_writing_its_files_one_by_one(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[tuple[str, str]],
    there: str,
    nested: bool,
    force: bool,
) -> None:
    """The new-folder way against making the folder and writing each file with a temp file and a
    rename: the same files, texts, modes and refusals, whatever was there before (a repeated name:
    the last text, as the renames in turn leave it)."""
    outcomes = []
    for way in ("folder", "one by one"):
        root = tmp_path_factory.mktemp("way")
        folder = root / "out" / "k8s" if nested else root / "k8s"
        if there != "missing":
            folder.mkdir(parents=True)
        if there in ("ours", "not ours"):
            (folder / "a.yaml").write_text(f"{MARKER}\n" if there == "ours" else "mine\n")
        pairs = [(folder / name, text) for name, text in files]
        try:
            if way == "folder":
                write_folder_atomic(folder, pairs, force=force)
            else:
                created = make_folder(folder)
                try:
                    write_all_atomic(pairs, force=force)
                except BaseException:
                    writer.remove_folders(created)
                    raise
            error = None
        except (ComposegenError, UnicodeEncodeError) as err:  # (a lone surrogate cannot be written)
            error = f"{type(err).__name__}: {str(err).replace(str(root), 'ROOT')}"
        listing = sorted(os.walk(root), key=lambda each: each[0])
        outcomes.append(
            (
                error,
                [(os.path.relpath(top, root), sorted(dirs), sorted(names)) for top, dirs, names in listing],
                _tree(folder) if folder.is_dir() else None,
            )
        )
    assert outcomes[0] == outcomes[1]
