"""`composegen lint` end to end: which files it reads, settings, exit codes, formats, input errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.cli.lint_output import main
from composegen.errors import InputError
from composegen.lint.finding import Severity
from composegen.lint.run import LintOptions
from composegen.lint.run import lint as do_lint

LIMITED = "services:\n  web:\n    image: nginx:1.27.1\n    deploy: {resources: {limits: {memory: 64M}}}\n"
UNLIMITED = "services:\n  web:\n    image: nginx:1.27.1\n"
INTEGER = "services:\n  web:\n    image: nginx:1.27.1\n    deploy: {resources: {limits: {memory: 512}}}\n"


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def lint(folder: Path, **options: Any) -> tuple[int, str, str]:
    """`main` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("environ", {})
    options.setdefault("format", "json")
    code = main(LintOptions(cwd=folder, **options), out, err)
    return code, out.getvalue(), err.getvalue()


def codes(stdout: str) -> list[str]:
    return [f"{f['file']}:{f['line']}:{f['code']}" for f in json.loads(stdout)]


def cg(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
    )


# --- exit codes ------------------------------------------------------------------------------------


def test_clean_file_exits_0(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": LIMITED})
    assert lint(tmp_path, files=(Path("compose.yaml"),), select=("CG101",)) == (0, "[]\n", "")


def test_errors_exit_1_warnings_do_not_unless_strict(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": INTEGER, "b.yml": UNLIMITED})
    code, out, _ = lint(tmp_path, files=(Path("a.yml"),), select=("CG109",))
    assert (code, codes(out)) == (1, ["a.yml:4:CG109"])
    assert lint(tmp_path, files=(Path("b.yml"),), select=("CG101",))[0] == 0
    assert lint(tmp_path, files=(Path("b.yml"),), select=("CG101",), strict=True)[0] == 1
    assert lint(tmp_path, files=(Path("b.yml"),), select=("CG101",), fail_on=Severity.warning)[0] == 1
    assert lint(tmp_path, files=(Path("b.yml"),), select=("CG107",))[0] == 0  # info
    assert lint(tmp_path, files=(Path("b.yml"),), select=("CG107",), fail_on=Severity.info)[0] == 1


def test_usage_sets_severities(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": UNLIMITED})
    code, out, _ = lint(tmp_path, files=(Path("compose.yaml"),), select=("CG101",), usage="prod")
    assert code == 1 and json.loads(out)[0]["severity"] == "error"
    code, out, _ = lint(tmp_path, files=(Path("compose.yaml"),), select=("CG101",), usage="dev")
    assert code == 0 and json.loads(out)[0]["severity"] == "info"


def test_yaml_syntax_error_is_one_line_exit_2_and_other_files_still_lint(tmp_path: Path) -> None:
    write(tmp_path, {"bad.yml": "services:\n  web:\n    image: [unclosed\n", "good.yml": INTEGER})
    code, out, err = lint(tmp_path, files=(Path("bad.yml"), Path("good.yml")), select=("CG109",))
    assert code == 2
    assert codes(out) == ["good.yml:4:CG109"]
    assert err.count("\n") == 1 and err.startswith("composegen: ")
    assert "bad.yml:4:1: YAML syntax error" in err


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    code, out, err = lint(tmp_path, files=(Path("nope.yml"),))
    assert code == 2 and json.loads(out) == [] and "nope.yml: file not found" in err


def test_files_and_dash_f_together_are_refused(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": LIMITED})
    with pytest.raises(InputError, match="not both"):
        lint(tmp_path, files=(Path("a.yml"),), stack_files=(Path("a.yml"),))


# --- what is read ----------------------------------------------------------------------------------


def test_files_alone_and_merged(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"base.yml": UNLIMITED, "prod.yml": "services:\n  web:\n    deploy: {resources: {limits: {memory: 1G}}}\n"},
    )
    _, alone, _ = lint(tmp_path, files=(Path("base.yml"), Path("prod.yml")), select=("CG101",))
    assert codes(alone) == ["base.yml:2:CG101"]  # the overlay alone is a fragment
    _, merged, _ = lint(tmp_path, stack_files=(Path("base.yml"), Path("prod.yml")), select=("CG101",))
    assert codes(merged) == []


def test_default_is_the_composegen_yaml_stack(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "composegen.yaml": "compose_files: [base.yml, limits.yml]\n",
            "base.yml": "services:\n  web: {image: nginx:1.27.1}\n  db: {image: postgres:16.4}\n",
            "limits.yml": "services:\n  web:\n    deploy: {resources: {limits: {memory: 1G}}}\n",
            "compose.yaml": UNLIMITED,  # not read: composegen.yaml says which files
        },
    )
    _, out, _ = lint(tmp_path, select=("CG101",))
    assert codes(out) == ["base.yml:3:CG101"]


def test_default_is_what_docker_compose_reads(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": "services:\n  web: {image: nginx:1.27.1}\n  db: {image: postgres:16.4}\n",
            "compose.override.yaml": "services:\n  web:\n    mem_limit: 1g\n",
            "docker-compose.yml": UNLIMITED,  # compose.yaml wins
        },
    )
    _, out, _ = lint(tmp_path, select=("CG101",))
    assert codes(out) == ["compose.yaml:3:CG101"]


def test_compose_file_from_the_environment_or_dotenv(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "one.yml": "services:\n  a: {image: nginx:1.27.1}\n",
            "two.yml": "services:\n  b: {image: nginx:1.27.1}\n",
            "compose.yaml": UNLIMITED,
        },
    )
    env = {"COMPOSE_FILE": "one.yml;two.yml", "COMPOSE_PATH_SEPARATOR": ";"}
    _, out, _ = lint(tmp_path, select=("CG101",), environ=env)
    assert codes(out) == ["one.yml:2:CG101", "two.yml:2:CG101"]
    (tmp_path / ".env").write_text("COMPOSE_FILE=two.yml\n")
    _, out, _ = lint(tmp_path, select=("CG101",))
    assert codes(out) == ["two.yml:2:CG101"]
    _, out, _ = lint(tmp_path, select=("CG101",), environ={"COMPOSE_FILE": "one.yml"})  # environment wins
    assert codes(out) == ["one.yml:2:CG101"]


