"""A one-shot command run as the command turns the cyclic garbage collector off (all it builds lives
to the end); called from Python, it leaves the caller's process as it was."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from composegen.cli import main


@pytest.mark.parametrize("args", [["lint", "docker-compose.yml"], ["render", "--help"]])
def test_main_called_from_python_keeps_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert gc.isenabled()
    with pytest.raises(SystemExit):
        main(args)
    assert gc.isenabled()
