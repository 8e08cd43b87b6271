"""Pydantic field types for compose units: a size or duration in any compose form, held as a number."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

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
