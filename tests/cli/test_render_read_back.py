"""Render checks the overlay it writes from the overlay's data (`yamlio.read_back`), not by
parsing the text back: what the data reads back as must be what the text reads as, for every
example and target; and a problem the check finds is reported as the parsed text reports it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from composegen.errors import ValidationError
from composegen.render.layout import OVERLAY, overlay_written
from composegen.render.overlay import Planned, check_overlay, overlay_context, plan
from composegen.yamlio import dump, parse_document, read_back
from tests.conftest import EXAMPLE_CASES, EXAMPLES
from tests.test_yamlio import _typed


@pytest.mark.parametrize(("name", "profile"), EXAMPLE_CASES)
def test_the_overlay_data_reads_back_as_its_text(name: str, profile: str, tmp_path: Path) -> None:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root)
    planned = plan(profile, None, root)
    data, text = overlay_written(overlay_context(planned, root / "overlay.yml"))
    assert _typed(read_back(data, "o.yml").data) == _typed(parse_document(text, "o.yml").data)


def _refused_alike(data: dict[str, Any], planned: Planned, out: Path) -> str:
    """The one line check_overlay refuses the overlay of `data` with, the same whether it checks
    the data or parses the text."""
    text = dump(data, layout=OVERLAY)
    errors = []
    for given in (data, None):
        with pytest.raises(ValidationError) as raised:
            check_overlay(text, planned, out, data=given)
        errors.append(raised.value.one_line())
    assert errors[0] == errors[1]
    return errors[0]


def test_a_problem_in_the_data_is_reported_at_the_line_of_the_text(tmp_path: Path) -> None:
    root = tmp_path / "smoke"
    shutil.copytree(EXAMPLES / "smoke", root)
    planned = plan("prod", None, root)
    out = root / "overlay.yml"
    data, _ = overlay_written(overlay_context(planned, out))
    service = next(iter(data["services"].values()))
    service["deploy"]["replicas"] = "many"  # what compose refuses
    error = _refused_alike(data, planned, out)
    assert "overlay.yml:" in error and "replicas" in error


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("deploy", "replicas"), "many"),  # the schema refuses it
        (("deploy", "resources", "limits", "cpus"), "lots"),  # compose's reading refuses it
        (("frobnicate",), 1),  # a key compose does not know
        (("read_only",), "maybe"),
        (("healthcheck", "interval"), "soon"),
        (("environment",), ["A =1"]),
    ],
)
def test_the_check_of_what_changed_refuses_what_the_whole_check_refuses(
    path: tuple[str, ...], value: object, tmp_path: Path
) -> None:
    """The data's check validates only what the overlay changed over a base that validates
    (`schema.valid_over`); on the last service too, after services whose values it has seen."""
    root = tmp_path / "smoke"
    shutil.copytree(EXAMPLES / "smoke", root)
    planned = plan("prod", None, root)
    assert planned.base_valid
    out = root / "overlay.yml"
    data, text = overlay_written(overlay_context(planned, out))
    check_overlay(text, planned, out, data=data)  # as written: valid
    node = list(data["services"].values())[-1]
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    _refused_alike(data, planned, out)
