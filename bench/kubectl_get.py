"""`kubectl get dagruns` with many big runs: how long a user waits for the table.

    .venv/bin/python bench/kubectl_get.py [--runs 20] [--tasks 2000] [--kubeconfig FILE]

Creates `--runs` DagRuns of a `--tasks`-task DAG with the status the operator writes
today (every task instance and the DAG snapshot in the run: bench/synthetic.py), and
as many "compact" runs whose status holds only what the printer columns read, each
set in a namespace of its own. Then times, best of 3: `kubectl get dagruns` (the
API server prints the columns: only the table crosses the wire, but it still reads
and decodes every whole object), `kubectl get dagruns -o name`, and `kairflow runs
list` (which lists the objects themselves). Without --kubeconfig it starts a
control plane of its own. A command that fails (the API server's 60 s timeout) is a
row of its own, with its error.

Mind the memory: with today's runs, 200 runs of 2,000 tasks are 151 MB of DagRuns;
on 2 cores `kubectl get dagruns` of them timed out after 60 s and kube-apiserver grew
to 16 GB RSS (docs/scale.md). Use --shapes compact to measure only the small shape.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds

from bench import synthetic
from bench.common import report, summarize
from kairflow.localcluster import LocalCluster

ROOT = Path(__file__).resolve().parents[1]
GROUP, VERSION = "kairflow.io", "v1alpha1"
COLUMNS = ("state", "progress", "logicalDate", "startDate", "endDate", "runId")


def compact(run: dict[str, Any]) -> dict[str, Any]:
    """The run with a status of what `kubectl get` shows (the issue's target shape)."""
    status = {k: v for k, v in run["status"].items() if k in COLUMNS}
    return {**run, "status": status}


def create(kube: Kube, namespace: str, run: dict[str, Any]) -> int:
    """Create the run and write its status (the status subresource); its JSON size."""
    body = {k: v for k, v in run.items() if k != "status"}
    body["metadata"] = {**run["metadata"], "namespace": namespace}
    custom = kube.custom
    created = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "dagruns", body)
    created["status"] = run["status"]
    name = run["metadata"]["name"]
    custom.replace_namespaced_custom_object_status(
        GROUP, VERSION, namespace, "dagruns", name, created
    )
    return len(json.dumps(created, separators=(",", ":")))


def timed(argv: list[str], env: dict[str, str], repeats: int = 3) -> dict[str, Any]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        took = time.perf_counter() - start
        if done.returncode != 0:
            # Once is enough: a timed-out list goes on in the API server meanwhile.
            print(f"{' '.join(argv[:3])}: failed after {took:.1f} s: {done.stderr.strip()}")
            return {**summarize([took]), "failed": 1}
        samples.append(took)
    return {**summarize(samples), "failed": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--shapes", default="today,compact", help="today, compact or both")
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--kubeconfig", type=Path, default=None)
    args = parser.parse_args()
    with ExitStack() as stack:
        kubeconfig = args.kubeconfig
        if kubeconfig is None:
            kubeconfig = Path(stack.enter_context(LocalCluster()).kubeconfig)
        kube = Kube(api=config.new_client_from_config(str(kubeconfig)), kubeconfig=kubeconfig)
        apply_crds(kube, ROOT / "crds")
        _, runs = synthetic.grid("x", "grid", args.tasks, args.runs)
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        rows: dict[str, dict[str, Any]] = {}
        shapes = {"today": runs, "compact": [compact(r) for r in runs]}
        for shape in args.shapes.split(","):
            shaped = shapes[shape]
            namespace = f"get-{shape}-{int(time.time())}"
            client.CoreV1Api(kube.api).create_namespace(
                client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace))
            )
            start = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                sizes = list(pool.map(lambda r, ns=namespace: create(kube, ns, r), shaped))
            made = time.perf_counter() - start
            print(
                f"{shape}: {len(sizes)} runs, {max(sizes) / 1e6:.2f} MB max, "
                f"{sum(sizes) / 1e6:.1f} MB in all, created in {made:.1f} s",
                flush=True,
            )
            commands = {
                "kubectl get dagruns": ["kubectl", "get", "dagruns", "-n", namespace],
                "kubectl get dagruns -o name": [
                    *("kubectl", "get", "dagruns", "-o", "name", "-n", namespace)
                ],
                "kairflow runs list": [
                    str(ROOT / ".venv/bin/kairflow"),
                    *("runs", "list", "-n", namespace),
                ],
            }
            for what, argv in commands.items():
                rows[f"{shape}: {what}"] = timed(argv, env)
        report(f"kubectl_get_{args.runs}x{args.tasks}", rows, "seconds")


if __name__ == "__main__":
    main()
