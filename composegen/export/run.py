"""`composegen export k8s|env|alerts`'s work, one call each: plan the stack, export, write the files
(or hand the text back for stdout), and say what was written and what the user should know.

    outcome = export_alerts(ExportRequest(profile="prod", project=None, cwd=Path.cwd(), output="-"), "compose")

The command prints the outcome (`as_json()`, or the files written and `notes()`) and exits 0.
Heavy parts are imported when a call runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from composegen.export.alerts import AlertRules
    from composegen.export.env_tiers import TiersExport
    from composegen.export.k8s import K8sExport

STDOUT = "-"


class ExportRequest(NamedTuple):
    profile: str
    project: Path | None
    cwd: Path
    output: str | None = None  # a file or folder; `-`: stdout; None: the export's default place
    force: bool = False  # overwrite files that no composegen export wrote


class K8sOutcome(NamedTuple):
    exported: K8sExport
    stream: str | None  # `-o -`: every manifest as one stream, nothing written
    written: list[Path]
    stale: list[Path]  # earlier exports of services the stack no longer has (left in place)

    def notes(self) -> list[str]:
        from composegen.export.k8s import secret_note

        notes = [f"not mapped: {n.service}: {n.what}: {n.why}" for n in self.exported.unmapped]
        notes += [f"note: {s.service}: {text}" for s in self.exported.services for text in s.overrides]
        notes += [f"warning: {p} is from an earlier export of a service the stack no longer has" for p in self.stale]
        return notes + [note for note in [secret_note(self.exported)] if note]

    def as_json(self) -> dict[str, Any]:
        from composegen.export.k8s import k8s_json

        return k8s_json(self.exported, [str(p) for p in self.written], [str(p) for p in self.stale])


class TiersOutcome(NamedTuple):
    exported: TiersExport
    written: list[Path]

    def notes(self) -> list[str]:
        return [f"warning: {w}" for w in self.exported.warnings]

    def as_json(self) -> dict[str, Any]:
        from composegen.export.env_tiers import tiers_json

        return tiers_json(self.exported, [str(p) for p in self.written])


class AlertsOutcome(NamedTuple):
    rules: AlertRules
    text: str  # the rules file
    output: str  # where it went: a file, or `-` for stdout (nothing written)

    @property
    def to_stdout(self) -> bool:
        return self.output == STDOUT

    def notes(self) -> list[str]:
        return [f"no {item.what} for {item.service}: {item.why}" for item in self.rules.skipped]

    def as_json(self) -> dict[str, object]:
        from composegen.export.alerts import rules_json

        return rules_json(self.rules, None if self.to_stdout else self.output)


def export_k8s_files(request: ExportRequest) -> K8sOutcome:
    """Kubernetes manifests for the planned stack: one file per service in the output folder, or
    one stream for stdout (`-o -`)."""
    from composegen.export.k8s import export_k8s, stale_files, stream_text, write_manifests
    from composegen.render.overlay import plan, read_files
    from composegen.writer import refuse_empty_output

    refuse_empty_output(request.output)
    planned = plan(request.profile, request.project, request.cwd, facts=False)  # (explain's alone)
    exported = export_k8s(planned)
    if request.output is None or request.output == STDOUT:
        return K8sOutcome(exported, stream_text(exported), [], [])
    folder = Path(request.output)
    written = write_manifests(
        exported, folder, force=request.force, inputs=read_files(planned), root=planned.project.root
    )
    stale = [] if written.new_folder else stale_files(folder, written.files)  # (a new folder holds no earlier file)
    return K8sOutcome(exported, None, written.files, stale)


def export_env_tiers(request: ExportRequest, tiers: Sequence[str] | None) -> TiersOutcome:
    """The tiers overlay and one .env.TIER per tier (`tiers`: their names; None: every tier the
    profile defines), written into the output folder (None: beside the first compose file)."""
    from composegen.export.env_tiers import export_tiers, write_tiers
    from composegen.render.overlay import plan, read_files

    planned = plan(request.profile, request.project, request.cwd, facts=False)  # (explain's alone)
    folder = Path(request.output) if request.output is not None else None
    exported = export_tiers(planned, tiers, folder)
    written = write_tiers(exported, force=request.force, inputs=read_files(planned), root=planned.project.root)
    return TiersOutcome(exported, written)


def export_alerts(request: ExportRequest, platform: str) -> AlertsOutcome:
    """Prometheus alert rules for the planned limits, written to the output file unless it is `-`."""
    from composegen.export.alerts import PLATFORMS, alert_rules, rules_text
    from composegen.export.output import write_export
    from composegen.render.overlay import plan, read_files
    from composegen.writer import refuse_empty_output

    output = STDOUT if request.output is None else request.output
    refuse_empty_output(output)
    planned = plan(request.profile, request.project, request.cwd, facts=False)  # (explain's alone)
    chosen = next(p for p in PLATFORMS if p == platform)
    rules = alert_rules(planned.stack, planned.profile.profile.monitoring, planned.base.name or "default", chosen)
    text = rules_text(rules, planned.profile.profile.name, planned.digest)
    if output != STDOUT:
        write_export(Path(output), text, force=request.force, inputs=read_files(planned), root=planned.project.root)
    return AlertsOutcome(rules, text, output)
