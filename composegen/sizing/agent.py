"""Load-test agents: memory and CPU per agent by agent-count tier (the tiers are profile data).

Many agents on one host each get less: the profile's tiers say how much per agent at each
count. A replica runs `agents_per_replica` agents; replicas = ceil(agents ÷ agents_per_replica).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.sizing.common import startup_time
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, times
from composegen.sizing.result import EnvSetting, Sizing

if TYPE_CHECKING:
    from composegen.profiles.models import AgentTier, Profile

DEFAULT_STARTUP = 5.0


def tier_for(count: int, profile: Profile) -> tuple[AgentTier, str]:
    lower = 1
    for index, tier in enumerate(profile.agents.tiers):
        if tier.up_to is None or count <= tier.up_to:
            span = f"{lower}+" if tier.up_to is None else f"{lower}-{tier.up_to}"
            return tier, f"profile {profile.name}: agents.tiers[{index}] ({span} agents)"
        lower = tier.up_to + 1
    raise InputError(
        f"profile {profile.name} has no agent tier for {count} agents",
        where=f"profile {profile.name}: agents.tiers",
        fix="add a last tier with up_to: null",
    )


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    count = inputs.spec.agents or 1
    agents = given(
        "agents",
        count,
        "count",
        f"composegen.yaml: services.{inputs.name}.agents" if inputs.spec.agents else "default: one agent",
        "declared" if inputs.spec.agents else "default",
    )
    per_replica = given(
        "agents per replica",
        inputs.spec.agents_per_replica,
        "count",
        f"composegen.yaml: services.{inputs.name}.agents_per_replica",
    )
    if not profile.agents.tiers:
        raise InputError(
            f"profile {profile.name} defines no agent tiers",
            where=f"profile {profile.name}",
            fix="use the agent-scale profile or add agents.tiers",
        )
    tier, source = tier_for(count, profile)
    if inputs.spec.memory is not None:
        memory = given(
            "declared memory per replica",
            inputs.spec.memory,
            "bytes",
            f"composegen.yaml: services.{inputs.name}.memory",
        )
    else:
        memory = times("memory per replica", per_replica, given("memory per agent", tier.memory, "bytes", source))
    cpus = (
        given("declared cpus", inputs.spec.cpus, "cpus", f"composegen.yaml: services.{inputs.name}.cpus")
        if inputs.spec.cpus is not None
        else times("cpus per replica", per_replica, given("cpus per agent", tier.cpus, "cpus", source), unit="cpus")
    )
    if inputs.spec.replicas is not None:
        replicas = given("replicas", inputs.spec.replicas, "count", f"composegen.yaml: services.{inputs.name}.replicas")
    else:
        replicas = Quantity(
            "replicas",
            math.ceil(count / inputs.spec.agents_per_replica),
            "count",
            "ceil(agents ÷ agents per replica)",
            "",
            (agents, per_replica),
        )
    pool = max(1, math.ceil(profile.agents.connections_per_agent * inputs.spec.agents_per_replica))
    pool_q = Quantity(
        "connection pool per replica",
        pool,
        "count",
        "ceil(connections per agent × agents per replica)",
        f"profile {profile.name}: agents.connections_per_agent",
        (per_replica,),
    )
    env = [EnvSetting("AGENT_POOL_SIZE", str(pool), pool_q)]
    if profile.agents.stagger:
        env.append(
            EnvSetting(
                "AGENT_START_JITTER_SECONDS",
                str(int(profile.agents.stagger)),
                note=f"profile {profile.name}: agents.stagger (compose starts replicas at once: "
                "the agent sleeps a random part of this before connecting)",
            )
        )
    return Sizing(
        memory=memory,
        startup=startup_time(inputs, profile, DEFAULT_STARTUP, "composegen default, assumed"),
        cpus=cpus,
        environment=tuple(env),
        replicas=replicas,
        extra={"agents": agents},
    )
