"""The unit tests' fake of UserApi keeps UserApi's contract (kairflow/ui/kube.py): a
watch yields (event type, object) for the objects its selectors pick until the API
server ends it, and raises what the API server refuses; a patch is a JSON merge patch.
(That an expired watch raises what the real client raises is checked against the
real client in test_fake_kube_api.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kairflow.ui.kube import ApiError
from tests.unit.ui.fake_user_api import FakeUserApi, WatchItem, dagrun, merge_patch, refusing


def _watched(
    sent: list[WatchItem], *, labels: str | None = None, fields: str | None = None, **kw: Any
) -> list[tuple[str, str]] | int:
    """(event type, name) of what a watch of dagruns yields for `sent` (then the end);
    the status of the ApiError it raises instead."""
    api = FakeUserApi(**kw)
    for item in [*sent, None]:
        api.queue("dagruns").put_nowait(item)

    async def watch() -> list[tuple[str, str]]:
        stream = api.watch("dagruns", "team", "100", labels, fields)
        return [(kind, body["metadata"]["name"]) async for kind, body in stream]

    try:
        return asyncio.run(watch())
    except ApiError as exc:
        return exc.status


@pytest.mark.parametrize(
    ("sent", "selection", "expected"),
    [
        pytest.param(
            [("ADDED", dagrun("a")), ("DELETED", dagrun("a"))],
            {},
            [("ADDED", "a"), ("DELETED", "a")],
            id="changes come as event type and object until the API server ends the watch",
        ),
        pytest.param(
            [("ADDED", dagrun("a")), None, ("ADDED", dagrun("b"))],
            {},
            [("ADDED", "a")],
            id="nothing comes after the API server ends the watch",
        ),
        pytest.param(
            [("ADDED", dagrun("a", "etl")), ("ADDED", dagrun("b", "other"))],
            {"labels": "kairflow.io/dag=etl"},
            [("ADDED", "a")],
            id="a label selector keeps other DAGs' runs out",
        ),
        pytest.param(
            [("ADDED", dagrun("a")), ("MODIFIED", dagrun("b"))],
            {"fields": "metadata.name=b"},
            [("MODIFIED", "b")],
            id="a name field selector keeps other objects out",
        ),
        pytest.param(
            [("ADDED", dagrun("a")), ("ERROR", {"code": 410, "reason": "Expired"})],
            {},
            410,
            id="an error event is raised, never yielded",
        ),
        pytest.param(
            [("ADDED", dagrun("a"))],
            {"refuse": refusing({"watch dagruns"})},
            403,
            id="a user RBAC does not let watch is refused before any event",
        ),
        pytest.param(
            [ApiError(502, "cannot reach the Kubernetes API")],
            {},
            502,
            id="an error the test puts is raised as is",
        ),
    ],
)
def test_a_watch(sent: list[WatchItem], selection: dict[str, Any], expected: Any) -> None:
    assert _watched(sent, **selection) == expected


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        pytest.param(
            {"spec": {"paused": False, "tasks": ["t"]}},
            {"spec": {"paused": True}},
            {"spec": {"paused": True, "tasks": ["t"]}},
            id="a patch changes only the fields it names, however deep",
        ),
        pytest.param(
            {"spec": {"clear": {"id": "1"}, "tasks": ["t"]}},
            {"spec": {"clear": None}},
            {"spec": {"tasks": ["t"]}},
            id="null removes a field",
        ),
        pytest.param(
            {"spec": {"tasks": ["a", "b"]}},
            {"spec": {"tasks": ["c"]}},
            {"spec": {"tasks": ["c"]}},
            id="a list is replaced whole",
        ),
    ],
)
def test_a_merge_patch(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected
