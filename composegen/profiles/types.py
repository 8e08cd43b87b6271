"""Pydantic field types for compose units: a size or duration in any compose form, held as a number."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from composegen.errors import UnitError
from composegen.units import parse_bytes, parse_duration, parse_params


def _as_value_error(func: Any, what: str) -> Any:
    def validate(value: object) -> object:
        try:
            return func(value, what=what)
        except UnitError as err:
            raise ValueError(f"{err.message}; {err.fix}") from None

    return validate


ByteSize = Annotated[
    int,
    BeforeValidator(_as_value_error(parse_bytes, "size")),
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "pattern": r"^\s*(\d+(\.\d+)?|\.\d+)\s*([bBkKmMgGtT]|[kKmMgGtT][bB]|[kKmMgGtT]i[bB])?\s*$",
            "description": "A size as compose writes it: 512M, 1.5g, 4gb, 1KiB, or bytes",
        }
    ),
]

Duration = Annotated[
    float,
    BeforeValidator(_as_value_error(parse_duration, "duration")),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": r"^((\d+(\.\d+)?)(us|ms|s|m|h|d))+$",
            "description": "A duration as compose writes it: 30s, 1m30s, 500ms, or seconds",
        }
    ),
]

Params = Annotated[
    float,
    BeforeValidator(_as_value_error(parse_params, "params")),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": r"^\s*\d+(\.\d+)?(e\d+)?\s*[kKmMbBtT]?\s*$",
            "description": "A parameter count: 125M, 1.7B, or a number",
        }
    ),
]


def _environment_name(name: str) -> str:
    """A variable name compose passes on as written: not empty, no `=` (compose splits
    `NAME=value` there), no trailing space (compose refuses one in an environment list, the form a
    base written as a list merges the overlay's variables into: see `environment_name_problem`)."""
    if not name.strip():
        raise ValueError("an environment variable needs a name")
    if "=" in name:
        raise ValueError(f"environment variable {name!r}: a name cannot hold `=`")
    from composegen.compose.schema import environment_name_problem  # lazy: rare, and loads little

    problem = environment_name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


def _environment_value(value: str) -> str:
    """A value as compose reads it from the overlay: `${NAME}` is filled in when the stack starts,
    `$$` is a literal `$`; a malformed `${` is refused (compose would refuse the overlay)."""
    if "${" in value:
        from composegen.compose.interpolate import VariableIssue, substitute  # lazy: rare

        issues: list[VariableIssue] = []
        substitute(value, {}, issues=issues)
        if any(issue.kind == "invalid" for issue in issues):
            raise ValueError("compose reads `${` as a variable and this one is malformed; write a literal $ as $$")
    return value


EnvironmentName = Annotated[str, AfterValidator(_environment_name)]
EnvironmentValue = Annotated[str, AfterValidator(_environment_value)]
