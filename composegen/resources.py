"""Where the bundled profiles and templates are: inside the wheel, or beside the source tree."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Kind = Literal["profiles", "templates"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(kind: Kind) -> Path:
    """`composegen/_bundled/<kind>` in an installed wheel; `<repo>/<kind>` in a source checkout."""
    installed = _PACKAGE_DIR / "_bundled" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / kind
