"""docs/rules.md is generated from the rule docstrings and must be current."""

from __future__ import annotations

import re
from pathlib import Path

from composegen.lint.docs import rule_doc_markdown, rules_markdown, sections, summary
from composegen.lint.rule import Rule
from composegen.lint.rules import all_rules, by_code_or_name

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
REGENERATE = "composegen rules --markdown > docs/rules.md"


def test_docs_rules_md_is_current() -> None:
    assert DOCS.is_file(), f"docs/rules.md is missing: run `{REGENERATE}`"
    assert DOCS.read_text(encoding="utf-8") == rules_markdown(all_rules()), (
        f"docs/rules.md is stale: run `{REGENERATE}`"
    )


def test_every_rule_is_in_the_docs() -> None:
    text = rules_markdown(all_rules())
    for rule in all_rules():
        assert f"### {rule.code} {rule.name}\n" in text
        assert f"[{rule.code}](#{rule.code.lower()}-{rule.name})" in text


def test_sections_of_a_docstring() -> None:
    rule = by_code_or_name("CG101")
    assert rule is not None
    assert summary(rule) == "A service with no memory limit."
    titles = [title for title, _ in sections(rule)]
    assert titles[:4] == ["What it does", "Why is this bad?", "Example", "Use instead"]
    example = dict(sections(rule))["Example"]
    assert example.startswith("```yaml\nservices:\n  worker:\n")  # dedented


def test_text_after_the_sections_becomes_notes() -> None:
    rule = Rule(
        code="CG900",
        name="demo",
        severity=by_code_or_name("CG101").severity,  # type: ignore[union-attr]
        check=lambda ctx, options: iter(()),
        doc="demo (CG900): a demo.\n\nWhat it does:\n    Demos.\n\nUse instead:\n    Nothing.\n\nA closing note.\n",
    )
    assert sections(rule) == [("What it does", "Demos."), ("Use instead", "Nothing."), ("Notes", "A closing note.")]
    assert (
        rule_doc_markdown(rule)
        == "A demo.\n\n### What it does\n\nDemos.\n\n### Use instead\n\nNothing.\n\n### Notes\n\nA closing note."
    )


def test_the_readme_counts_the_rules_there_are() -> None:
    readme = (DOCS.parents[1] / "README.md").read_text(encoding="utf-8")
    counts = re.findall(r"^(\d+) rules \(`composegen rules`", readme, flags=re.MULTILINE)
    assert counts == [str(len(all_rules()))], "README.md's rule count is stale"
