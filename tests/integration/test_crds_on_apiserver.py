"""The generated CRDs on a real kube-apiserver: valid manifests in, invalid ones out
with a message naming the field, `kubectl explain` and printer columns working."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiException

from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VALID_DAG: dict[str, Any] = {
    "apiVersion": "kairflow.io/v1alpha1",
    "kind": "DAG",
    "metadata": {"name": "valid"},
    "spec": {
        "schedule": "@daily",
        "startDate": "2024-01-01",
        "dagrunTimeout": "2h",
        "defaults": {"retries": 2, "retryDelay": "PT5M"},
        "tasks": [
            {"name": "extract", "bash": "echo hi"},
            {"name": "load", "python": "print(1)", "triggerRule": "all_done"},
            {"name": "join"},
        ],
        "flow": ["extract >> load >> join"],
    },
}


PLURALS = {"DAG": "dags", "Pool": "pools"}


@pytest.mark.parametrize("path", sorted((ROOT / "dags").glob("*.yaml")), ids=lambda p: p.name)
def test_example_dags_are_accepted(kube: Kube, namespace: str, path: Path) -> None:
    """Every document of the file (a DAG, and the Pools a DAG may come with)."""
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert [d["kind"] for d in documents].count("DAG") == 1
    for body in documents:
        created = kube.create(namespace, PLURALS[body["kind"]], body)
        written = {k: v for k, v in body["spec"].items() if v is not None}  # nulls are pruned
        assert created["spec"] == {**written, **created["spec"]}  # nothing else dropped
        if body["kind"] == "DAG":
            assert created["spec"]["tasks"] == body["spec"]["tasks"]
            assert created["spec"]["paused"] is False  # the one apiserver default


def names_field(message: str, field: str) -> bool:
    """Kubernetes 1.20 names list items without their index (`spec.tasks.name`);
    newer apiservers add it (`spec.tasks[0].name`): accept either."""
    return field in message or re.sub(r"\[\d+\]", "", field) in message


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID_DAG)
    node = body
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[keys[-1]]
    elif isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        pytest.param("spec.tasks", _DELETE, "spec.tasks", id="missing tasks"),
        pytest.param("spec.tasks", [], "spec.tasks", id="empty tasks"),
        pytest.param("spec.maxActiveRuns", "three", "spec.maxActiveRuns", id="wrong type"),
        pytest.param("spec.catchup", "yes", "spec.catchup", id="string for boolean"),
        pytest.param(
            "spec.tasks.1.triggerRule",
            "most_success",
            "spec.tasks[1].triggerRule",
            id="unknown trigger rule",
        ),
        pytest.param("spec.timetable", "cronish", "spec.timetable", id="bad enum"),
        pytest.param("spec.dagrunTimeout", "two hours", "spec.dagrunTimeout", id="bad duration"),
        pytest.param("spec.startDate", "last year", "spec.startDate", id="bad date"),
        pytest.param("spec.tasks.0.name", "Bad Name!", "spec.tasks[0].name", id="bad task name"),
        pytest.param(
            "spec.tasks.0",
            {"name": "x", "bash": "a", "python": "b"},
            "spec.tasks",
            id="bash and python in one task",
        ),
        pytest.param("spec.defaults.retries", -1, "spec.defaults.retries", id="negative retries"),
    ],
)
def test_invalid_dags_are_rejected_naming_the_field(
    kube: Kube, namespace: str, path: str, value: Any, field: str
) -> None:
    with pytest.raises(ApiException) as info:
        kube.create(namespace, "dags", _with(path, value))
    assert info.value.status == 422
    assert names_field(info.value.body, field), info.value.body


def test_kubectl_apply_reports_the_field(kube: Kube, namespace: str) -> None:
    manifest = yaml.safe_dump(_with("spec.tasks.1.triggerRule", "sometimes"))
    result = kube.kubectl("apply", "-n", namespace, "-f", "-", input=manifest, check=False)
    assert result.returncode != 0
    assert names_field(result.stderr, "spec.tasks[1].triggerRule")
    assert "all_success" in result.stderr  # the allowed values are listed


def test_dagrun_and_backfill_validation(kube: Kube, namespace: str) -> None:
    run = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": "r1"},
        "spec": {"dagName": "valid", "conf": {"x": [1, 2]}},
    }
    created = kube.create(namespace, "dagruns", run)
    assert created["spec"]["runType"] == "manual"
    assert created["spec"]["conf"] == {"x": [1, 2]}
    with pytest.raises(ApiException) as info:
        kube.create(
            namespace,
            "dagruns",
            {
                **run,
                "metadata": {"name": "r2"},
                "spec": {"dagName": "valid", "runType": "sometime"},
            },
        )
    assert "spec.runType" in info.value.body
    backfill = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": "b"},
        "spec": {
            "dagName": "valid",
            "from": "2024-01-01",
            "to": "2024-01-05",
            "reprocess": "everything",
        },
    }
    with pytest.raises(ApiException) as info:
        kube.create(namespace, "backfills", backfill)
    assert "spec.reprocess" in info.value.body


def test_kubectl_explain_documents_the_fields(kube: Kube) -> None:
    def explain() -> str:
        result = kube.kubectl("explain", "dag.spec.tasks", check=False)
        return result.stdout if result.returncode == 0 else ""

    # The apiserver publishes a new CRD's OpenAPI a moment after it is Established.
    text = wait_for(explain, timeout=30, interval=0.5, what="kubectl explain dag.spec.tasks")
    assert "triggerRule" in text
    assert "When the task may run" in text
    assert "name\t<string> -required-" in text
    sensor = kube.kubectl("explain", "dag.spec.tasks.sensor.mode").stdout
    assert "reschedule" in sensor


def test_the_crds_install_with_client_side_kubectl_apply(kube: Kube) -> None:
    """As the README installs them: each CRD's whole JSON goes into the last-applied
    annotation (256 KiB at most), the DAG CRD's too, its repeated schemas described once."""
    kube.kubectl("apply", "-f", str(ROOT / "crds"))
    path = "{.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}"
    applied = kube.kubectl("get", "crd", "dags.kairflow.io", "-o", f"jsonpath={path}").stdout
    assert 0 < len(applied) < 256 * 1024 // 4
    defaults = kube.kubectl("explain", "dag.spec.defaults").stdout
    assert "Fields as in spec.tasks (`kubectl explain dag.spec.tasks`)." in " ".join(
        defaults.split()
    )


def test_printer_columns_and_short_names(kube: Kube, namespace: str) -> None:
    kube.create(namespace, "dags", VALID_DAG)
    table = kube.kubectl("get", "dg", "-n", namespace).stdout
    header = table.splitlines()[0].split()
    assert header[:3] == ["NAME", "SCHEDULE", "PAUSED"]
    assert "valid" in table and "@daily" in table and "false" in table
    listing = kube.kubectl("get", "kairflow", "-n", namespace).stdout
    assert "dag.kairflow.io/valid" in listing
