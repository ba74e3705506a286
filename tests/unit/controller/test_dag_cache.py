"""The cache reads (validates) a DAG once per version of its spec, not per status write."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.controller import cache as cache_module
from kairflow.controller.cache import Cache
from tests.unit.controller.harness import NS
from tests.unit.controller.manifests import dag


def _versioned(body: dict[str, Any], version: int, **changes: Any) -> dict[str, Any]:
    meta = {**body["metadata"], "resourceVersion": str(version), "generation": 1, "uid": "u1"}
    return {**body, "metadata": meta, **changes}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = cache_module.observe_dag

    def counting(body: Any, defaults: Any) -> Any:
        seen.append(body["metadata"]["resourceVersion"])
        return real(body, defaults)

    monkeypatch.setattr(cache_module, "observe_dag", counting)
    return seen


def test_a_status_write_keeps_the_dags_reading(reads: list[str]) -> None:
    cache, body = Cache(), dag()
    cache.put_dag(_versioned(body, 1))
    first = cache.dag((NS, "etl"))
    assert cache.put_dag(_versioned(body, 2, status={"activeRuns": 1}))
    assert reads == ["1"]
    assert cache.dag((NS, "etl")) is first
    assert cache.dags[(NS, "etl")]["status"] == {"activeRuns": 1}


def test_a_new_spec_is_read_again(reads: list[str]) -> None:
    cache, body = Cache(), dag()
    cache.put_dag(_versioned(body, 1))
    paused = {**body["spec"], "paused": True}
    newer = _versioned(body, 2, spec=paused)
    newer["metadata"]["generation"] = 2
    cache.put_dag(newer)
    assert reads == ["1", "2"]
    view = cache.dag((NS, "etl"))
    assert view is not None and view.paused


def test_a_dag_deleted_and_created_again_is_read_again(reads: list[str]) -> None:
    cache, body = Cache(), dag()
    cache.put_dag(_versioned(body, 1))
    again = _versioned(body, 2)
    again["metadata"]["uid"] = "u2"
    cache.put_dag(again)
    assert reads == ["1", "2"]
