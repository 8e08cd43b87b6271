"""Shared test helpers: the repo root, the shared corpus, and small builders for sizing inputs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from composegen.profiles.models import Profile, ServiceSpec
from composegen.sizing.model import BaseService, ServiceInputs
from composegen.sizing.quantity import Quantity

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


def leaves(q: Quantity) -> Iterator[Quantity]:
    """The inputs and constants at the bottom of a derivation tree."""
    if not q.parts:
        yield q
    for part in q.parts:
        yield from leaves(part)
