"""Block YAML from plain data, every scalar through `yamlio.scalar` and every key through `yamlio.key`.

Strings are always double-quoted, so a value like `on`, `no` or `1e3` stays a string under the
YAML 1.1 readers kubectl and promtool use; the output is deterministic (key order as given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from composegen.yamlio import key, scalar


def _nested(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple)) and len(value) > 0


def _lines(data: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(data, Mapping):
        for name, value in data.items():
            if _nested(value):
                out.append(f"{pad}{key(str(name))}:")
                out.extend(_lines(value, indent + (2 if isinstance(value, Mapping) else 0)))
            else:
                out.append(f"{pad}{key(str(name))}: {scalar(value)}")
        return out
    for item in data:
        if _nested(item):
            inner = _lines(item, indent + 2)
            out.append(f"{pad}- {inner[0].lstrip()}")
            out.extend(inner[1:])
        else:
            out.append(f"{pad}- {scalar(item)}")
    return out


def dump(data: Mapping[str, Any]) -> str:
    """One YAML document for a mapping."""
    return "\n".join(_lines(data, 0)) + "\n"


def dump_all(documents: Sequence[Mapping[str, Any]]) -> str:
    """Documents separated by `---`."""
    return "---\n".join(dump(d) for d in documents)
