"""The schema, security and hygiene rules (CG001-CG006, CG5xx, CG6xx) over the real compose files of
../shared/corpus: each file alone ("file" mode) and each documented combination merged with `-f`
("stack" mode, tests/compose/corpus_cases.yaml), and checked against compose v2 itself.

What the corpus review found is pinned here, so a false positive fixed once stays fixed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from composegen.compose.oracle import OracleError, run_config
from composegen.compose.stack import load_stack
from composegen.lint.engine import run_rule
from composegen.lint.finding import Finding
from composegen.lint.load import build_context
from composegen.lint.rule import Rule
from composegen.lint.rules import all_rules
from composegen.yamlio import read_document
from tests.conftest import CORPUS

HERE = Path(__file__).resolve().parent
CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.yml"))
CASES: list[dict[str, Any]] = read_document(HERE.parent / "compose" / "corpus_cases.yaml").data
CASES_DIR = HERE / "cases"

#: The rules this suite covers: compose-refusal rules (CG001-CG006), security, hygiene.
CODES = (
    "CG001",
    "CG002",
    "CG003",
    "CG004",
    "CG005",
    "CG006",
    *(f"CG5{n:02d}" for n in range(1, 9)),
    *(f"CG60{n}" for n in range(1, 7)),
)
#: The rules whose findings mean "compose refuses this": silent on whatever compose accepts.
REFUSALS = ("CG001", "CG002", "CG003", "CG004", "CG005", "CG006")
#: ... and the hygiene rules for what `config` refuses too (a cycle; one container name twice
#: among the services the enabled profiles start).
CONFIG_REFUSALS = (*REFUSALS, "CG604", "CG605")


def _rules(codes: tuple[str, ...] = CODES) -> list[Rule]:
    found = [r for r in all_rules() if r.code in codes]
    assert sorted(r.code for r in found) == sorted(codes)
    return found


def _case_id(case: Mapping[str, Any]) -> str:
    names = [f.split("__", 1)[1].removesuffix(".yml") if "__" in f else f for f in case["files"]]
    profiles = case.get("profiles")
    return "+".join(names) + (f"[{','.join(profiles)}]" if profiles else "")


def _lint(
    files: list[Path],
    mode: str,
    env: Mapping[str, str],
    codes: tuple[str, ...] = CODES,
    project_dir: Path | None = None,
) -> list[Finding]:
    ctx = build_context(
        files, mode="stack" if mode == "stack" else "file", env=dict(env), project_dir=project_dir or files[0].parent
    )
    return [finding for rule in _rules(codes) for finding in run_rule(ctx, rule)]


def _env_files(files: list[Path], env: Mapping[str, str], folder: Path) -> None:
    """compose checks that env files named by services exist, even when it does not read them."""
    stack = load_stack(files, env=dict(env), project_dir=folder)
    for _name, service in stack.iter_services():
        entries = service.get("env_file")
        for entry in entries if isinstance(entries, list) else [entries] if entries else []:
            path = folder / str(entry["path"] if isinstance(entry, Mapping) else entry)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) >= 40, CORPUS


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_rule_runs_on_every_corpus_file_alone(name: str) -> None:
    for usage in (None, "dev", "prod"):
        ctx = build_context([CORPUS / name], mode="file", usage=usage, env={}, project_dir=CORPUS)
        for rule in _rules():
            for finding in run_rule(ctx, rule):
                assert finding.line >= 1 and finding.column >= 1
                assert Path(finding.file).name == name  # a file alone only reports itself


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_every_rule_runs_on_every_merged_corpus_case(case: dict[str, Any]) -> None:
    files = [CORPUS / f for f in case["files"]]
    findings = _lint(files, "stack", case.get("env") or {})
    assert all(Path(f.file).name in case["files"] for f in findings)
    # every documented combination is accepted by compose v2 (tests/compose checks it):
    # the refusal rules must agree
    assert [f"{f.code} {f.message}" for f in findings if f.code in CONFIG_REFUSALS] == []


def _findings_by_file(code: str) -> dict[str, list[Finding]]:
    return {name: _lint([CORPUS / name], "file", {}, (code,)) for name in CORPUS_FILES}


def test_overlay_fragments_alone_report_nothing_their_base_provides() -> None:
    """netbox *.override.yml, frappe overrides/, mattermost nginx/without-nginx, mailcow's exporter."""
    overlays = [n for n in CORPUS_FILES if "override" in n or "nginx" in n]
    absent = ("CG001", "CG006", "CG503", "CG504", "CG602", "CG603")
    for name in overlays:
        findings = _lint([CORPUS / name], "file", {}, absent)
        fragments = [f for f in findings if f.service in ("configurator", "netbox", "mattermost")]
        assert fragments == [], [f.message for f in fragments]
        assert [f for f in findings if f.code in ("CG001", "CG006")] == []


