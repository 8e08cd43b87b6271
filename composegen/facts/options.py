"""Command-line options read the way argparse/click/clap read them: `-w 4`, `-w4`, `-w=4`,
`--workers 4`, `--workers=4`; flags without a value; everything else kept as unread words."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from composegen.facts.argv import Word
from composegen.facts.model import Fact, Status, Unread, Value
from composegen.yamlio import Origin


class Option(NamedTuple):
    """One option of a program: its spellings, the setting it gives, how its value is parsed
    (None: a flag without a value, giving `flag_value`), and the status of what it gives
    (`not-read` for a config file)."""

    names: tuple[str, ...]
    setting: str
    parse: Callable[[str], Value] | None
    status: Status = "read"
    flag_value: Value = True


class Parsed(NamedTuple):
    facts: list[Fact]
    unread: list[Word]


def fact(
    program: str, setting: str, parse: Callable[[str], Value] | None, value_text: str, raw: str, word: Word
) -> Fact:
    """A fact from text, `unreadable` (value None) where the program would refuse the text."""
    return value_fact(program, setting, parse, value_text, raw, word.origin, word.via)


def value_fact(
    program: str,
    setting: str,
    parse: Callable[[str], Value] | None,
    value_text: str,
    raw: str,
    origin: Origin | None,
    via: str,
    status: Status = "read",
) -> Fact:
    if parse is None:
        return Fact(program, setting, value_text, raw, origin, via, status)
    try:
        value = parse(value_text)
    except (ValueError, OverflowError):
        return Fact(program, setting, None, raw, origin, via, "unreadable")
    return Fact(program, setting, value, raw, origin, via, status)


def table(options: Sequence[Option]) -> dict[str, Option]:
    return {name: option for option in options for name in option.names}


def parse_options(
    program: str,
    words: Sequence[Word],
    options: Mapping[str, Option],
    *,
    underscores: bool = False,
) -> Parsed:
    """Read `words` (the program's arguments, without its name) against `options` (from `table`).
    `underscores`: `--max_model_len` is `--max-model-len` (vLLM's parser)."""
    facts: list[Fact] = []
    unread: list[Word] = []
    i = 0
    while i < len(words):
        word = words[i]
        text = word.text
        if text == "--":
            unread.extend(words[i:])
            break
        option: Option | None = None
        attached: str | None = None
        if text.startswith("--"):
            name, eq, rest = text.partition("=")
            if underscores:
                name = "--" + name[2:].replace("_", "-")
            option = options.get(name)
            attached = rest if eq else None
        elif text.startswith("-") and len(text) > 1:
            name, eq, rest = text.partition("=")
            option = options.get(name)
            attached = rest if eq else None
            if option is None and len(text) > 2:
                option = options.get(text[:2])
                attached = text[2:].removeprefix("=") if option is not None and option.parse is not None else None
                if option is not None and option.parse is None:
                    option = None  # `-xyz` bundles no flag we read: kept
        if option is None:
            unread.append(word)
            i += 1
            continue
        if option.parse is None:
            facts.append(
                Fact(program, option.setting, option.flag_value, word.cited(), word.origin, word.via, option.status)
            )
            i += 1
            continue
        if attached is not None:
            facts.append(_option_fact(program, option, attached, word.cited(), word))
            i += 1
        elif i + 1 < len(words):
            value = words[i + 1]
            facts.append(_option_fact(program, option, value.text, f"{word.shown} {value.cited()}", word))
            i += 2
        else:
            facts.append(Fact(program, option.setting, None, word.cited(), word.origin, word.via, "unreadable"))
            i += 1
    return Parsed(facts, unread)


def _option_fact(program: str, option: Option, value_text: str, raw: str, word: Word) -> Fact:
    if option.status == "not-read":
        return Fact(program, option.setting, value_text, raw, word.origin, word.via, "not-read")
    return fact(program, option.setting, option.parse, value_text, raw, word)


def unread_of(program: str, words: Sequence[Word]) -> list[Unread]:
    """Unread words as `Unread` entries, one per run of words from the same place."""
    runs: list[tuple[Word, list[str]]] = []
    for word in words:
        if runs and runs[-1][0].origin == word.origin and runs[-1][0].via == word.via:
            runs[-1][1].append(word.shown)
        else:
            runs.append((word, [word.shown]))
    return [Unread(program, tuple(texts), first.origin, first.via) for first, texts in runs]
