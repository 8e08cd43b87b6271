"""The Swarm target works out once what services share: `swarm_deploy` with the stack's `Kept`
gives each service what working it out alone gives, and the base's keys come from the one base
file as it was read (no merge) only where merging it would change none."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from composegen.compose.merge import merge_files
from composegen.render.layout import overlay_data
from composegen.render.overlay import overlay_context, plan
from composegen.render.swarm import _merged, _raw_base, render_swarm_planned
from composegen.render.swarm_deploy import Kept, swarm_deploy
from composegen.yamlio import read_document
from tests.conftest import EXAMPLES, example_profile

FOLDERS = sorted(p.parent for p in EXAMPLES.rglob("composegen.yaml"))
#: each example's profile (its docker-compose.PROFILE.yml), and prod
CASES = sorted(
    {(f, name) for f in FOLDERS for name in (example_profile(f), "prod") if f.name != "agent-scale" or name != "prod"}
)


@pytest.mark.parametrize(("project", "profile"), CASES, ids=str)
def test_kept_deploy_settings_are_each_services_own(project: Path, profile: str) -> None:
    planned = plan(profile, None, project)
    kept = Kept()
    for service in planned.stack.services:
        # twice over one Kept: the second time takes what the first made
        for _ in range(2):
            shared = swarm_deploy(service, planned.profile.profile, {}, 2, kept)
            assert shared == swarm_deploy(service, planned.profile.profile, {}, 2)


def _keys(data: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    services = data.get("services") or {}
    return {name: frozenset(s) for name, s in services.items() if isinstance(s, Mapping)}


@pytest.mark.parametrize("project", FOLDERS, ids=lambda p: p.name)
def test_the_base_as_read_is_the_base_merged_where_one_file_has_no_tags(project: Path) -> None:
    planned = plan(example_profile(project), None, project)
    paths = planned.project.compose_paths()
    raw, tagged = _raw_base(paths, planned.base.documents)
    assert (raw, tagged) == _raw_base(paths)  # the documents planning read: the files as parsed again
    if len(raw) == 1 and not tagged:
        assert _keys(raw[0]) == _keys(merge_files(raw))


def test_a_tagged_base_is_merged(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    ports: !reset []\n    cpus: !override 1\n"
    )
    raw, tagged = _raw_base([tmp_path / "docker-compose.yml"])
    assert tagged
    assert _keys(merge_files(raw)) == {"web": frozenset({"image", "cpus"})} != _keys(raw[0])


@pytest.mark.parametrize("project", FOLDERS, ids=lambda p: p.name)
def test_the_stack_file_leaves_the_documents_planning_read_as_they_were(project: Path, tmp_path: Path) -> None:
    """The Swarm target shares the parsed base with planning and the merge, uncopied: converting
    makes new mappings and lists where it changes them, and changes none it was given."""
    planned = plan(example_profile(project), None, project)
    before = [copy.deepcopy(doc.data) for doc in planned.base.documents]
    render_swarm_planned(planned, tmp_path / "docker-stack.yml")
    assert [doc.data for doc in planned.base.documents] == before
    assert [doc.data for doc in planned.base.documents] == [
        read_document(Path(d.path)).data for d in planned.base.documents
    ]


@pytest.mark.parametrize("project", FOLDERS, ids=lambda p: p.name)
def test_untagged_documents_merge_as_merge_files_merges_them(project: Path) -> None:
    planned = plan(example_profile(project), None, project)
    raw, tagged = _raw_base(planned.project.compose_paths(), planned.base.documents)
    overlay = overlay_data(overlay_context(planned, project / "docker-stack.yml"))
    assert _merged([*raw, overlay], tagged) == merge_files([*raw, overlay])
    assert _merged([*raw, overlay], True) == merge_files([*raw, overlay])


@pytest.mark.parametrize("char", ["a", "é", "🎉"])
@pytest.mark.parametrize("more", [0, 1])
def test_a_file_is_refused_by_its_utf8_bytes(char: str, more: int) -> None:
    """The size an overlay or stack file is refused at is its UTF-8 bytes (ASCII text: its
    length, read off without encoding it)."""
    from types import SimpleNamespace

    from composegen.errors import InputError
    from composegen.render.overlay import _refuse_unreadable_size
    from composegen.yamlio import MAX_FILE_BYTES

    width = len(char.encode())
    text = char * (MAX_FILE_BYTES // width) + "x" * (MAX_FILE_BYTES % width + more)
    planned: Any = SimpleNamespace(project=SimpleNamespace(compose_paths=lambda: []), inputs=())
    if more:
        with pytest.raises(InputError):
            _refuse_unreadable_size(text, planned)
    else:
        _refuse_unreadable_size(text, planned)
