"""The user-error family. Each is printed once, as one actionable line, by the CLI."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3  # a composegen bug: said in one line (COMPOSEGEN_DEBUG=1 for the traceback)
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


class ComposegenError(Exception):
    """A problem with the user's input: printed as one line, exit code 2.

    `where` is `file:line` (or `file`, or empty); `fix` says what to do about it.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, where: str = "", fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.fix = fix

    def one_line(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text += f" ({self.fix})"
        return " ".join(text.split())


class UnitError(ComposegenError):
    """A byte size or duration composegen cannot read."""


class InputError(ComposegenError):
    """A composegen.yaml, profile or compose file that is missing, malformed or invalid."""


class ValidationError(ComposegenError):
    """A rendered overlay that compose would reject: a composegen bug or an impossible input."""


class WriteRefused(ComposegenError):
    """composegen would overwrite a file it did not generate."""
