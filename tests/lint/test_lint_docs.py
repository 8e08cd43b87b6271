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


# --- where the rule reference is published (SARIF helpUri, `composegen rules CODE`) ------------

MIRROR = {"COMPOSEGEN_RULES_URI": "https://mirror.example/rules.html"}
DOCS_URLS = ["Homepage, https://x.example", "Documentation, https://docs.example/cg/"]
PAGE_CASES = [
    # (environment, Project-URL metadata, the rules page)
    ({}, DOCS_URLS, "https://docs.example/cg/rules.md"),
    ({}, ["docs, https://docs.example/cg"], "https://docs.example/cg/rules.md"),
    (MIRROR, DOCS_URLS, "https://mirror.example/rules.html"),  # the variable wins
    ({"COMPOSEGEN_RULES_URI": " "}, DOCS_URLS, "https://docs.example/cg/rules.md"),
    ({}, ["Homepage, https://x.example"], None),  # no documentation: no link rather than a wrong one
    ({}, [], None),  # run from a source tree, uninstalled
]


def test_the_rules_page_comes_from_the_metadata_or_the_variable() -> None:
    from composegen.lint.docs import rules_uri

    for environ, urls, page in PAGE_CASES:
        assert rules_uri(environ, urls) == page, (environ, urls)


def test_the_installed_metadata_names_the_documentation_pyproject_declares() -> None:
    from importlib.metadata import metadata

    from composegen.lint.docs import documentation_url, rules_uri

    pyproject = (DOCS.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^Documentation = "([^"]+)"$', pyproject, flags=re.MULTILINE)
    assert declared is not None, "pyproject.toml: [project.urls] has no Documentation"
    installed = documentation_url(metadata("composegen").get_all("Project-URL") or ())
    assert installed == declared[1], "stale install: run `pip install -e .`"
    assert rules_uri({}) == f"{declared[1].rstrip('/')}/rules.md"


def test_a_rule_links_to_its_heading_on_the_page(tmp_path: Path) -> None:
    import io

    from composegen.cli.lint_output import main
    from composegen.lint.docs import rule_page
    from composegen.lint.run import LintOptions
    from tests.report.test_reporters import assert_valid_sarif

    rule = by_code_or_name("CG508")
    assert rule is not None
    assert rule_page(rule, MIRROR).endswith("\nOnline: https://mirror.example/rules.html#cg508-secret-in-environment\n")
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16.4\n")
    out = io.StringIO()
    main(LintOptions(cwd=tmp_path, files=(tmp_path / "docker-compose.yml",), environ=MIRROR, format="sarif"), out)
    rules = {r["id"]: r for r in assert_valid_sarif(out.getvalue())["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["CG101"]["helpUri"] == "https://mirror.example/rules.html#cg101-memory-limit-missing"
