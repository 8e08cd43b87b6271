"""Write a pytest suite of N tests to a folder: test functions spread over modules, part of them
parametrized and using a fixture, as a real suite mixes them.

    python gen_suite.py DIR N
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS_PER_MODULE = 100
TEMPLATE_HEAD = """import pytest


@pytest.fixture
def record():
    return {{"module": {module}}}

"""
PLAIN = """
def test_plain_{i}(record):
    assert record["module"] == {module}
    assert {i} + 1 > {i}
"""
PARAMETRIZED = """

@pytest.mark.parametrize("value", range({count}))
def test_values_{i}(value, record):
    assert value >= 0 and record["module"] == {module}
"""


def module_text(module: int, tests: int) -> str:
    """A module of `tests` tests: half plain functions, half the items of one parametrized test."""
    plain = tests // 2
    parts = [TEMPLATE_HEAD.format(module=module)]
    parts += [PLAIN.format(i=i, module=module) for i in range(plain)]
    if tests - plain:
        parts.append(PARAMETRIZED.format(i=plain, count=tests - plain, module=module))
    return "".join(parts)


def write_suite(folder: Path, tests: int) -> int:
    """Write `tests` tests under `folder`; return how many modules."""
    folder.mkdir(parents=True, exist_ok=True)
    modules = 0
    left = tests
    while left > 0:
        count = min(TESTS_PER_MODULE, left)
        (folder / f"test_gen_{modules:05d}.py").write_text(module_text(modules, count))
        modules += 1
        left -= count
    return modules


if __name__ == "__main__":
    write_suite(Path(sys.argv[1]), int(sys.argv[2]))
