"""root-user (CG504): a container that runs as root.

What it does:
    Flags a service whose `user:` is root (`root`, `0`, `0:0`, `root:root`: a warning, an
    error in prod), and, as a hint (info, a warning in prod), a service with no `user:` at
    all: it then runs as the image's `USER`, which is root unless the image says otherwise.
    A `user:` given by a variable (`${UID}:${GID}`) is taken as set. The official database
    images (postgres, mysql, mariadb, redis, mongo: roles postgres, mysql, redis, mongo) are
    skipped: their entrypoints start as root only to fix the data folder's ownership and then
    drop to their own user.

    A file linted on its own that only adds to another (a service with no image and no build)
    is not flagged for a missing `user:`: its base may set it.

Why is this bad?
    Root in a container is uid 0 on the host kernel: a container escape (a kernel bug, a
    mounted socket, a writable host path) hands the attacker root on the host, and files the
    service writes to bind mounts are owned by root. Most services need no root at all.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        user: root
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        user: "10001:10001"
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.syntax import go_format
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation, new_violation
from composegen.lint.readers import fragments, services_in_role, written_with_variable

CODE = "CG504"
NAME = "root-user"
SEVERITY = Severity.info
SECURITY_SEVERITY = 5.0  # SARIF security-severity: a step an attacker needs, not a hole by itself
SEVERITY_BY_USAGE = {"prod": Severity.warning}
OPTIONS: dict[str, Any] = {
    # roles whose official images drop privileges in their entrypoint
    "skip_roles": ["postgres", "mysql", "redis", "mongo"],
}


def is_root(user: str) -> bool:
    """`root`, `0`, `0:0`, `root:1000`: the user part names uid 0."""
    who = user.strip().split(":", 1)[0].strip()
    return who in ("root", "0")


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    skip = {str(r) for r in options.get("skip_roles", ())}
    # the services of those roles, found once (not a role asked of every service)
    skipped = {name for role in skip for name, _ in services_in_role(ctx, role)}
    fragment_names = fragments(ctx)  # (`is_fragment` of each service, found once)
    for name, service in ctx.services():
        if name in skipped:
            continue
        user = service.get("user")
        if user is None or (isinstance(user, str) and not user.strip()):
            if "user" in service and written_with_variable(ctx, ("services", name, "user")):
                continue  # `${UID}` left unset here: the environment decides
            if name in fragment_names:
                continue  # its base may set it
            yield new_violation(
                (
                    ("services", name),
                    f"service {name!r} sets no user: it runs as the image's USER, root unless the image "
                    "sets one; set `user:` to an unprivileged uid",
                    name,  # service
                    None,  # fix
                    None,  # severity: the rule's
                    None,  # origin: its key's
                )
            )
        elif is_root(go_format(user)):
            yield Violation(
                ("services", name, "user"),
                f"service {name!r} runs as root (user: {go_format(user)}): set an unprivileged uid",
                service=name,
                severity=Severity.warning if ctx.usage != "prod" else Severity.error,
            )
