"""Interpolation and `.env` files: a table of cases, checked against our expectation and
against what compose v2 `config` makes of the same text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from composegen.compose.interpolate import (
    cast_value,
    interpolate,
    parse_env_text,
    project_environment,
    read_env_file,
    substitute,
)
from composegen.compose.oracle import OracleError, run_config
from composegen.compose.tree import SDict, SList, plain
from composegen.errors import InputError
from composegen.yamlio import Tagged, Timestamp, quote

ENV = {"SET": "val", "EMPTY": "", "lower": "lo", "NUM": "8080"}

#: (template, result); every one resolves without an error issue.
RESOLVES: list[tuple[str, str]] = [
    ("plain text", "plain text"),
    ("${SET}", "val"),
    ("$SET", "val"),
    ("${UNSET:-def}", "def"),
    ("${EMPTY:-def}", "def"),
    ("${SET:-def}", "val"),
    ("${EMPTY-def}", ""),
    ("${UNSET-def}", "def"),
    ("${SET:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${UNSET:+alt}", ""),
    ("$$SET", "$SET"),
    ("$$$SET", "$val"),
    ("$${SET}", "${SET}"),
    ("${UNSET:-${SET:-x}}", "val"),
    ("${UNSET:-${UNSET2:-x}}y", "xy"),
    ("${UNSET:-${SET:-${X:-d}}}", "val"),
    ("${UNSET:-x${SET}y}z", "xvalyz"),
    ("a${SET}b$SET.c", "avalbval.c"),
    ("${UNSET:-a}}", "a}"),
    ("${UNSET:-{x}}", "{x}"),
    ("${SET}}", "val}"),
    ("${SET:-a}b}", "valb}"),
    ("$1abc", "$1abc"),
    ("$ alone", "$ alone"),
    ("end$", "end$"),
    ("${SET:-a-b}", "val"),
    ("${UNSET:-a:-b}", "a:-b"),
    ("${UNSET:-a?b}", "a?b"),
    ("${UNSET:-a?b:-c}", "a?b:-c"),
    ("${A-x:?y}", "x:?y"),
    ("${SET+x-y}", "x-y"),
    ("${SET:+x?y}", "x?y"),
    ("${SET:+a:-b}", "a:-b"),
    ("${SET?err}", "val"),
    ("${EMPTY?err}", ""),
    ("${SET:?err}", "val"),
    ("${SET:?${UNSET:-m}}", "val"),
    ("${UNSET:-}", ""),
    ("${UNSET:-}x", "x"),
    ("${UNSET:-$SET}", "val"),
    ("${UNSET:-$$}", "$"),
    ("${UNSET:-$}", "$"),
    ("$SET-x", "val-x"),
    ("$SET$SET", "valval"),
    ("${lower}", "lo"),
    ("${SET-}", "val"),
    ("${UNSET:+${SET}}", ""),
    ("${SET:+${UNSET:-q}}", "q"),
    ("${UNSET}", ""),
    ("$UNSET", ""),
    ("${EMPTY}", ""),
]

#: (template, issue kind, text of the message); compose refuses each of them.
FAILS: list[tuple[str, str, str]] = [
    ("${UNSET:?need it}", "required", "required variable UNSET is missing a value: need it"),
    ("${EMPTY:?need it}", "required", "required variable EMPTY is missing a value: need it"),
    ("${UNSET?need it}", "required", "required variable UNSET is missing a value: need it"),
    ("${UNSET:?}", "required", "required variable UNSET is missing a value"),
    ("${UNSET:?a-b}", "required", "required variable UNSET is missing a value: a-b"),
    ("${UNSET:?${SET}}", "required", "required variable UNSET is missing a value: val"),
    ("${SET:-${UNSET:?x}}", "required", "required variable UNSET is missing a value: x"),
    ("${SET:+${UNSET:?x}}", "required", "required variable UNSET is missing a value: x"),
    ("${", "invalid", "invalid interpolation format"),
    ("${SET", "invalid", "invalid interpolation format"),
    ("${SET:-x", "invalid", "invalid interpolation format"),
    ("${}", "invalid", "invalid interpolation format"),
    ("${1A}", "invalid", "invalid interpolation format"),
    ("${A B}", "invalid", "invalid interpolation format"),
    ("${SET:x}", "invalid", "invalid interpolation format"),
    ("${SET:=x}", "invalid", "invalid interpolation format"),
    ("${SET.x}", "invalid", "invalid interpolation format"),
    ("${UNSET:-${SET}", "invalid", "invalid interpolation format"),
    ("${UNSET:-a${}", "invalid", "invalid interpolation format"),
]


@pytest.mark.parametrize(("template", "expected"), RESOLVES)
def test_substitute(template: str, expected: str) -> None:
    issues: list[Any] = []
    assert substitute(template, ENV, issues=issues) == expected
    assert [i for i in issues if i.is_error] == []


@pytest.mark.parametrize(("template", "kind", "message"), FAILS)
def test_substitute_records_errors_without_raising(template: str, kind: str, message: str) -> None:
    issues: list[Any] = []
    assert substitute(template, ENV, issues=issues) == template  # left as written
    assert any(i.kind == kind and message in i.message for i in issues), issues


@pytest.mark.parametrize("template", ["${UNSET}", "$UNSET", "a${UNSET}b"])
def test_unset_variables_are_recorded_as_warnings(template: str) -> None:
    issues: list[Any] = []
    substitute(template, ENV, issues=issues)
    assert [(i.kind, i.name, i.is_error) for i in issues] == [("unset", "UNSET", False)]
    assert issues[0].message == 'The "UNSET" variable is not set. Defaulting to a blank string.'


@pytest.mark.parametrize("template", ["${UNSET:-x}", "${UNSET-x}", "${UNSET:+x}", "${UNSET+x}"])
def test_defaults_do_not_warn(template: str) -> None:
    issues: list[Any] = []
    substitute(template, ENV, issues=issues)
    assert issues == []


def test_interpolate_walks_values_not_keys_and_keeps_origins() -> None:
    from composegen.compose.tree import Origin

    where = Origin("c.yml", 4, 5)
    data = SDict(
        {
            "services": SDict(
                {
                    "${SET}": SDict(
                        {"image": "app:${TAG:-1}", "command": SList(["$SET", 3], [where, None])}, {"image": where}
                    )
                }
            )
        }
    )
    result = interpolate(data, ENV)
    service = result.value["services"]["${SET}"]
    assert plain(service) == {"image": "app:1", "command": ["val", 3]}
    assert service.origins["image"] == where
    assert service["command"].origins[0] == where
    assert result.issues == []


def test_interpolate_records_the_path_and_origin_of_an_issue() -> None:
    from composegen.compose.tree import Origin

    where = Origin("c.yml", 7, 9)
    data = SDict({"x-a": SDict({"b": "${NOPE:?set NOPE}"}, {"b": where})})
    result = interpolate(data, {})
    (issue,) = result.errors
    assert (issue.path, issue.origin, issue.where()) == (("x-a", "b"), where, "c.yml:7")


def test_strict_raises_the_first_error_as_one_line() -> None:
    with pytest.raises(InputError, match="required variable NOPE is missing a value: set NOPE"):
        interpolate({"a": "${NOPE:?set NOPE}"}, {}, strict=True)
    assert interpolate({"a": "${NOPE}"}, {}, strict=True).value == {"a": ""}


def test_interpolate_goes_inside_reset_and_override_tags() -> None:
    value = interpolate({"a": Tagged("!override", ["${SET}"])}, ENV).value
    assert value == {"a": Tagged("!override", ["val"])}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("services", "a", "healthcheck", "retries"), "3", 3),
        (("services", "a", "read_only"), "true", True),
        (("services", "a", "read_only"), "yes", True),
        (("services", "a", "privileged"), "off", False),
        (("services", "a", "cpus"), "1.5", 1.5),
        (("services", "a", "ports", 0, "target"), "80", 80),
        (("services", "a", "ports", 0, "published"), "8080", "8080"),
        (("services", "a", "ulimits", "nofile"), "1024", 1024),
        (("services", "a", "ulimits", "nofile", "soft"), "1024", 1024),
        (("services", "a", "deploy", "replicas"), "2", 2),
        (("networks", "n", "external"), "false", False),
        (("services", "a", "read_only"), "maybe", "maybe"),
        (("services", "a", "healthcheck", "retries"), "", ""),
        (("services", "a", "healthcheck", "retries"), " 3", " 3"),
        (("services", "a", "image"), "3", "3"),
        (("services", "a", "read_only"), True, True),
    ],
)
def test_cast_value(path: tuple[Any, ...], value: Any, expected: Any) -> None:
    assert cast_value(path, value) == expected


# --- .env files ---------------------------------------------------------------------------------

#: (.env text, process environment, variables read). The process environment overrides the
#: file in `project_environment`; here it only feeds `${...}` and bare `KEY` lines.
ENV_FILES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("A=1\nB=two\n", {}, {"A": "1", "B": "two"}),
    ("# comment\n\n  A=1\n", {}, {"A": "1"}),
    ("export B=two\n", {}, {"B": "two"}),
    ("C = spaced  \n", {}, {"C": "spaced"}),
    ('D="double # not a comment"\n', {}, {"D": "double # not a comment"}),
    ("E='single ${A} $A'\nA=1\n", {}, {"E": "single ${A} $A", "A": "1"}),
    ('A=1\nF="exp ${A} $A \\n nl"\n', {}, {"A": "1", "F": "exp 1 1 \n nl"}),
    ("A=1\nG=unq ${A} # comment\n", {}, {"A": "1", "G": "unq 1"}),
    ("H=unq#nocomment\n", {}, {"H": "unq#nocomment"}),
    ("I=\n", {}, {"I": ""}),
    ("J\n", {"J": "from-shell"}, {"J": "from-shell"}),
    ("J\n", {}, {}),
    ('K="multi\nline"\n', {}, {"K": "multi\nline"}),
    ("L: yaml\n", {}, {"L": "yaml"}),
    ('N="esc \\" quote"\n', {}, {"N": 'esc " quote'}),
    ("O=${UNSET_X:-dflt}\n", {}, {"O": "dflt"}),
    ("A=1\nB=2\nP=${A}${B}\n", {}, {"A": "1", "B": "2", "P": "12"}),
    ('Q="tab\\tx"\n', {}, {"Q": "tab\tx"}),
    ("R=a=b\n", {}, {"R": "a=b"}),
    ("U='x' # c\nV=\"x\" # c\n", {}, {"U": "x", "V": "x"}),
    ("W=trailing space   \n", {}, {"W": "trailing space"}),
    ("X=$$A\n", {}, {"X": "$A"}),
    ("Y=${SHELLVAR}\n", {"SHELLVAR": "sv"}, {"Y": "sv"}),
    ("A=file\nB=${A}\n", {"A": "shell"}, {"A": "file", "B": "shell"}),
    ('B="bs \\\\ dq \\" dol \\$x \\a sq \\\' nl\\n"\n', {}, {"B": "bs \\ dq \" dol $x \a sq \\' nl\n"}),
    ("C='sq \\n \\t'\n", {}, {"C": "sq \\n \\t"}),
    ('O="\\0101\\012"\n', {}, {"O": "A\\12"}),
    ("A=1\r\nB=2\r\n", {}, {"A": "1", "B": "2"}),
    ("k.e-y[0]=v\n", {}, {"k.e-y[0]": "v"}),
]


@pytest.mark.parametrize(("text", "shell", "expected"), ENV_FILES)
def test_parse_env_text(text: str, shell: dict[str, str], expected: dict[str, str]) -> None:
    assert parse_env_text(text, ".env", shell) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A B=1\n", "cannot contain a space"),
        ("A'x=1\n", "unexpected character"),
        ('A="unterminated\n', "unterminated quoted value"),
        ("A=${NOPE:?needed}\n", "required variable NOPE"),
    ],
)
def test_parse_env_text_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_env_text("X=1\n" + text, "proj/.env")
    assert caught.value.where == "proj/.env:2"


def test_read_env_file_and_project_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=file\nB=file\nC=${A}\n", encoding="utf-8")
    assert read_env_file(tmp_path / ".env") == {"A": "file", "B": "file", "C": "file"}
    assert project_environment(tmp_path, {"A": "shell"}) == {"A": "shell", "B": "file", "C": "shell"}
    assert project_environment(tmp_path / "nowhere", {"A": "shell"}) == {"A": "shell"}
    other = tmp_path / "other.env"
    other.write_text("B=other\n", encoding="utf-8")
    assert project_environment(tmp_path, {}, [other]) == {"B": "other"}
    with pytest.raises(InputError, match="file not found"):
        project_environment(tmp_path, {}, [tmp_path / "missing.env"])


# --- against compose v2 -------------------------------------------------------------------------


def _compose_file(values: dict[str, str]) -> str:
    lines = ["services:", "  a:", "    image: busybox", "    environment:"]
    lines += [f"      {key}: {quote(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.oracle
def test_resolved_templates_match_compose(tmp_path: Path, compose_bin: tuple[str, ...]) -> None:
    values = {f"E{i}": template for i, (template, _) in enumerate(RESOLVES)}
    (tmp_path / "compose.yml").write_text(_compose_file(values), encoding="utf-8")
    result = run_config([tmp_path / "compose.yml"], env=ENV)
    theirs = result.data["services"]["a"]["environment"]
    ours = {key: substitute(template, ENV) for key, template in values.items()}
    assert ours == theirs
    unset = {w.split('"')[1] for w in result.warnings if "variable is not set" in w}
    issues: list[Any] = []
    for template in values.values():
        substitute(template, ENV, issues=issues)
    assert {i.name for i in issues if i.kind == "unset"} == unset


@pytest.mark.oracle
@pytest.mark.parametrize(("template", "kind", "message"), FAILS)
def test_failing_templates_are_refused_by_compose(
    template: str, kind: str, message: str, tmp_path: Path, compose_bin: tuple[str, ...]
) -> None:
    (tmp_path / "compose.yml").write_text(_compose_file({"E": template}), encoding="utf-8")
    expected = message if kind == "required" else "invalid interpolation format"
    with pytest.raises(OracleError, match=expected.replace("$", r"\$")):
        run_config([tmp_path / "compose.yml"], env=ENV)


@pytest.mark.oracle
@pytest.mark.parametrize(("text", "shell", "expected"), ENV_FILES)
def test_env_files_match_compose(
    text: str, shell: dict[str, str], expected: dict[str, str], tmp_path: Path, compose_bin: tuple[str, ...]
) -> None:
    (tmp_path / ".env").write_text(text, encoding="utf-8")
    names = sorted(n for n in set(expected) | set(shell) | {"J"} if re.fullmatch(r"[A-Za-z_]\w*", n))
    probe = {f"V{i}": f"${{{name}-<unset>}}" for i, name in enumerate(names)}
    (tmp_path / "compose.yml").write_text(_compose_file(probe), encoding="utf-8")
    result = run_config([tmp_path / "compose.yml"], env=shell)
    theirs = result.data["services"]["a"]["environment"]
    ours = project_environment(tmp_path, shell)
    for index, name in enumerate(names):
        assert (name, ours.get(name, "<unset>")) == (name, theirs[f"V{index}"])


def test_cases_are_printable() -> None:
    json.dumps([RESOLVES, FAILS, ENV_FILES])


def test_parts_with_nothing_to_substitute_or_cast_are_returned_as_they_are() -> None:
    """Containers are rebuilt only where something changed: a mapping no cast reaches, holding
    text without `$`, numbers, booleans, null and a date, is the very same object afterwards."""
    quiet = SDict({"a": "x", "b": 1, "c": True, "d": 1.5, "e": None, "f": Timestamp("2001-12-14"), "g": SList(["y"])})
    data = SDict({"services": SDict({"web": SDict({"labels": quiet, "environment": SDict({"A": "${A}"})})})})
    result = interpolate(data, {"A": "1"}).value
    web = result["services"]["web"]
    assert web["labels"] is quiet
    assert web["environment"] == {"A": "1"}
    assert interpolate(quiet, {}).value is quiet
