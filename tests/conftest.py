"""Shared test helpers: the repo root, the shared corpus, and small builders for sizing inputs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from composegen.profiles.models import Profile, ServiceSpec
from composegen.sizing.model import BaseService, ServiceInputs
from composegen.sizing.quantity import Quantity

#: The engine fixtures and the guard that fails a skipped engine test under CI, for every test folder.
pytest_plugins = ("tests.engine.plugin",)

REPO = Path(__file__).resolve().parent.parent


def shared_folder() -> Path:
    """The project's shared folder (the corpus of real compose files): `COMPOSEGEN_SHARED` where
    set, else ../shared beside this checkout, else beside the checkout it was cloned from (a clone
    made in a temporary folder: git's `remote.origin.url`, where that is a local path)."""
    if os.environ.get("COMPOSEGEN_SHARED"):
        return Path(os.environ["COMPOSEGEN_SHARED"])
    beside = REPO.parent / "shared"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "config", "--get", "remote.origin.url"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    if origin and (REPO / origin).resolve().is_dir():
        return (REPO / origin).resolve().parent / "shared"
    return beside


SHARED = shared_folder()
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


def example_profile(folder: Path) -> str:
    """The profile an example is rendered with: the one its golden overlay names
    (`docker-compose.<profile>.yml`), else its folder's name."""
    for path in sorted(folder.glob("docker-compose.*.yml")):
        return path.name.removeprefix("docker-compose.").removesuffix(".yml")
    return folder.name


#: (example folder name, profile) for every example.
EXAMPLE_CASES = sorted((p.name, example_profile(p)) for p in EXAMPLES.iterdir() if (p / "composegen.yaml").is_file())
