"""render writes an overlay or stack file a service at a time and stops once it passes what
composegen reads back (render --check, lint): the text written whole (`yamlio.dump` of all the
data) and the text written a service at a time are the same, and a file over the limit is
refused as soon as its first services pass it, after any error of the base's own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.compose.merge import merge_files
from composegen.errors import InputError, UnitError
from composegen.paths import real_path
from composegen.render import overlay as overlay_module
from composegen.render import swarm as swarm_module
from composegen.render.layout import (
    OVERLAY,
    Budget,
    TooLarge,
    header,
    header_lines,
    joined,
    overlay_data,
    overlay_header,
    overlay_written,
    service_comments,
    written_services,
)
from composegen.render.overlay import overlay_context, plan, render_planned
from composegen.render.swarm import _Converter, _merged, _raw_base, render_swarm_planned
from composegen.yamlio import COMPOSE, KUBERNETES, MAX_FILE_BYTES, Layout, dump
from tests.conftest import EXAMPLES, example_profile
from tests.test_yamlio import MANIFEST_DATA, MANIFEST_KEYS, MANIFEST_TEXT

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = sorted(p.parent for p in EXAMPLES.rglob("composegen.yaml"))
CASES = sorted(
    {(f, name) for f in FOLDERS for name in (example_profile(f), "prod") if f.name != "agent-scale" or name != "prod"}
)


def swarm_whole(planned: Any, out: Path) -> str:
    """The stack file as render wrote it before it wrote a service at a time: all the services
    converted, then dumped at once."""
    context = overlay_context(planned, out)
    raw, tagged = _raw_base(planned.project.compose_paths(), planned.base.documents)
    merged = _merged([*raw, overlay_data(context)], tagged)
    base = raw[0] if len(raw) == 1 and not tagged else merge_files(raw)
    converter = _Converter(planned, planned.project.root, real_path(out.parent), base)
    data = converter.top_level(merged)
    data["services"] = dict(converter.service_entries(data["services"]))
    converter.networks(data)
    lines = header(
        context,
        target="swarm",
        base=f"{', '.join(context['base_files'])}, merged in with the overlay: this file stands alone; "
        "${VARIABLES} are left for stack deploy",
        use=f"docker stack deploy -c {context['output_name']} STACK",
        notes=[f"swarm: {n.text()}" for n in converter.notes],
    )
    comments = {("services", name): f"{name}: {d.comment()}" for name, d in converter.deploys.items()}
    return dump(data, header=lines, comments=comments)


def overlay_whole(context: Mapping[str, Any]) -> str:
    return dump(
        overlay_data(context), layout=OVERLAY, header=overlay_header(context), comments=service_comments(context)
    )


@pytest.mark.parametrize(("project", "profile"), CASES, ids=str)
def test_files_written_a_service_at_a_time_are_those_written_whole(project: Path, profile: str, tmp_path: Path) -> None:
    planned = plan(profile, None, project, facts=False)
    out = tmp_path / "docker-stack.yml"
    assert render_swarm_planned(planned, out).text == swarm_whole(planned, out)
    context = overlay_context(planned, tmp_path / "overlay.yml")
    assert overlay_written(context)[1] == overlay_whole(context)


#: Bases whose top level holds more than services: keys before them, a bridge network converted
#: after them, keys stack deploy leaves out, a service whose key needs quoting.
BASES = [
    "x-common: &c\n  image: nginx:1.27\nservices:\n  web:\n    <<: *c\n  'on':\n    image: redis:7\n",
    "services:\n  web:\n    image: nginx:1.27\n    shm_size: 64m\n    tmpfs: [/run]\n"
    "networks:\n  back:\n    driver: bridge\nvolumes:\n  data: {}\nname: app\n",
    "name: app\nservices:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: s3cret\n"
    "    volumes: [data:/var/lib/postgresql/data]\nvolumes:\n  data:\n",
]


def _project(root: Path, base: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "docker-compose.yml").write_text(base, encoding="utf-8")


@pytest.mark.parametrize("base", BASES)
def test_stacks_with_more_than_services_are_written_as_whole(base: str, tmp_path: Path) -> None:
    _project(tmp_path, base)
    planned = plan("prod", None, tmp_path, facts=False)
    out = tmp_path / "docker-stack.yml"
    assert render_swarm_planned(planned, out).text == swarm_whole(planned, out)
    context = overlay_context(planned, tmp_path / "overlay.yml")
    assert overlay_written(context)[1] == overlay_whole(context)


SERVICES = st.dictionaries(MANIFEST_KEYS, MANIFEST_DATA | st.sampled_from([{}, None, "x"]), max_size=5)
TOPS = st.dictionaries(MANIFEST_KEYS.filter(lambda k: k != "services"), MANIFEST_DATA, max_size=3)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    before=TOPS,
    services=SERVICES,
    after=TOPS,
    comments=st.lists(MANIFEST_TEXT, max_size=5),
    head=st.lists(MANIFEST_TEXT, max_size=3),
    layout=st.sampled_from([COMPOSE, OVERLAY, KUBERNETES]),
)
def test_written_services_and_joined_give_dump(
    before: dict[str, Any],
    services: dict[str, Any],
    after: dict[str, Any],
    comments: list[str],
    head: list[str],
    layout: Layout,
) -> None:
    data = {**before, "services": services, **{k: v for k, v in after.items() if k not in before}}
    above = dict(zip(services, comments, strict=False))
    entries = ((name, value, above.get(name)) for name, value in services.items())
    lines = header_lines(head)
    budget = Budget(None, 0)
    written, service_lines = written_services(entries, layout, budget)
    assert written == services
    text = joined(lines, data, service_lines, layout)
    whole = dump(data, layout=layout, header=head, comments={("services", k): v for k, v in above.items()})
    assert text == whole
    # the budget counted the services' block: its `services:` line and the services' lines
    assert budget.used == len(("\n".join(["services:", *service_lines]) + "\n").encode())


def _stack(count: int, late: str = "") -> str:
    services = "".join(f"  s{n}:\n    image: nginx:1.27\n    environment:\n      A: 'x{n}'\n" for n in range(count))
    return "services:\n" + services + late


@pytest.mark.parametrize("target", ["swarm", "compose"])
def test_a_file_over_the_limit_is_refused_at_the_service_that_passes_it(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, _stack(40))
    planned = plan("prod", None, tmp_path, facts=False)
    out = tmp_path / "out.yml"
    whole = render_swarm_planned(planned, out).text if target == "swarm" else render_planned(planned, out)
    size = len(whole.encode())

    def render() -> None:
        if target == "swarm":
            render_swarm_planned(planned, out)
        else:
            render_planned(planned, out)

    module, name = (swarm_module, "MAX_SWARM_BYTES") if target == "swarm" else (overlay_module, "MAX_FILE_BYTES")
    monkeypatch.setattr(module, name, size)
    render()  # exactly at the limit: written
    limit = size // 3
    monkeypatch.setattr(module, name, limit)
    with pytest.raises(InputError) as refused:
        render()
    message = refused.value.message
    if target == "swarm":
        assert message.startswith(
            "the Swarm stack file for 40 services would be over the 0 MiB composegen writes for Swarm (the file "
            "stands alone, the base merged in, and is checked whole)"
        )
    else:
        assert message.startswith("the overlay for 40 services would be over the 0 MiB composegen reads back")
    first = int(message.rsplit("its first ", 1)[1].split(" ")[0])
    assert 0 < first < 40
    if target == "compose":  # (the stack file counts its services' notes in the header too)
        # the file up to service `first` (its comment) passes the limit; up to the one before, not
        lines = whole.splitlines()
        starts = [n for n, line in enumerate(lines) if line.startswith("  # s")]
        assert len(starts) == 40
        assert len("\n".join(lines[: starts[first]]).encode()) + 1 > limit
        assert len("\n".join(lines[: starts[first - 1]]).encode()) + 1 <= limit


def test_an_error_of_a_later_service_comes_before_the_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As when every service was converted: a size stack deploy needs in another form, which the
    base writes as a variable, is refused before the file's size."""
    late = "  last:\n    image: nginx:1.27\n    volumes:\n      - type: tmpfs\n        target: /x\n" + (
        "        tmpfs:\n          size: ${SIZE:-1g}\n"
    )
    _project(tmp_path, _stack(40, late))
    planned = plan("prod", None, tmp_path, facts=False)
    monkeypatch.setattr(swarm_module, "MAX_SWARM_BYTES", 4000)
    with pytest.raises(UnitError, match="tmpfs size"):
        render_swarm_planned(planned, tmp_path / "out.yml")
    _project(tmp_path, _stack(41))
    with pytest.raises(InputError, match="its first"):
        render_swarm_planned(plan("prod", None, tmp_path, facts=False), tmp_path / "out.yml")