def test_no_secret_finding_on_variable_references() -> None:
    """n8n and mattermost reference their secrets (`${POSTGRES_PASSWORD}`): no finding."""
    by_file = _findings_by_file("CG508")
    for name in (
        "n8n-io__self-hosted-ai-starter-kit__docker-compose.yml",
        "mattermost__docker__docker-compose.yml",
    ):
        assert [f.message for f in by_file[name]] == [], name
    # sentry's literal S3 credentials for its bundled seaweedfs are literals, and are found
    sentry = {f.line for f in by_file["getsentry__self-hosted__docker-compose.yml"]}
    assert sentry == {292, 711, 712}
    # placeholders the reader must replace are not secrets
    [exporter] = [n for n in CORPUS_FILES if "PROMETHEUS_EXPORTER" in n]
    assert by_file[exporter] == []
    # an anchor merged into six services is one finding
    cluster = by_file["langfuse__langfuse__docker-compose.dev-redis-cluster.yml"]
    assert [f.line for f in cluster if "sets REDIS_PASSWORD" in f.message] == [2]


def test_secret_defaults_in_references_are_found() -> None:
    """langfuse writes `${NEXTAUTH_SECRET:-mysecret}`, zammad `${POSTGRES_PASS:-zammad}`: the default
    runs whenever .env leaves the variable out (issue 16). `${SALT:-mysalt}` names no secret."""
    by_file = _findings_by_file("CG508")
    langfuse = by_file["langfuse__langfuse__docker-compose.yml"]
    assert {f.line for f in langfuse} == {23, 25, 34, 42, 49, 62, 106, 129, 151, 168, 191}  # 168: redis's command
    assert all("literal default" in f.message or "URL with a literal password" in f.message for f in langfuse)
    assert {f.line for f in by_file["zammad__zammad-docker-compose__docker-compose.yml"]} == {9, 167}


def test_no_secret_value_in_any_corpus_message() -> None:
    literal = re.compile(r"^\s*-?\s*([A-Z_]*(?:PASSWORD|SECRET|KEY)[A-Z_]*)\s*[:=]\s*\"?([^\s\"$<#]+)")
    values: set[str] = set()
    for name in CORPUS_FILES:
        for line in (CORPUS / name).read_text().splitlines():
            found = literal.match(line)
            if found and not found.group(1).endswith("_FILE"):
                values.add(found.group(2))
    assert {"whalehello", "somewordpress", "bitnami"} <= values
    seen = 0
    for name in CORPUS_FILES:
        for finding in _lint([CORPUS / name], "file", {}, ("CG508",)):
            seen += 1
            # what the message says besides the service's and the variable's (or the flag's) own names
            key = re.search(r" (?:sets|gives|passes) (\S+) ", finding.message)
            assert key is not None, finding.message
            named = "" if key.group(1) == "a" else key.group(1)  # "passes a URL with a literal password"
            rest = finding.message.replace(f"'{finding.service}'", "").replace(named, "")
            for value in values:
                assert value not in rest, (name, finding.message)
    assert seen >= 20


def test_profiles_that_never_run_together_share_ports_and_names() -> None:
    """n8n's ollama-cpu / -gpu / -gpu-amd publish 11434 and share container names, one per profile."""
    n8n = [CORPUS / "n8n-io__self-hosted-ai-starter-kit__docker-compose.yml"]
    assert _lint(n8n, "file", {}, ("CG605", "CG606")) == []


def test_one_shot_jobs_others_wait_for_need_no_restart_policy() -> None:
    """n8n-import runs once; n8n waits for it with service_completed_successfully."""
    n8n = [CORPUS / "n8n-io__self-hosted-ai-starter-kit__docker-compose.yml"]
    flagged = {f.service for f in _lint(n8n, "file", {}, ("CG602",))}
    assert "n8n-import" not in flagged


def test_images_named_by_variables_are_pinned_by_the_environment() -> None:
    """sentry's `image: "$SNUBA_IMAGE"`, mattermost's `nginx:${NGINX_IMAGE_TAG}`."""
    for name in (
        "getsentry__self-hosted__docker-compose.yml",
        "mattermost__docker__docker-compose.yml",
        "mattermost__docker__docker-compose.nginx.yml",
    ):
        findings = _lint([CORPUS / name], "file", {}, ("CG601",))
        assert all("$" not in f.message for f in findings), name
    sentry = _lint([CORPUS / "getsentry__self-hosted__docker-compose.yml"], "file", {}, ("CG601",))
    assert [f.service for f in sentry] == ["smtp"]


