"""`composegen explain` on every bundled example cites what it read from the base file, with
file:line (issue 13: "explain on every example shows base-file origins")."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE_CASES, EXAMPLES

HEADER = "read from the base file"
#: One line under the header: `  - docker-compose.yml:16: ...`.
CITED = re.compile(r"  - [\w.-]+\.ya?ml:\d+: \S")


@pytest.mark.parametrize(("name", "profile"), EXAMPLE_CASES)
def test_explain_shows_a_base_file_origin(name: str, profile: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "composegen", "explain", "--profile", profile],
        cwd=EXAMPLES / name,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    cited = [line for section in done.stdout.split(HEADER)[1:] for line in _listed(section)]
    assert cited, f"examples/{name}: explain reads nothing from the base file"
    assert all(CITED.match(line) for line in cited), cited


def _listed(section: str) -> list[str]:
    """The `  - ` lines right under the header, up to the first line that is not one."""
    listed = []
    for line in section.splitlines()[1:]:
        if not line.startswith("  - "):
            break
        listed.append(line)
    return listed
