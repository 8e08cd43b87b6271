"""Compose short syntaxes read the way compose v2 reads them.

Ports (`[ip:][published:]target[/proto]`, ranges), volumes (`[source:]target[:options]`),
devices, `KEY=VALUE` lists, and Go's `%v` formatting of scalars (compose-go turns `{A: 1}` into
`A=1` with it when it merges a mapping into a list).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import Any, NamedTuple

from composegen.compose.tree import is_mapping

# --- images ------------------------------------------------------------------------------------


@lru_cache(maxsize=256)  # asked several times of each service, and a stack's services share a few images
def image_name(image: str) -> str:
    """The image's own name, without registry, path, tag or digest:
    `ghcr.io/acme/postgres:16@sha256:…` → `postgres`."""
    without_digest = image.split("@", 1)[0]
    last = without_digest.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def image_tag(image: str) -> str:
    """The image's tag (`""` when none): `ghcr.io/ggml-org/llama.cpp:server-cuda` → `server-cuda`."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1].lower() if ":" in last else ""


# --- Go formatting ---------------------------------------------------------------------------


def go_float(value: float) -> str:
    """Go's `%v` of a float64: shortest digits, exponent form when the exponent is below -4 or
    at least 6 (`1e+06`, `100000`, `1.5`, `1e-05`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    # repr: the shortest digits that read back as `value` (`1.5`, `100000.0`, `1e-05`, `-2.5e+16`)
    text = repr(value)
    mantissa, _, power = text.removeprefix("-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(digits) + int(power or "0") - len(fraction)  # value = 0.<digits> x 10**point
    digits = digits.rstrip("0") or "0"
    sign = "-" if text.startswith("-") else ""
    exp = point - 1
    if exp < -4 or exp >= 6:
        tail = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{tail}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_format(value: Any) -> str:
    """Go's `%v` of a YAML scalar (`True` -> `true`, `1.0` -> `1`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if value is None:
        return "<nil>"
    if type(value) is str:
        return value
    if isinstance(value, list):
        return "[" + " ".join(go_format(item) for item in value) + "]"
    if isinstance(value, (dict, Mapping)):
        return "map[" + " ".join(f"{k}:{go_format(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


# --- KEY=VALUE -------------------------------------------------------------------------------


def split_key_value(entry: str) -> tuple[str, str | None]:
    """`"A=1"` -> `("A", "1")`; `"A"` -> `("A", None)` (no value: taken from the shell)."""
    key, sep, value = entry.partition("=")
    return key, (value if sep else None)


def key_value_mapping(value: Any) -> dict[str, str | None]:
    """A list-or-dict value (environment, labels, sysctls...) as `{key: value-or-None}`, strings
    as compose's model holds them; later entries win."""
    if isinstance(value, Mapping):
        return {str(k): (None if v is None else go_format(v)) for k, v in value.items()}
    out: dict[str, str | None] = {}
    if isinstance(value, list):
        for entry in value:
            key, item = split_key_value(go_format(entry))
            out[key] = item
    return out


def shell_split(command: Any) -> list[str] | None:
    """A `command`/`entrypoint` as the argument list compose runs (a string is split the way
    compose-go splits it, `go_shell_split`; raises SyntaxProblem where compose refuses it)."""
    if command is None:
        return None
    if isinstance(command, str):
        return go_shell_split(command)
    if isinstance(command, list):
        return [go_format(part) for part in command]
    return [go_format(command)]


_SHELL_SPACE = frozenset(" \t\r\n")
_SHELL_STOP = frozenset(";&|<>")
#: What makes splitting a command more than cutting it at its spaces: an escape, a quote, a
#: parenthesis, a character that ends the words.
_SHELL_SPECIAL = "\\'\"`()" + "".join(sorted(_SHELL_STOP))
_SHELL_SPECIAL_CHARACTER = re.compile("[" + re.escape(_SHELL_SPECIAL) + "]")
_SHELL_SPACE_TO_BLANK = str.maketrans(dict.fromkeys(_SHELL_SPACE, " "))


def plain_words(text: str) -> bool:
    """Whether a command string is words between spaces alone (no escape, quote, parenthesis or
    character that ends the words): `go_shell_split` cuts it at its spaces and never refuses it."""
    return _SHELL_SPECIAL_CHARACTER.search(text) is None


class SyntaxProblem(ValueError):
    """A short-syntax value compose would refuse."""


def _keys(spec: Mapping[Any, Any]) -> str:
    """A mapping named by its keys, never its values (a value next to a bad one may be a secret)."""
    return "{" + ", ".join(str(k) for k in spec) + "}"


def go_shell_split(text: str) -> list[str]:
    """A command string split as compose-go splits it: mattn/go-shellwords `Parse` with its
    defaults (no backtick or variable expansion). Unlike POSIX sh (and Python's shlex), a
    backslash escapes any character, even inside double quotes; the words end at the first
    unquoted `;`, `&`, `|`, `<` or `>` (`echo a; rm b` runs `echo a`); `(` outside `$(...)` and
    an unclosed quote or `$(` are refused. Found by the generated-input merge test, checked
    against compose v2 (tests/hostile/test_hostile_properties.py)."""
    if plain_words(text):  # most commands
        if "\t" in text or "\r" in text or "\n" in text:  # (few commands: translating costs a look-up a character)
            text = text.translate(_SHELL_SPACE_TO_BLANK)
        return [word for word in text.split(" ") if word]
    return _shell_words(text)


def _shell_words(text: str) -> list[str]:
    """`go_shell_split`, character by character."""
    args: list[str] = []
    buf: list[str] = []
    got = escaped = single = double = back = dollar = False
    for char in text:
        if escaped:
            buf.append(char)
            got, escaped = True, False
            continue
        if char == "\\":
            if single:
                buf.append(char)
            else:
                escaped = True
            continue
        if char in _SHELL_SPACE:
            if single or double or back or dollar:
                buf.append(char)
            elif got:
                args.append("".join(buf))
                buf, got = [], False
            continue
        if char == "`" and not (single or double or dollar):
            back = not back
        elif char == ")" and not (single or double or back):
            dollar = not dollar
        elif char == "(" and not (single or double or back):
            if dollar or not buf or buf[-1] != "$":
                raise SyntaxProblem(f"invalid command line string {text!r}: `(` outside `$(...)`")
            dollar = True
            buf.append(char)
            continue
        elif char == '"' and not (single or dollar):
            got = got or double
            double = not double
            continue
        elif char == "'" and not (double or dollar):
            got = got or single
            single = not single
            continue
        elif char in _SHELL_STOP and not (single or double or back or dollar):
            if char == ">" and buf and buf[0].isdigit() and buf[0].isascii():
                got = False  # `2>file`: the descriptor is no word
            break
        got = True
        buf.append(char)
    if got:
        args.append("".join(buf))
    if escaped or single or double or back or dollar:
        raise SyntaxProblem(f"invalid command line string {text!r}: a quote, `$(` or `\\` left open")
    return args


# --- ports -----------------------------------------------------------------------------------


class Port(NamedTuple):
    """One published port, as compose's long syntax holds it."""

    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"

    def as_long(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target}
        if self.published is not None:
            out["published"] = self.published
        if self.host_ip is not None:
            out["host_ip"] = self.host_ip
        out["protocol"] = self.protocol
        return out


def _decimal(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes `²`, which `int()` then refuses."""
    return text.isascii() and text.isdigit()


#: The largest port: compose reads a short-syntax port as a 16-bit number.
MAX_PORT = 65535


def _port_range(text: str, what: str, spec: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    if not _decimal(first) or (sep and not _decimal(last)):
        raise SyntaxProblem(f"invalid {what} port {text!r} in {spec!r}")
    start = int(first) if len(first.lstrip("0")) <= 5 else MAX_PORT + 1  # (a longer one: no int() of it)
    end = (int(last) if len(last.lstrip("0")) <= 5 else MAX_PORT + 1) if sep else start
    if start > MAX_PORT or end > MAX_PORT:
        raise SyntaxProblem(f"invalid {what} port {text!r} in {spec!r}: ports go up to {MAX_PORT}")
    if end < start:
        raise SyntaxProblem(f"invalid {what} port range {text!r} in {spec!r}")
    if what == "container" and start == 0:
        raise SyntaxProblem(f"port {spec!r} is missing a target port: a container port starts at 1")
    return start, end


def parse_port(spec: Any) -> list[Port]:
    """The ports one `ports:` entry publishes: `"127.0.0.1:8080-8081:80-81/udp"` gives two.

    A published range over one target stays one entry (`published: "8080-8090"`), as in compose.
    Long-syntax mappings are read as they are.
    """
    if isinstance(spec, bool):
        raise SyntaxProblem(f"invalid port {spec!r}")
    if isinstance(spec, int):
        return [Port(target=spec)]
    if is_mapping(spec):
        target = spec.get("target")
        if isinstance(target, str) and _decimal(target):
            target = int(target)
        if not isinstance(target, int) or isinstance(target, bool):
            raise SyntaxProblem(f"port {_keys(spec)} has no numeric target")
        published = spec.get("published")
        return [
            Port(
                target=target,
                published=None if published is None else go_format(published),
                host_ip=spec.get("host_ip"),
                protocol=str(spec.get("protocol") or "tcp"),
            )
        ]
    if not isinstance(spec, str):
        raise SyntaxProblem(f"invalid port {spec!r}")
    return list(_parse_short_port(spec))


@cache
def _parse_short_port(spec: str) -> tuple[Port, ...]:
    """The short syntax, read once per text: a Swarm render reads each entry three times (the
    base, the base and overlay merged, the stack file), each time to make the ports unique, and
    the schema's check reads it again. (A tuple of frozen `Port`s: sharing it is safe; callers
    get a list of their own.)"""
    text, _, protocol = spec.partition("/")
    parts = text.split(":")
    container = parts[-1]
    if len(parts) == 1:
        host_ip, published = "", ""
    elif len(parts) == 2:
        host_ip, published = "", parts[0]
    else:
        host_ip, published = ":".join(parts[:-2]), parts[-2]
    if host_ip.startswith("[") and host_ip.endswith("]"):
        host_ip = host_ip[1:-1]
    start, end = _port_range(container, "container", spec)
    proto = protocol.lower() or "tcp"
    ip = host_ip or None
    if not published:
        return tuple(Port(target=port, host_ip=ip, protocol=proto) for port in range(start, end + 1))
    pub_start, pub_end = _port_range(published, "published", spec)
    if start == end:
        return (Port(target=start, published=published, host_ip=ip, protocol=proto),)
    if pub_end - pub_start != end - start:
        raise SyntaxProblem(f"invalid ranges for container and published ports in {spec!r}")
    return tuple(
        Port(target=port, published=str(pub_start + offset), host_ip=ip, protocol=proto)
        for offset, port in enumerate(range(start, end + 1))
    )


# --- volumes ---------------------------------------------------------------------------------

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


class Volume(NamedTuple):
    """One service mount in compose's long form (short syntax read as compose reads it)."""

    type: str
    target: str
    source: str | None = None
    read_only: bool = False
    options: tuple[str, ...] = ()


def is_file_path(source: str) -> bool:
    """Compose's test for a bind-mount source in the short syntax."""
    return bool(source) and (source[0] in "./~" or source.startswith("\\\\") or bool(_WINDOWS_DRIVE.match(source)))


def _split_volume(spec: str) -> list[str]:
    parts: list[str] = []
    buffer = ""
    for index, char in enumerate(spec):
        is_drive = char == ":" and len(buffer) == 1 and buffer.isalpha() and spec[index + 1 : index + 2] in ("\\", "/")
        if char == ":" and not is_drive:
            if not buffer:
                raise SyntaxProblem(f"invalid volume {spec!r}: empty section between colons")
            parts.append(buffer)
            buffer = ""
        else:
            buffer += char
    if not buffer:
        raise SyntaxProblem(f"invalid volume {spec!r}: empty section between colons")
    parts.append(buffer)
    return parts


def parse_volume(spec: Any) -> Volume:
    """A `volumes:` entry of a service as a `Volume` (`"./data:/data:ro"`, `"/cache"`, long form)."""
    if isinstance(spec, str):
        if not spec:
            raise SyntaxProblem(f"invalid volume {spec!r}")
        return _parse_short_volume(spec)
    if isinstance(spec, (dict, Mapping)):
        target = spec.get("target")
        if not isinstance(target, str):
            raise SyntaxProblem(f"service volume {_keys(spec)} is missing a mount target")
        source = spec.get("source")
        return Volume(
            type=str(spec.get("type") or "volume"),
            target=target,
            source=None if source is None else str(source),
            read_only=spec.get("read_only") is True,
        )
    if not isinstance(spec, str) or not spec:
        raise SyntaxProblem(f"invalid volume {spec!r}")
    return _parse_short_volume(spec)


def service_volumes(value: Any) -> Iterator[tuple[int, Volume]]:
    """A service's `volumes:` list, each entry that parses with its index; an entry that does not
    parse is left out (schema validation reports it)."""
    for index, entry in enumerate(value if isinstance(value, list) else []):
        try:
            volume = parse_volume(entry)
        except SyntaxProblem:
            continue
        yield index, volume


@cache
def _parse_short_volume(spec: str) -> Volume:
    """The short syntax, read once per text: loading, the schema check and several rules all
    read each service's volumes (a `Volume` is frozen, so sharing it is safe)."""
    if len(spec) <= 2:
        return Volume(type="volume", target=spec)
    parts = _split_volume(spec)
    if len(parts) == 1:
        return Volume(type="volume", target=parts[0])
    if len(parts) > 3:
        raise SyntaxProblem(f"invalid volume {spec!r}: too many colons")
    source, target = parts[0], parts[1]
    options = tuple(parts[2].split(",")) if len(parts) == 3 else ()
    read_only = False
    for option in options:
        if option == "ro":
            read_only = True
        elif option == "rw":
            read_only = False
    return Volume(
        type="bind" if is_file_path(source) else "volume",
        target=target,
        source=source,
        read_only=read_only,
        options=options,
    )


def clean_path(path: str) -> str:
    """Go's `path.Clean`: `/data/` -> `/data`, `/a//b/../c` -> `/a/c` (compose cleans mount
    targets, so `/data/` and `/data` are one mount)."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    return "/" + cleaned if rooted else (cleaned or ".")


def volume_target(spec: Any) -> str:
    """The (cleaned) container path of a volume entry: the key compose merges volumes by."""
    return clean_path(parse_volume(spec).target)


def device_target(spec: Any) -> str:
    """The container path of a `devices:` entry (`/dev/a:/dev/b:rwm` -> `/dev/b`)."""
    if isinstance(spec, Mapping):
        target = spec.get("target")
        if not isinstance(target, str):
            raise SyntaxProblem(f"service device {_keys(spec)} is missing a mount target")
        return target
    if not isinstance(spec, str):
        raise SyntaxProblem(f"invalid device {spec!r}")
    parts = spec.split(":")
    return parts[0] if len(parts) == 1 else parts[1]


def tmpfs_target(spec: Any) -> str:
    """The (cleaned) mount path of a short-syntax tmpfs entry (`/run:size=64m` -> `/run`)."""
    return clean_path(go_format(spec).split(":", 1)[0])
