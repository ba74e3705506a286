"""Hand-off latency on the local control plane: from a task's pod being Succeeded to
the downstream pod existing. Argo Workflows' default requeue between steps is 10 s.

    .venv/bin/python bench/handoff_latency.py [--tasks 30]            # the bench plays
        the kubelet: from writing Succeeded (once the operator recorded the task running)
        to the downstream pod's watch event
    .venv/bin/python bench/handoff_latency.py --real-processes         # the node agent
        runs every pod: from the Succeeded watch event to the downstream pod's
    .venv/bin/python bench/handoff_latency.py --real-node              # a real kubelet
        runs every pod, the operator is the helm-installed pod (bench/real_node_latency.py:
        also pod start latency)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import pairwise
from pathlib import Path

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds
from tests.integration.kubelet import FakeKubelet

from bench import real_node_latency
from bench.common import report, summarize
from bench.pod_clock import NS, PodClock
from kairflow.controller.settings import OperatorSettings
from kairflow.controller.supervisor import OperatorThread
from kairflow.localcluster import LocalCluster
from kairflow.localnode.settings import NodeSettings
from kairflow.localnode.threaded import start_in_thread


def recorded_running(kube: Kube, run: str, task: str, timeout: float = 30) -> None:
    """Wait until the operator has recorded `task` running: a real task runs for a
    while, so its Running sync is long done when it ends. (Writing Succeeded right
    after Running measured that sync's status write too, still in flight.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = kube.get(NS, "dagruns", run).get("status") or {}
        if ((status.get("taskInstances") or {}).get(task) or {}).get("state") == "running":
            return
        time.sleep(0.005)
    raise TimeoutError(f"{task} not recorded running")


def play_kubelet(kube: Kube, names: list[str], clock: PodClock) -> list[float]:
    kubelet = FakeKubelet(kube, NS)
    latencies = []
    for index, name in enumerate(names):
        pod = kubelet.wait_pod(name, timeout=30)
        kubelet.start(pod.metadata.name)
        recorded_running(kube, "chain-1", name)
        written = time.monotonic()
        kubelet.finish(pod.metadata.name)
        if index + 1 < len(names):
            following = names[index + 1]
            deadline = time.monotonic() + 30
            while following not in clock.added and time.monotonic() < deadline:
                time.sleep(0.001)
            latencies.append(clock.added[following] - written)
    return latencies


def with_node_agent(kube: Kube, names: list[str], clock: PodClock) -> list[float]:
    settings = NodeSettings(
        node_name="bench",
        claim_default_scheduler=True,
        namespaces=(NS,),
        kubeconfig=kube.kubeconfig,
        poll_interval=0.01,
    )
    agent = start_in_thread(settings)
    try:
        deadline = time.monotonic() + 120
        while len(clock.succeeded) < len(names) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        agent.stop()
    return [clock.added[b] - clock.succeeded[a] for a, b in pairwise(names)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--real-processes", action="store_true")
    parser.add_argument("--real-node", action="store_true")
    args = parser.parse_args()
    if args.real_node:
        sys.argv = [sys.argv[0], "--tasks", str(args.tasks)]
        real_node_latency.main()
        return
    cluster = LocalCluster()
    info = cluster.start()
    os.environ["KUBECONFIG"] = info.kubeconfig
    operator = OperatorThread(OperatorSettings(metrics_port=0, liveness_port=0))
    try:
        api = config.new_client_from_config(config_file=info.kubeconfig)
        kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
        apply_crds(kube, Path(__file__).resolve().parents[1] / "crds")
        operator.start().ready.wait(60)
        kube.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        while not kube.core.list_namespaced_service_account(NS).items:
            time.sleep(0.1)
        names = [f"t{i}" for i in range(args.tasks)]
        kube.create(
            NS,
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
        clock = PodClock(kube, len(names))
        kube.create(
            NS,
            "dagruns",
            {
                "apiVersion": "kairflow.io/v1alpha1",
                "kind": "DagRun",
                "metadata": {"name": "chain-1"},
                "spec": {"dagName": "chain"},
            },
        )
        if args.real_processes:
            rows = {
                f"kairflow + node agent (real processes), chain of {args.tasks}": summarize(
                    with_node_agent(kube, names, clock)
                )
            }
            report(
                "handoff_latency_real_processes",
                rows,
                unit="seconds, pod seen Succeeded -> downstream pod seen",
            )
        else:
            rows = {
                f"kairflow, chain of {args.tasks} tasks": summarize(
                    play_kubelet(kube, names, clock)
                ),
                "argo workflows default requeue (documented)": {
                    "n": 0,
                    "min": 10.0,
                    "p50": 10.0,
                    "p95": 10.0,
                    "max": 10.0,
                    "mean": 10.0,
                },
            }
            report(
                "handoff_latency",
                rows,
                unit="seconds, pod Succeeded written -> downstream pod seen",
            )
    finally:
        operator.stop()
        operator.join(20)
        cluster.stop()


if __name__ == "__main__":
    main()