def test_nothing_to_lint_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no composegen.yaml and no compose file here"):
        lint(tmp_path)


# --- settings --------------------------------------------------------------------------------------


def test_pyproject_settings(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                "[project]\nname = 'x'\n\n"
                "[tool.composegen.lint]\n"
                "select = ['CG1', 'restart-policy-missing']\n"
                "ignore = ['CG107']\n"
                "fail_on = 'warning'\n"
                "[tool.composegen.lint.severity]\n"
                "memory-limit-missing = 'error'\n"
                "CG602 = 'off'\n"
                "[tool.composegen.lint.per_service]\n"
                "cache = ['CG101']\n"
            ),
            "compose.yaml": "services:\n  web: {image: nginx:1.27.1}\n  cache: {image: redis:7.4}\n",
        },
    )
    code, out, _ = lint(tmp_path)
    found = json.loads(out)
    assert [(f["line"], f["code"], f["severity"]) for f in found] == [(2, "CG101", "error")]
    assert code == 1


def test_composegen_yaml_settings_go_over_pyproject(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.composegen.lint]\nselect = ['CG107']\nseverity = {CG101 = 'error'}\n",
            "composegen.yaml": (
                "compose_files: [compose.yaml]\nusage: dev\nlint:\n  enable: [CG101]\n  severity: {CG107: info}\n"
            ),
            "compose.yaml": UNLIMITED,
        },
    )
    code, out, _ = lint(tmp_path)
    assert [(f["code"], f["severity"]) for f in json.loads(out)] == [("CG101", "error")]
    assert code == 1
    code, out, _ = lint(tmp_path, select=("CG107",), ignore=("CG101",))
    assert [(f["code"], f["severity"]) for f in json.loads(out)] == [("CG107", "info")]


def test_usage_from_composegen_yaml(tmp_path: Path) -> None:
    write(tmp_path, {"composegen.yaml": "compose_files: [compose.yaml]\nusage: prod\n", "compose.yaml": UNLIMITED})
    _, out, _ = lint(tmp_path, select=("CG101",))
    assert json.loads(out)[0]["severity"] == "error"


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("select = ['CG1O1']", "unknown rule 'CG1O1' in lint select"),
        ("selekt = ['CG101']", "unknown lint setting 'selekt' (did you mean 'select'?"),
        ("select = ['CG101']\nenable = ['CG102']", "lint sets both select and enable"),
        ("severity = {CG101 = 'fatal'}", "unknown severity 'fatal'"),
        ("options = {CG101 = {nope = 1}}", "rule CG101 (memory-limit-missing) has no option 'nope'"),
        ("fail_on = 'off'", "fail_on cannot be off"),
        ("usage = 'staging'", "lint usage must be one of dev, pytest, prod"),
        ("per_service = {web = ['CG9']}", "unknown rule 'CG9' in lint per_service.web"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, pyproject: str, message: str) -> None:
    write(tmp_path, {"pyproject.toml": f"[tool.composegen.lint]\n{pyproject}\n", "compose.yaml": UNLIMITED})
    with pytest.raises(InputError) as err:
        lint(tmp_path)
    assert message in err.value.one_line()
    assert "pyproject.toml" in err.value.one_line()


