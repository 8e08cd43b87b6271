"""The second real corpus (issue 16): 60 compose files of public projects that are not in
../shared/corpus (Docker's awesome-compose samples, the voting app's Swarm stack and test stack,
paperless-ngx's install and CI stacks, swarmprom's Swarm stacks, Confluent's cp-all-in-one, docker-elk,
and 16 LLM and ML stacks: dify, Langfuse, Flowise, AnythingLLM, khoj, LocalAI, LibreChat, private-gpt,
open-webui's GPU override, immich with its ML acceleration file, text-generation-webui, FastChat and
OPEA's ChatQnA on NVIDIA (TGI) and on ROCm (vLLM)), kept in tests/lint/corpus2 with their sources
(SOURCES.tsv: repository, path, commit).

Each file is linted on its own, as the first corpus is: no crash, no file called unreadable, and
the findings pinned by rule and severity. Every error and warning was read and judged (the table is
in the issue's note); the false positives found were fixed at their root, and the shapes they
had are pinned here so they stay fixed."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

from composegen.lint.finding import Finding
from composegen.lint.run import LintOptions, lint

CORPUS2 = Path(__file__).parent / "corpus2"
FILES = sorted(CORPUS2.glob("*.yml"))


@cache
def findings() -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for path in FILES:
        run = lint(LintOptions(cwd=CORPUS2, files=(path,), environ={}))
        assert run.errors == [], run.errors
        found[path.name] = run.findings
    return found


def test_every_file_has_its_source() -> None:
    with (CORPUS2 / "SOURCES.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(row["file"] for row in rows) == [p.name for p in FILES]
    assert len(FILES) >= 40
    for row in rows:
        assert len(row["commit"]) == 40 and "/" in row["repo"] and row["path"], row
        assert int(row["bytes"]) == (CORPUS2 / row["file"]).stat().st_size, row["file"]


def test_the_findings_are_the_judged_ones() -> None:
    counts: dict[tuple[str, str], int] = {}
    for found in findings().values():
        for finding in found:
            key = (finding.code, finding.severity.value)
            counts[key] = counts.get(key, 0) + 1
    assert counts == {
        ("CG003", "error"): 14,  # swarmprom's `${DOMAIN?...}`: compose refuses without them (debatable: env's job)
        ("CG101", "warning"): 222,
        ("CG107", "info"): 236,
        ("CG110", "warning"): 1,  # dify's postgres: maintenance_work_mem=64MB in docker's 64M /dev/shm
        ("CG203", "info"): 9,
        ("CG206", "warning"): 2,  # dify's elasticsearch and kibana: `curl -s` with no -f
        ("CG502", "warning"): 6,  # portainer, cadvisor, private-gpt's traefik: the socket, and /var/run
        ("CG503", "info"): 216,
        ("CG504", "info"): 185,
        ("CG504", "warning"): 2,  # private-gpt: `user: root`
        ("CG505", "warning"): 2,  # AnythingLLM's SYS_ADMIN, OPEA's vLLM on ROCm: SYS_PTRACE
        ("CG506", "warning"): 14,  # paperless CI's host network; OPEA's ipc: host (TGI's, vLLM's: debatable)
        ("CG507", "warning"): 21,  # brokers, redis, postgres, elasticsearch, myscale on every interface
        ("CG508", "info"): 1,
        ("CG508", "warning"): 74,  # 2 on command lines: dify's and Langfuse's `--requirepass ${X:-literal}`
        ("CG509", "warning"): 12,  # cadvisor and node-exporter: / read-only, /proc, /sys, /var/lib/docker
        ("CG510", "warning"): 2,  # OPEA's vLLM on ROCm: seccomp and AppArmor unconfined
        ("CG601", "warning"): 74,  # 17 `${TAG:-latest}`/`:-release` defaults, LocalAI's `:master`
        ("CG602", "info"): 6,
        ("CG602", "warning"): 102,
        ("CG603", "info"): 10,
        ("CG603", "warning"): 226,
    }


def test_the_false_positives_found_stay_fixed() -> None:
    by_file = findings()
    # Kafka Connect (cp-server-connect-datagen) is not a broker: its REST port is no database port
    for name, found in by_file.items():
        assert not [f for f in found if f.code == "CG507" and f.service == "connect"], name
    # settings about a secret (its provider's class, a truststore's location, a SASL mechanism) and
    # a secret file's path are not secrets
    oauth = by_file["confluentinc__cp-all-in-one__cp-all-in-one-security__oauth__docker-compose.yml"]
    flagged = {f.line for f in oauth if f.code == "CG508"}
    assert {431, 433, 435, 436, 438, 441, 442, 517, 643, 647, 660}.isdisjoint(flagged)
    assert {14, 266, 402, 404, 405, 432, 437, 439, 440, 700} <= flagged  # the literal passwords are found
    express = by_file["docker__awesome-compose__react-express-mysql__compose.yml"]
    assert [f for f in express if f.code == "CG508"] == []
    # swarmprom's `${ADMIN_PASSWORD:-admin}`: a literal default of a password (issue 16)
    swarmprom = by_file["stefanprodan__swarmprom__docker-compose.yml"]
    assert [f.line for f in swarmprom if f.code == "CG508"] == [66, 187]
    # dify: a token's lifetime (`*_EXPIRY_HOURS`), a list of users and a `your-...` placeholder
    # are no secrets; the literal defaults of its passwords and keys are
    dify = by_file["langgenius__dify__docker__docker-compose.yml"]
    flagged = {f.line for f in dify if f.code == "CG508"}
    assert {171, 175, 396}.isdisjoint(flagged)
    assert {6, 32, 42, 45, 246, 395, 481, 513, 559, 639} <= flagged  # 639: Kibana's encryption key


def test_the_misses_found_in_the_llm_stacks_stay_found() -> None:
    """Issue 16's misses: a password on redis's command line (a literal default of
    `--requirepass`), floating tags that a variable's default supplies (OPEA's `${TAG:-latest}`,
    immich's `${IMMICH_VERSION:-release}`) and a branch's build (LocalAI's `:master`, a registry's
    image compose pulls before it builds)."""
    by_file = findings()
    for name, line in (
        ("langgenius__dify__docker__docker-compose.yml", 271),
        ("langfuse__langfuse__docker-compose.yml", 168),
    ):
        [redis] = [f for f in by_file[name] if f.code == "CG508" and f.service == "redis"]
        assert (redis.line, redis.severity.value) == (line, "warning")
        assert "--requirepass" in redis.message and "literal default" in redis.message
        assert "difyai123456" not in redis.message and "myredissecret" not in redis.message
    opea = by_file["opea-project__GenAIExamples__ChatQnA__docker_compose__nvidia__gpu__compose.yml"]
    assert [f.line for f in opea if f.code == "CG601"] == [12, 49, 114, 146, 163]
    immich = by_file["immich-app__immich__docker__docker-compose.yml"]
    assert [f.line for f in immich if f.code == "CG601"] == [15, 38]
    localai = by_file["mudler__LocalAI__docker-compose.yml"]
    assert [(f.line, f.service) for f in localai if f.code == "CG601"] == [(8, "api")]


def test_the_llm_stacks_meet_the_gpu_rules_quietly() -> None:
    """The first real LLM stacks the GPU rules (CG310-CG315) and the serving-engine reads meet:
    the engines composegen reads reserve their GPU (TGI, Ollama on CUDA, FastChat's worker), the
    models are variables, so no GPU rule fires; TGI is read from its image. OPEA's vllm-rocm is a
    custom build, not read as vLLM; its ROCm devices would count as its GPU (CG310's cases)."""
    from composegen.lint.load import build_context

    by_file = findings()
    for name, found in by_file.items():
        assert not [f for f in found if f.code.startswith("CG3")], name
    nvidia = CORPUS2 / "opea-project__GenAIExamples__ChatQnA__docker_compose__nvidia__gpu__compose.yml"
    ctx = build_context([nvidia], mode="file", env={})
    facts = ctx.facts("tgi-service")
    assert facts is not None and facts.programs == ("tgi",)


def test_sarif_of_the_whole_corpus_is_valid(tmp_path: Path) -> None:
    import io

    from composegen.cli.lint_output import main
    from tests.report.test_reporters import assert_valid_sarif

    out = io.StringIO()
    main(LintOptions(cwd=CORPUS2, files=tuple(FILES), environ={}, format="sarif"), out, io.StringIO())
    log = assert_valid_sarif(out.getvalue())
    results = log["runs"][0]["results"]
    assert len(results) == sum(len(found) for found in findings().values())
    assert any("fixes" in r for r in results)
    assert json.dumps(log).count("partialFingerprints") == len(results)
