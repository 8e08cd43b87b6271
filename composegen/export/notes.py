"""What an export could not carry over, or chose by itself: listed for the user, never dropped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """Something of a service that was not mapped (or left out), or a value composegen chose for it."""

    service: str
    what: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"service": self.service, "what": self.what, "why": self.why}
