"""A stack's secret values, searched for together (composegen.masking.StackSecrets): render, explain,
the swarm stack file and the Kubernetes export mask each service's text against every value of
the stack, and did it one value at a time: 4,000 services each interpolating its own `.env`
secret took 3.6 s to render, 16 s as a stack file, 21 s to export (issue 12: every input in
linear time). The output must be what it was, byte for byte, and hold no planted secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from composegen import masking
from composegen.explain import service_text
from composegen.export import k8s
from composegen.masking import MIN_KNOWN_LENGTH, KnownValues, StackSecrets, mask, mask_argv
from composegen.render.overlay import plan, render_planned
from composegen.render.swarm import render_swarm_planned

#: Letters that make values overlap and repeat, and what may stand next to a short value.
TEXT = st.text(alphabet=st.sampled_from(list("ab1 =:@'\"x-p/")), max_size=60)
VALUE = st.text(alphabet=st.sampled_from(list("ab1=:x")), min_size=1, max_size=12)


@settings(deadline=None)  # a shared CI machine: no time limit per example
@given(TEXT, st.lists(VALUE, max_size=8))
def test_found_is_every_value_in_the_text(text: str, values: list[str]) -> None:
    expected = {v for v in values if len(v) >= MIN_KNOWN_LENGTH and v in text}
    assert KnownValues(values).found(text) == expected


@settings(deadline=None)
@given(TEXT, st.lists(VALUE, max_size=12))
def test_found_alike_by_slices_and_by_the_automaton(text: str, values: list[str]) -> None:
    # values of at most four lengths are found by slices of those lengths, others by the automaton
    expected = {v for v in values if len(v) >= MIN_KNOWN_LENGTH and v in text}
    assert KnownValues(values)._search(text) == expected
    few = KnownValues([v for v in values if len(v) < MIN_KNOWN_LENGTH + 4])
    assert few._lengths or not few.values
    assert few._by_length(text) == few._search(text) == {v for v in expected if v in few.values}


@settings(deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab1 =:@x-p")), max_size=80),
    st.text(alphabet=st.sampled_from(list("ab1=:x")), min_size=1, max_size=3),
    st.lists(st.text(alphabet=st.sampled_from(list("ab1x")), min_size=2, max_size=2), min_size=1, max_size=6),
)
def test_found_alike_from_a_shared_character(text: str, head: str, tails: list[str]) -> None:
    # values sharing characters (`secretvalue000017`) are looked up only where one of those stands
    values = [f"{head}{tail}x" for tail in tails]
    known = KnownValues(values)
    assert known._by_length(text) == known._search(text) == {v for v in known.values if v in text}
    padded = "ab" * len(text) + text  # (a text long enough for the shared characters to be rare)
    assert known._by_length(padded) == known._search(padded) == {v for v in known.values if v in padded}


#: Pieces of file names and of what explain quotes after them, each of which some pattern reads.
_NAME_PIECES = ["a", "1", "-", ".", "/", "_", "mysql", "MariaDB", "redis-cli", "ghp_", "AKIA", "-p", "-u", "--token"]
_NAME_PIECES += ["abcdefgh", "ABCDEFGHIJKLMNOP", "x=", "://", " ", ":", "'", ","]
_REST_PIECES = ["-p", "x", "1", " ", "=", "--password", "TOKEN=", "u:p@h", "http://", "ghp_abcdefgh1", "-u a:b", "-a"]
_REST_PIECES += ["redis-cli", "mysql", "'", '"', ",", "-----BEGIN RSA PRIVATE KEY-----", "AKIAABCDEFGHIJKLMNOP"]


@settings(deadline=None, max_examples=1000)
@given(
    st.lists(st.sampled_from(_NAME_PIECES), max_size=6).map("".join),
    st.integers(min_value=0, max_value=10**6),
    st.lists(st.sampled_from(_REST_PIECES), max_size=10).map("".join),
)
@example("mysql", 1, "-p1")  # the mysql client named in front: `-p1` is its password, not a port
@example("redis-cli", 1, "-a x")
@example("d/ghp_abcdefgh", 1, "")
@example("-pa", 1, "")
def test_patterns_masked_alike_behind_a_file_line(name: str, line: int, rest: str) -> None:
    # a `file:line: ` in front is kept and the rest masked alone only where that changes nothing
    for text in (f"{name}:{line}: {rest}", f"{name}{rest}"):
        assert masking._mask_patterns(text) == masking._patterns_masked(text)


@settings(deadline=None)
@given(TEXT, st.lists(VALUE, max_size=10), st.lists(VALUE, max_size=3))
def test_masked_as_one_value_at_a_time(text: str, values: list[str], own: list[str]) -> None:
    # one value a length: longest first is then the one order (equal lengths go in a set's order)
    by_length = {len(v): v for v in [*values, *own]}
    values = [v for v in values if by_length[len(v)] == v]
    own = [v for v in own if by_length[len(v)] == v]
    known = StackSecrets(values).with_own(own)
    assert mask(text, known) == mask(text, [*values, *own])
    assert mask_argv(text.split(" "), known) == mask_argv(text.split(" "), [*values, *own])


@settings(deadline=None)
@given(st.lists(TEXT, max_size=6), st.lists(VALUE, max_size=6), st.lists(st.lists(VALUE, max_size=2), max_size=4))
def test_masked_alike_when_texts_repeat_across_services(
    texts: list[str], values: list[str], owns: list[list[str]]
) -> None:
    # a stack's answers are remembered by text and shared by its services (`with_own`): a text
    # masked for one service is masked the same for the next, unless that one's own value is in it
    by_length = {len(v): v for v in [*values, *(v for own in owns for v in own)]}
    values = [v for v in values if by_length[len(v)] == v]
    owns = [[v for v in own if by_length[len(v)] == v] for own in owns]
    stack = StackSecrets(values)
    for own in [[], *owns, []]:
        known = stack.with_own(own)
        for text in [*texts, *texts]:
            assert mask(text, known) == mask(text, [*values, *own])
            assert known.found_in(text) == {v for v in [*values, *own] if len(v) >= MIN_KNOWN_LENGTH and v in text}
        assert mask_argv(texts, known) == mask_argv(texts, [*values, *own])


SECRETS = {
    "DB_PASSWORD": "hunter2hunter2",
    "API_TOKEN": "tok_abcdefgh1234",
    "SHORT": "shop",  # also a word of the commands: masked only where it stands alone
    "SHARED": "sharedsecret99",
    "DOLLAR": "pa$$word99x",  # `$$` in `.env` is a `$`, written `$$` again in args
    "OVERLAP_A": "abcdefghXY",  # two values that overlap in one command
    "OVERLAP_B": "XYzzzzzzzzz",
}
#: Written in the compose file, not interpolated.
OWN = ("ownsecret123", "mypassword77")
COMPOSE = """\
services:
  db:
    image: postgres:16.4
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD}
      OTHER_SECRET: ownsecret123
  web:
    image: example/app:1
    command: ["gunicorn", "app:wsgi", "-w", "2", "--name", "${SHARED}", "--db", "postgres://app:${DB_PASSWORD}@db/shop",
              "${API_TOKEN}", "shop", "shop.wsgi", "${SHARED}x", "${OVERLAP_A}zzzzzzzzz", "mypassword77"]
    environment:
      APP_TOKEN: ${API_TOKEN}
      PLAIN: ${SHARED}
      MY_PASSWORD: mypassword77
      NOTE: uses mypassword77 and ${DOLLAR}
    labels:
      info: "token ${API_TOKEN} and ownsecret123"
    healthcheck:
      test: ["CMD-SHELL", "curl -u admin:${DB_PASSWORD} http://localhost/ && echo ${SHARED} ${OVERLAP_B}"]
  worker:
    image: example/worker:1
    entrypoint: /bin/sh -c
    command: "worker --key ${API_TOKEN} --pw ${DOLLAR} run ${SHARED} mypassword77 ownsecret123 ${SHORT}"
    environment:
      - WORKER_SECRET=${SHARED}
      - LEVEL=debug
  redis:
    image: redis:7
    command: redis-server --requirepass ${DB_PASSWORD}
