"""The text `json.dumps(value, indent=2)` writes, as a list of pieces, with a writer of its own for
values of chosen types (explain's quantities: composegen.explain.QuantityTexts).

json's indenting encoder is pure Python (its C encoder serves only `indent=None`): writing
`explain --format json` of a stack of 7,500 services (290 MB) took it 50 s of 63. Here the
services' quantities, most of them equal, are written once each, and the rest as json writes it:
the same checks in the same order (`json.encoder._make_iterencode`), its own string encoder, and
`float.__repr__` and `int.__repr__` for numbers. tests/test_json_text.py pins the text against
json.dumps.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

#: A writer for the values of one type: the text of a value standing `pad` into the document (its
#: first line unindented: it follows a key, or the list's own indent).
Writer = Callable[[Any, str], str]

#: The text json.dumps writes for a string (with ensure_ascii, its default): its own function.
string_text = encode_basestring_ascii


def float_text(value: float) -> str:
    """A float as json.dumps writes it (allow_nan, its default: NaN and Infinity)."""
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return float.__repr__(value)


def pieces(value: object, writers: Mapping[type, Writer] | None = None, pad: str = "") -> list[str]:
    """The pieces of the text json.dumps(value, indent=2) writes, in order; a value whose type is
    in `writers` is written by its writer. `pad`: where the value stands in a document (its lines
    but the first indented so)."""
    out: list[str] = []
    _write(value, pad, out, writers or {})
    return out


def _write(value: object, pad: str, out: list[str], writers: Mapping[type, Writer], head: str = "") -> None:
    """Append `head` and the text of `value`, standing `pad` into the document, to `out` (a
    scalar's text joined to its head: a key, or a list's comma and indent)."""
    writer = writers.get(type(value))
    if writer is not None:
        out += (head, writer(value, pad))  # apart: a writer's text can be long
    elif isinstance(value, str):
        out.append(head + string_text(value))
    elif value is None:
        out.append(head + "null")
    elif value is True:
        out.append(head + "true")
    elif value is False:
        out.append(head + "false")
    elif isinstance(value, int):
        out.append(head + int.__repr__(value))
    elif isinstance(value, float):
        out.append(head + float_text(value))
    elif isinstance(value, list | tuple):
        _write_list(value, pad, out, writers, head)
    elif isinstance(value, dict):
        _write_dict(value, pad, out, writers, head)
    else:
        out.append(json.dumps(value))  # what json refuses: its own TypeError


def _write_list(
    items: list[object] | tuple[object, ...], pad: str, out: list[str], writers: Mapping[type, Writer], head: str
) -> None:
    if not items:
        out.append(head + "[]")
        return
    inner = pad + "  "
    between = ",\n" + inner
    lead = head + "[\n" + inner
    plain = str not in writers  # (a string written here, without a call: most items are)
    for item in items:
        if plain and type(item) is str:
            out.append(lead + string_text(item))
        else:
            _write(item, inner, out, writers, lead)
        lead = between
    out.append("\n" + pad + "]")


def _write_dict(items: dict[Any, object], pad: str, out: list[str], writers: Mapping[type, Writer], head: str) -> None:
    if not items:
        out.append(head + "{}")
        return
    inner = pad + "  "
    between = ",\n" + inner
    lead = head + "{\n" + inner
    plain = str not in writers and type(None) not in writers  # (written here, without a call)
    for key, item in items.items():
        lead += _key_text(key) if type(key) is str else string_text(_key(key)) + ": "
        if not plain:
            _write(item, inner, out, writers, lead)
        elif type(item) is str:
            out.append(lead + string_text(item))
        elif item is None:
            out.append(lead + "null")
        else:
            writer = writers.get(type(item))
            if writer is not None:
                out += (lead, writer(item, inner))  # apart: a writer's text can be long
            else:
                _write(item, inner, out, writers, lead)
        lead = between
    out.append("\n" + pad + "}")


@functools.lru_cache(maxsize=1024)
def _key_text(key: str) -> str:
    """A dictionary's string key as json writes it, and the colon after it (a document's dictionaries
    mostly have the same few keys)."""
    return string_text(key) + ": "


def _key(key: object) -> str:
    """A dictionary's key as the string json writes (json.encoder's order of checks)."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return float_text(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")
