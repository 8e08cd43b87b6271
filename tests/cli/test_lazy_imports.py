"""What a command imports: a trivial lint or `--help` pays for nothing it does not use (issue 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import sys
from composegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = {name.split(".")[0] for name in sys.modules} | {m for m in sys.modules if m.startswith("composegen.")}
print(" ".join(sorted(loaded)))
"""

#: what no help text and no lint run needs: rich help formatting, templates, round-trip YAML, the engine SDK
HEAVY = {"rich", "jinja2", "ruamel", "docker", "jsonschema"}


def loaded_by(args: list[str], cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split("\n")[-2].split())


@pytest.mark.parametrize(
    ("args", "never"),
    [
        (
            ["lint", "docker-compose.yml"],
            # dataclasses (with the inspect it imports) costs ~5 ms and a millisecond per class
            # built; pkgutil imports inspect too
            {
                "typer",
                "click",
                "rich",
                "pydantic",
                "jinja2",
                "ruamel",
                "docker",
                "jsonschema",
                "dataclasses",
                "inspect",
            },
        ),
        # a plain file (no deploy, no networks, a plain name, no memory limit) needs no runtime facts
        (["lint", "docker-compose.yml"], {"composegen.facts"}),
        (["--help"], {"yaml", *HEAVY}),
        # typer itself coerces options through pydantic: a typer command always imports it
        (["render", "--help"], HEAVY),
        # explain plans through the render layout, but writes no header: no templates
        (["explain", "--profile", "prod", "--format", "json"], {"jinja2"}),
    ],
)
def test_a_command_imports_only_what_it_uses(tmp_path: Path, args: list[str], never: set[str]) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n")
    assert loaded_by(args, tmp_path) & never == set()
