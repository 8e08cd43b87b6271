"""Default profile and service settings as plain attribute namespaces, for paths that must not
import pydantic: `composegen lint` on files without a composegen.yaml sizes each service with the
neutral profile and the default `ServiceSpec`, and pydantic with the model classes costs more than
the whole of a small lint run (and so would ten dataclasses: these are `SimpleNamespace`s).

They mirror `composegen.profiles.models` field for field, with the same defaults, and are only
ever read (the calculators read attributes and call `Profile.role`), so they stand in for the
models where those would be built from defaults. tests/profiles/test_plain_defaults.py checks that
each one holds exactly what its model dumps to.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from composegen.profiles.models import Profile, ServiceSpec

MIB = 1024**2


def role_policy() -> SimpleNamespace:
    """`models.RolePolicy()`."""
    return SimpleNamespace(memory=None, cpus=None, startup=None)


class PlainProfile(SimpleNamespace):
    """A profile's settings, with `models.Profile.role`."""

    roles: dict[str, Any]

    def role(self, role: str) -> Any:
        found = self.roles.get(role)
        return role_policy() if found is None else found


def profile_defaults(name: str) -> PlainProfile:
    """`models.Profile(name=name)`: every setting at its default."""
    return PlainProfile(
        name=name,
        description="",
        extends=None,
        target="compose",
        memory=SimpleNamespace(margin=1.2, reservation_ratio=None, minimum=32 * MIB),
        cpu=SimpleNamespace(limits=True, default=1.0),
        pids=None,
        healthcheck=SimpleNamespace(
            interval=10.0,
            timeout=5.0,
            retries=5,
            start_interval=2.0,
            startup_margin=1.5,
            minimum_start_period=10.0,
        ),
        tmpfs=SimpleNamespace(data_dirs=False, dataset_factor=2.0, minimum=64 * MIB),
        hardening=SimpleNamespace(read_only=False, tmp_size=64 * MIB, no_new_privileges=False, user=None, cap_drop=()),
        logging=None,
        restart=None,
        network=None,
        monitoring=None,
        environment={},
        roles={},
        agents=SimpleNamespace(
            tiers=(), stagger=0.0, connections_per_agent=1.0, update_parallelism=10, update_delay=10.0
        ),
        ml=SimpleNamespace(
            gunicorn_timeout=120.0,
            max_requests=0,
            max_requests_jitter=0,
            model_cache_volume=True,
            cache_path="/root/.cache/huggingface",
        ),
        pytest=None,
    )


def spec_defaults() -> SimpleNamespace:
    """`models.ServiceSpec()`: a service composegen.yaml says nothing about."""
    return SimpleNamespace(
        role=None,
        memory=None,
        cpus=None,
        workers=None,
        threads=None,
        preload=None,
        memory_per_worker=None,
        framework=None,
        agents=None,
        agents_per_replica=1,
        replicas=None,
        models=(),
        batch=1,
        sequence_length=512,
        context_length=None,
        concurrent_sequences=None,
        dataset=None,
        connections=None,
        startup=None,
        tests=None,
        persistence=None,
        keys=None,
        value_size=None,
        environment={},
    )


_NEUTRAL: PlainProfile | None = None
_DEFAULT_SPEC: SimpleNamespace | None = None


def neutral_profile() -> Profile:
    """The profile lint sizes with: no margin, no floor, so a calculator's memory is the bare
    working set it estimates (`Profile(name="lint", memory=MemoryPolicy(margin=1.0, minimum=0))`)."""
    global _NEUTRAL
    if _NEUTRAL is None:
        _NEUTRAL = profile_defaults("lint")
        _NEUTRAL.memory = SimpleNamespace(margin=1.0, reservation_ratio=None, minimum=0)
    return cast("Profile", _NEUTRAL)


def default_spec() -> ServiceSpec:
    """`ServiceSpec()`, without pydantic (one shared instance: it is only read)."""
    global _DEFAULT_SPEC
    if _DEFAULT_SPEC is None:
        _DEFAULT_SPEC = spec_defaults()
    return cast("ServiceSpec", _DEFAULT_SPEC)
