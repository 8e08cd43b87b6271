"""Properties, with generated input (hypothesis), checked against the real compose v2:
- any composegen.yaml and profile values within their schema (service names compose allows,
  environment names and values full of `:`, `#`, quotes, newlines and unicode) render to an
  overlay that reads back to the same values and that compose v2 `config` accepts merged over the
  base, with the same values;
- composegen's `-f a -f b` merge agrees with compose v2 on generated base/overlay pairs.

A bounded number of examples per property keeps the suite fast; each example is one compose call
(all of an example's services in one pair of files)."""

from __future__ import annotations

import json
import re
import shutil
import string
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen.compose.normalize import canonical_services
from composegen.compose.oracle import OracleError, run_config
from composegen.compose.schema import environment_name_problem, validate
from composegen.compose.stack import load_stack
from composegen.compose.syntax import SyntaxProblem, shell_split
from composegen.lint.engine import run_rule
from composegen.lint.finding import Severity
from composegen.lint.load import build_context
from composegen.lint.rules import all_rules
from composegen.render.overlay import render
from composegen.yamlio import parse_document

EXAMPLES_PER_PROPERTY = 30
SETTINGS = settings(
    max_examples=EXAMPLES_PER_PROPERTY,
    deadline=None,  # one example runs compose: seconds on a busy machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples every run: a failure reproduces, CI does not flake
)
#: The environment compose sees: nothing from the machine running the tests.
CLEAN_ENV = {"PATH": "/usr/bin:/bin"}

# --- strategies ------------------------------------------------------------------------------------

#: Text of every kind but surrogates (no UTF-8 form) and `$` (compose interpolates it: a value
#: holding one is a reference by design, checked on its own below).
HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="$"),
    max_size=24,
)
#: Pieces that break naive YAML and shell quoting, mixed into the generated text.
TRICKY = st.sampled_from(
    [":", ": ", "#", " #", "'", '"', "\n", "\t", "\\", "- ", "? ", "{", "}", "[", "]", "&a", "*a", "!tag", "%", "@",
     "`", "|", ">", "yes", "no", "null", "~", "0o17", "1e3", "0x1F", ".inf", "ü", "✓", "🎉", "\u2028", "\x85", " "]
)  # fmt: skip
VALUE = st.lists(st.one_of(HOSTILE, TRICKY), max_size=4).map("".join)
#: An environment name: compose takes any non-empty name without `=` (its list form splits there).
ENV_NAME = (
    st.lists(st.one_of(TRICKY, HOSTILE), min_size=1, max_size=3)
    .map("".join)
    .filter(lambda name: bool(name.strip()) and "=" not in name and "\n" not in name and "\x85" not in name)
)
#: A name composegen.yaml and profiles take: none whose last byte is a space (compose refuses it
#: once the overlay's environment merges into a base's list, so composegen refuses it always).
PROJECT_ENV_NAME = ENV_NAME.filter(lambda name: environment_name_problem(name) is None)
#: A service name as the compose schema allows: ^[a-zA-Z0-9._-]+$.
SERVICE_NAME = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=12).filter(
    lambda name: name not in (".", "..")
)
IMAGES = ["postgres:16.4", "redis:7.2", "python:3.12", "nginx:1.27.1", "busybox:1.36", "myorg/app:1"]
PROFILES = ["dev", "prod", "pytest"]


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    """A base compose model, a composegen.yaml and a profile of its own, all within schema."""
    names = draw(st.lists(SERVICE_NAME, min_size=1, max_size=4, unique_by=str.lower))
    base = {"services": {name: {"image": draw(st.sampled_from(IMAGES))} for name in names}}
    specs: dict[str, Any] = {}
    for name in names:
        spec: dict[str, Any] = {}
        environment = draw(st.dictionaries(PROJECT_ENV_NAME, VALUE, max_size=4))
        if environment:
            spec["environment"] = environment
        if draw(st.booleans()):
            spec["memory"] = draw(st.sampled_from(["64M", "512m", "1g", "1.5GiB", "300MB"]))
        if spec:
            specs[name] = spec
    profile_env = draw(st.dictionaries(PROJECT_ENV_NAME, VALUE, max_size=3))
    profile: dict[str, Any] = {"extends": draw(st.sampled_from(PROFILES)), "environment": {"all": profile_env}}
    profile.update(draw(st.fixed_dictionaries({}, optional=PROFILE_STRINGS)))
    project = {"compose_files": ["docker-compose.yml"], "services": specs, "profiles": {"mine": profile}}
    return {"base": base, "project": project}


