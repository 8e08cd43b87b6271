"""The pydantic-free defaults lint sizes with hold exactly what the models would."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from composegen.profiles.models import MemoryPolicy, Profile, RolePolicy, ServiceSpec
from composegen.profiles.plain import default_spec, neutral_profile, profile_defaults, role_policy, spec_defaults


def _dump(value: Any) -> Any:
    """A namespace as the dict a model dumps to (nested namespaces too)."""
    if isinstance(value, SimpleNamespace):
        return {k: _dump(v) for k, v in vars(value).items()}
    return value


def test_neutral_profile_is_the_model_with_the_neutral_memory_policy() -> None:
    model = Profile(name="lint", memory=MemoryPolicy(margin=1.0, minimum=0))
    assert _dump(neutral_profile()) == model.model_dump()


def test_every_profile_default_is_the_models() -> None:
    assert _dump(profile_defaults("x")) == Profile(name="x").model_dump()
    assert _dump(role_policy()) == RolePolicy().model_dump()
    for role in ("postgres", "redis", "generic"):
        assert _dump(neutral_profile().role(role)) == Profile(name="lint").role(role).model_dump()


def test_the_default_service_spec_is_the_models() -> None:
    assert _dump(spec_defaults()) == ServiceSpec().model_dump()
    assert _dump(default_spec()) == ServiceSpec().model_dump()


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
