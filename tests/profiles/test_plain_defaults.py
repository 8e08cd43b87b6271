"""The pydantic-free settings lint sizes with are generated from the models and hold exactly what
the models would, read-only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from composegen.profiles.models import MemoryPolicy, Profile, RolePolicy, ServiceSpec
from composegen.profiles.plain import (
    GENERATED,
    REGENERATE,
    default_spec,
    generated_text,
    neutral_model,
    neutral_profile,
)

REPO = Path(__file__).resolve().parents[2]


def _dump(value: Any) -> Any:
    """A namespace, or a model with every field (excluded ones too), as plain dicts."""
    if isinstance(value, SimpleNamespace):
        return {k: _dump(v) for k, v in vars(value).items()}
    if isinstance(value, BaseModel):
        return {name: _dump(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    return value


def test_the_generated_file_is_current() -> None:
    written = (REPO / GENERATED).read_text(encoding="utf-8")
    assert written == generated_text(), f"regenerate it: {REGENERATE}"


def test_the_neutral_profile_is_the_model_with_the_neutral_memory_policy() -> None:
    model = Profile(name="lint", memory=MemoryPolicy(margin=1.0, minimum=0))
    assert neutral_model() == model
    assert _dump(neutral_profile()) == _dump(model)
    assert _dump(neutral_profile())["memory"]["maximum"] is None  # a field model_dump leaves out is there too


def test_every_role_policy_is_the_models() -> None:
    for role in ("postgres", "redis", "generic"):
        assert _dump(neutral_profile().role(role)) == _dump(neutral_model().role(role)) == _dump(RolePolicy())


def test_the_default_service_spec_is_the_models() -> None:
    assert _dump(default_spec()) == _dump(ServiceSpec())


def test_the_shared_settings_are_read_only() -> None:
    spec, profile = default_spec(), neutral_profile()
    with pytest.raises(AttributeError):
        spec.workers = 4  # type: ignore[misc]
    with pytest.raises(AttributeError):
        profile.memory.margin = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.environment["X"] = "1"  # type: ignore[index]
    assert default_spec().workers is None and neutral_profile().memory.margin == 1.0


def test_calculators_size_alike_with_the_plain_defaults_and_the_models() -> None:
    from composegen.resolve import resolve_services
    from composegen.sizing.roles import CALCULATORS

    services = {
        "db": {"image": "postgres:16.4", "environment": {"POSTGRES_PASSWORD": "x"}},
        "cache": {"image": "redis:7.2"},
        "web": {"image": "python:3.12", "command": "gunicorn app:app -w 4"},
        "worker": {"image": "python:3.12", "command": ["celery", "-A", "app", "worker"]},
        "search": {"image": "elasticsearch:8.15.0"},
        "proxy": {"image": "nginx:1.27.1"},
        "jvm": {"image": "eclipse-temurin:21"},
        "other": {"image": "busybox:1.36"},
    }
    plain = resolve_services(services, {})
    models = resolve_services(services, {name: ServiceSpec() for name in services})
    model_profile = Profile(name="lint", memory=MemoryPolicy(margin=1.0, minimum=0))
    assert [i.role for i in plain] == [i.role for i in models]
    for with_plain, with_models in zip(plain, models, strict=True):
        calculate = CALCULATORS[with_plain.role]
        assert calculate(with_plain, neutral_profile()) == calculate(with_models, model_profile), with_plain.role
