"""Numbers that know where they came from.

Every value a calculator produces is a `Quantity`: its value, its unit, the formula that made it,
the source of any constant in it, and the quantities it was made from. `composegen explain`
prints the tree; nothing else re-derives a number.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Literal, NamedTuple

from composegen import json_text
from composegen.json_text import float_text, string_text
from composegen.units import format_bytes, format_cpus, format_duration, human_bytes

Unit = Literal["bytes", "cpus", "seconds", "count", "ratio"]
#: Where a number's value comes from: composegen.yaml (`declared`), the base compose file's own
#: settings (`base file`), calibrate's measurements (`measured`), the profile (`profile`), a
#: documented figure (`fact`: a manual, facts/*.md, a program's source), composegen's assumption
#: (`assumed`) or its default (`default`). "" for a derived number, whose parts say.
SourceKind = Literal["declared", "base file", "measured", "profile", "fact", "assumed", "default", ""]

#: (words in a free-text source, the kind they mean), first match wins, for a quantity built
#: without a kind. An assumption or a default is never read from words: whoever makes one says
#: so with `kind` (tests/sizing/test_source_kinds.py holds every source to it).
_KIND_WORDS: tuple[tuple[str, SourceKind], ...] = (
    ("composegen.yaml", "declared"),
    ("base file", "base file"),
    ("base compose file", "base file"),
    ("measured", "measured"),
    ("measurements", "measured"),
    ("profile ", "profile"),
)


def kind_of(source: str) -> SourceKind:
    """The kind a free-text source names (never `assumed` or `default`: those are typed): a
    source that names none is a documented `fact`."""
    if not source:
        return ""
    lowered = source.lower()
    for words, kind in _KIND_WORDS:
        if words in lowered:
            return kind
    return "fact"


class Quantity(NamedTuple):
    """A derived number: `value` in `unit`, with its derivation. (A named tuple: a dataclass would
    cost `composegen lint` its import.)"""

    name: str
    value: float
    unit: Unit
    formula: str = ""
    source: str = ""
    parts: tuple[Quantity, ...] = ()
    kind: SourceKind | None = None  # None: read from `source` (see source_kind)

    @property
    def source_kind(self) -> SourceKind:
        """Where the value comes from, typed: the kind given, else the one its source text names."""
        return self.kind if self.kind is not None else kind_of(self.source)

    def show(self) -> str:
        """The value as a person reads it."""
        return show_value(self.value, self.unit)

    def compose_value(self) -> str:
        """The value as compose takes it: `512M`, `0.5`, `1m30s`, `4`."""
        if not self.value:  # zero: 0.0 and -0.0 would be one key
            return compose_value(self.value, self.unit)
        return _kept_compose_value(self.value, self.unit)

    def renamed(self, name: str) -> Quantity:
        return Quantity(name, self.value, self.unit, self.formula, self.source, self.parts, self.kind)


def show_value(value: float, unit: Unit) -> str:
    """The value as a person reads it: `1.51 GiB`, `2 cores`, `1m30s`."""
    if not value:  # zero: "0" and "-0" would be one key
        return _shown(value, unit)
    return _kept_shown(value, unit)


def _shown(value: float, unit: Unit) -> str:
    if unit == "bytes":
        return human_bytes(value)
    if unit == "cpus":
        return f"{format_cpus(value)} core" + ("" if value == 1 else "s")
    if unit == "seconds":
        return format_duration(value) if value else "0s"
    if unit == "ratio":
        return f"{value:g}"
    return f"{value:g}"


def compose_value(value: float, unit: Unit) -> str:
    """`Quantity.compose_value` of a value in a unit."""
    if unit == "bytes":
        return format_bytes(value)
    if unit == "cpus":
        return format_cpus(value)
    if unit == "seconds":
        return format_duration(value)
    return str(int(value)) if float(value).is_integer() else str(value)


#: `compose_value`, worked out once for each value and unit (every service of a large stack writes
#: the same few limits and durations); an int and an equal float are kept apart.
_kept_compose_value = functools.lru_cache(maxsize=4096, typed=True)(compose_value)

#: `_shown`, worked out once for each value and unit (a large stack's explain shows the same few
#: figures hundreds of thousands of times); an int and an equal float are kept apart.
_kept_shown = functools.lru_cache(maxsize=4096, typed=True)(_shown)


def given(name: str, value: float, unit: Unit, source: str, kind: SourceKind | None = None) -> Quantity:
    """An input or constant: a value with no parts, and where it came from (`kind`: typed, else
    read from the source's words)."""
    return Quantity(name, float(value), unit, formula="", source=source, kind=kind)


def total(name: str, parts: Iterable[Quantity], source: str = "") -> Quantity:
    """The sum of `parts` (all in one unit)."""
    items = tuple(parts)
    unit = items[0].unit if items else "bytes"
    formula = " + ".join(p.name for p in items) if items else "nothing"
    return Quantity(name, math.fsum(p.value for p in items), unit, formula, source, items)


def times(name: str, a: Quantity, b: Quantity, unit: Unit | None = None, source: str = "") -> Quantity:
    """a × b; the unit is a's unless given (count × bytes is bytes)."""
    result_unit = unit or (b.unit if a.unit in ("count", "ratio") else a.unit)
    return Quantity(name, a.value * b.value, result_unit, f"{a.name} × {b.name}", source, (a, b))


def largest(name: str, parts: Iterable[Quantity], source: str = "") -> Quantity:
    """The largest of `parts`, naming which one won."""
    items = tuple(parts)
    best = max(items, key=lambda q: q.value)
    formula = f"max({', '.join(p.name for p in items)}) = {best.name}"
    return Quantity(name, best.value, best.unit, formula, source, items)


def smallest(name: str, parts: Iterable[Quantity], source: str = "") -> Quantity:
    """The smallest of `parts`, naming which one won."""
    items = tuple(parts)
    best = min(items, key=lambda q: q.value)
    formula = f"min({', '.join(p.name for p in items)}) = {best.name}"
    return Quantity(name, best.value, best.unit, formula, source, items)


def rounded_up(q: Quantity, step: float, step_text: str) -> Quantity:
    """`q` rounded up to a whole multiple of `step` (limits in whole MiB, cpus in 0.05 cores)."""
    value = math.ceil(q.value / step - 1e-9) * step
    if value == q.value:
        return q
    return Quantity(q.name, value, q.unit, f"{q.show()} rounded up to a whole {step_text}", "", (q,))


def explain_lines(q: Quantity, indent: str = "", shown: set[Quantity] | None = None) -> list[str]:
    """The derivation tree of `q`, one line a quantity, children indented.

    With `shown`, a derived quantity already printed in full is printed once more as one line
    ending in "(derived above)", so a shared input does not repeat its whole tree.
    """
    line = f"{indent}{q.name} = {q.show()}"
    if q.formula:
        line += f"  [{q.formula}]"
    if q.source:
        line += f"  ({q.source})"
    if shown is not None and q.parts:
        if q in shown:
            return [line + "  (derived above)"]
        shown.add(q)
    lines = [line]
    for part in q.parts:
        lines.extend(explain_lines(part, indent + "  ", shown))
    return lines


def as_dict(q: Quantity, parts_as: Callable[[Quantity], object] | None = None) -> dict[str, object]:
    """The derivation tree as plain data, for `explain --format json`; `parts_as`: what to make of
    each part instead of its dictionary (explain's JSON text keeps them, to write each once)."""
    out: dict[str, object] = {"name": q.name, "value": q.value, "unit": q.unit, "display": q.show()}
    if q.formula:
        out["formula"] = q.formula
    if q.source:
        out["source"] = q.source
        out["source_kind"] = q.source_kind
    if q.parts:
        out["parts"] = [as_dict(p) if parts_as is None else parts_as(p) for p in q.parts]
    return out


#: The JSON text of quantities' own fields (`as_json_text`), by those fields and the pad: services
#: sized alike but for one part (a source naming the service's line) have quantities whose own
#: fields are the same, above that part.
Heads = dict[tuple[object, ...], str]


def as_json_text(q: Quantity, pad: str, part_text: Callable[[Quantity, str], str], heads: Heads | None = None) -> str:
    """What json.dumps(as_dict(q), indent=2) writes, `q` standing `pad` into the document (its
    lines but the first indented so), each part's text from `part_text` (composegen.explain's
    QuantityTexts: equal parts are written once), its own fields' from `heads` where written there
    before. Strings and numbers as json writes them (composegen/json_text.py); a quantity holding
    other types, through json_text's checks."""
    name, value, unit, formula, source, kind = q.name, q.value, q.unit, q.formula, q.source, q.kind
    if not _written_plainly(name, value, unit, formula, source, "" if kind is None else kind):
        return "".join(json_text.pieces(as_dict(q, itself), {Quantity: part_text}, pad))
    if heads is None:
        head = _head(q, pad)
    else:  # the key: what the text is made of (an int and an equal float, 0.0 and -0.0, written apart)
        key: tuple[object, ...] = (name, value, type(value) is int, unit, formula, source, kind, pad)
        if not value:
            key += (math.copysign(1.0, value),)
        head = heads.get(key) or heads.setdefault(key, _head(q, pad))
    if not q.parts:
        return f"{head}\n{pad}}}"
    deeper = pad + "    "
    between = f",\n{deeper}"
    text = [head, f',\n{pad}  "parts": [\n{deeper}']
    for index, part in enumerate(q.parts):
        text += (between, part_text(part, deeper)) if index else (part_text(part, deeper),)
    text.append(f"\n{pad}  ]\n{pad}}}")
    return "".join(text)  # the parts' texts, long, copied once


def _head(q: Quantity, pad: str) -> str:
    """The JSON text of `q`'s own fields, written plainly (`as_json_text`): up to its parts."""
    inner = pad + "  "
    text = (
        f'{{\n{inner}"name": {string_text(q.name)},\n{inner}"value": {_number_text(q.value)},\n'
        f'{inner}"unit": {string_text(q.unit)},\n{inner}"display": {string_text(q.show())}'
    )
    if q.formula:
        text += f',\n{inner}"formula": {string_text(q.formula)}'
    if q.source:
        text += f',\n{inner}"source": {string_text(q.source)},\n{inner}"source_kind": {string_text(q.source_kind)}'
    return text


def _written_plainly(name: object, value: object, unit: object, formula: object, source: object, kind: object) -> bool:
    """Whether a quantity's fields are of the types `as_json_text` writes itself: its strings
    strings, its value an int or a float (not a bool)."""
    strings = type(name) is str and type(unit) is str and type(formula) is str and type(source) is str
    return strings and type(kind) is str and (type(value) is int or type(value) is float)


def _number_text(value: float) -> str:
    return int.__repr__(value) if type(value) is int else float_text(value)


def itself(q: Quantity) -> Quantity:
    """A quantity as it is (`as_dict`'s `parts_as`, and explain's data, whose JSON text writes
    each quantity once)."""
    return q


def written_alike(a: Quantity, b: Quantity) -> bool:
    """Whether equal quantities `a` and `b` are written alike (their text, their JSON): each value
    of the same type as its twin's and of the same sign (an int and an equal float, and 0.0 and
    -0.0, are equal but written apart). Parts that are one object are alike without a look."""
    if a is b:
        return True
    if type(a.value) is not type(b.value):
        return False
    if isinstance(a.value, float) and not a.value and math.copysign(1.0, a.value) != math.copysign(1.0, b.value):
        return False
    return all(map(written_alike, a.parts, b.parts))
