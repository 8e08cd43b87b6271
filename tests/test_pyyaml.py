"""composegen.pyyaml: the pattern it seeds for PyYAML's reader matches exactly what PyYAML's does."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from composegen.pyyaml import NON_PRINTABLE, PYYAML_NON_PRINTABLE

PROBE = """
import composegen.yamlio, yaml.reader
print(yaml.reader.Reader.NON_PRINTABLE.pattern == composegen.pyyaml.NON_PRINTABLE)
"""


def test_the_seeded_pattern_matches_the_same_code_points_as_pyyamls() -> None:
    ours, theirs = re.compile(NON_PRINTABLE), re.compile(PYYAML_NON_PRINTABLE)
    text = "".join(map(chr, range(sys.maxunicode + 1)))
    assert [m.start() for m in ours.finditer(text)] == [m.start() for m in theirs.finditer(text)]


def test_pyyamls_reader_still_writes_the_pattern_we_seed() -> None:
    import yaml.reader

    source = yaml.reader.__file__
    assert source is not None
    written = Path(source).read_text(encoding="utf-8")
    # the pattern is written with \x/\u escapes in a plain string literal: compare what it means
    found = re.search(r"NON_PRINTABLE = re\.compile\(('[^']*')\)", written)
    assert found is not None
    assert ast.literal_eval(found.group(1)) == PYYAML_NON_PRINTABLE


def test_a_fresh_process_reads_with_the_seeded_pattern() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize(
    "text",
    ["services:\n  web:\n    image: nginx\n", "a: \u00e9\u4e2d\U0001f600\n"],
)
def test_printable_text_still_reads(text: str) -> None:
    from composegen.yamlio import parse_document

    assert parse_document(text, "t.yml") is not None


def test_a_control_character_is_still_refused() -> None:
    from composegen.errors import InputError
    from composegen.yamlio import parse_document

    with pytest.raises(InputError):
        parse_document("a: b\x07\n", "t.yml")
