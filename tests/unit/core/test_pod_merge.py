"""The strategic merge of partial Pod manifests: maps by key, some lists by merge key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kairflow.core.pod_merge import merge_pod, merge_pod_taking

ROWS = [
    pytest.param(
        {"a": {"b": 1, "c": 2}},
        {"a": {"c": 3, "d": 4}},
        {"a": {"b": 1, "c": 3, "d": 4}},
        id="mappings merge key by key and the overlay wins",
    ),
    pytest.param({"a": 1, "b": 2}, {"a": None}, {"b": 2}, id="None deletes a key"),
    pytest.param(
        {"tolerations": [{"key": "a"}]},
        {"tolerations": [{"key": "b"}]},
        {"tolerations": [{"key": "b"}]},
        id="lists without a merge key are replaced",
    ),
    pytest.param(
        {"containers": [{"name": "a", "image": "1", "x": 1}, {"name": "b"}]},
        {"containers": [{"name": "a", "image": "2"}, {"name": "c"}]},
        {"containers": [{"name": "a", "image": "2", "x": 1}, {"name": "b"}, {"name": "c"}]},
        id="containers merge by name in place and new ones are appended",
    ),
    pytest.param(
        {"volumes": [{"name": "v", "emptyDir": {}}]},
        {"volumes": [{"name": "v", "emptyDir": None, "configMap": {"name": "c"}}]},
        {"volumes": [{"name": "v", "configMap": {"name": "c"}}]},
        id="volumes merge by name and None removes a field",
    ),
    pytest.param(
        {"volumeMounts": [{"name": "a", "mountPath": "/x"}]},
        {"volumeMounts": [{"name": "b", "mountPath": "/x"}, {"name": "c", "mountPath": "/y"}]},
        {"volumeMounts": [{"name": "b", "mountPath": "/x"}, {"name": "c", "mountPath": "/y"}]},
        id="volumeMounts merge by mountPath",
    ),
    pytest.param(
        {"env": [{"name": "A", "value": "1"}, {"value": "no name"}]},
        {"env": [{"name": "A", "value": "2"}, {"value": "no name"}]},
        {"env": [{"name": "A", "value": "2"}, {"value": "no name"}, {"value": "no name"}]},
        id="env merges by name and items without one are appended",
    ),
    pytest.param(
        {},
        {"spec": {"containers": [{"name": "base", "args": None, "x": {"y": None}}]}},
        {"spec": {"containers": [{"name": "base", "x": {}}]}},
        id="None in new content means absent",
    ),
]


@pytest.mark.parametrize(("base", "overlay", "expected"), ROWS)
def test_merge_pod(base: dict[str, Any], overlay: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy((base, overlay))
    assert merge_pod(base, overlay) == expected
    assert (base, overlay) == before


def _nested(value: Any) -> list[Any]:
    """Every dict and list inside `value` (itself included)."""
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in _nested(v))]
    if isinstance(value, list):
        return [value, *(x for v in value for x in _nested(v))]
    return []


def _has_none(value: Any) -> bool:
    return any(None in (x.values() if isinstance(x, dict) else x) for x in _nested(value))


@pytest.mark.parametrize(("base", "overlay", "expected"), ROWS)
def test_the_merged_pod_shares_nothing_mutable_with_the_base(
    base: dict[str, Any], overlay: dict[str, Any], expected: dict[str, Any]
) -> None:
    inputs = {id(x) for x in _nested(base) + _nested(overlay)}
    assert not inputs & {id(x) for x in _nested(merge_pod(base, overlay))}
    if not _has_none(overlay):
        taken = merge_pod_taking(base, copy.deepcopy(overlay))
        assert taken == expected
        assert not {id(x) for x in _nested(base)} & {id(x) for x in _nested(taken)}
