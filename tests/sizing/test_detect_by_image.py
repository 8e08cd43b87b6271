"""`resolve._detected` keeps `detect`'s answer by the image alone where the image decides it
(`detect.decided_by_image`): there, what the service runs and sets changes nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.masking import StackSecrets
from composegen.sizing.detect import decided_by_image, detect
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
