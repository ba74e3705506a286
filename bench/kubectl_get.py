"""`kubectl get dagruns` with many big runs: how long a user waits for the table.

    .venv/bin/python bench/kubectl_get.py [--runs 20] [--tasks 2000] [--kubeconfig FILE]

Creates `--runs` DagRuns of a `--tasks`-task DAG in two shapes, each set in a
namespace of its own: "inline", every task instance in the run's status (as the
operator wrote every run before TaskInstanceSlices: bench/synthetic.py), and
"sliced", as the operator writes a big run now: the run's status without its task
instances, and its TaskInstanceSlices beside it (`core.task_instance_slices`, the
default budget). Then times, best of 3: `kubectl get dagruns` (the
API server prints the columns: only the table crosses the wire, but it still reads
and decodes every whole object), `kubectl get dagruns -o name`, and `kairflow runs
list` (which lists the objects themselves). Without --kubeconfig it starts a
control plane of its own. A command that fails (the API server's 60 s timeout) is a
row of its own, with its error.

Mind the memory: inline, 200 runs of 2,000 tasks are 151 MB of DagRuns; on 2 cores
`kubectl get dagruns` of them timed out after 60 s and kube-apiserver grew to 16 GB
RSS (docs/scale.md). Use --shapes sliced to measure only the shape written today.
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
from kairflow.core.labels import DAG_RUN
from kairflow.core.naming import label_value
from kairflow.core.task_instance_slices import (
    DEFAULT_BUDGET,
    Layout,
    layout,
    slice_name,
    stored_status,
)
from kairflow.localcluster import LocalCluster

ROOT = Path(__file__).resolve().parents[1]
GROUP, VERSION = "kairflow.io", "v1alpha1"
SLICES = "__slices"


def sliced(run: dict[str, Any]) -> dict[str, Any]:
    """The run as the operator stores a big one: its task instances in slices
    (`SLICES` in the body: created beside it by `create`)."""
    # It names its DAG version instead of holding the DAG's spec (docs/dag-versions.md).
    status = {k: v for k, v in run["status"].items() if k != "dagSpec"}
    status["dagVersion"] = f"{run['spec']['dagName']}-dagv-synthetic"
    placed = layout(status.get("taskInstances") or {}, 0, DEFAULT_BUDGET)
    return {**run, "status": stored_status(status, placed.slices), SLICES: placed}


def create(kube: Kube, namespace: str, run: dict[str, Any]) -> int:
    """Create the run and write its status (the status subresource), and its slices
    when it has some; the run's JSON size."""
    placed = run.pop(SLICES, None)
    if placed is not None and placed.slices:
        _create_slices(kube, namespace, run["metadata"]["name"], placed)
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


def _create_slices(kube: Kube, namespace: str, run: str, placed: Layout) -> None:
    for index, part in enumerate(placed.parts):
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "TaskInstanceSlice",
            "metadata": {
                "name": slice_name(run, placed.slices, index),
                "labels": {DAG_RUN: label_value(run)},
            },
            "spec": {"dagRun": run, "slices": placed.slices, "index": index},
        }
        made = kube.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "taskinstanceslices", body
        )
        made["status"] = {"taskInstances": part}
        kube.custom.replace_namespaced_custom_object_status(
            GROUP, VERSION, namespace, "taskinstanceslices", body["metadata"]["name"], made
        )


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
    parser.add_argument("--shapes", default="inline,sliced", help="inline, sliced or both")
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
        shapes = {"inline": runs, "sliced": [sliced(r) for r in runs]}
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
