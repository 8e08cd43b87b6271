"""`composegen lint` from parsed options to an outcome: find the files, read the settings, build
each context, run the rules, apply directives and settings, fix, record a baseline.

    outcome = check(LintOptions(files=(Path("docker-compose.yml"),), cwd=Path.cwd()))

`lint()` does the work and returns findings; `check()` is the command's one library call (lint,
then fix, diff or record a baseline, and assemble the report: `outcome.report`). Neither prints:
the command (composegen.cli.lint_output) prints the outcome through a reporter and maps it to the
exit code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from composegen.errors import ComposegenError, InputError
from composegen.lint.config import LintConfig, resolve_codes
from composegen.lint.directives import FileDirectives
from composegen.lint.finding import (
    Finding,
    Report,
    RuleInfo,
    Severity,
    Suppression,
    TextEdit,
    sarif_results,
    unique,
)

if TYPE_CHECKING:
    from composegen.lint.context import LintContext
    from composegen.lint.rule import Rule
    from composegen.profiles.loader import LoadedProject
    from composegen.yamlio import Document

BAD_DIRECTIVE = "CG099"


class LintOptions(NamedTuple):
    """The command line, parsed (check-jsonschema's way: options -> one typed object)."""

    cwd: Path
    files: tuple[Path, ...] = ()  # each linted on its own
    stack_files: tuple[Path, ...] = ()  # -f: merged into one stack
    project: Path | None = None  # --project: composegen.yaml
    format: str | None = None  # None: github under GitHub Actions, else text
    fail_on: Severity | None = None
    strict: bool = False
    usage: str | None = None
    target: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fix: bool = False
    diff: bool = False
    environ: Mapping[str, str] | None = None  # None: os.environ
    color: bool | None = None  # the text report in colour (None: not; the command decides on a terminal)
    baseline: Path | None = None  # --baseline: findings recorded there do not count
    write_baseline: Path | None = None  # --write-baseline: record today's findings there


class LintRun(NamedTuple):
    """What one lint run found, read and ran."""

    findings: list[Finding]  # in `ORDER` (`unique`'s), which the report relies on
    files: list[str]  # every file linted (as given, or absolute)
    errors: list[str]  # one line per file or stack that could not be read (not in `files`)
    rules: list[Rule]
    config: LintConfig
    fail_on: Severity = Severity.error
    suppressed: Sequence[Finding] = ()  # switched off by a directive or the baseline, with why
    #: every file the run read, as read (where fixes are planned: --fix, --diff, SARIF): planning
    #: reads a file again only if it changed since
    documents: Sequence[Document] = ()
    #: where the findings' digests were left to compute (SARIF, one stack, no baseline): each
    #: finding's digest, for the results SARIF writes
    digest: Callable[[Finding], str] | None = None


class DirectiveCache:
    """Directives of each file, read once per run: from the text the loader parsed (`known`), else
    from the file."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = list(rules)
        self._files: dict[str, FileDirectives] = {}
        self._texts: dict[str, str] = {}

    def known(self, documents: Sequence[Document]) -> None:
        """The texts of the documents a stack was just loaded from: their directives are read from
        them, not from the files again (a file read twice in one run reads as it did the first time)."""
        for doc in documents:
            if doc.text is not None and doc.path not in self._files:
                self._texts.setdefault(doc.path, doc.text)

    def resolve(self, name: str) -> frozenset[str]:
        """Codes for a code, name, code prefix or ALL (empty: no such rule)."""
        try:
            return resolve_codes([name], self._rules, "", "directive")
        except InputError:
            return frozenset()

    def get(self, file: str) -> FileDirectives:
        found = self._files.get(file)
        if found is None:
            from composegen.lint.directives import parse
            from composegen.yamlio import read_text

            text = self._texts.pop(file, None)
            if text is None:
                try:
                    text = read_text(Path(file))
                except ComposegenError:
                    text = ""
            found = self._files[file] = parse(text, file, self.resolve)
        return found


def lint_context(
    ctx: LintContext,
    rules: Sequence[Rule],
    config: LintConfig,
    directives: DirectiveCache,
    suppressed: list[Finding] | None = None,
    *,
    digests: bool = False,
) -> list[Finding]:
    """The findings of `rules` on one context, after directives, per-service exceptions and
    severity settings. CG099 (bad-directive) findings come from the directives themselves.
    Findings a directive switches off go to `suppressed`, with the directive's reason.
    `digests`: the findings carry their value digest (for fingerprints: see `run_rule`)."""
    from composegen.lint.engine import run_rule

    findings: list[Finding] = []
    bad_directive = next((r for r in rules if r.code == BAD_DIRECTIVE), None)
    for rule in rules:
        if rule is bad_directive:
            continue
        try:
            findings.extend(run_rule(ctx, rule, config.options_for(rule), digests=digests))
        except ComposegenError:
            raise
        except Exception as err:  # a rule bug: name the rule and the file, keep the cause
            if os.environ.get("COMPOSEGEN_DEBUG"):
                raise
            first = ctx.stack.files[0] if ctx.stack.files else "?"
            raise RuleCrash(f"rule {rule.code} ({rule.name}) failed on {first}: {type(err).__name__}: {err}") from err
    documents = list(dict.fromkeys(doc.path for doc in ctx.stack.documents))
    if bad_directive is not None:
        severity = bad_directive.severity_for(ctx.usage)
        for file in documents:
            for problem in directives.get(file).problems:
                findings.append(
                    Finding(
                        file,
                        problem.line,
                        problem.column,
                        bad_directive.code,
                        bad_directive.name,
                        severity,
                        problem.message,
                    )
                )
    quiet = {file: directives.get(file).empty for file in {finding.file for finding in findings}}
    if all(quiet.values()) and not config.per_service and not any(config.severity.values()):
        return findings  # nothing to switch off or change: the common case, and a large stack's
    kept = []
    for finding in findings:
        if config.excepted(finding.service, finding.code):
            continue
        reason = None if quiet[finding.file] else directives.get(finding.file).suppression(finding.code, finding.line)
        override = config.severity.get(finding.code)
        if override is not None and override is not finding.severity:
            finding = finding._replace(severity=override)
        if reason is None:
            kept.append(finding)
        elif suppressed is not None:
            why = reason or "switched off by a `# composegen:` directive in the file"
            suppressed.append(finding._replace(suppression=Suppression("inSource", why)))
    return kept


class RuleCrash(Exception):
    """A rule raised on real input: a composegen bug, reported as such (exit 3)."""


def _project(options: LintOptions) -> LoadedProject | None:
    from composegen.lint.discover import project_file

    path = project_file(options.project, options.cwd)
    if path is None:
        return None
    from composegen.profiles.loader import load_project

    return load_project(path, options.cwd)


def _config(options: LintOptions, rules: Sequence[Rule], project: LoadedProject | None) -> LintConfig:
    from composegen.lint import config as cfg

    project_lint: dict[str, Any] | None = None
    if project is not None and project.project.lint is not None:
        project_lint = project.project.lint.model_dump(exclude_none=True, mode="python")
    config = cfg.load(
        rules,
        start=project.root if project is not None else options.cwd,
        project_file=project.path if project is not None else None,
        project_lint=project_lint,
    )
    if options.select:
        config = config._replace(select=resolve_codes(list(options.select), rules, "--select", "select"))
    if options.ignore:
        extra = resolve_codes(list(options.ignore), rules, "--ignore", "ignore")
        config = config._replace(ignore=config.ignore | extra)
    return config


def choose_format(options: LintOptions, environ: Mapping[str, str]) -> str:
    """The report format: --format, else github annotations under GitHub Actions, else text."""
    if options.format is not None:
        return options.format
    actions = environ.get("GITHUB_ACTIONS", "").lower()
    return "github" if actions not in ("", "0", "false") else "text"


def lint(options: LintOptions) -> LintRun:
    """Lint what the options name; errors in single files are collected, not raised."""
    from composegen.lint.discover import targets
    from composegen.lint.load import build_context
    from composegen.lint.rules import all_rules

    # os.environ decodes each variable on each read: copied once, not once per file linted
    environ = dict(os.environ) if options.environ is None else options.environ
    recorded: dict[str, int] = {}
    if options.baseline is not None:  # a bad baseline fails before any work
        from composegen.lint import baseline

        recorded = baseline.read(options.baseline)
    registry = list(all_rules())
    project = _project(options)
    config = _config(options, registry, project)
    rules = config.active(registry)
    if options.diff:  # --diff shows what the fixes would change: a rule that fixes nothing need not run
        rules = [rule for rule in rules if rule.fixable]
    usage = options.usage or config.usage or (project.project.usage if project is not None else None)
    target = options.target or config.target  # None: each stack says (composegen.facts)
    if target not in (None, "compose", "swarm"):
        raise InputError(f"unknown target {target!r}", fix="use compose or swarm")
    fail_on = options.fail_on or config.fail_on or Severity.error
    if options.strict and fail_on.rank > Severity.warning.rank:
        fail_on = Severity.warning
    chosen = targets(
        options.files,
        options.stack_files,
        cwd=options.cwd,
        environ=environ,
        project_paths=project.compose_paths() if project is not None and project.path is not None else None,
        project_root=project.root if project is not None else None,
    )
    directives = DirectiveCache(registry)
    sarif = choose_format(options, environ) == "sarif"
    # fingerprints are read by a baseline (either way) and printed by SARIF only
    digests = options.baseline is not None or options.write_baseline is not None
    # SARIF alone on one stack: the digests of the findings it writes, computed as it writes them
    # (`LintRun.digest`), not of every finding (it writes at most SARIF_MAX_RESULTS)
    later = not digests and sarif and len(chosen) == 1
    digests = digests or (sarif and not later)
    digest: Callable[[Finding], str] | None = None
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    files: list[str] = []
    errors: list[str] = []
    # the files as read, for the fix planner (--fix, --diff, SARIF's fixes): kept only where it runs
    documents: list[Document] = []
    keep_documents = options.fix or options.diff or sarif
    # relative paths stay as the user wrote them (and so read in findings and errors) when
    # composegen runs in options.cwd; otherwise they are made absolute
    here = here_is_cwd(options.cwd)
    for chosen_target in chosen:
        paths = [p if p.is_absolute() or here else options.cwd / p for p in chosen_target.paths]
        try:
            ctx = build_context(
                paths,
                mode=chosen_target.mode,
                project=project,
                usage=usage,
                target="swarm" if target == "swarm" else "compose" if target == "compose" else None,
                env=environ,
                project_dir=chosen_target.project_dir,
            )
        except ComposegenError as err:
            errors.append(err.one_line())
            continue
        files.extend(str(p) for p in paths)  # linted: a file that could not be read is in `errors` only
        directives.known(ctx.stack.documents)
        if keep_documents:
            documents.extend(ctx.stack.documents)
        findings.extend(lint_context(ctx, rules, config, directives, suppressed, digests=digests))
        if later:
            digest = _digester(ctx)
    found = unique(findings)
    if options.baseline is not None:
        found, known = baseline.apply(found, recorded, options.baseline)
        suppressed.extend(known)
    files = list(dict.fromkeys(files))
    return LintRun(found, files, errors, rules, config, fail_on, unique(suppressed), documents, digest)


def _digester(ctx: LintContext) -> Callable[[Finding], str]:
    """Each finding's digest as `run_rule(digests=True)` gives it (none for a directive's own)."""
    from composegen.lint.engine import finding_digest

    def digest(finding: Finding) -> str:
        return "" if finding.code == BAD_DIRECTIVE else finding_digest(ctx, finding)

    return digest


def here_is_cwd(cwd: Path) -> bool:
    try:
        return Path.cwd().resolve() == cwd.resolve()
    except OSError:
        return False


def display_path(file: str, cwd: Path) -> str:
    """A file as findings show it: relative to `cwd` when it is below it, else as it is."""
    path = Path(file)
    if not path.is_absolute():
        return file
    for base in (cwd, cwd.resolve()):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return file


def rule_infos(rules: Sequence[Rule], environ: Mapping[str, str] | None = None) -> list[RuleInfo]:
    from composegen.lint.docs import help_uri, rule_doc_markdown, rules_uri, summary

    page = rules_uri(environ)
    return [
        RuleInfo(
            r.code,
            r.name,
            r.severity,
            summary(r),
            rule_doc_markdown(r),
            r.fixable,
            help_uri(r, page),
            r.security_severity,
        )
        for r in rules
    ]


def fix_texts(
    findings: Sequence[Finding], cwd: Path, documents: Sequence[Document] = ()
) -> dict[tuple[Any, ...], list[TextEdit]]:
    """Each fixable finding's fix on its own, as one replacement in its file (SARIF `fixes`). The
    fixes of a file are planned together, once, and each finding given its own changes
    (composegen.lint.fix_parts); a fix that cannot be applied cleanly, or told apart, has none.
    `documents`: the files as lint read them (see `fix.plan`)."""
    from composegen.lint.fix import plan, resolver
    from composegen.lint.fix_parts import finding_blocks, inserted, split, text_edit
    from composegen.yamlio import parse_document

    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        return {}
    combined = plan(fixable, cwd, lambda p: display_path(str(p), cwd), documents)
    resolve = resolver(cwd)
    edited = [(f, {resolve(e.file) for e in f.fix.edits}) for f in fixable if f.fix is not None]
    out: dict[tuple[Any, ...], list[TextEdit]] = {}
    for change in combined.changes:
        here = {change.path}
        mine = [f for f, files in edited if files <= here]  # every edit in this file
        if len(mine) == 1:
            out[mine[0].key] = [text_edit(change.display, change.before, change.after)]
            continue
        if change.own and all(f.key in change.own for f in mine):  # each finding's lines, as placed
            out.update((key, [edit]) for key, edit in inserted(change.display, change.before, change.own).items())
            continue
        try:
            document = change.document or parse_document(change.before, str(change.path))
        except ComposegenError:
            continue
        positions = document.positions
        blocks = finding_blocks(mine, change.before, positions)
        for key, edit in split(change.display, change.before, change.after, blocks).items():
            out[key] = [edit]
    return out


class LintOutcome(NamedTuple):
    """What `composegen lint` did: what is left to report, and what --fix, --diff or
    --write-baseline did."""

    run: LintRun  # after --fix: what is left; after --diff: the findings of the rules that fix (no other ran)
    fixed: int = 0  # problems --fix fixed
    not_fixed: Sequence[str] = ()  # fixable findings --fix or --diff left alone, one line each
    diff: str | None = None  # --diff: what --fix would change (nothing was written)
    changes: bool = False  # --diff: whether --fix would change a file
    recorded: int | None = None  # --write-baseline: findings recorded in the baseline
    report: Report | None = None  # what a reporter shows (None after --diff or --write-baseline)


def check(options: LintOptions) -> LintOutcome:
    """The `lint` command's work: lint, then fix, diff or record a baseline, or assemble the
    report. Prints nothing."""
    run = lint(options)
    fixed = 0
    not_fixed: Sequence[str] = ()
    if options.fix or options.diff:
        from composegen.lint.fix import plan

        fix_plan = plan(run.findings, options.cwd, lambda p: display_path(str(p), options.cwd), run.documents)
        not_fixed = tuple(fix_plan.skipped)
        if options.diff:
            return LintOutcome(run, not_fixed=not_fixed, diff=fix_plan.diff(), changes=bool(fix_plan.changes))
        fix_plan.write()
        fixed = fix_plan.applied
        if fix_plan.changes:
            run = lint(options)  # report what is left
    if options.write_baseline is not None:
        from composegen.lint import baseline

        recorded = [*run.findings, *(f for f in run.suppressed if f.suppression and f.suppression.kind == "external")]
        baseline.write(recorded, options.write_baseline)
        return LintOutcome(run, fixed, not_fixed, recorded=len(recorded))
    return LintOutcome(run, fixed, not_fixed, report=report(run, options, fixed))


def report(run: LintRun, options: LintOptions, fixed: int = 0) -> Report:
    """What a reporter shows of `run`: files as the user reads them (relative to options.cwd where
    below it); for SARIF (the format options choose) the rules' documentation and each fix."""
    from composegen import __version__

    environ = os.environ if options.environ is None else options.environ
    fmt = choose_format(options, environ)
    findings, suppressed, left_out = (
        sarif_results(run.findings, run.suppressed) if fmt == "sarif" else (run.findings, run.suppressed, 0)
    )
    if run.digest is not None:
        digest = run.digest
        findings = [f.with_digest(digest(f)) for f in findings]
        suppressed = [f.with_digest(digest(f)) for f in suppressed]
    every = [*findings, *suppressed]
    shown_file = {file: display_path(file, options.cwd) for file in {f.file for f in every}}
    renamed = {file: name for file, name in shown_file.items() if name != file}
    shown = [f.with_file(renamed[f.file]) if f.file in renamed else f for f in findings] if renamed else findings
    hidden = [f.with_file(renamed[f.file]) if f.file in renamed else f for f in suppressed]
    return Report(
        findings=shown,
        suppressed=hidden,
        rules=rule_infos(run.rules, environ) if fmt == "sarif" else (),
        files=[display_path(f, options.cwd) for f in run.files],
        errors=run.errors,
        color=fmt == "text" and bool(options.color),
        version=__version__,
        root_uri=options.cwd.resolve().as_uri(),
        fixed=fixed,
        fixes=fix_texts(shown, options.cwd, run.documents) if fmt == "sarif" else {},
        left_out=left_out,
        in_order=shown is run.findings,  # (the run's findings, in `unique`'s order, as they are)
    )
