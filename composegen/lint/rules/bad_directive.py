"""bad-directive (CG099): a `# composegen:` comment that is not a directive composegen understands.

What it does:
    Flags a comment meant to switch a rule off that composegen cannot read: an unknown verb
    (`# composegen: ignore=CG101`), a missing `=` (`# composegen: disable-line CG101`), a missing
    colon (`# composegen disable-line=CG101`), or a rule code or name that does not exist. The
    message gives the correct form.

Why is this bad?
    A directive that does not parse silently does nothing: the finding it was meant to silence
    comes back, or worse, the author believes a rule is off for a reason that no longer holds.

Example:
    ```yaml
    services:
      web:  # composegen: ignore=CG101
        image: nginx:1.27.1
    ```

Use instead:
    ```yaml
    services:
      web:  # composegen: disable-line=CG101
        image: nginx:1.27.1
    ```
    The directives are `disable-line`, `disable-next-line`, `disable` ... `enable` and
    `disable-file`, each optionally `=CODE,NAME,...` (no list: every rule), optionally followed by
    ` -- reason`.

The directive reader reports these findings (they point at a comment, not at a key), so `check`
yields nothing; the rest of a half-valid directive still applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation

CODE = "CG099"
NAME = "bad-directive"
SEVERITY = Severity.warning


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    """Nothing: composegen.lint.run turns the directive reader's problems into CG099 findings."""
    yield from ()