"""


def _outputs(folder: Path) -> dict[str, str]:
    """What render, explain, render --target swarm and export k8s write or print of the stack."""
    planned = plan("prod", None, folder)
    k8s_export = k8s.export_k8s(planned)
    return {
        "overlay": render_planned(planned, folder / "overlay.yml"),
        "explain": "\n".join(service_text(p) for p in planned.stack.services),
        "swarm": render_swarm_planned(planned, folder / "stack.yml").text,
        **{f"k8s {s.service}": k8s.service_text(k8s_export, s) for s in k8s_export.services},
        "k8s notes": repr((k8s_export.unmapped, k8s_export.defaults, k8s_export.secret_keys)),
    }


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    env = "".join(f"{name}={value.replace('$', '$$')}\n" for name, value in SECRETS.items())
    (tmp_path / ".env").write_text(env, encoding="utf-8")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    return tmp_path


def test_every_output_is_what_one_value_at_a_time_gave(stack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = _outputs(stack)
    for name, text in outputs.items():
        for secret in [*SECRETS.values(), *OWN]:
            if secret != "shop":  # a word of the commands too (`shop.wsgi`)
                assert secret not in text, (name, secret)
        assert "abcdefgh" not in text, name  # nor the part of one that another overlaps
    assert "shop.wsgi" in outputs["k8s web"]
    assert '"$(API_TOKEN)"' in outputs["k8s web"]  # args refer to the variables
    assert "echo ${SHARED} ${OVERLAP_B}" in outputs["k8s web"]  # and so does a shell
    assert "****" in outputs["explain"]
    # as before: every value of the stack looked for in every text, one at a time
    monkeypatch.setattr(StackSecrets, "found_in", lambda self, _: {*self.values, *self.own})
    monkeypatch.setattr(KnownValues, "found", lambda self, _: set(self.values))
    assert _outputs(stack) == outputs


def _many(folder: Path, services: int) -> Path:
    folder.mkdir()
    (folder / ".env").write_text("".join(f"S{i}_KEY=secretvalue{i:06d}\n" for i in range(services)))
    (folder / "docker-compose.yml").write_text(
        "services:\n"
        + "".join(
            f"  s{i}:\n    image: example/app:1\n    command: gunicorn app:wsgi -w 2 --name ${{S{i}_KEY}}\n"
            f"    environment:\n      DSN: postgres://app:${{S{i}_KEY}}@db\n"
            f"    healthcheck:\n      test: curl -f http://localhost/${{S{i}_KEY}}\n"
            for i in range(services)
        )
    )
    return folder


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times a value is replaced in a text (each a pass over the text)."""
    calls = [0]
    replace = masking.replace_value

    def counting(text: str, value: str, replacement: str) -> str:
        calls[0] += 1
        return replace(text, value, replacement)

    monkeypatch.setattr(masking, "replace_value", counting)
    monkeypatch.setattr(k8s, "replace_value", counting)
    yield calls