def test_bad_settings_in_composegen_yaml_name_the_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "composegen.yaml": "compose_files: [compose.yaml]\nlint:\n  ignore: [CG101, nope]\n",
            "compose.yaml": UNLIMITED,
        },
    )
    with pytest.raises(InputError) as err:
        lint(tmp_path)
    assert err.value.one_line().startswith(f"{tmp_path / 'composegen.yaml'}:3: unknown rule 'nope' in lint ignore")


def test_pyproject_is_found_above_but_not_past_the_repository(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.composegen.lint]\nselect = ['CG107']\n", "sub/compose.yaml": UNLIMITED})
    _, out, _ = lint(tmp_path / "sub")
    assert [f["code"] for f in json.loads(out)] == ["CG107"]
    (tmp_path / "sub" / ".git").mkdir()
    _, out, _ = lint(tmp_path / "sub", select=("CG101", "CG107"))
    assert sorted(f["code"] for f in json.loads(out)) == ["CG101", "CG107"]


def test_lint_settings_model_and_reader_agree() -> None:
    from composegen.lint.config import KEYS
    from composegen.profiles.models import LintSettings

    assert set(LintSettings.model_fields) == set(KEYS)


def test_project_usage_and_lint_do_not_change_the_render_digest() -> None:
    from composegen.profiles.models import Project

    bare = Project.model_validate({"compose_files": ["a.yml"]})
    configured = Project.model_validate({"compose_files": ["a.yml"], "usage": "prod", "lint": {"select": ["CG1"]}})
    assert bare.model_dump(mode="json") == configured.model_dump(mode="json")


# --- output ----------------------------------------------------------------------------------------


