"""The quick paths of role detection: `resolve._detected` keeps `detect`'s answer by the image
alone where the image decides it (`detect.decided_by_image`): there, what the service runs and
sets changes nothing; a command rule's words are looked for with one pattern (`_mentions`)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.masking import StackSecrets
from composegen.sizing.detect import COMMAND_RULES, Rule, _mentions, decided_by_image, detect
from composegen.sizing.inputs import BaseService

IMAGES = st.sampled_from(
    [
        None,
        "postgres:16.4",
        "ghcr.io/acme/postgres:16@sha256:abc",
        "redis:7",
        "bitnami/kafka:3.7",
        "confluentinc/cp-kafka:7.6",
        "zookeeper:3.9",
        "cp-kafka-connect:7",
        "nginx:1.27",
        "example/app:1",
        "python:3.12",
        "${IMAGE}",
        "ollama/ollama",
        "Postgres",
    ]
)
COMMANDS = st.sampled_from(
    [None, "java -jar app.jar", "gunicorn app:wsgi -w 2", "psql postgres://app:pw000001x@db", ("pytest", "-x"), ""]
)
ENVIRONMENTS = st.dictionaries(
    st.sampled_from(["POSTGRES_PASSWORD", "DSN", "FLASK_APP"]), st.sampled_from(["pw000001x", "x"])
)


@settings(deadline=None, max_examples=300)
@given(IMAGES, COMMANDS, COMMANDS, ENVIRONMENTS, ENVIRONMENTS)
def test_where_the_image_decides_nothing_else_changes_the_answer(
    image: str | None, command: object, other: object, env: dict[str, str], other_env: dict[str, str]
) -> None:
    secrets = StackSecrets(["pw000001x"])
    one = detect(BaseService("a", image, command, environment=env), secrets)  # type: ignore[arg-type]
    two = detect(BaseService("b", image, other, entrypoint=other, environment=other_env), secrets)  # type: ignore[arg-type]
    if decided_by_image(image):
        assert one == two


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(COMMAND_RULES), st.text(alphabet="gunicorpyt.es-javflkh |/q", max_size=24))
def test_one_pattern_finds_a_rule_word_where_one_is(rule: Rule, text: str) -> None:
    assert (_mentions(rule).search(text) is not None) is any(word in text for word in rule.words)
