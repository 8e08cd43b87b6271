"""The jinja2 environment over templates/: the prose of the header every rendered file starts with.

The YAML itself is data written by `yamlio.dump`; templates hold only text a person reads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from composegen.resources import bundled_dir

if TYPE_CHECKING:
    import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2  # here: plan and explain import the layout, but write no header (75 ms)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def render_lines(name: str, context: dict[str, Any]) -> list[str]:
    """The template `name` rendered with `context`, as its lines (no trailing empty line)."""
    return environment().get_template(name).render(**context).rstrip("\n").splitlines()
