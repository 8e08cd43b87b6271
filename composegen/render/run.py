"""`composegen render`'s work as one call: plan, render for the chosen target, then write the file,
compare it with the one on disk (--check), or hand the text back for stdout (`-o -`).

    outcome = render_stack(RenderRequest(profile="dev", project=None, cwd=Path.cwd()), say=print)

The notes a run has (warnings, what the base says, what Swarm leaves out) go to `say` as they are
due: before the file is written, and with --check only when the file differs. The command prints
the rest of the outcome and maps it to an exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

STDOUT = "-"


class RenderRequest(NamedTuple):
    profile: str
    project: Path | None
    cwd: Path
    output: str | None = None  # a file; `-`: stdout; None: beside the first base file
    check: bool = False  # compare with the file on disk, write nothing
    force: bool = False  # overwrite a file composegen did not generate
    docker_version: str | None = None
    measurements: Path | None = None
    target: str | None = None  # compose or swarm; None: the profile's


class RenderOutcome(NamedTuple):
    target: str  # compose or swarm
    out: Path  # the file (with `-o -`, where it would have gone)
    text: str
    to_stdout: bool  # `-o -`: nothing written, nothing compared
    warnings: list[str]
    notes: list[dict[str, Any]]  # what Swarm leaves out, as JSON
    base_notes: list[str]
    checked: bool = False  # --check: `current` is the file on disk (None: missing)
    current: str | None = None
    written: bool = False

    @property
    def up_to_date(self) -> bool:
        return self.current == self.text

    def as_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {"target": self.target, "output": None if self.to_stdout else str(self.out)}
        report.update(warnings=self.warnings, notes=self.notes, base_notes=self.base_notes)
        if self.to_stdout:
            report["text"] = self.text
        elif self.checked:
            report["up_to_date"] = self.up_to_date
        else:
            report["written"] = True
        return report


def render_stack(request: RenderRequest, say: Callable[[str], None]) -> RenderOutcome:
    """Render the request's overlay (or Swarm stack file); write it unless --check or `-o -`."""
    from composegen.render.overlay import default_output, plan, read_files, render_planned
    from composegen.writer import refuse_empty_output, text_on_disk, write_atomic

    refuse_empty_output(request.output)
    to_stdout = request.output == STDOUT
    chosen_out = None if request.output is None or to_stdout else Path(request.output)
    planned = plan(
        request.profile, request.project, request.cwd, request.docker_version, request.measurements, facts=False
    )
    target = request.target if request.target is not None else planned.profile.profile.target
    out = chosen_out or default_output(planned, target)
    notes: list[dict[str, Any]] = []
    if target == "swarm":
        from composegen.render.swarm import render_swarm_planned

        swarm = render_swarm_planned(planned, out)
        text, notes, lines = swarm.text, [n.as_json() for n in swarm.notes], list(swarm.said)
    else:
        text, lines = render_planned(planned, out), []
    warnings = list(planned.stack.warnings)
    base_notes = list(planned.stack.base_notes)
    outcome = RenderOutcome(target, out, text, to_stdout, warnings, notes, base_notes)

    def say_notes() -> None:
        for line in [f"warning: {w}" for w in warnings] + [f"note: {n}" for n in base_notes] + lines:
            say(line)

    if not request.check or to_stdout:  # --check: the notes only when the file differs
        say_notes()
    if to_stdout:
        return outcome
    if request.check:
        current = text_on_disk(out)
        if current != text:
            say_notes()
        return outcome._replace(checked=True, current=current)
    write_atomic(out, text, force=request.force, inputs=read_files(planned), root=planned.project.root)
    return outcome._replace(written=True)
