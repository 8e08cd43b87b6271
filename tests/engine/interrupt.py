"""For tests that press Ctrl-C on a composegen run (send it SIGINT)."""

from __future__ import annotations

import signal


def sigint_as_at_a_terminal() -> None:
    """A `preexec_fn`: SIGINT back to its default in the child. A shell that started the test run
    in the background (`.ci/run &`, no job control) leaves SIGINT ignored, the child inherits
    that, Python then installs no KeyboardInterrupt for it, and the Ctrl-C the test sends is lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