def test_masking_each_service_against_the_stacks_secrets_is_linear(tmp_path: Path, counted: list[int]) -> None:
    work = []
    for services in (150, 300):
        counted[0] = 0
        outputs = _outputs(_many(tmp_path / str(services), services))
        assert not any("secretvalue" in text for text in outputs.values())
        work.append(counted[0])
    # one value looked for in each text of a service, not every value of the stack: twice the
    # services, twice the work (it was four times: 100,000 replacements for 150 services)
    assert work[1] <= 2.2 * work[0]


@pytest.mark.parametrize(
    "known",
    [("abcdefghXY", "XYzzzzzzzzz"), ("XYzzzzzzzzz", "abcdefghXY"), StackSecrets(["abcdefghXY", "XYzzzzzzzzz"])],
    ids=["longest second", "longest first", "the stack's"],
)
def test_two_values_that_overlap_are_masked_together(known: tuple[str, ...] | StackSecrets) -> None:
    # one at a time, the longer value masked first left 8 of the other's 10 characters in the clear
    assert masking.mask("--name abcdefghXYzzzzzzzzz --x 1", known) == "--name **** --x 1"


def test_the_plan_hands_on_the_stacks_secret_values(stack: Path, tmp_path: Path) -> None:
    # render --target swarm and export k8s mask with the values planning gathered, not another walk
    planned = plan("prod", None, stack)
    assert planned.secrets == StackSecrets(planned.base.secret_values())
    assert planned.secrets.values
    empty = tmp_path / "none"
    empty.mkdir()
    (empty / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n", encoding="utf-8")
    assert plan("prod", None, empty).secrets == StackSecrets()


@settings(deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("$${}AB_1 \n-:")), max_size=12), max_size=6))
def test_interpolated_variables_alike_searched_together(texts: list[str]) -> None:
    # the texts are searched joined by line breaks: the names each one alone interpolates
    variables = dict.fromkeys(("A", "B", "AB", "A_1", "B1", "_", "_A"), "value")
    names = {name for text in texts for name in masking._REFERENCE.findall(text)}
    expected = {name: variables[name] for name in sorted(names) if name in variables}
    assert masking.interpolated_variables(texts, variables) == expected
