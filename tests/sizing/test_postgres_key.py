"""postgres.sizing_key names all that `postgres.size` reads: services whose keys are equal get
equal sizings, so plan_stack sizes each key once (sizing.roles.SIZING_KEYS) and a stack plans
each service as planning it alone would, whatever the services share."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen.render.overlay import plan
from composegen.sizing.plan import plan_service, sized
from composegen.sizing.postgres import size, sizing_key
from composegen.sizing.roles import CALCULATORS

IMAGES = ("postgres:16.4", "postgres:12-alpine", "postgres:10", "postgis/postgis:16-3.4", "example/pg:1")
COMMANDS = (
    None,
    '["postgres", "-c", "shared_buffers=256MB"]',
    '["postgres", "-c", "max_connections=300", "-c", "work_mem=8MB"]',
    '["postgres", "-c", "max_parallel_workers_per_gather=2", "-c", "max_wal_size=64MB"]',
    '"psql postgres://app:pw@db"',
)
ENVIRONMENTS = (None, "{PGDATA: /data/pg}", "{POSTGRES_PASSWORD: pw1}", "{PGDATA: '$${X}'}")
VOLUMES = (None, '["pgdata:/var/lib/postgresql/data"]', '["/srv:/srv"]')
DECLARED = (None, "{connections: 40}", "{memory: 1g}", "{dataset: 300M}", "{cpus: 2, startup: 20}")

CHOICES: dict[str, tuple[str | None, ...]] = {
    "image": IMAGES,
    "command": COMMANDS,
    "entrypoint": (None, '["docker-entrypoint.sh"]'),
    "environment": ENVIRONMENTS,
    "volumes": VOLUMES,
    "declared": DECLARED,
}
service = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in CHOICES.items()})
#: One change to a service: services that differ in one input, so a key that leaves it out is
#: equal for two services the calculator sizes apart.
change = st.sampled_from(list(CHOICES)).flatmap(lambda name: st.tuples(st.just(name), st.sampled_from(CHOICES[name])))


@st.composite
def alike(draw: st.DrawFn) -> list[dict[str, str | None]]:
    first = draw(service)
    return [first, *({**first, name: value} for name, value in draw(st.lists(change, min_size=1, max_size=6)))]


def _files(services: list[dict[str, str | None]]) -> tuple[str, str]:
    compose = ["services:"]
    project = ["services:"]
    for n, s in enumerate(services):
        compose += [f"  db{n}:", f"    image: {s['image']!r}"]
        compose += [f"    {k}: {s[k]}" for k in ("command", "entrypoint", "environment", "volumes") if s[k]]
        if s["declared"]:
            project.append(f"  db{n}: {s['declared']}")
    named = "volumes:\n  pgdata: {}\n"
    return "\n".join(compose) + "\n" + named, "\n".join(project) + ("\n" if len(project) > 1 else " {}\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services=alike(), profile=st.sampled_from(("dev", "prod", "pytest")))
def test_equal_keys_size_alike_and_a_stack_plans_as_each_alone(
    services: list[dict[str, str | None]], profile: str
) -> None:
    compose, project = _files(services)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "docker-compose.yml").write_text(compose)
        (root / "composegen.yaml").write_text(project)
        planned = plan(profile, None, root)
    chosen = planned.profile.profile
    inputs = [i for i in planned.inputs if i.role == "postgres"]
    by_key: dict[tuple[object, ...], object] = {}
    for i in inputs:
        made = CALCULATORS["postgres"](i, chosen)  # never kept: sized afresh
        assert made == size(i, chosen)
        assert by_key.setdefault(sizing_key(i), made) == made
        assert sized(i, chosen, {}) == sized(i, chosen)
    assert list(planned.stack.services) == [plan_service(i, chosen) for i in planned.inputs]


def test_services_that_differ_only_in_name_and_password_share_one_key() -> None:
    compose = "services:\n" + "".join(
        f"  s{n}:\n    image: postgres:16.4\n    environment: {{POSTGRES_PASSWORD: pw{n}}}\n"
        f"    command: psql postgres://app:pw{n}@db\n"
        for n in range(3)
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "docker-compose.yml").write_text(compose)
        planned = plan("prod", None, Path(folder))
    assert len({sizing_key(i) for i in planned.inputs}) == 1
    assert planned.stack.services[0].sizing is planned.stack.services[2].sizing
