"""The second real corpus (issue 16): 44 compose files of public projects that are not in
../shared/corpus (Docker's awesome-compose samples, the voting app's Swarm stack and test stack,
paperless-ngx's install and CI stacks, swarmprom's Swarm stacks, Confluent's cp-all-in-one, docker-elk),
kept in tests/lint/corpus2 with their sources (SOURCES.tsv: repository, path, commit).

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
        ("CG101", "warning"): 144,
        ("CG107", "info"): 158,
        ("CG203", "info"): 2,
        ("CG502", "warning"): 5,  # portainer and cadvisor: the socket, and /var/run
        ("CG503", "info"): 138,
        ("CG504", "info"): 127,
        ("CG506", "warning"): 2,  # paperless CI: gotenberg and tika on the host network
        ("CG507", "warning"): 14,  # brokers, redis, postgres, elasticsearch on every interface
        ("CG508", "info"): 1,
        ("CG508", "warning"): 30,
        ("CG509", "warning"): 12,  # cadvisor and node-exporter: / read-only, /proc, /sys, /var/lib/docker
        ("CG601", "warning"): 35,
        ("CG602", "info"): 6,
        ("CG602", "warning"): 71,
        ("CG603", "info"): 10,
        ("CG603", "warning"): 148,
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