def test_text_is_relative_and_uncoloured_off_a_terminal(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": UNLIMITED})
    code, out, _ = lint(tmp_path, format=None, select=("CG101",))
    assert code == 0
    assert out.splitlines()[0] == "compose.yaml" and "\033[" not in out


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("environ", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_colour_on_a_terminal_unless_no_color(tmp_path: Path, environ: dict[str, str], coloured: bool) -> None:
    write(tmp_path, {"compose.yaml": UNLIMITED})
    out = FakeTerminal()
    main(LintOptions(cwd=tmp_path, select=("CG101",), environ=environ), out, io.StringIO())
    assert ("\033[" in out.getvalue()) is coloured


def test_github_format_under_actions(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": UNLIMITED})
    _, out, _ = lint(tmp_path, format=None, select=("CG101",), environ={"GITHUB_ACTIONS": "true"})
    assert out.startswith("::warning file=compose.yaml,line=2,col=3,title=CG101 memory-limit-missing::")
    _, out, _ = lint(tmp_path, format="text", select=("CG101",), environ={"GITHUB_ACTIONS": "true"})
    assert out.startswith("compose.yaml\n")


def test_findings_are_deduplicated_and_sorted(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": UNLIMITED})
    run = do_lint(LintOptions(cwd=tmp_path, files=(Path("a.yml"), Path("a.yml")), select=("CG101",), environ={}))
    assert len(run.findings) == 1


# --- the command line itself ------------------------------------------------------------------------


def test_cli_wiring(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": INTEGER + "  db:\n    image: postgres:16.4\n", "bad.yml": "a: [\n"})
    result = cg("lint", "--select", "CG109,CG101", "--format", "json", "--strict", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert sorted(f["code"] for f in json.loads(result.stdout)) == ["CG101", "CG109"]
    result = cg("lint", "-f", "compose.yaml", "--select", "CG101", "--usage", "dev", "--fail-on", "info", cwd=tmp_path)
    assert result.returncode == 1 and "info     CG101" in result.stdout
    bad = cg("lint", "bad.yml", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("composegen: bad.yml:2:1: YAML syntax error")
    usage = cg("lint", "--format", "xml", cwd=tmp_path)
    assert usage.returncode == 2
    unknown = cg("lint", "--select", "CG9999", cwd=tmp_path)
    assert unknown.returncode == 2 and unknown.stderr.startswith("composegen: --select: unknown rule 'CG9999'")


def test_rules_command(tmp_path: Path) -> None:
    listed = cg("rules", cwd=tmp_path)
    assert listed.returncode == 0
    assert any(line.startswith("CG101  memory-limit-missing") for line in listed.stdout.splitlines())
    doc = cg("rules", "--markdown", cwd=tmp_path)
    assert doc.returncode == 0 and doc.stdout.startswith("# Lint rules")


@pytest.mark.parametrize("name", ["CG508", "cg508", "secret-in-environment"])
def test_rules_code_prints_that_rules_section_of_the_reference(tmp_path: Path, name: str) -> None:
    """`composegen rules CODE` (issue 16): docs/rules.md's section of one rule, one source of truth."""
    from composegen.lint.docs import rule_section
    from composegen.lint.rules import by_code_or_name

    one = cg("rules", name, cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    rule = by_code_or_name("CG508")
    assert rule is not None
    section = "\n".join(rule_section(rule))
    assert one.stdout.startswith(section)
    assert section in Path(__file__).resolve().parents[2].joinpath("docs", "rules.md").read_text(encoding="utf-8")
    assert one.stdout.rstrip().endswith("docs/rules.md#cg508-secret-in-environment")


def test_rules_with_an_unknown_code_is_one_line(tmp_path: Path) -> None:
    result = cg("rules", "CG999", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "composegen: no lint rule 'CG999' (see `composegen rules` for their codes and names)\n"


def test_lint_and_help_import_only_what_they_use(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": LIMITED, "trivial.yml": UNLIMITED})
    # lint runs without typer (and so without the pydantic it coerces options through)
    lint_heavy = ("jinja2", "ruamel.yaml", "jsonschema", "pydantic", "typer", "rich")
    lint_heavy_but_ruamel = tuple(m for m in lint_heavy if m != "ruamel.yaml")
    for args, heavy_modules in (
        (["--help"], ("jinja2", "ruamel.yaml", "jsonschema", "pydantic")),
        (["lint", "--select", "CG101,CG5,CG6", "compose.yaml"], lint_heavy),
        (["lint", "trivial.yml"], lint_heavy),
        # SARIF carries each fixable finding's fix as a text replacement: planning it is a ruamel round trip
        (["lint", "--format", "sarif", "-f", "compose.yaml", "-f", "trivial.yml"], lint_heavy_but_ruamel),
    ):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "composegen", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode in (0, 1), result.stderr[-2000:]
        imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
        for heavy in heavy_modules:
            assert heavy not in imported, f"`composegen {' '.join(args)}` imports {heavy}"


@pytest.mark.parametrize(
    "args",
    [
        ["lint"],
        ["lint", "docker-compose.yml"],
        ["lint", "-f", "docker-compose.yml"],
        ["lint", "--format", "json", "docker-compose.yml"],
        ["lint", "--format", "sarif", "docker-compose.yml"],
        ["lint", "--fix", "docker-compose.yml"],
        ["lint", "--diff", "docker-compose.yml"],
    ],
    ids=lambda args: " ".join(args),
)
def test_a_file_that_cannot_be_read_is_exit_2_and_not_counted_as_clean(tmp_path: Path, args: list[str]) -> None:
    """Issue 12: chmod 000 printed "no problems in 1 file; 1 file could not be read"."""
    from tests.hostile.test_hostile_files import run_cli

    (tmp_path / "docker-compose.yml").write_text(UNLIMITED)
    (tmp_path / "docker-compose.yml").chmod(0)
    done = run_cli(args, tmp_path, locked=True)  # as root: without the capability to read anything
    assert done.code == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "docker-compose.yml: file is not readable" in lines[0], done.stderr
    assert "no problems" not in done.stdout
    if args[1:2] in ([], ["docker-compose.yml"], ["-f"], ["--fix"]):
        assert done.stdout == "1 file could not be read\n"


def test_the_files_that_were_read_are_still_linted_and_counted(tmp_path: Path) -> None:
    from tests.hostile.test_hostile_files import run_cli

    write(tmp_path, {"a.yml": LIMITED, "b.yml": UNLIMITED})
    (tmp_path / "b.yml").chmod(0)
    done = run_cli(["lint", "a.yml", "b.yml"], tmp_path, locked=True)
    assert done.code == 2
    last = done.stdout.splitlines()[-1]
    assert last.endswith("in 1 file, 1 fixable with --fix; 1 file could not be read"), last  # not "1 of 2 files"


def test_the_lint_command_is_one_library_call_that_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lint.run.check` lints, fixes, diffs or records a baseline, assembles the report, and returns
    the outcome; the command (composegen.cli.lint_output) prints it and maps it to the exit code
    (issue 18)."""
    from composegen.lint.run import check

    (tmp_path / "docker-compose.yml").write_text(LIMITED, encoding="utf-8")
    options = LintOptions(cwd=tmp_path, files=(tmp_path / "docker-compose.yml",), format="sarif")
    plain = check(options)
    assert plain.run.findings and plain.diff is None and plain.recorded is None and plain.fixed == 0
    report = plain.report
    assert report is not None and report.files == ["docker-compose.yml"]  # as the user reads them
    assert {f.file for f in report.findings} == {"docker-compose.yml"} and len(report.findings) == len(
        plain.run.findings
    )
    assert report.rules and report.root_uri == tmp_path.resolve().as_uri() and not report.color
    diff = check(options._replace(diff=True))
    assert diff.diff and diff.changes and diff.report is None
    recorded = check(options._replace(write_baseline=tmp_path / "baseline.json"))
    assert recorded.recorded == len(plain.run.findings) and (tmp_path / "baseline.json").is_file()
    assert recorded.report is None
    assert capsys.readouterr() == ("", "")