#: The free-text settings of a profile that reach the overlay, with any text in them.
PROFILE_STRINGS: dict[str, st.SearchStrategy[Any]] = {
    "hardening": st.fixed_dictionaries(
        {}, optional={"user": VALUE, "cap_drop": st.lists(VALUE, max_size=2), "read_only": st.booleans()}
    ),
    "logging": st.fixed_dictionaries({}, optional={"max_size": VALUE, "driver": VALUE}),
    "monitoring": st.fixed_dictionaries({}, optional={"label_prefix": VALUE}),
    "network": st.fixed_dictionaries({}, optional={"name": VALUE}),
}


_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _utf32_escape(match: re.Match[str]) -> str:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


@dataclass(frozen=True)
class Tag:
    """A value written with compose's `!reset` or `!override` tag."""

    tag: str
    value: Any


def as_yaml(data: Any) -> str:
    """Input files written independently of composegen's own quoting: JSON (JSON is YAML, and a
    tag may precede a flow value), all escaped to ASCII, with JSON's surrogate pairs as the one
    `\\U` escape YAML reads."""

    def flow(value: Any) -> str:
        if isinstance(value, Tag):
            return f"{value.tag} {flow(value.value)}"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{json.dumps(str(k))}: {flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(flow(v) for v in value) + "]"
        return json.dumps(value)

    return _SURROGATE_PAIR.sub(_utf32_escape, flow(data))


@contextmanager
def folder() -> Iterator[Path]:
    """A fresh folder per example (pytest's tmp_path is one per test, not per example)."""
    with tempfile.TemporaryDirectory(prefix="composegen-property-") as name:
        yield Path(name)


def expected_environment(example: dict[str, Any], name: str) -> dict[str, str]:
    """What the overlay must give a service: the profile's `all` environment under composegen.yaml's."""
    profile = example["project"]["profiles"]["mine"]["environment"]["all"]
    given_here = example["project"]["services"].get(name, {}).get("environment", {})
    return {**profile, **given_here}


# --- render ----------------------------------------------------------------------------------------


@pytest.mark.oracle
@SETTINGS
@given(example=projects())
def test_any_values_within_schema_render_to_an_overlay_compose_accepts(example: dict[str, Any]) -> None:
    with folder() as root:
        (root / "docker-compose.yml").write_text(as_yaml(example["base"]))
        (root / "composegen.yaml").write_text(as_yaml(example["project"]))
        result = render("mine", None, root)
        overlay = parse_document(result.text, "overlay").data
        result.output.write_text(result.text)
        merged = run_config([root / "docker-compose.yml", result.output], project_dir=root, env=CLEAN_ENV)
        for name in example["base"]["services"]:
            want = expected_environment(example, name)
            written = overlay["services"][name].get("environment", {})
            applied = merged.data["services"][name].get("environment", {})
            assert {k: written[k] for k in want} == want  # the overlay reads back to the values given
            assert {k: applied[k] for k in want} == want  # and compose applies exactly those


def test_a_dollar_in_a_value_stays_a_compose_reference(tmp_path: Path) -> None:
    """composegen.yaml values go to compose as written: `${TOKEN}` is read from the environment
    when the stack starts (the way to keep a secret out of the files), `$$` is a literal `$`."""
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dev", tmp_path / "dev")
    root = tmp_path / "dev"
    (root / "docker-compose.dev.yml").unlink()
    (root / "composegen.yaml").write_text(
        'services:\n  web:\n    environment:\n      TOKEN: "${TOKEN:?set TOKEN}"\n      PRICE: "$$5"\n'
    )
    written = parse_document(render("dev", None, root).text, "overlay").data["services"]["web"]["environment"]
    assert (written["TOKEN"], written["PRICE"]) == ("${TOKEN:?set TOKEN}", "$$5")


# --- merge -----------------------------------------------------------------------------------------

SCALAR = st.one_of(VALUE, st.integers(-5, 99999), st.booleans())
PORT = st.builds(
    lambda host, target, proto: f"{host}:{target}{proto}",
    st.integers(1024, 1100),
    st.integers(1, 90),
    st.sampled_from(["", "/tcp", "/udp"]),
)
VOLUME = st.builds(
    lambda source, target, mode: f"{source}:{target}{mode}",
    st.sampled_from(["./data", "./logs", "cache", "/srv/x"]),
    st.sampled_from(["/data", "/logs", "/cache", "/x"]),
    st.sampled_from(["", ":ro", ":rw"]),
)
SIZE = st.sampled_from(["64M", "128m", "1g", "512MB", "1.5G"])


#: compose-go refuses a name whose last byte is a space in the list form (composegen's schema check
#: says so too) and, in the mapping form, only when two files' environments of one service merge: that last
#: quirk is not modelled, so merged names here end in no space.
MERGED_ENV_NAME = ENV_NAME.filter(lambda name: name.encode()[-1] not in b"\t\n\v\f\r \x85\xa0")


def _environment() -> st.SearchStrategy[Any]:
    mapping = st.dictionaries(MERGED_ENV_NAME, st.one_of(VALUE, st.none()), max_size=3)
    listed = st.lists(st.builds(lambda k, v: f"{k}={v}", ENV_NAME, VALUE), max_size=3, unique=True)
    return st.one_of(mapping, listed)


def _labels() -> st.SearchStrategy[Any]:
    return st.dictionaries(st.sampled_from(["a", "b.c", "com.example/x", "d-e"]), VALUE, max_size=3)


LIMITS = {"memory": SIZE, "cpus": st.sampled_from(["0.5", "1", "2"])}
DNS = ["1.1.1.1", "8.8.8.8", "9.9.9.9"]
SOFT = st.integers(1, 99)
LOG = st.dictionaries(st.sampled_from(["max-size", "max-file"]), VALUE, max_size=2)
SERVICE_KEYS: dict[str, st.SearchStrategy[Any]] = {
    "image": st.sampled_from(IMAGES),
    "command": st.one_of(VALUE, st.lists(VALUE, max_size=3)),
    "environment": _environment(),
    "labels": _labels(),
    "ports": st.lists(PORT, max_size=3, unique=True),
    "volumes": st.lists(VOLUME, max_size=3, unique=True),
    "mem_limit": SIZE,
    "shm_size": SIZE,
    "user": VALUE.filter(bool),
    "working_dir": st.sampled_from(["/app", "/srv", "/"]),
    "read_only": st.booleans(),
    "tmpfs": st.lists(st.sampled_from(["/tmp", "/run", "/var/cache"]), max_size=2, unique=True),
    "cap_add": st.lists(st.sampled_from(["NET_ADMIN", "SYS_PTRACE", "CHOWN"]), max_size=2, unique=True),
    "deploy": st.fixed_dictionaries(
        {},
        optional={
            "replicas": st.integers(0, 5),
            "resources": st.fixed_dictionaries({}, optional={"limits": st.fixed_dictionaries({}, optional=LIMITS)}),
        },
    ),
    "networks": st.one_of(
        # (an empty list or mapping puts the service on the default network: compose's config shows
        # `default`, composegen's merged model keeps what was written)
        st.lists(st.sampled_from(["front", "back"]), min_size=1, max_size=2, unique=True),
        st.dictionaries(
            st.sampled_from(["front", "back"]),
            st.one_of(st.none(), st.fixed_dictionaries({}, optional={"aliases": st.lists(SERVICE_NAME, max_size=2)})),
            min_size=1,
            max_size=2,
        ),
    ),
    "extra_hosts": st.lists(st.sampled_from(["a:10.0.0.1", "b=10.0.0.2", "a:10.0.0.3", "c:::1"]), max_size=3),
    "dns": st.one_of(st.sampled_from(DNS), st.lists(st.sampled_from(DNS), max_size=2)),
    "logging": st.fixed_dictionaries({}, optional={"driver": st.sampled_from(["json-file", "local"]), "options": LOG}),
    "ulimits": st.dictionaries(
        st.sampled_from(["nofile", "nproc"]),
        st.one_of(st.integers(1, 65535), st.fixed_dictionaries({"soft": SOFT, "hard": st.integers(99, 999)})),
        max_size=2,
    ),
    "expose": st.lists(st.sampled_from(["80", "443", "8000-8001"]), max_size=2, unique=True),
    "entrypoint": st.one_of(VALUE, st.lists(VALUE, max_size=2)),
    "healthcheck": st.fixed_dictionaries(
        {"test": st.lists(VALUE, min_size=1, max_size=2).map(lambda rest: ["CMD", *rest])},
        optional={"interval": st.sampled_from(["5s", "1m30s", "250ms"]), "retries": st.integers(1, 9)},
    ),
}  # fmt: skip


@st.composite
def service(draw: st.DrawFn, *, base: bool) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(SERVICE_KEYS)), max_size=6, unique=True))
    found: dict[str, Any] = {key: draw(SERVICE_KEYS[key]) for key in keys}
    if base:
        found.setdefault("image", draw(st.sampled_from(IMAGES)))
    else:  # an overlay may reset a key, or override it whole instead of merging
        for key in keys:
            if key != "image":
                found[key] = draw(st.sampled_from([found[key], Tag("!override", found[key]), Tag("!reset", None)]))
    return found


