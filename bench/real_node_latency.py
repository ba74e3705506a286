"""Latency on the real node: the operator installed with helm (a pod), each task a
containerd container started by a real kubelet.

    .venv/bin/python bench/real_node_latency.py [--tasks 30] [--fan-out 10]

Prints, from the bench's own pod watch:
- hand-off: a task's pod seen Succeeded -> the downstream task's pod seen (a chain);
- pod start: a task's pod seen -> seen Running (its container started), for the chain
  (one pod at a time) and for a fan-out of parallel tasks (all at once).
The node agent's hand-off figures come from `bench/handoff_latency.py --real-processes`
(a separate run, on a control plane of its own).
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import pairwise
from pathlib import Path

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube

from bench.common import report, summarize
from bench.pod_clock import NS, PodClock
from kairflow.localcluster import LocalCluster
from kairflow.localcluster.chart import install_chart
from kairflow.localcluster.operator_image import build_operator_image

ROOT = Path(__file__).resolve().parents[1]


def run_dag(kube: Kube, name: str, tasks: list[str], flow: list[str]) -> PodClock:
    spec = {"tasks": [{"name": n, "bash": "true"} for n in tasks], "flow": flow}
    kube.create(
        NS,
        "dags",
        {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DAG",
            "metadata": {"name": name},
            "spec": spec,
        },
    )
    clock = PodClock(kube, len(tasks), run=f"{name}-1")
    kube.create(
        NS,
        "dagruns",
        {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DagRun",
            "metadata": {"name": f"{name}-1"},
            "spec": {"dagName": name},
        },
    )
    deadline = time.monotonic() + 600
    while len(clock.succeeded) < len(tasks) and time.monotonic() < deadline:
        time.sleep(0.05)
    return clock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--fan-out", type=int, default=10)
    args = parser.parse_args()
    archive, image = build_operator_image(ROOT)
    cluster = LocalCluster(real_node=True, images=[archive])
    info = cluster.start()
    try:
        install_chart(info.kubeconfig, ROOT / "charts" / "kairflow", image)
        api = config.new_client_from_config(config_file=info.kubeconfig)  # type: ignore[no-untyped-call]
        kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
        kube.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        while not kube.core.list_namespaced_service_account(NS).items:
            time.sleep(0.1)
        chain = [f"t{i}" for i in range(args.tasks)]
        clock = run_dag(kube, "chain", chain, [" >> ".join(chain)])
        fan = [f"f{i}" for i in range(args.fan_out)]
        fanned = run_dag(kube, "fan", ["start", *fan], [f"start >> [{', '.join(fan)}]"])
        rows = {
            f"hand-off, chain of {args.tasks}": summarize(
                [clock.added[b] - clock.succeeded[a] for a, b in pairwise(chain)]
            ),
            "pod start, one at a time (chain)": summarize(
                [clock.running[t] - clock.added[t] for t in chain]
            ),
            f"pod start, {args.fan_out} at once (fan-out)": summarize(
                [fanned.running[t] - fanned.added[t] for t in fan]
            ),
        }
        report("real_node_latency", rows, unit="seconds, from the bench's pod watch")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
