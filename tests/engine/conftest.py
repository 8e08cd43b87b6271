"""The engine tests: fixtures and the skip guard come from tests/engine/plugin.py."""

from __future__ import annotations

import pytest

PLUGIN = "tests.engine.plugin"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
