"""image-unpinned (CG601): an image with no tag, or the `latest` tag.

What it does:
    Flags a service whose `image` has no tag (`postgres`) or a floating tag (`latest`; the
    option `floating_tags` sets the list). A digest (`@sha256:...`) counts as pinned. Not
    flagged: a service with `build:` (the image name is where the build is stored), and an
    image written with a variable (`${IMAGE}`, `repo:${TAG}`): the environment pins it. An
    image written once in an anchor and merged into several services is one finding.

Why is this bad?
    `latest` is whatever was pushed last: two hosts, or one host before and after a `pull`,
    run different software from the same file, and a major upgrade (postgres 16 to 17 cannot
    read the old data folder) arrives unannounced on the next restart. Rolling back is
    impossible when you do not know what ran before.

Example:
    ```yaml
    services:
      db:
        image: postgres
      cache:
        image: redis:latest
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
      cache:
        image: redis:7.4.1@sha256:<digest>
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, written_with_variable

CODE = "CG601"
NAME = "image-unpinned"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}
OPTIONS: dict[str, Any] = {"floating_tags": ["latest"]}


def tag_of(image: str) -> tuple[str | None, bool]:
    """(tag, has a digest) of an image reference: `ghcr.io:443/a/b:1.2@sha256:..` -> ("1.2", True)."""
    name, at, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    _, colon, tag = last.partition(":")
    return (tag if colon else None), bool(at and digest)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    floating = {str(t).lower() for t in options.get("floating_tags", ())}
    for name, service in ctx.services():
        image = service.get("image")
        if "build" in service or not isinstance(image, str) or not image.strip():
            continue
        tag, digest = tag_of(image.strip())
        if digest:
            continue
        if tag is None:
            message = f"service {name!r} uses image {image!r} with no tag, which pulls latest"
        elif tag.lower() in floating:
            message = f"service {name!r} uses image {image!r}, a floating tag"
        else:
            continue
        if written_with_variable(ctx, ("services", name, "image")):
            continue  # the environment pins it
        yield Violation(
            ("services", name, "image"),
            f"{message}: pin a version (or a digest) so every host runs the same software",
            service=name,
        )
