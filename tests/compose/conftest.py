"""Fixtures for the compose tests: the corpus and the compose v2 oracle."""

from __future__ import annotations

from pathlib import Path

import pytest
from compose_testlib import CORPUS

from composegen.compose import oracle


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the corpus is missing: {CORPUS}"
    return CORPUS


@pytest.fixture(scope="session")
def compose_bin() -> tuple[str, ...]:
    """The compose v2 command; oracle tests fail (not skip) when there is none."""
    return oracle.compose_command()
