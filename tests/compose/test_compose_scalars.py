"""Plain scalars as compose v2 reads them: composegen's reader (composegen.yamlio) against the real
compose `config`. compose-go reads YAML with yaml.v3, whose numbers are Go's (`1_000`, `0b1010`,
`0X1F`, `+0x10`, `010` octal, ...), not the YAML 1.2 spec's: where composegen read such a value as
text, lint said clean and compose refused the file."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen.compose import oracle
from composegen.compose.syntax import go_format
from composegen.yamlio import Timestamp, parse_document

pytestmark = pytest.mark.oracle

#: compose refuses a timestamp (`2001-12-14`, read as a Go time) in any checked place: left out
#: of the number properties, checked by the date property below.
_TIMESTAMP_START = re.compile(r"[0-9]{4}-")


def _compose(tmp_path: Path, text: str) -> dict[str, Any] | None:
    """compose `config` of one file: its model, or None where compose refuses the file."""
    path = tmp_path / "docker-compose.yml"
    path.write_text(text, encoding="utf-8")
    done = oracle.run(oracle.config_args([path], project_name="p"), env={"PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        return None
    model: dict[str, Any] = json.loads(done.stdout)
    return model


def _printed(value: Any) -> str | None:
    """An environment value as compose's model holds it (null: no value)."""
    return None if value is None else go_format(value)


def test_thousands_of_plain_values_read_as_compose_reads_them(compose_bin: tuple[str, ...], tmp_path: Path) -> None:
    """Random number-like words, all in one file: the environment value compose prints is the
    value composegen read, printed as Go prints it (a string as written, `010` as 8, ...)."""
    rng = random.Random(12)
    alphabet = "0123456789+-._eExXoObBaAfFinN"
    words = ["1_000", "0b1010", "0X1F", "+0x10", "010", "08", ".5_5", "0b-101", "0o+17", "+_1", "1e21", "-0.0"]
    words += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    words = [w for w in dict.fromkeys(words) if w != "-" and not _TIMESTAMP_START.match(w)]
    text = "services:\n  a:\n    image: x\n    environment:\n"
    text += "".join(f"      V{i}: {word}\n" for i, word in enumerate(words))
    model = _compose(tmp_path, text)
    assert model is not None
    printed = model["services"]["a"]["environment"]
    read = parse_document(text, "docker-compose.yml").data["services"]["a"]["environment"]
    pairs = {word: (printed[f"V{i}"], read[f"V{i}"]) for i, word in enumerate(words)}
    wrong = {word: pair for word, pair in pairs.items() if pair[0] != _printed(pair[1])}
    assert not wrong


#: Each example runs compose once or twice: a few dozen keep the file within seconds.
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples every run: a failure reproduces, CI does not flake
)
SIGN = st.sampled_from(["", "", "+", "-"])
PREFIX = st.sampled_from(["", "", "0", "0x", "0X", "0o", "0O", "0b", "0B", ".", "_"])
BODY = st.text(alphabet="0123456789_.eE+-abcfABCF", min_size=1, max_size=10)
NUMBER_LIKE = st.builds(lambda *parts: "".join(parts), SIGN, PREFIX, BODY).filter(
    lambda word: word != "-" and not _TIMESTAMP_START.match(word)  # `V: -` is a list, not a scalar
)


@SETTINGS
@given(word=NUMBER_LIKE)
def test_a_number_like_value_is_a_number_exactly_where_compose_reads_one(
    compose_bin: tuple[str, ...], tmp_path: Path, word: str
) -> None:
    """Where compose requires a string (hostname) it takes the value iff composegen reads
    text; where it requires a number (a network's priority) iff composegen reads a number; and
    the value it prints is the one composegen read."""
    base = f"services:\n  a:\n    image: x\n    environment:\n      V: {word}\n"
    read = parse_document(base, "docker-compose.yml").data["services"]["a"]["environment"]["V"]
    as_text = _compose(tmp_path, base + f"    hostname: {word}\n")
    as_number = _compose(tmp_path, base + f"    networks:\n      default:\n        priority: {word}\n")
    is_number = isinstance(read, (int, float)) and not isinstance(read, bool)
    assert (as_text is not None) == isinstance(read, str), (word, read)
    assert (as_number is not None) == is_number, (word, read)
    for model in (as_text, as_number):
        if model is not None:
            assert model["services"]["a"]["environment"]["V"] == _printed(read), (word, read)


TWO_DIGITS = st.integers(0, 99).map(str) | st.integers(0, 99).map("{:02d}".format)
DATE = st.builds("{}-{}-{}".format, st.integers(1899, 2101), TWO_DIGITS, TWO_DIGITS)
CLOCK = st.builds("{}:{}:{}".format, TWO_DIGITS, TWO_DIGITS, TWO_DIGITS)
FRACTION = st.sampled_from(["", "", ".5", ",25", ".123456789012", "."])
ZONE = st.sampled_from(["", "Z", "z", "+05:00", "-24:00", "+25:00", "+01:60", "+01:61", "-0500"])
SEPARATOR = st.sampled_from(["T", "t", " ", "  ", "_"])
DATE_LIKE = DATE | st.builds("{}{}{}{}{}".format, DATE, SEPARATOR, CLOCK, FRACTION, ZONE)


@SETTINGS
@given(word=DATE_LIKE)
def test_a_date_like_value_is_a_timestamp_exactly_where_compose_reads_one(
    compose_bin: tuple[str, ...], tmp_path: Path, word: str
) -> None:
    """compose-go reads `2001-12-14` (and a date with a time and zone) as a Go time, which no place
    its schema checks takes: composegen reads a `Timestamp` exactly there, and text elsewhere."""
    text = f"services:\n  a:\n    image: x\n    hostname: {word}\n"
    read = parse_document(text, "docker-compose.yml").data["services"]["a"]["hostname"]
    model = _compose(tmp_path, text)
    assert (model is None) == isinstance(read, Timestamp), (word, type(read))
