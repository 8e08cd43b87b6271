"""The rule reference, generated from the rule docstrings: `composegen rules --markdown`.

docs/rules.md is this module's output, checked by a test (tests/lint/test_docs.py); regenerate it
with `composegen rules --markdown > docs/rules.md`.

A rule docstring (ruff's rule docs) reads:

    memory-limit-missing (CG101): a service with no memory limit.

    What it does:
        Flags a service ...

    Why is this bad?
        Without a limit ...

    Example:
        ```yaml
        ...
        ```

    Use instead:
        ...

    Any text at the left margin after the sections is kept as notes.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from functools import cache

from composegen.lint.rule import Rule

#: The variable that says where docs/rules.md is published (the page's full address), over the
#: package's own `Documentation` URL; a rule's help link is the page plus its heading's anchor.
RULES_URI_VARIABLE = "COMPOSEGEN_RULES_URI"
#: Project-URL labels that name the documentation (compared lower-cased, as PEP 753 normalizes).
_DOCUMENTATION_LABELS = ("documentation", "docs")

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Options", "Notes")
GROUPS = {
    "0": "Schema and syntax",
    "1": "Resources",
    "2": "Healthchecks",
    "3": "Fit",
    "4": "Target (compose or Swarm)",
    "5": "Security",
    "6": "Hygiene",
}


def summary(rule: Rule) -> str:
    """The docstring's first line without its `name (CODE):` prefix."""
    first = rule.doc.strip().splitlines()[0].strip() if rule.doc.strip() else rule.name
    for prefix in (f"{rule.name} ({rule.code}):", f"{rule.code} ({rule.name}):", f"{rule.code}:", f"{rule.name}:"):
        if first.startswith(prefix):
            first = first[len(prefix) :].strip()
            break
    return first[:1].upper() + first[1:] if first else rule.name


def anchor(rule: Rule) -> str:
    """The anchor of the rule's heading in docs/rules.md (`### CG101 memory-limit-missing`)."""
    return f"{rule.code}-{rule.name}".lower()


def documentation_url(project_urls: Iterable[str]) -> str | None:
    """The documentation's address among a package's Project-URL entries (`Label, URL`, from
    pyproject's `[project.urls]`), or None."""
    for entry in project_urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in _DOCUMENTATION_LABELS and url.strip():
            return url.strip()
    return None


@cache
def _project_urls() -> tuple[str, ...]:
    """composegen's own Project-URL metadata (none when it runs uninstalled, from a source tree)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        return tuple(metadata("composegen").get_all("Project-URL") or ())
    except PackageNotFoundError:
        return ()


def rules_uri(environ: Mapping[str, str] | None = None, project_urls: Iterable[str] | None = None) -> str | None:
    """Where docs/rules.md is published: $COMPOSEGEN_RULES_URI when set, else rules.md under the
    package's `Documentation` URL (pyproject `[project.urls]`, read from the installed metadata),
    else None: no help link rather than a wrong one."""
    env = os.environ if environ is None else environ
    override = env.get(RULES_URI_VARIABLE, "").strip()
    if override:
        return override
    base = documentation_url(_project_urls() if project_urls is None else project_urls)
    return f"{base.rstrip('/')}/rules.md" if base else None


def help_uri(rule: Rule, page: str | None) -> str:
    """The rule's help link on the published rules page (`rules_uri`), or "" where none is known."""
    return f"{page}#{anchor(rule)}" if page else ""


def _section_title(line: str) -> str | None:
    stripped = line.rstrip()
    if not stripped or stripped[0].isspace():
        return None
    bare = stripped.rstrip(":").strip()
    return bare if bare in SECTIONS else None


def sections(rule: Rule) -> list[tuple[str, str]]:
    """(title, markdown body) for each section of the docstring, in order; text after the last
    section at the left margin becomes "Notes"."""
    lines = rule.doc.strip().splitlines()[1:]
    out: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    intro: list[str] = []
    for line in lines:
        title = _section_title(line)
        if title is not None:
            current = []
            out.append((title, current))
            continue
        if current is None:
            intro.append(line)
            continue
        if line.strip() and not line[0].isspace() and out[-1][0] != "Notes":
            current = [line]
            out.append(("Notes", current))
            continue
        current.append(line)
    result: list[tuple[str, str]] = []
    if "\n".join(intro).strip():
        result.append(("", textwrap.dedent("\n".join(intro)).strip()))
    for title, body in out:
        result.append((title, textwrap.dedent("\n".join(body)).strip()))
    return result