@st.composite
def file_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A base and an overlay over some of its services (and, maybe, a service of its own)."""
    names = draw(st.lists(SERVICE_NAME, min_size=1, max_size=4, unique_by=str.lower))
    base = {
        "services": {name: draw(service(base=True)) for name in names},
        "volumes": {"cache": {}},
        "networks": {"front": {}, "back": {}},
    }
    over_names = draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True))
    over = {"services": {name: draw(service(base=False)) for name in over_names}}
    extra = draw(st.one_of(st.none(), SERVICE_NAME.filter(lambda n: n.lower() not in {x.lower() for x in names})))
    if extra is not None:
        over["services"][extra] = draw(service(base=True))
    return base, over


@pytest.mark.oracle
@SETTINGS
@given(pair=file_pairs())
def test_the_merge_agrees_with_compose_on_generated_pairs(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    with folder() as root:
        files = [root / "base.yml", root / "over.yml"]
        for path, data in zip(files, pair, strict=True):
            path.write_text(as_yaml(data))
        ours = load_stack(files, env={}, project_dir=root)
        errors = [p.message for p in ours.problems if p.error] + [str(e) for e in ours.validate()]
        try:
            theirs = run_config(files, env=CLEAN_ENV, project_dir=root)
        except OracleError as refused:  # compose refuses the pair: so must composegen (or its lint)
            assert errors or lint_errors(files, root), refused.message
            return
        assert errors == []
        mine, compose = canonical_services(ours.data, root), canonical_services(theirs.data, root)
        assert sorted(mine) == sorted(compose)
        for name, got in mine.items():
            for key in sorted(set(got) | set(compose[name])):
                assert (name, key, _shown(got.get(key))) == (name, key, _shown(compose[name].get(key)))


def lint_errors(files: list[Path], root: Path) -> list[str]:
    """The error findings of every lint rule on the merged pair (compose refuses some stacks on
    checks of its own, like distinct mem_limit and deploy limits: CG108)."""
    context = build_context(files, mode="stack", env={}, project_dir=root)
    return [
        f"{finding.code} {finding.message}"
        for rule in all_rules()
        for finding in run_rule(context, rule)
        if finding.severity is Severity.error
    ]


def _shown(value: Any) -> Any:
    """A value as `config` prints it: it leaves out empty lists and mappings."""
    return None if value in ([], {}) else value


# --- command strings, split as compose splits them ---------------------------------------------------

#: (command string, the arguments compose runs, or None where compose refuses it), checked against
#: compose v2 below; found where Python's shlex and compose-go's go-shellwords part ways.
COMMANDS: list[tuple[str, list[str] | None]] = [
    ("a b", ["a", "b"]),
    ('"a\\b"', ["ab"]),  # a backslash escapes any character, even inside double quotes
    ("'a\\b'", ["a\\b"]),
    ("a\\ b", ["a b"]),
    ("a;b", ["a"]),  # the words end at the first unquoted ; & | < >
    ("echo a && rm -rf b", ["echo", "a"]),
    ("a|b", ["a"]),
    ("echo 2>f", ["echo"]),
    ("2>f", []),
    ("`x`", ["`x`"]),
    ("$$(x)", ["$(x)"]),
    ("echo 'a''b' \"c\"d", ["echo", "ab", "cd"]),
    ("a#b #c", ["a#b", "#c"]),
    ("echo ''", ["echo", ""]),
    ("", []),
    ("(a)", None),  # `(` outside `$(...)`
    ("a)b", None),
    ("echo $$((1+2))", None),
    ("'unclosed", None),
    ('"unclosed', None),
    ("a\\", None),
]


@pytest.mark.parametrize(("text", "argv"), COMMANDS)
def test_command_strings_split_as_compose_splits_them(text: str, argv: list[str] | None) -> None:
    written = text.replace("$$", "$")  # what compose splits, once `$$` is read as `$`
    if argv is None:
        with pytest.raises(SyntaxProblem):
            shell_split(written)
        assert validate({"services": {"a": {"image": "x", "command": written}}})
    else:
        assert shell_split(written) == argv


@pytest.mark.oracle
def test_the_command_table_is_what_compose_does(tmp_path: Path) -> None:
    accepted = {f"s{i}": {"image": "x", "command": text} for i, (text, argv) in enumerate(COMMANDS) if argv is not None}
    (tmp_path / "ok.yml").write_text(as_yaml({"services": accepted}))
    services = run_config([tmp_path / "ok.yml"], env=CLEAN_ENV, project_dir=tmp_path).data["services"]
    for name, service in accepted.items():
        argv = dict(COMMANDS)[service["command"]]
        assert (service["command"], services[name].get("command") or []) == (service["command"], argv)
    for index, (text, argv) in enumerate(COMMANDS):
        if argv is None:
            (tmp_path / f"bad{index}.yml").write_text(as_yaml({"services": {"a": {"image": "x", "command": text}}}))
            with pytest.raises(OracleError, match="invalid command line string"):
                run_config([tmp_path / f"bad{index}.yml"], env=CLEAN_ENV, project_dir=tmp_path)
