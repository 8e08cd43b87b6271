"""composegen.paths: a user's path resolved without crashing on a symlink loop, and an OSError about
one as one line naming the file and what to do (run_command's net for those no reader or writer
turned into a ComposegenError itself)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from composegen.cli.run import run_command
from composegen.errors import EXIT_INTERNAL, EXIT_USAGE
from composegen.paths import REASONS, os_error, real_path


def test_a_symlink_loop_resolves_to_itself_without_an_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yml"
    loop.symlink_to(loop.name)
    assert real_path(loop) == loop  # Path.resolve raised RuntimeError here (Python 3.11)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_each_known_failure_says_what_to_do(code: int) -> None:
    line = os_error(OSError(code, "system words"), "out/x.yml", "write the file").one_line()
    reason, fix = REASONS[code]
    assert line == f"out/x.yml: cannot write the file: {reason} ({fix})"


def test_an_unknown_failure_keeps_the_systems_words() -> None:
    line = os_error(OSError(errno.EIO, "Input/output error"), "x.yml", "read the file").one_line()
    assert line == "x.yml: cannot read the file: Input/output error (check the path)"


def test_run_command_turns_an_oserror_about_a_path_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def action() -> int:
        raise PermissionError(errno.EACCES, "Permission denied", "sub/.env")

    assert run_command(action) == EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        "composegen: sub/.env: cannot use it: permission denied "
        "(check the permissions of the file and of the folders above it)"
    ]


def test_an_oserror_about_no_path_is_still_a_bug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOSEGEN_DEBUG", raising=False)

    def action() -> int:
        raise OSError(errno.EIO, "Input/output error")

    assert run_command(action) == EXIT_INTERNAL
    assert "internal error" in capsys.readouterr().err