def rule_doc_markdown(rule: Rule, level: int = 3) -> str:
    """The rule's documentation as markdown (its sections as headings of `level`)."""
    parts = [summary(rule)]
    for title, body in sections(rule):
        if title:
            parts.append(f"{'#' * level} {title}")
        if body:
            parts.append(body)
    return "\n\n".join(parts)


def _severity_text(rule: Rule) -> str:
    text = rule.severity.value
    if rule.severity_by_usage:
        by = ", ".join(f"{usage}: {sev.value}" for usage, sev in rule.severity_by_usage.items())
        text += f" ({by})"
    return text


def _options_text(rule: Rule) -> str:
    if not rule.options:
        return ""
    rows = "\n".join(f"| `{name}` | `{value!r}` |" for name, value in rule.options.items())
    return f"| option | default |\n|---|---|\n{rows}"


def rules_markdown(rules: Sequence[Rule]) -> str:
    """docs/rules.md: an index table, then every rule's documentation, grouped by code."""
    lines = [
        "# Lint rules",
        "",
        "<!-- Generated from the rule docstrings by `composegen rules --markdown > docs/rules.md`;"
        " do not edit by hand. -->",
        "",
        "`composegen lint` runs every rule below. Switch rules on and off with `--select` / `--ignore`,",
        "`[tool.composegen.lint]` in pyproject.toml or `lint:` in composegen.yaml, and inline with",
        "`# composegen: disable-line=CODE` (see the README). Severities marked with a usage follow",
        "`--usage` or `usage:` in composegen.yaml.",
        "",
        "| code | name | severity | fix | summary |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        fix = "yes" if rule.fixable else ""
        cell = summary(rule).replace("|", "\\|")
        lines.append(f"| [{rule.code}](#{anchor(rule)}) | {rule.name} | {_severity_text(rule)} | {fix} | {cell} |")
    group = None
    for rule in rules:
        digit = rule.code[2:3]
        if digit != group:
            group = digit
            lines += ["", f"## {GROUPS.get(digit, 'Other')}"]
        lines += ["", *rule_section(rule)]
    return "\n".join(lines).rstrip() + "\n"


def rule_section(rule: Rule) -> list[str]:
    """One rule's part of docs/rules.md (and what `composegen rules CODE` prints): its heading,
    severity, documentation and options."""
    lines = [f"### {rule.code} {rule.name}", ""]
    facts = f"Severity: {_severity_text(rule)}."
    if rule.fixable:
        facts += " Fixable with `--fix`."
    lines += [facts, "", rule_doc_markdown(rule, level=4)]
    options = _options_text(rule)
    if options:
        lines += ["", "#### Options", "", options]
    return lines


def rule_page(rule: Rule, environ: Mapping[str, str] | None = None) -> str:
    """`composegen rules CODE`: the rule's section of docs/rules.md, and where the page is (when
    known: `rules_uri`)."""
    link = help_uri(rule, rules_uri(environ))
    online = ["", f"Online: {link}"] if link else []
    return "\n".join([*rule_section(rule), *online]).rstrip() + "\n"


def rules_table(rules: Sequence[Rule]) -> str:
    """`composegen rules`: one line per rule."""
    width = max((len(r.name) for r in rules), default=0)
    out = []
    for rule in rules:
        fix = "fix" if rule.fixable else "   "
        out.append(f"{rule.code}  {rule.name.ljust(width)}  {rule.severity.value:<7}  {fix}  {summary(rule)}")
    return "\n".join(out) + "\n"


def rules_help(code: str | None, markdown: bool = False) -> str:
    """`composegen rules [CODE]`: one rule's page (by code or name, in any case), else every rule,
    as a table or (`markdown`) the full reference."""
    from composegen.errors import InputError
    from composegen.lint.rules import all_rules, by_code_or_name

    if code is not None:
        rule = by_code_or_name(code.strip()) or by_code_or_name(code.strip().upper())
        if rule is None:
            raise InputError(f"no lint rule {code!r}", fix="see `composegen rules` for their codes and names")
        return rule_page(rule)
    return rules_markdown(all_rules()) if markdown else rules_table(all_rules())
