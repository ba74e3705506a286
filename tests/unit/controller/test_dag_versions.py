"""Runs and their DAG versions on a fake cluster: a version is stored once however
many runs start on it, a run keeps its version when the DAG is edited, a new
operator reads an old version once, and a run whose version is gone says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from kairflow.controller import dag_versions as versions_module
from kairflow.controller.dagrun_sync import sync_dagrun
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = utc("2026-03-04T12:30:00Z")
TASKS = [{"name": "a", "bash": "echo a"}]


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW)
    yield h
    h.close()


def version_of(h: ControllerHarness, name: str) -> str:
    return str(h.status("dagruns", name)["dagVersion"])


def calls(h: ControllerHarness, verb: str, name: str) -> int:
    return sum(
        1 for c in h.cluster.calls if (c.verb, c.plural, c.name) == (verb, "configmaps", name)
    )


def edit(h: ControllerHarness, **spec: Any) -> None:
    body = dict(h.cluster.objects[("dags", NS, "etl")])
    h.apply("dags", {**body, "spec": {**body["spec"], **spec}})


def test_runs_of_one_dag_spec_share_one_version_created_once(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    for name in ("r1", "r2", "r3"):
        harness.apply("dagruns", run(name))
    harness.settle()
    versions = {version_of(harness, name) for name in ("r1", "r2", "r3")}
    assert len(versions) == 1
    (version,) = versions
    assert calls(harness, "create", version) == 1
    assert calls(harness, "get", version) == 0  # its DAG's own spec: no read
    owner = harness.cluster.objects[("configmaps", NS, version)]["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"]) for o in owner] == [("DAG", "etl")]


def test_a_run_keeps_its_version_when_the_dag_is_edited(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}, {"name": "b", "bash": "true"}])
    harness.apply("dagruns", run("r2"))
    harness.settle()
    assert version_of(harness, "r1") != version_of(harness, "r2")
    harness.pod_status("r1-a-1", "Succeeded", 0)
    harness.settle()
    assert harness.status("dagruns", "r1")["state"] == "success"
    assert set(harness.status("dagruns", "r1")["taskInstances"]) == {"a"}
    assert set(harness.status("dagruns", "r2")["taskInstances"]) == {"a", "b"}
    pod = harness.cluster.objects[("pods", NS, "r2-a-1")]
    assert "echo edited" in pod["spec"]["containers"][0]["command"][-1]


def test_a_new_operator_reads_an_old_version_once(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}])
    old = version_of(harness, "r1")
    # A new operator over the same cluster: it sees everything again, caches empty.
    fresh = harness.restarted()
    fresh.settle()
    fresh.pod_status("r1-a-1", "Succeeded", 0)
    fresh.settle()
    assert fresh.status("dagruns", "r1")["state"] == "success"
    assert calls(harness, "get", old) == 1
    assert calls(harness, "create", old) == 1  # only by the first operator
    fresh.close()


def test_a_run_whose_version_was_deleted_fails_and_says_why(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    version = version_of(harness, "r1")
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}])
    del harness.cluster.objects[("configmaps", NS, version)]
    fresh = harness.restarted()
    fresh.settle()
    status = fresh.status("dagruns", "r1")
    message = f"cannot go on: its DAG version {version} (a ConfigMap) is gone"
    assert (status["state"], status["message"]) == ("failed", message)
    assert ("r1", "Warning", "DagVersionLost", message) in fresh.events.posted
    fresh.close()


def test_a_dag_made_again_waits_for_its_old_versions_to_go_then_stores_its_own(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    version = version_of(harness, "r1")
    # `kubectl delete -f` then `apply -f`: the same spec, a new DAG (a new uid). The
    # garbage collector has not taken the old DAG's version yet.
    harness.run(harness.cluster.delete(NS, "dags", "etl"))
    harness.run(harness.cluster.delete(NS, "dagruns", "r1"))
    harness.deliver()
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r2"))
    with pytest.raises(RuntimeError, match="belongs to a deleted DAG etl"):
        harness.sync_run("r2")
    assert "dagVersion" not in harness.status("dagruns", "r2")
    harness.run(harness.cluster.delete(NS, "configmaps", version))  # the collector
    harness.sync_run("r2")
    assert version_of(harness, "r2") == version
    owner = harness.cluster.objects[("configmaps", NS, version)]["metadata"]["ownerReferences"]
    assert owner[0]["uid"] == harness.cluster.objects[("dags", NS, "etl")]["metadata"]["uid"]


def test_the_same_dag_in_two_namespaces_stores_a_version_in_each(
    harness: ControllerHarness,
) -> None:
    for namespace in (NS, "other"):
        harness.apply(
            "dags", {**dag(tasks=TASKS), "metadata": {"name": "etl", "namespace": namespace}}
        )
        body = run("r1")
        harness.apply("dagruns", {**body, "metadata": {"name": "r1", "namespace": namespace}})
    harness.settle()  # (the harness syncs its own namespace's runs)
    harness.run(sync_dagrun(harness.runtime, ("other", "r1")))
    (version,) = {c.name for c in harness.cluster.calls if c.plural == "configmaps"}
    assert ("configmaps", NS, version) in harness.cluster.objects
    assert ("configmaps", "other", version) in harness.cluster.objects


def test_a_version_no_run_names_any_more_is_deleted_unless_it_is_current(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    old = version_of(harness, "r1")
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}])
    harness.apply("dagruns", run("r2"))
    harness.settle()
    current = version_of(harness, "r2")
    harness.run(harness.cluster.delete(NS, "dagruns", "r1"))
    harness.settle()
    assert ("configmaps", NS, old) in harness.cluster.objects  # started on minutes ago
    harness.clock.advance(timedelta(minutes=11))
    harness.run(harness.cluster.delete(NS, "dagruns", "r2"))
    harness.settle()
    assert ("configmaps", NS, old) not in harness.cluster.objects
    assert ("configmaps", NS, current) in harness.cluster.objects  # the DAG's spec now


def test_a_dag_edited_back_to_a_pruned_spec_stores_it_again(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    first = version_of(harness, "r1")
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}])
    harness.clock.advance(timedelta(minutes=11))
    harness.run(harness.cluster.delete(NS, "dagruns", "r1"))
    harness.settle()
    assert ("configmaps", NS, first) not in harness.cluster.objects
    edit(harness, tasks=TASKS)  # back to the first spec: the same version name
    harness.apply("dagruns", run("r3"))
    harness.settle()
    assert version_of(harness, "r3") == first
    assert ("configmaps", NS, first) in harness.cluster.objects


def test_a_version_is_serialized_only_to_store_it_not_for_each_run(
    harness: ControllerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialized: list[str] = []
    real = versions_module.dag_version

    def counting(dag_name: str, spec: Any) -> Any:
        serialized.append(dag_name)
        return real(dag_name, spec)

    monkeypatch.setattr(versions_module, "dag_version", counting)
    harness.apply("dags", dag(tasks=TASKS))
    for name in ("r1", "r2", "r3"):
        harness.apply("dagruns", run(name))
    harness.settle()
    assert serialized == ["etl"]  # its name came with the DAG's reading


def test_a_dag_seen_for_the_first_time_has_its_version_stored_before_its_status(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.sync_dag("etl")
    (version,) = {c.name for c in harness.cluster.calls if c.plural == "configmaps"}
    assert ("configmaps", NS, version) in harness.cluster.objects
    assert harness.status("dags", "etl")["observedGeneration"] == 1
    harness.apply("dagruns", run("r1"))
    harness.settle()
    assert version_of(harness, "r1") == version
    assert calls(harness, "create", version) == 1  # not again by the run's start


def test_an_edited_dag_stores_its_new_version_before_any_run_starts_on_it(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.settle()
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}])
    harness.settle()
    stored = {c.name for c in harness.cluster.calls if c.verb == "create"}
    assert len(stored) == 2
    harness.sync_dag("etl")  # synced again, unchanged: nothing stored again
    assert sum(1 for c in harness.cluster.calls if c.verb == "create") == 2


def test_a_version_the_api_refuses_leaves_the_dag_ready_and_its_run_says_why(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    name = harness.runtime.cache.dag((NS, "etl")).version
    assert name is not None
    harness.cluster.reject_config_maps[name] = "configmaps is forbidden: exceeded quota"
    harness.settle()
    assert harness.status("dags", "etl")["conditions"][0]["status"] == "True"
    harness.apply("dagruns", run("r1"))
    harness.settle()
    status = harness.status("dagruns", "r1")
    message = "cannot store its DAG version: configmaps is forbidden: exceeded quota"
    assert (status.get("state"), status["message"]) == (None, message)
    assert ("r1", "Warning", "DagVersionRejected", message) in harness.events.posted
    assert not any(c.plural == "pods" for c in harness.cluster.calls)
    # The quota raised: the run's next sync stores the version and starts.
    del harness.cluster.reject_config_maps[name]
    harness.sync_run("r1")
    harness.settle()
    assert version_of(harness, "r1") == name
    assert ("pods", NS, "r1-a-1") in harness.cluster.objects


def test_a_version_stored_for_a_spec_no_run_started_on_goes_once_edited_away(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=TASKS))
    harness.settle()
    (unused,) = {c.name for c in harness.cluster.calls if c.verb == "create"}
    edit(harness, tasks=[{"name": "a", "bash": "echo edited"}])
    harness.settle()
    assert ("configmaps", NS, unused) in harness.cluster.objects  # stored minutes ago
    harness.clock.advance(timedelta(minutes=11))
    harness.sync_dag("etl")
    assert ("configmaps", NS, unused) not in harness.cluster.objects
    current = harness.runtime.cache.dag((NS, "etl")).version
    assert ("configmaps", NS, current) in harness.cluster.objects
