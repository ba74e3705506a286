"""What big XComs cost, and what they add to the common small-XCom path.

1. In the pod: a python task now runs under a wrapper (`core.xcom_spill`) and a bash
   task's wrapper gained a size check. Process wall time, plain vs wrapped, with a
   small XCom (the common path) and a 200 KiB one (framed into the log).
2. On the local control plane with the node agent running real processes: hand-off
   latency (pod seen Succeeded -> downstream pod seen) in a chain of python tasks that
   push a small XCom, and in one whose tasks push 200 KiB (log read, ConfigMap
   created, read back for the next task's template).

    .venv/bin/python bench/xcom_cost.py [--runs 40] [--tasks 15] [--no-cluster]

For the operator's side of the small path against the code before big XComs, run
`bench/handoff_latency.py --real-processes` on both trees (docs/xcom.md has figures).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds

from bench.common import report, summarize
from bench.pod_clock import NS, PodClock
from kairflow.controller.settings import OperatorSettings
from kairflow.controller.supervisor import OperatorThread
from kairflow.core.bash_xcom import bash_command
from kairflow.core.xcom_spill import python_command
from kairflow.localcluster import LocalCluster
from kairflow.localnode.settings import NodeSettings
from kairflow.localnode.threaded import start_in_thread

SMALL = (
    "import json, os; open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write(json.dumps({'rows': 3}))"
)
BIG = (
    "import json, os; open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write(json.dumps("
    "[{'id': i, 'name': 'item-%05d' % i, 'pad': 'x' * 40} for i in range(3000)]))"
)


def process_seconds(argv: list[str], runs: int) -> list[float]:
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": os.environ["PATH"], "KAIRFLOW_XCOM_FILE": f"{tmp}/termination-log"}
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
            samples.append(time.perf_counter() - start)
    return samples


def in_the_pod(runs: int) -> None:
    python = sys.executable
    forms = {
        "python, small XCom, plain `python -c`": [python, "-c", SMALL],
        "python, small XCom, wrapped": [python, *python_command(SMALL)[1:]],
        "python, 200 KiB XCom, wrapped (framed into the log)": [python, *python_command(BIG)[1:]],
        "bash, last line pushed (`echo hi`)": bash_command("echo hi", push_last_line=True),
        "bash, 200 KiB written by the script": bash_command(
            f'{python} -c "{BIG}"', push_last_line=True
        ),
    }
    rows = {name: summarize(process_seconds(argv, runs)) for name, argv in forms.items()}
    report("xcom_wrapper_cost", rows, unit="seconds of process wall time")


def _pull(upstream: str) -> str:
    return f"  # {{{{ ti.xcom_pull('{upstream}') | length }}}} items upstream"


def chain(kube: Kube, name: str, script: str, tasks: int) -> list[float]:
    names = [f"{name}{i}" for i in range(tasks)]
    kube.create(
        NS,
        "dags",
        {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DAG",
            "metadata": {"name": name},
            "spec": {
                # Each task also renders its upstream's XCom size: the value is read back.
                "tasks": [
                    {"name": n, "python": script + pull}
                    for n, pull in zip(names, ["", *(_pull(u) for u in names[:-1])], strict=True)
                ],
                "flow": [" >> ".join(names)],
            },
        },
    )
    clock = PodClock(kube, tasks, run=f"{name}-1")
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
    deadline = time.monotonic() + 300
    while len(clock.succeeded) < tasks and time.monotonic() < deadline:
        time.sleep(0.05)
    return [clock.added[b] - clock.succeeded[a] for a, b in pairwise(names)]


def on_the_cluster(tasks: int) -> None:
    cluster = LocalCluster()
    info = cluster.start()
    os.environ["KUBECONFIG"] = info.kubeconfig
    operator = OperatorThread(OperatorSettings(metrics_port=0, liveness_port=0))
    agent = None
    try:
        api = config.new_client_from_config(config_file=info.kubeconfig)
        kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
        apply_crds(kube, Path(__file__).resolve().parents[1] / "crds")
        operator.start().ready.wait(60)
        kube.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        while not kube.core.list_namespaced_service_account(NS).items:
            time.sleep(0.1)
        agent = start_in_thread(
            NodeSettings(
                node_name="bench",
                claim_default_scheduler=True,
                namespaces=(NS,),
                kubeconfig=kube.kubeconfig,
                poll_interval=0.01,
            )
        )
        rows = {
            f"chain of {tasks} python tasks, small XCom": summarize(
                chain(kube, "small", SMALL, tasks)
            ),
            f"chain of {tasks} python tasks, 200 KiB XCom each": summarize(
                chain(kube, "big", BIG, tasks)
            ),
        }
        report(
            "xcom_handoff_latency",
            rows,
            unit="seconds, pod seen Succeeded -> downstream pod seen (node agent)",
        )
    finally:
        if agent is not None:
            agent.stop()
        operator.stop()
        operator.join(20)
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--tasks", type=int, default=15)
    parser.add_argument("--no-cluster", action="store_true")
    args = parser.parse_args()
    in_the_pod(args.runs)
    if not args.no_cluster:
        on_the_cluster(args.tasks)


if __name__ == "__main__":
    main()
