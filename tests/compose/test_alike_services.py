"""Services merged from one `<<: *base` anchor, with no key a cast or a unique list is under, are
passed over by loading's walks: each shortcut against the long way it replaces (issue 12,
merge-keys)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen.compose.interpolate import interpolate
from composegen.compose.merge import _UNIQUE_TRIE, _apply_unique, enforce_unicity
from composegen.compose.tree import plain
from composegen.yamlio import SDict

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Keys no cast of interpolation names (a merged service's `image` and `restart`) and keys one does.
_KEYS = st.sampled_from(["image", "restart", "cpus", "init", "environment", 1, None])
_VALUES = st.sampled_from(["nginx", "true", "2", "0.5", "x", "", None, 1]) | st.dictionaries(
    st.sampled_from(["A", "cpus"]), st.sampled_from(["true", "2", "x"]), max_size=2
)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.dictionaries(_KEYS, _VALUES, max_size=3)))
def test_a_service_no_cast_names_is_interpolated_as_the_whole_walk_does(services: dict[str, Any]) -> None:
    """Without a `$`, a service with no key a cast reads is passed over (`_names_none`): the
    values and issues of the whole walk, and the service itself where nothing changed."""
    model = {"services": {name: SDict(body) for name, body in services.items()}}
    whole = interpolate(model, {"A": "1"})
    cast_only = interpolate(model, {"A": "1"}, dollars=False)
    assert plain(cast_only.value) == plain(whole.value)
    assert cast_only.issues == whole.issues
    for name, body in model["services"].items():
        if not {"cpus", "init", "environment", None} & body.keys():
            assert cast_only.value["services"][name] is body


_ENTRIES = st.sampled_from(["80:80", "a=1", "a=2", "./d:/d", "/d"])


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.dictionaries(
            st.sampled_from(["image", "restart", "ports", "labels", "volumes", "deploy", None]),
            st.just("nginx") | st.lists(_ENTRIES, max_size=3) | st.fixed_dictionaries({"labels": st.lists(_ENTRIES)}),
            max_size=3,
        ),
    )
)
def test_a_service_no_unique_list_is_in_is_left_as_the_walk_leaves_it(services: dict[str, Any]) -> None:
    """A service none of whose keys leads to a list to make unique is passed over: what walking
    each service gives, and the service itself."""
    model = {"services": {name: SDict(body) for name, body in services.items()}}
    walked = enforce_unicity(model)["services"]
    for name, service in model["services"].items():
        assert walked[name] == _apply_unique(service, _UNIQUE_TRIE["services"]["*"])
        if not {"ports", "labels", "volumes", "deploy", None} & service.keys():
            assert walked[name] is service
