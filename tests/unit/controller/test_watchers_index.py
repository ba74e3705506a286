"""The cache's index of which runs watch which DAG (deferred triggerDagRun and
externalTask task instances): kept as runs change, and emptied as they finish or go."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.controller.cache import Cache

NS = "team"
SPEC = {
    "tasks": [
        {"name": "wait", "externalTask": {"dag": "producer"}},
        {"name": "kick", "triggerDagRun": {"dag": "target"}},
        {"name": "ok", "approval": {"subject": "?"}},
    ]
}


def body(version: int, state: str, **tis: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "r1", "namespace": NS, "uid": "u1", "resourceVersion": str(version)},
        "spec": {"dagName": "consumer"},
        "status": {
            "state": state,
            "dagSpec": SPEC,
            "taskInstances": {k: {"state": s} for k, s in tis.items()},
        },
    }


@pytest.mark.parametrize(
    ("states", "watched"),
    [
        pytest.param({"wait": "deferred"}, {"producer"}, id="a deferred sensor watches its DAG"),
        pytest.param({"wait": "deferred", "kick": "deferred"}, {"producer", "target"},
                     id="a deferred trigger watches the DAG it triggers"),
        pytest.param({"wait": "success", "kick": "none"}, set(),
                     id="finished or not started task instances watch nothing"),
        pytest.param({"ok": "deferred"}, set(), id="an approval watches no DAG"),
    ],
)  # fmt: skip
def test_a_run_watches_the_dags_of_its_deferred_task_instances(
    states: dict[str, str], watched: set[str]
) -> None:
    cache = Cache()
    cache.put_run(body(1, "running", **states))
    found = {dag for dag in ("producer", "target") if "r1" in cache.watchers_of((NS, dag))}
    assert found == watched


def test_the_index_follows_the_run_until_it_finishes_or_goes() -> None:
    cache = Cache()
    cache.put_run(body(1, "running", wait="deferred"))
    assert cache.watchers_of((NS, "producer")) == {"r1"}
    cache.put_run(body(2, "success", wait="success"))
    assert cache.watchers_of((NS, "producer")) == set()
    cache.put_run(body(3, "running", wait="deferred"))
    cache.forget_run((NS, "r1"))
    assert cache.watchers_of((NS, "producer")) == set()
