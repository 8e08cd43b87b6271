"""agents-exceed-host (CG303): load-test agents × memory per agent above the host.

What it does:
    For a service with an agent count in composegen.yaml (`agents: 500`, role `agent`), works out
    the replicas it runs (`replicas:`, else agents ÷ `agents_per_replica`, rounded up) and the
    memory each replica has (its memory limit, else the declared `memory:`), and flags the
    service when replicas × that is above the host budget (`host.memory − host.reserve`). A
    compose file that sets `deploy.replicas` itself is left to CG104, which adds up every service.
    Without a declared host it checks nothing.

Why is this bad?
    Five hundred agents at 512M each need 250 GiB. Started on a smaller host, the first few
    hundred start, then the kernel's OOM killer takes agents, or the services under test, or
    dockerd: the load test measures the host running out of memory, not the system it tests.

Example:
    ```yaml
    # composegen.yaml: host: {memory: 64G}, services: {agent: {agents: 500}}
    services:
      agent:
        image: ghcr.io/acme/agent:1.0.0
        deploy:
          resources:
            limits: {memory: 512M}
    ```

Use instead:
    ```yaml
    # composegen.yaml: host: {memory: 64G}, services: {agent: {agents: 100}}
    services:
      agent:
        image: ghcr.io/acme/agent:1.0.0
        deploy:
          resources:
            limits: {memory: 512M}
    ```
    or less memory per agent (the agent-scale profile's tiers), or more hosts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import dig, host_budget, memory_limit
from composegen.units import format_bytes, human_bytes

CODE = "CG303"
NAME = "agents-exceed-host"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"prod": Severity.error}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    host = host_budget(ctx.host)
    if host is None:
        return
    budget, budget_text = host
    for name, service in ctx.services():
        inputs = ctx.inputs.get(name)
        if inputs is None or inputs.spec.agents is None:
            continue
        if dig(service, "deploy", "replicas") is not None or service.get("scale") is not None:
            continue  # the compose file says how many: CG104 counts them
        agents = inputs.spec.agents
        per_replica_agents = inputs.spec.agents_per_replica
        replicas = inputs.spec.replicas if inputs.spec.replicas is not None else math.ceil(agents / per_replica_agents)
        limit = memory_limit(name, service)
        declared = inputs.spec.memory
        if limit is not None:
            per_replica, per_text, path = limit.value, f"limit {limit.shown()}", limit.path
            severity = None
        elif declared is not None:
            per_replica, per_text = float(declared), f"declared memory {format_bytes(declared)}"
            path, severity = ("services", name), Severity.error  # a working set, not a ceiling
        else:
            continue
        total = replicas * per_replica
        if total <= budget:
            continue
        per_agent = total / agents
        yield Violation(
            path,
            f"service {name!r}: {agents} agents in {replicas} replicas × {per_text} per replica "
            f"({human_bytes(per_agent)} per agent) = {human_bytes(total)} > the host {budget_text}",
            service=name,
            severity=severity,
        )
