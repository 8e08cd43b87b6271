"""Values full of YAML and shell syntax never break the overlay: re-parsed, they are what was given."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from composegen.compose import oracle
from composegen.render.overlay import render
from composegen.yamlio import parse_document, quote
from tests.conftest import EXAMPLES

VALUES = [
    "with: colon",
    "# not a comment",
    "quote \" and ' both",
    "two\nlines",
    "tab\there",
    "ünïcødé ✓ 🎉",
    "yes",
    "0777",
    "- dash",
    "{brace: x}",
    "[list]",
    "trailing space ",
    "",
    "*alias",
    "&anchor",
    "!tag",
    "% percent",
    "@at",
    "`backtick`",
    "\\back\\slash",
]


@pytest.mark.oracle
def test_hostile_environment_values_survive_render_and_compose(tmp_path: Path) -> None:
    folder = tmp_path / "stack"
    shutil.copytree(EXAMPLES / "dev", folder)
    (folder / "docker-compose.dev.yml").unlink()
    env = "\n".join(f"      V{i}: {quote(v)}" for i, v in enumerate(VALUES))
    (folder / "composegen.yaml").write_text(f"services:\n  web.app-1:\n    environment:\n{env}\n")
    base = (folder / "docker-compose.yml").read_text().replace("  web:\n", "  web.app-1:\n")
    (folder / "docker-compose.yml").write_text(base)
    result = render("dev", None, folder)
    overlay = parse_document(result.text, "overlay").data
    written = overlay["services"]["web.app-1"]["environment"]
    assert [written[f"V{i}"] for i in range(len(VALUES))] == VALUES
    result.output.write_text(result.text)
    merged = oracle.run_config(
        [folder / "docker-compose.yml", result.output], project_dir=folder, env={"PATH": "/usr/bin:/bin"}
    )
    applied = merged.data["services"]["web.app-1"]["environment"]
    assert [applied[f"V{i}"] for i in range(len(VALUES))] == VALUES
