"""PyYAML, imported without the one regular expression that costs a lint run 5 ms.

`yaml.reader` compiles, at import, a character class of every printable code point for its
pure-Python reader. Building that class walks some 60,000 ranges' worth of code points: ~5 ms,
a fourteenth of a trivial `composegen lint`, for a reader composegen never uses (it reads with
libyaml, `yaml.CSafeLoader`). Before the first import of `yaml`, `seed_reader_pattern` puts into
`re`'s cache, under that pattern's exact text, a pattern that matches the same characters written the
other way round (the few non-printable ranges), which compiles in a tenth of the time.
tests/test_pyyaml.py checks, code point by code point, that the two match alike.

This leans on `re._cache`, a private dict of CPython's `re` (3.11 to 3.13 keep compiled patterns
there under `(type(pattern), pattern, flags)`). Where that is not so, the seed is not used and
PyYAML compiles its own pattern as it always did: slower, never wrong.
"""

from __future__ import annotations

import re
import sys

#: yaml.reader.Reader.NON_PRINTABLE, as PyYAML 5 and 6 write it
PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
#: the same set of characters: C0 controls but tab, LF and CR; DEL and C1 controls but NEL;
#: surrogates; U+FFFE and U+FFFF
NON_PRINTABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"


def seed_reader_pattern() -> None:
    """Cache a fast-compiled equal of yaml.reader's pattern, if `yaml` is yet to be imported."""
    if "yaml" in sys.modules:
        return
    cache = getattr(re, "_cache", None)
    if isinstance(cache, dict):
        cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))
