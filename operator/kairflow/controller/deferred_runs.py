"""What deferred task instances need from the cluster: their surroundings (watched
DAGs and their runs, the run's approval answers, from the cache) and the runs
triggerDagRun tasks ask for (created before the status that records them is
written: a run created and not recorded is adopted by its deterministic name)."""

from __future__ import annotations

from typing import Any

from kairflow.api import DAGSpec
from kairflow.api.common import API_VERSION
from kairflow.api.dagrun import DagRun, RunType
from kairflow.controller.cache import Key
from kairflow.controller.runtime import Runtime
from kairflow.core import labels
from kairflow.core.deferred import Surroundings
from kairflow.core.naming import label_value
from kairflow.core.observations import watched_dag
from kairflow.core.run_model import CreateDagRun, Plan
from kairflow.k8s.writes import owner_reference


def surroundings(rt: Runtime, namespace: str, run: DagRun, spec: DAGSpec) -> Surroundings:
    """Read on the event loop, before the pass runs in its thread: the cache changes."""
    watched = {dag for task in spec.tasks if (dag := watched_dag(task)) is not None}
    dags = {name: d for name in watched if (d := rt.cache.dag((namespace, name))) is not None}
    runs = {name: tuple(rt.cache.runs_of((namespace, name))) for name in watched}
    return Surroundings(dags=dags, runs=runs, approvals=dict(run.spec.approvals))


def triggered_run(create: CreateDagRun, dag: dict[str, Any]) -> dict[str, Any]:
    """The DagRun manifest a triggerDagRun task asks for: a manual run its DAG owns."""
    spec: dict[str, Any] = {
        "dagName": create.dag_name,
        "runType": RunType.MANUAL.value,
        "conf": dict(create.conf),
    }
    if create.run_id is not None:
        spec["runId"] = create.run_id
    if create.logical_date is not None:
        spec["logicalDate"] = create.logical_date
    return {
        "apiVersion": API_VERSION,
        "kind": "DagRun",
        "metadata": {
            "name": create.name,
            "labels": {
                labels.DAG: label_value(create.dag_name),
                labels.RUN_TYPE: RunType.MANUAL.value,
            },
            "annotations": {labels.TRIGGERED_BY: create.triggered_by},
            "ownerReferences": [owner_reference(dag)],
        },
        "spec": spec,
    }


async def create_triggered_runs(rt: Runtime, key: Key, result: Plan) -> None:
    """Create the runs the plan asks for ("already exists" is done). Each is counted at
    once, as a placeholder its own watch event replaces; the triggering run is synced
    again to adopt it."""
    namespace = key[0]
    for action in result.actions:
        if not isinstance(action, CreateDagRun):
            continue
        dag = rt.cache.dags.get((namespace, action.dag_name))
        if dag is None:
            continue  # deleted since the pass: the next pass says so
        manifest = triggered_run(action, dag)
        await rt.writer.create(namespace, "dagruns", manifest)
        meta = {**manifest["metadata"], "namespace": namespace, "resourceVersion": "0"}
        rt.cache.put_run({**manifest, "metadata": meta})
        rt.enqueue_run(key)
