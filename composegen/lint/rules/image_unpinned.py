"""image-unpinned (CG601): an image with no tag, or a floating tag such as `latest`.

What it does:
    Flags a service whose `image` has no tag (`postgres`) or a floating tag: `latest`, a
    branch's build (`master`, `main`, `dev`, `develop`), a channel (`nightly`, `edge`, `stable`,
    `release`...; the option `floating_tags` sets the list). A digest (`@sha256:...`) counts as
    pinned. Not flagged: an image written with a variable (`${IMAGE}`, `repo:${TAG}`): the
    environment pins it; but a floating tag that the text or a variable's default supplies
    (`repo:${TAG:-latest}`) is flagged: it is what runs whenever `.env` leaves the variable out.
    Not flagged either: a service with `build:` (the image name is where the build is stored),
    unless its image is a registry's (a name with a `/`) written with a floating tag
    (`quay.io/go-skynet/local-ai:master`) and no `pull_policy: build` or `never`: compose then
    pulls that image, and builds only if the registry lacks it. An image written once in an
    anchor and merged into several services is one finding.

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
from composegen.lint.readers import has_template, literal_fallback, may_hold_variables, once_per_origin, raw_value

CODE = "CG601"
NAME = "image-unpinned"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}
OPTIONS: dict[str, Any] = {
    "floating_tags": [
        "latest",
        "master",
        "main",
        "dev",
        "develop",
        "development",
        "nightly",
        "edge",
        "canary",
        "stable",
        "release",
        "lts",
        "rolling",
    ]
}


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
    variables = may_hold_variables(ctx)
    for name, service in ctx.services():
        image = service.get("image")
        if not isinstance(image, str) or not image.strip() or ("build" in service and not _pulled(service, image)):
            continue
        found, written, _ = raw_value(ctx, ("services", name, "image")) if variables else (False, None, False)
        if found and isinstance(written, str) and has_template(written):
            message = _defaulted(name, written, floating)
            if message is None:
                continue  # the environment pins it
        else:
            message = _unpinned(name, image, floating)
            if message is None:
                continue
        if "build" in service:
            message += " that compose pulls before it builds"
        yield Violation(
            ("services", name, "image"),
            f"{message}: pin a version (or a digest) so every host runs the same software"
            + (" (or set `pull_policy: build`)" if "build" in service else ""),
            service=name,
        )


#: The pull policies under which compose builds a service with `build:` without pulling its image.
_BUILDS = frozenset({"build", "never"})


def _pulled(service: Mapping[str, Any], image: str) -> bool:
    """Whether compose pulls the image of a service with `build:`: a registry's image (a name
    with a `/`) with a tag, without `pull_policy: build` or `never` (compose pulls first, builds if
    the registry lacks it). A name with no tag is taken as where the build is stored."""
    policy = service.get("pull_policy")
    tag, _ = tag_of(image.strip())
    return tag is not None and "/" in image and not (isinstance(policy, str) and policy.lower() in _BUILDS)


def _unpinned(service: str, image: str, floating: set[str]) -> str | None:
    tag, digest = tag_of(image.strip())
    if digest:
        return None
    if tag is None:
        return f"service {service!r} uses image {image!r} with no tag, which pulls latest"
    if tag.lower() in floating:
        return f"service {service!r} uses image {image!r}, a floating tag"
    return None


def _defaulted(service: str, written: str, floating: set[str]) -> str | None:
    """An image written with variables: a floating tag where the text or a default supplies it
    (`${REGISTRY:-opea}/chatqna:${TAG:-latest}`); None where the environment chooses the tag."""
    read = literal_fallback(written.strip())
    if read is None:
        return None  # a required variable: compose runs only with it set
    tag, digest = tag_of(read[0])
    if digest or tag is None or tag.lower() not in floating:
        return None
    return f"service {service!r} uses image {written!r}, a floating tag {tag!r} whenever .env leaves its variable out"
