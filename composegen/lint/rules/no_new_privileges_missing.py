"""no-new-privileges-missing (CG503): processes in the container may gain privileges.

What it does:
    Flags a service whose `security_opt` does not hold `no-new-privileges:true` (or holds
    `no-new-privileges:false`). `--fix` appends `no-new-privileges:true` to `security_opt` in
    the file that defines the service.

    A file linted on its own that only adds to another (a service with no image and no build)
    is not flagged: its base may set the option (compose appends `security_opt` lists). Nor is a
    stack linted with `--target swarm`: `docker stack deploy` ignores `security_opt`.

Why is this bad?
    Without it a process can raise its privileges through setuid and setgid binaries (`su`,
    `sudo`, `ping` on older images) or file capabilities: an attacker with code execution as an
    unprivileged user in the container becomes root in it, one step closer to the host. The
    flag (the kernel's `PR_SET_NO_NEW_PRIVS`) costs nothing for a service that does not use
    such binaries, which is almost every service.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        security_opt:
          - no-new-privileges:true
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.tree import key_origin
from composegen.lint.context import LintContext
from composegen.lint.finding import Edit, Fix, Severity, Violation, new_violation
from composegen.lint.readers import fragments, shares_text, walk
from composegen.yamlio import Document, KeyPath

CODE = "CG503"
NAME = "no-new-privileges-missing"
SEVERITY = Severity.info
SECURITY_SEVERITY = 4.0  # SARIF security-severity: a step an attacker needs, not a hole by itself
SEVERITY_BY_USAGE = {"prod": Severity.warning}
FIXABLE = True

VALUE = "no-new-privileges:true"
#: A named tuple of all its fields (`Edit`, `Fix`), without the constructor that reads them by name.
_new = tuple.__new__
_OPTION = re.compile(r"^\s*no-new-privileges\s*(?:[:=]\s*(?P<value>\S*))?\s*$", re.IGNORECASE)


def setting(entries: Any) -> bool | None:
    """What `security_opt` says about no-new-privileges: True, False, or None (nothing)."""
    found: bool | None = None
    for entry in entries if isinstance(entries, list) else []:
        match = _OPTION.match(str(entry))
        if match:
            value = (match.group("value") or "true").lower()
            found = value in ("true", "1", "yes")
    return found


def defining_documents(ctx: LintContext) -> dict[Any, Document]:
    """The first file (in load order) that defines each service, by name (found once per stack: a
    large stack asks for each of its services)."""
    found: dict[Any, Document] | None = ctx.shared.get("defining_documents")
    if found is None:
        found = ctx.shared["defining_documents"] = {}
        for doc in ctx.stack.documents:
            services = doc.data.get("services") if isinstance(doc.data, Mapping) else None
            for service in services if isinstance(services, Mapping) else ():
                found.setdefault(service, doc)
    return found


def _shared(ctx: LintContext, doc: Document, keys: KeyPath, written: list[Any]) -> bool:
    """Whether the list at `keys` (its key or any item) is text that also stands for another key
    path: it comes from an anchor or a `<<:` merge, so editing it in place would change the other
    users too."""
    _, parent = walk(doc.data, keys[:-1])
    origins = [key_origin(parent, keys[-1]), *(key_origin(written, i) for i in range(len(written)))]
    return any(o is not None and shares_text(ctx, doc, o.line, o.column) for o in origins)


def fix_for(ctx: LintContext, name: str, doc: Document | None) -> Fix | None:
    """The fix for service `name`, in `doc`, the first file that defines it (`defining_documents`)."""
    if doc is None:
        return None
    path: KeyPath = ("services", name, "security_opt")
    found, written = walk(doc.data, path)
    if found and setting(written) is False:
        return None  # someone turned it off on purpose: a human decides
    if found and isinstance(written, list) and _shared(ctx, doc, path, written):
        edit = Edit(doc.path, path, "set", [*written, VALUE])
    elif found and written is not None and not isinstance(written, list):
        return None  # not a list: schema-invalid reports it
    else:  # (the common case, once per service: built without the keyword-reading constructors)
        edit = _new(Edit, (doc.path, path, "append", VALUE))
    return _new(Fix, (f"add {VALUE} to services.{name}.security_opt", (edit,)))


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.target == "swarm":
        return  # `docker stack deploy` ignores security_opt (facts/compose-spec.md): CG402 says so
    fragment_names = fragments(ctx)  # (`is_fragment` of each service, found once)
    defining = defining_documents(ctx)
    for name, service in ctx.services():
        if name in fragment_names:
            continue  # its base may set it
        entries = service.get("security_opt")
        state = setting(entries) if entries is not None else None  # (most services set none)
        if state is True:
            continue
        if state is False:
            yield Violation(
                ("services", name, "security_opt"),
                f"service {name!r} turns no-new-privileges off: setuid binaries can raise a process to root",
                service=name,
            )
            continue
        yield new_violation(
            (
                ("services", name, "security_opt") if "security_opt" in service else ("services", name),
                f"service {name!r} does not set security_opt no-new-privileges:true: setuid binaries in the "
                "image can raise a process to root",
                name,  # service
                fix_for(ctx, name, defining.get(name)),  # fix
                None,  # severity: the rule's
                None,  # origin: its key's
            )
        )
