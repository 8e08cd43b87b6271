"""The jinja2 environment over templates/: StrictUndefined, one YAML-safe value filter."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from composegen import yamlio
from composegen.resources import bundled_dir


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["y"] = yamlio.scalar
    env.filters["k"] = yamlio.key
    return env


def render_template(name: str, context: dict[str, Any]) -> str:
    text = environment().get_template(name).render(**context)
    return text.rstrip("\n") + "\n"
