"""Assets on a real API server: a producing task's success records an asset event on
an Asset object, `kairflow assets emit` records one from outside, and a DAG scheduled
on `(a | x) & b` gets one asset_triggered run whose templates see the events. The
operator killed around the run's creation makes exactly one run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.assets import asset_manifest, asset_name
from tests.integration.helpers import dag, dag_status, manual_run, printed_row, runs, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration
KAIRFLOW = str(Path(sys.executable).with_name("kairflow"))
A, B, X = "s3://it/a", "s3://it/b", "s3://it/x"
ECHO = (
    "echo {% for uri, events in triggering_asset_events.items() %}"
    "{{ uri }}={{ events | length }}:{{ events[-1].source_task_id or 'external' }}"
    ":{{ events[-1].extra.rows | default('-') }};{% endfor %}"
)


def consumer(name: str = "consumer") -> dict[str, Any]:
    return dag(
        name,
        [{"name": "read", "bash": ECHO}],
        assets={"expression": f"({A} | {X}) & {B}"},
    )


def emit(kubeconfig: Path, ns: str, uri: str, *extra: str) -> str:
    done = subprocess.run(
        [KAIRFLOW, "assets", "emit", uri, "-n", ns, "--kubeconfig", str(kubeconfig), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def asset_runs(kube: Kube, ns: str, dag_name: str = "consumer") -> list[dict[str, Any]]:
    return [r for r in runs(kube, ns, dag_name) if r["spec"]["runType"] == "asset_triggered"]


def events_of(kube: Kube, ns: str, uri: str) -> list[dict[str, Any]]:
    return (kube.get(ns, "assets", asset_name(uri)).get("status") or {}).get("events") or []


@pytest.mark.usefixtures("operator")
def test_a_producer_and_an_external_event_trigger_one_consumer_run(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", consumer())
    producer = dag("producer", [{"name": "write", "bash": "true", "outlets": [A]}])
    kube.create(ns, "dags", producer)
    kube.create(ns, "dagruns", manual_run("producer-1", "producer"))
    kubelet.run("write")
    wait_run_state(kube, ns, "producer-1", "success")

    (event,) = events_of(kube, ns, A)
    assert (event["sourceDagId"], event["sourceTaskId"], event["sourceMapIndex"]) == (
        "producer",
        "write",
        -1,
    )
    assert event["sourceRunId"].startswith("manual__")
    wait_for(
        lambda: dag_status(kube, ns, "consumer").get("queuedAssetEvents") == {A: 1, X: 0, B: 0},
        what="the consumer waiting on b with a's event queued",
    )
    assert asset_runs(kube, ns) == [], "(a | x) & b must wait for b"

    out = emit(kube.kubeconfig, ns, B, "--extra", '{"rows": 7}')
    assert f"on {B}" in out
    wait_for(lambda: len(asset_runs(kube, ns)) == 1, what="the consumer's asset run")
    (run,) = asset_runs(kube, ns)
    triggering = run["spec"]["triggeringAssetEvents"]
    assert {uri: len(events) for uri, events in triggering.items()} == {A: 1, B: 1}
    pod = kubelet.wait_pod("read")
    command = " ".join(pod.spec.containers[0].command or [])
    assert f"{A}=1:write:-;{B}=1:external:7;" in command, command
    kubelet.run("read")
    status = wait_run_state(kube, ns, run["metadata"]["name"], "success")
    assert status["runId"].startswith("asset_triggered__")

    consumed = dag_status(kube, ns, "consumer")
    assert set(consumed["consumedAssetEvents"]) == {A, B}
    assert consumed["queuedAssetEvents"] == {A: 0, X: 0, B: 0}
    assert "assets: (s3://it/a | s3://it/x) & s3://it/b" in consumed["scheduleDescription"]
    time.sleep(2)
    assert len(asset_runs(kube, ns)) == 1, "consumed events make no second run"

    header, row = printed_row(kube, "assets", "-n", ns, asset_name(B))
    assert header[:3] == ["NAME", "URI", "LAST EVENT"] and row[1] == B
    listed = subprocess.run(
        [KAIRFLOW, "assets", "list", "-n", ns, "--kubeconfig", str(kube.kubeconfig)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "producer.write" in listed and "external" in listed

    # kubectl, as docs/assets.md shows: a JSON patch appending to the status' events.
    kube.create(ns, "assets", {**asset_manifest(X), "metadata": {"name": asset_name(X)}})
    kubectl_event(kube, ns, X, "/status", {"events": [{"id": "k1", "timestamp": now()}]})
    time.sleep(1)
    assert len(asset_runs(kube, ns)) == 1, "x alone does not satisfy (a | x) & b"
    kubectl_event(kube, ns, B, "/status/events/-", {"id": "k2", "timestamp": now()})
    wait_for(lambda: len(asset_runs(kube, ns)) == 2, what="the run of the kubectl events")
    newest = max(asset_runs(kube, ns), key=lambda r: r["spec"]["logicalDate"])
    triggering = newest["spec"]["triggeringAssetEvents"]
    assert {uri: [e["id"] for e in events] for uri, events in triggering.items()} == {
        X: ["k1"],
        B: ["k2"],
    }


def now() -> str:
    return datetime.now(UTC).isoformat()


def kubectl_event(kube: Kube, ns: str, uri: str, path: str, value: Any) -> None:
    patch = json.dumps([{"op": "add", "path": path, "value": value}])
    name = asset_name(uri)
    kube.kubectl(
        "patch", "asset", name, "-n", ns, "--subresource=status", "--type=json", "-p", patch
    )


def test_the_operator_killed_around_an_asset_run_makes_exactly_one(
    kube: Kube, tmp_path: Path
) -> None:
    with (
        own_namespace(kube, "assets-restart") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        first = ops.start().wait_ready()
        kube.create(ns, "dags", consumer())
        wait_for(lambda: dag_status(kube, ns, "consumer").get("queuedAssetEvents"), what="synced")
        first.kill()

        # Events recorded while no operator runs are not lost.
        emit(kube.kubeconfig, ns, A)
        emit(kube.kubeconfig, ns, B)
        second = ops.start().wait_ready()
        wait_for(lambda: len(asset_runs(kube, ns)) == 1, what="the asset run after a restart")
        second.kill()

        # The bookmark write lost: only the run itself says what it consumed.
        body = kube.get(ns, "dags", "consumer")
        body["status"].pop("consumedAssetEvents", None)
        kube.custom.replace_namespaced_custom_object_status(
            "kairflow.io", "v1alpha1", ns, "dags", "consumer", body
        )
        third = ops.start().wait_ready()
        wait_for(
            lambda: (
                set(dag_status(kube, ns, "consumer").get("consumedAssetEvents") or {}) == {A, B}
            ),
            what="the bookmark rebuilt from the run",
        )
        assert len(asset_runs(kube, ns)) == 1, "the consumed events made a second run"

        emit(kube.kubeconfig, ns, X)
        emit(kube.kubeconfig, ns, B)
        wait_for(lambda: len(asset_runs(kube, ns)) == 2, what="a run for the new events")
        newest = max(asset_runs(kube, ns), key=lambda r: r["spec"]["logicalDate"])
        assert set(newest["spec"]["triggeringAssetEvents"]) == {X, B}
        assert "Traceback" not in third.log()
