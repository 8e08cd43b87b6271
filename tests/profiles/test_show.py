"""`composegen profiles show`: sizes and durations as a person writes them (issue 12: it printed
`"minimum": 33554432`), and what it prints reads back as the same profile."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from composegen.cli.app import app
from composegen.profiles.loader import bundled_profiles, load_profile
from composegen.profiles.models import Profile
from composegen.profiles.show import readable


def show(name: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, ["profiles", "show", name])
    assert result.exit_code == 0, result.output
    header, _, body = result.stdout.partition("\n")
    assert header.startswith("# ")
    shown: dict[str, object] = json.loads(body)
    return shown


def test_sizes_and_durations_are_written_as_compose_takes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = show("dev", tmp_path, monkeypatch)
    assert shown["memory"] == {"margin": 1.2, "reservation_ratio": None, "minimum": "32M"}
    assert shown["healthcheck"]["interval"] == "5s"  # type: ignore[index]
    assert shown["hardening"]["tmp_size"] == "64M"  # type: ignore[index]
    prod = show("agent-scale", tmp_path, monkeypatch)
    assert prod["agents"]["tiers"][0]["memory"] == "512M"  # type: ignore[index]
    assert prod["roles"]["postgres"]["memory"] == "1G"  # type: ignore[index]
    assert not re.search(r'"\w+": \d{6,}', json.dumps(prod))  # no byte counts anywhere


@pytest.mark.parametrize("name", bundled_profiles())
def test_what_show_prints_reads_back_as_the_same_profile(name: str) -> None:
    profile = load_profile(name, Path.cwd()).profile
    assert Profile.model_validate(readable(profile)).model_dump() == profile.model_dump()


def test_a_fraction_of_a_second_is_not_rounded() -> None:
    profile = Profile.model_validate({"name": "x", "healthcheck": {"interval": "1.5s", "start_interval": "500ms"}})
    shown = readable(profile)["healthcheck"]
    assert (shown["interval"], shown["start_interval"]) == ("1.5s", "500ms")
