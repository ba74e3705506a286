"""Hand-off latency on the local control plane: from the moment a task's pod is
written Succeeded (as a kubelet would) to the moment the downstream pod exists,
timed by a pod watch. Argo Workflows' default requeue between steps is 10 s.

    .venv/bin/python bench/handoff_latency.py [--tasks 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path

from kubernetes import client, config, watch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds
from tests.integration.kubelet import FakeKubelet

from bench.common import report, summarize
from kairflow.controller.main import operate
from kairflow.controller.settings import OperatorSettings
from kairflow.localcluster import LocalCluster


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=30)
    args = parser.parse_args()
    cluster = LocalCluster()
    info = cluster.start()
    os.environ["KUBECONFIG"] = info.kubeconfig
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(
            operate(OperatorSettings(metrics_port=0, liveness_port=0), stop, ready)
        ),
        daemon=True,
    )
    try:
        api = config.new_client_from_config(config_file=info.kubeconfig)
        kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
        apply_crds(kube, Path(__file__).resolve().parents[1] / "crds")
        thread.start()
        ready.wait(60)
        ns = "bench"
        kube.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
        while not kube.core.list_namespaced_service_account(ns).items:
            time.sleep(0.1)
        names = [f"t{i}" for i in range(args.tasks)]
        kube.create(
            ns,
            "dags",
            {
                "apiVersion": "kairflow.io/v1alpha1",
                "kind": "DAG",
                "metadata": {"name": "chain"},
                "spec": {
                    "tasks": [{"name": n, "bash": "true"} for n in names],
                    "flow": [" >> ".join(names)],
                },
            },
        )
        added: dict[str, float] = {}
        seen = threading.Event()

        def watch_pods() -> None:
            for event in watch.Watch().stream(
                kube.core.list_namespaced_pod, ns, timeout_seconds=300
            ):
                if event["type"] == "ADDED":
                    task = event["object"].metadata.labels["kairflow.io/task"]
                    added.setdefault(task, time.monotonic())
                    seen.set()
                if len(added) == len(names):
                    return

        watcher = threading.Thread(target=watch_pods, daemon=True)
        watcher.start()
        kube.create(
            ns,
            "dagruns",
            {
                "apiVersion": "kairflow.io/v1alpha1",
                "kind": "DagRun",
                "metadata": {"name": "chain-1"},
                "spec": {"dagName": "chain"},
            },
        )
        kubelet = FakeKubelet(kube, ns)
        latencies = []
        for index, name in enumerate(names):
            pod = kubelet.wait_pod(name, timeout=30)
            kubelet.start(pod.metadata.name)
            written = time.monotonic()
            kubelet.finish(pod.metadata.name)
            if index + 1 < len(names):
                nxt = names[index + 1]
                deadline = time.monotonic() + 30
                while nxt not in added and time.monotonic() < deadline:
                    time.sleep(0.001)
                latencies.append(added[nxt] - written)
        report(
            "handoff_latency",
            {
                f"kairflow, chain of {args.tasks} tasks": summarize(latencies),
                "argo workflows default (documented requeue)": {
                    "n": 0,
                    "min": 10.0,
                    "p50": 10.0,
                    "p95": 10.0,
                    "max": 10.0,
                    "mean": 10.0,
                },
            },
            unit="seconds, pod Succeeded written -> downstream pod created",
        )
    finally:
        stop.set()
        thread.join(20)
        cluster.stop()


if __name__ == "__main__":
    main()
