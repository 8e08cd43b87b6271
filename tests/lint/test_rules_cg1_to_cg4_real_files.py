"""The resource, healthcheck, fit and target rules (CG102-CG499) on real files.

Every file of the shared corpus (real compose files from other projects: anchors, `<<:` merges,
`${VAR:-default}`, `x-` blocks, override fragments), linted alone, under both targets and with and
without a declared host, must not make a rule raise; and what the corpus cannot contain (it sets
no memory limit) must not be reported. composegen's own examples, base plus rendered overlay,
must give nothing above information: composegen must not flag what it writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from composegen.lint.context import Target
from composegen.lint.engine import run_rule
from composegen.lint.finding import Finding, Severity
from composegen.lint.load import build_context
from composegen.lint.rule import Rule
from composegen.lint.rules import all_rules
from composegen.profiles.loader import LoadedProject, load_project
from tests.conftest import CORPUS, EXAMPLES

RULES = [r for r in all_rules() if "CG102" <= r.code <= "CG499"]
CORPUS_FILES = sorted(CORPUS.glob("*.yml")) if CORPUS.is_dir() else []
#: Rules that read a memory limit (or a host and a limit): the corpus sets none.
NEEDS_LIMITS = {"CG102", "CG103", "CG104", "CG105", "CG108", "CG109", "CG110", "CG301", "CG302", "CG303"}
#: Base files with the overrides they are used with.
STACKS = [
    (
        "netbox-community__netbox-docker__docker-compose.yml",
        "netbox-community__netbox-docker__docker-compose.test.yml",
        "netbox-community__netbox-docker__docker-compose.test.override.yml",
    ),
    (
        "frappe__frappe_docker__compose.yml",
        "frappe__frappe_docker__overrides__compose.mariadb.yml",
        "frappe__frappe_docker__overrides__compose.redis.yml",
    ),
    ("mattermost__docker__docker-compose.yml", "mattermost__docker__docker-compose.nginx.yml"),
    ("mattermost__docker__docker-compose.yml", "mattermost__docker__docker-compose.without-nginx.yml"),
    (
        "mailcow__mailcow-dockerized__docker-compose.yml",
        "mailcow__mailcow-dockerized__helper-scripts__docker-compose.override.yml.d__PROMETHEUS_EXPORTER__docker-compose.override.yml",
    ),
]

needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")


@pytest.fixture(scope="module")
def host_project(tmp_path_factory: pytest.TempPathFactory) -> LoadedProject:
    folder = tmp_path_factory.mktemp("host")
    (folder / "docker-compose.yml").write_text("services: {}\n")
    (folder / "composegen.yaml").write_text("host: {memory: 4G, cpus: 2, reserve: 512M}\n")
    return load_project(folder / "composegen.yaml", folder)


def lint_corpus(project: LoadedProject | None, target: Target, usage: str | None) -> Iterator[Finding]:
    for path in CORPUS_FILES:
        ctx = build_context([path], mode="file", project=project, usage=usage, target=target, env={})
        for rule in RULES:
            yield from run_rule(ctx, rule)


@needs_corpus
@pytest.mark.parametrize("target", ["compose", "swarm"])
@pytest.mark.parametrize("usage", [None, "dev", "prod"])
def test_every_rule_runs_over_the_corpus(host_project: LoadedProject, target: Target, usage: str | None) -> None:
    findings = [*lint_corpus(None, target, usage), *lint_corpus(host_project, target, usage)]
    assert not [f for f in findings if f.code in NEEDS_LIMITS]
    for finding in findings:
        assert Path(finding.file).is_file() and finding.line >= 1 and finding.column >= 1
        assert finding.message.startswith("service '"), finding


@needs_corpus
def test_the_corpus_findings_are_the_known_ones() -> None:
    """What the corpus does contain, counted (a change here is a rule change to look at)."""
    counts: dict[tuple[str, str], int] = {}
    for finding in lint_corpus(None, "compose", None):
        key = (finding.code, finding.severity.value)
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        ("CG106", "warning"): 8,  # short `/tmp` and friends without size=, one long form without size
        ("CG107", "info"): 234,  # every complete service but mattermost's three (pids_limit)
        ("CG201", "info"): 1,  # mailcow's unbound: its own image has a HEALTHCHECK
        ("CG203", "info"): 32,  # timeout equal to or above interval: common, so only information
        ("CG206", "warning"): 1,  # sentry's nginx: `curl http://localhost` with no --fail
    }


@needs_corpus
@pytest.mark.parametrize("files", STACKS, ids=lambda files: files[0].split("__")[1])
@pytest.mark.parametrize("target", ["compose", "swarm"])
def test_every_rule_runs_over_merged_corpus_stacks(files: tuple[str, ...], target: Target) -> None:
    ctx = build_context([CORPUS / f for f in files], mode="stack", target=target, env={})
    for rule in RULES:
        for finding in run_rule(ctx, rule):
            assert finding.code not in NEEDS_LIMITS


def _examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if (p / "composegen.yaml").is_file())


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.name)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_what_composegen_renders_passes(example: Path, rule: Rule) -> None:
    project = load_project(example / "composegen.yaml", example)
    files = [example / f for f in project.project.compose_files]
    overlays = sorted(p for p in example.glob("docker-compose.*.yml") if p not in files)
    usage = example.name if example.name in ("dev", "pytest", "prod") else None
    ctx = build_context([*files, *overlays], mode="stack", project=project, usage=usage, env={}, project_dir=example)
    loud = [f for f in run_rule(ctx, rule) if f.severity is not Severity.info]
    assert loud == []
