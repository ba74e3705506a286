"""Small DAG and DagRun manifests for the controller's unit tests."""

from __future__ import annotations

from typing import Any

from tests.unit.controller.harness import NS

Body = dict[str, Any]


def dag(name: str = "etl", **spec: Any) -> Body:
    spec.setdefault("tasks", [{"name": "extract", "bash": "echo {{ ds }}"}])
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def run(name: str, dag_name: str = "etl", **spec: Any) -> Body:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"dagName": dag_name, **spec},
    }


def pool(name: str, slots: int, **spec: Any) -> Body:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Pool",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"slots": slots, **spec},
    }
