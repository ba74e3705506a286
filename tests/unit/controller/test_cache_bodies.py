"""What the operator's cache keeps: a DAG read once per version of its spec, bodies without
managedFields, pods as what the operator reads of them."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from kairflow.controller import cache as cache_module
from kairflow.controller import informers
from kairflow.controller.cache import Cache
from kairflow.k8s.observe import observe_dag
from tests.unit.controller.harness import NS, ControllerHarness, utc
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


MANAGED = [{"manager": "kubectl", "fieldsV1": {"f:spec": {"f:tasks": {}}}}]


def test_cached_objects_keep_no_managed_fields() -> None:
    cache, body = Cache(), dag()
    body["metadata"]["managedFields"] = MANAGED
    body["metadata"]["resourceVersion"] = "1"
    cache.put_dag(body)
    run = {
        "metadata": {
            "name": "r1",
            "namespace": NS,
            "resourceVersion": "2",
            "managedFields": MANAGED,
        },
        "spec": {"dagName": "etl"},
    }
    cache.put_run(run)
    assert "managedFields" not in cache.dags[(NS, "etl")]["metadata"]
    assert "managedFields" not in cache.runs[(NS, "r1")]["metadata"]
    assert body["metadata"]["managedFields"] == MANAGED  # the caller's copy is untouched


def test_a_cached_pod_keeps_what_is_observed_and_nothing_else() -> None:
    cache = Cache()
    pod = {
        "metadata": {
            "name": "r1-a-1",
            "namespace": NS,
            "uid": "0d7f",
            "resourceVersion": "7",
            "creationTimestamp": "2026-11-21T12:00:00Z",
            "labels": {"kairflow.io/task": "a"},
            "annotations": {"kairflow.io/run-id": "manual__2026-11-21T12:00:00+00:00"},
            "ownerReferences": [{"kind": "DagRun", "name": "r1", "uid": "u1"}],
            "managedFields": MANAGED,
        },
        "spec": {"containers": [{"name": "base", "command": ["bash", "-c", "x" * 10_000]}]},
        "status": {
            "phase": "Running",
            "qosClass": "BestEffort",
            "hostIP": "10.0.0.5",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "base",
                    "image": "python:3.12-slim",
                    "imageID": "docker.io/library/python@sha256:4f1c",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-11-21T12:00:04Z"}},
                }
            ],
        },
    }
    cache.put_pod((NS, "r1"), pod)
    (kept,) = cache.pods_of((NS, "r1"))
    assert kept == {
        "metadata": {
            "name": "r1-a-1",
            "namespace": NS,
            "creationTimestamp": "2026-11-21T12:00:00Z",
        },
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "base", "state": {"running": {"startedAt": "2026-11-21T12:00:04Z"}}}
            ],
        },
    }


def test_whether_a_dag_needs_reading_is_known_before_it_is_stored() -> None:
    cache, body = Cache(), dag()
    first = _versioned(body, 1)
    assert cache.needs_observing(first)  # never seen
    cache.put_dag(first)
    assert not cache.needs_observing(first)  # the same version again
    assert not cache.needs_observing(_versioned(body, 2, status={"activeRuns": 1}))
    edited = _versioned(body, 3, spec={**body["spec"], "paused": True})
    edited["metadata"]["generation"] = 2
    assert cache.needs_observing(edited)


def test_a_dag_read_off_the_event_loop_is_stored_without_reading_it_again(
    reads: list[str],
) -> None:
    cache, body = Cache(), _versioned(dag(), 1)
    observed = observe_dag(body)
    cache.put_dag(body, observed)
    assert reads == [] and cache.dag((NS, "etl")) is observed


def test_a_dag_event_reads_the_dag_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = informers.observe_dag

    def recording(body: Any, defaults: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(body, defaults)

    monkeypatch.setattr(informers, "observe_dag", recording)
    harness = ControllerHarness(utc("2026-03-04T12:30:00Z"))
    body = _versioned(dag(), 1)
    observed = harness.run(informers.observed_dag(harness.runtime, body))
    informers.dag_event(harness.runtime, "ADDED", body, observed)
    harness.close()
    assert threads and threads[0] != threading.main_thread().name
    assert harness.runtime.cache.dag((NS, "etl")) is observed


def test_runs_of_one_dag_share_their_task_names_and_states() -> None:
    """JSON decoding makes a str per occurrence: the cache keeps one of each."""
    cache = Cache()
    for name in ("r1", "r2"):
        wire = {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DagRun",
            "metadata": {"name": name, "namespace": NS, "resourceVersion": "1", "uid": name},
            "spec": {"dagName": "etl"},
            "status": {"taskInstances": {"extract_orders": {"state": "running"}}},
        }
        cache.put_run(json.loads(json.dumps(wire)))  # decoded, as a watch event is
    first, second = (cache.runs[(NS, n)]["status"]["taskInstances"] for n in ("r1", "r2"))
    ((key1, ti1),), ((key2, ti2),) = first.items(), second.items()
    assert key1 is key2
    assert ti1["state"] is ti2["state"]
