"""restart-policy-missing (CG602): a long-running service that is not restarted.

What it does:
    Flags a service with neither `restart:` nor `deploy.restart_policy`. Not flagged: services
    that run once and exit (others wait for them with `condition: service_completed_successfully`;
    or their command finishes: migrations, `manage.py` commands other than a server, test
    runners, wait-for scripts; or a tool profile such as `tools` or `setup`), a file linted on
    its own that only adds to another (a service with no image and no build: its base may set
    it), and stacks meant for `docker stack deploy` (Swarm restarts by default): `--target
    swarm`, or a stack that says so itself (a file named like `docker-stack.yml`,
    `deploy.mode: global`, `placement`, `update_config`, an overlay network).

Why is this bad?
    compose's default is `restart: "no"`: a container that is OOM-killed, crashes, or is
    stopped by a daemon restart or a host reboot stays down until someone notices. With a
    memory limit set, an OOM kill is a normal event a restart policy recovers from.

Example:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
    ```

Use instead:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
        restart: unless-stopped
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.tree import is_mapping
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import fragments, services_with

CODE = "CG602"
NAME = "restart-policy-missing"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}


def one_shot_services(ctx: LintContext) -> set[str]:
    """Services another service waits on with `condition: service_completed_successfully`."""
    found: set[str] = set()
    for _, service in services_with(ctx, "depends_on"):  # (most services wait on none)
        depends = service.get("depends_on")
        if not is_mapping(depends):
            continue
        for target, detail in depends.items():
            if is_mapping(detail) and detail.get("condition") == "service_completed_successfully":
                found.add(str(target))
    return found


def _has_policy(service: Mapping[str, Any]) -> bool:
    if service.get("restart") is not None:
        return True
    deploy = service.get("deploy")
    return deploy is not None and isinstance(deploy, Mapping) and deploy.get("restart_policy") is not None


def runs_once(ctx: LintContext, name: str, service: Mapping[str, Any]) -> bool:
    """Whether the service's own command or profiles say it finishes (composegen.facts). A service
    with neither runs its image's server: no facts needed to say it does not."""
    if "command" not in service and "entrypoint" not in service and "profiles" not in service:
        return False
    facts = ctx.facts(name)
    return facts is not None and facts.run_once


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.target == "swarm":
        return  # Swarm's default policy is `condition: any`
    one_shot = one_shot_services(ctx)
    fragment_names = fragments(ctx)  # (`is_fragment` of each service, found once)
    for name, service in ctx.services():
        if name in one_shot or _has_policy(service):
            continue
        if name in fragment_names:
            continue  # its base may set it
        if runs_once(ctx, name, service):
            continue
        yield Violation(
            ("services", name),
            f"service {name!r} has no restart policy: after a crash, an OOM kill or a reboot it stays "
            'down; set `restart: unless-stopped` (or `restart: "no"` for a one-shot job)',
            service=name,
        )
