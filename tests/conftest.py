"""Shared test helpers: the repo root, the shared corpus, and small builders for sizing inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.profiles.models import Profile, ServiceSpec
from composegen.sizing.model import BaseService, ServiceInputs

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
EXAMPLES = REPO / "examples"


@pytest.fixture
def repo() -> Path:
    return REPO


def make_inputs(
    role: str,
    *,
    name: str = "svc",
    image: str | None = None,
    command: str | None = None,
    has_healthcheck: bool = False,
    **spec: object,
) -> ServiceInputs:
    """ServiceInputs for a calculator test, with `spec` as composegen.yaml would give it."""
    from composegen.sizing.catalog import footprint

    parsed = ServiceSpec.model_validate(spec)
    models = tuple(footprint(m, "test") for m in parsed.models)
    return ServiceInputs(
        name=name,
        role=role,
        role_reason="test",
        spec=parsed,
        base=BaseService(name=name, image=image, command=command, has_healthcheck=has_healthcheck),
        models=models,
    )


def make_profile(**fields: object) -> Profile:
    return Profile.model_validate({"name": "test", **fields})