def test_database_ports_bound_to_loopback_are_fine() -> None:
    """langfuse binds its databases to 127.0.0.1; its build variant publishes them on every interface."""
    assert _lint([CORPUS / "langfuse__langfuse__docker-compose.yml"], "file", {}, ("CG507",)) == []
    build = _lint([CORPUS / "langfuse__langfuse__docker-compose.build.yml"], "file", {}, ("CG507",))
    assert {f.service for f in build} == {"clickhouse", "redis", "postgres"}


# --- compose v2 as the oracle ---------------------------------------------------------------


#: Corpus files compose v2 refuses on their own, with no variables set: overlays that need their
#: base, `${VAR}` values that only their .env makes valid (`:/media/`, `read_only: ""`), a
#: required variable, a network the base defines. Pinned: the test below checks compose agrees.
REFUSED_ALONE = frozenset(
    {
        "docker__awesome-compose__plex__compose.yml",
        "frappe__frappe_docker__overrides__compose.mariadb.yml",
        "frappe__frappe_docker__overrides__compose.redis.yml",
        "frappe__frappe_docker__overrides__compose.traefik.yml",
        "getsentry__self-hosted__docker-compose.yml",
        "mailcow__mailcow-dockerized__helper-scripts__docker-compose.override.yml.d__PROMETHEUS_EXPORTER__"
        "docker-compose.override.yml",
        "mattermost__docker__docker-compose.nginx.yml",
        "mattermost__docker__docker-compose.without-nginx.yml",
        "mattermost__docker__docker-compose.yml",
        "n8n-io__self-hosted-ai-starter-kit__docker-compose.yml",
        "netbox-community__netbox-docker__docker-compose.test.override.yml",
    }
)


@pytest.mark.oracle
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_refusal_rules_are_silent_on_corpus_files_compose_accepts(name: str, tmp_path: Path) -> None:
    files = [CORPUS / name]
    _env_files(files, {}, tmp_path)
    if name in REFUSED_ALONE:
        with pytest.raises(OracleError):
            run_config(files, env={}, project_dir=tmp_path)
        return  # merged over its base or with its variables, it is checked by the merged cases
    run_config(files, env={}, project_dir=tmp_path)
    findings = _lint(files, "file", {}, CONFIG_REFUSALS, project_dir=tmp_path)
    assert [f"{f.code} {f.line}:{f.column} {f.message}" for f in findings] == []


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_refusal_rules_are_silent_on_merged_corpus_cases(case: dict[str, Any], tmp_path: Path) -> None:
    files = [CORPUS / f for f in case["files"]]
    env = case.get("env") or {}
    _env_files(files, env, tmp_path)
    run_config(files, env=env, project_dir=tmp_path, profiles=case.get("profiles") or ["*"])
    findings = _lint(files, "stack", env, CONFIG_REFUSALS, project_dir=tmp_path)
    assert [f"{f.code} {f.message}" for f in findings] == []


def _decidable_refusal_cases() -> list[Any]:
    """Cases of the refusal rules that compose can judge the same way: every variable set, and
    no overlay fragment linted alone (compose refuses those; lint deliberately does not)."""
    params = []
    for code in (*REFUSALS, "CG604"):
        doc = read_document(CASES_DIR / f"{code}.yaml").data
        for case in doc["cases"]:
            params.append(pytest.param(code, case, id=f"{code}-{case['name']}"))
    return params


@pytest.mark.oracle
@pytest.mark.parametrize(("code", "case"), _decidable_refusal_cases())
def test_refusal_rule_cases_agree_with_compose(code: str, case: dict[str, Any], tmp_path: Path) -> None:
    names = list(case["files"])
    for name, text in case["files"].items():
        (tmp_path / name).write_text(text)
    env = {str(k): str(v) for k, v in (case.get("env") or {}).items()}
    groups = [names] if case.get("mode") == "stack" else [[n] for n in names]
    for group in groups:
        files = [tmp_path / n for n in group]
        stack = load_stack(files, env=env, project_dir=tmp_path)
        if any(p.kind == "variable-unset" for p in stack.problems):
            continue  # compose decides with "" where lint waits for the environment
        if case.get("mode") != "stack" and any("image" not in s and "build" not in s for _, s in stack.iter_services()):
            continue  # an overlay fragment alone: compose refuses it, lint reads it as a fragment
        expected = [e for e in case["expect"] if str(e).split(":")[0] in group]
        try:
            run_config(files, env=env, project_dir=tmp_path)
            accepted = True
        except OracleError:
            accepted = False
        assert accepted == (expected == []), f"compose {'accepts' if accepted else 'refuses'} {group}"
