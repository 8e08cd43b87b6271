"""composegen: right-sized, validated docker-compose overlays, and a linter for what kills containers."""

from __future__ import annotations

__version__ = "0.1.0"