def test_too_large_is_raised_with_the_services_made(tmp_path: Path) -> None:
    made: list[str] = []

    def entries() -> Any:
        for n in range(100):
            made.append(f"s{n}")
            yield f"s{n}", {"image": "x" * 50}, None

    with pytest.raises(TooLarge) as over:
        written_services(entries(), COMPOSE, Budget(1000))
    assert over.value.written == len(made) < 100


def test_the_stack_file_of_passwords_over_5_mib_is_refused_early_and_not_written(tmp_path: Path) -> None:
    """The 1 MB passwords shape (bench/hostile.py): its stack file would be 19 MiB."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import hostile
    finally:
        sys.path.remove(str(ROOT / "bench"))
    shape = next(s for s in hostile.SHAPES if s.name == "passwords")
    made = shape.make(shape.size(1.0))
    for name, text in made.items() if isinstance(made, dict) else [("docker-compose.yml", made)]:
        (tmp_path / name).write_text(text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "composegen", "render", "--profile", "prod", "--target", "swarm", "-o", "stack.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1
    assert "services would be over the 5 MiB composegen writes for Swarm (the file stands alone" in run.stderr
    assert run.stderr.rstrip().endswith("(split the stack into several projects)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docker-compose.yml"]
    assert swarm_module.MAX_SWARM_BYTES == 5 * 1024**2 < MAX_FILE_BYTES
