"""Render checks the overlay it writes from the overlay's data (`yamlio.read_back`), not by
parsing the text back: what the data reads back as must be what the text reads as, for every
example and target; and a problem the check finds is reported as the parsed text reports it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from composegen.errors import ValidationError
from composegen.render.layout import OVERLAY, overlay_written
from composegen.render.overlay import check_overlay, overlay_context, plan
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


def test_a_problem_in_the_data_is_reported_at_the_line_of_the_text(tmp_path: Path) -> None:
    root = tmp_path / "smoke"
    shutil.copytree(EXAMPLES / "smoke", root)
    planned = plan("prod", None, root)
    out = root / "overlay.yml"
    data, _ = overlay_written(overlay_context(planned, out))
    service = next(iter(data["services"].values()))
    service["deploy"]["replicas"] = "many"  # what compose refuses
    text = dump(data, layout=OVERLAY)
    errors = []
    for given in (data, None):
        with pytest.raises(ValidationError) as raised:
            check_overlay(text, planned, out, data=given)
        errors.append(raised.value.one_line())
    assert errors[0] == errors[1]
    assert "overlay.yml:" in errors[0] and "replicas" in errors[0]
