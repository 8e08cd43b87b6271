"""`composegen profiles show`: a profile as a person writes one, sizes as `32M` and durations as
`1m30s` (model_dump gives bytes and seconds; the render digest keeps reading those); and
`composegen profiles list`'s names and descriptions."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, NamedTuple, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from composegen.profiles.types import ByteSize, Duration
from composegen.units import format_bytes, format_duration


def _duration(seconds: float) -> str:
    if seconds == 0:
        return "0s"
    if seconds < 1 or float(seconds).is_integer():
        return format_duration(seconds)
    return f"{seconds:g}s"  # 1.5s: format_duration rounds up to whole seconds


def _value(hint: Any, value: Any) -> Any:
    if value is None or hint is None:
        return value
    if hint == ByteSize:
        return format_bytes(value)
    if hint == Duration:
        return _duration(value)
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return next((_value(a, value) for a in args if a is not type(None)), value)
    if isinstance(hint, type) and issubclass(hint, BaseModel) and isinstance(value, dict):
        return _fields(hint, value)
    if origin in (tuple, list) and isinstance(value, list) and args:
        return [_value(args[0], v) for v in value]
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {k: _value(args[1], v) for k, v in value.items()}
    return value


def _fields(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(model, include_extras=True)
    return {key: _value(hints.get(key), value) for key, value in data.items()}


def readable(model: BaseModel) -> dict[str, Any]:
    """`model.model_dump(mode="json")`, with every size and duration written as compose takes it."""
    return _fields(type(model), model.model_dump(mode="json"))


class ShownProfile(NamedTuple):
    files: tuple[str, ...]  # the profile file first, then what it extends
    data: dict[str, Any]  # the profile as a person writes one (see `readable`)


def show_profile(name: str, cwd: Path) -> ShownProfile:
    """`composegen profiles show NAME`: a bundled name or a path, or a profile that the
    composegen.yaml in `cwd` defines, with everything it extends resolved."""
    from composegen.profiles.loader import load_profile

    here = cwd / "composegen.yaml"
    loaded = load_profile(name, cwd, here if here.is_file() else None)
    return ShownProfile(loaded.files, readable(loaded.profile))


def bundled_descriptions(cwd: Path) -> list[tuple[str, str]]:
    """`composegen profiles list`: each bundled profile's name and description."""
    from composegen.profiles.loader import bundled_profiles, load_profile

    return [(name, load_profile(name, cwd).profile.description) for name in bundled_profiles()]
