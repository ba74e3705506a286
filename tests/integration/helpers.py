"""Manifests and waits shared by the operator integration tests."""

from __future__ import annotations

from typing import Any

from kairflow.core.dag_versions import read_config_map
from tests.integration.kube import Kube, wait_for


def dag(
    name: str, tasks: list[dict[str, Any]], flow: list[str] | None = None, **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {"tasks": tasks, "flow": flow or [], **spec},
    }


def manual_run(name: str, dag_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": name},
        "spec": {"dagName": dag_name, **spec},
    }


def stored_kib(kube: Kube, namespace: str, plural: str, name: str) -> float:
    """A Kairflow object as the API server stores it (managedFields included), in KiB."""
    raw = kube.custom.get_namespaced_custom_object(
        "kairflow.io", "v1alpha1", namespace, plural, name, _preload_content=False
    )
    return len(raw.data) / 1024


def run_status(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    return kube.get(namespace, "dagruns", name).get("status") or {}


def run_dag_spec(kube: Kube, namespace: str, status: dict[str, Any]) -> dict[str, Any]:
    """The DAG spec a run runs, read from the DAG version its status names."""
    found = kube.core.read_namespaced_config_map(status["dagVersion"], namespace)
    body = {
        "metadata": {"name": found.metadata.name, "annotations": found.metadata.annotations},
        "binaryData": found.binary_data,
    }
    return read_config_map(body)


def wait_run_state(
    kube: Kube, namespace: str, name: str, state: str, timeout: float = 30
) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        status = run_status(kube, namespace, name)
        return status if status.get("state") == state else None

    return wait_for(done, timeout=timeout, what=f"run {name} {state}")


def runs(kube: Kube, namespace: str, dag_name: str | None = None) -> list[dict[str, Any]]:
    items = kube.custom.list_namespaced_custom_object(
        "kairflow.io", "v1alpha1", namespace, "dagruns"
    )["items"]
    return [r for r in items if dag_name is None or r["spec"]["dagName"] == dag_name]


def dag_status(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    return kube.get(namespace, "dags", name).get("status") or {}


def wait_dag_synced(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    """Until the DAG controller has processed the DAG's current generation."""

    def synced() -> dict[str, Any] | None:
        body = kube.get(namespace, "dags", name)
        status = body.get("status") or {}
        ok = status.get("observedGeneration") == body["metadata"]["generation"]
        return status if ok else None

    return wait_for(synced, what=f"DAG {name} synced")


def events_for(kube: Kube, namespace: str, name: str) -> list[Any]:
    return list(
        kube.core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name}"
        ).items
    )


def printed_row(kube: Kube, *get_args: str) -> tuple[list[str], list[str]]:
    """`kubectl get` of one object as a person sees it: the column names (which may
    contain spaces) and the row's values (which do not)."""
    lines = kube.kubectl("get", *get_args).stdout.splitlines()
    header = [name.strip() for name in lines[0].split("  ") if name.strip()]
    return header, lines[1].split()


def sample(metrics: str, name: str, **labels: str) -> float | None:
    """One sample's value in Prometheus' text format (labels in declared order)."""
    pairs = ",".join(f'{k}="{v}"' for k, v in labels.items())
    key = f"{name}{{{pairs}}}" if labels else name
    for line in metrics.splitlines():
        if line.startswith(key + " "):
            return float(line.rsplit(" ", 1)[1])
    return None
