"""Big runs to the end: a run of 10,000 tasks, and one task mapped over 10,000 items
(100,000 with `--mapped 100000`), with a kubelet that ends every pod.

    .venv/bin/python bench/big_run.py [--tasks 10000] [--mapped 10000[,100000]]
        [--parallelism 2000] [--slice-kib 192]

The operator is a real process on the local control plane; a fake kubelet (8
threads) marks each pod Running, then Succeeded, as soon as it sees it, as a node
with room for everything would. Each case is a fresh operator and namespace and
prints: seconds from the run's creation to its success, the pods, the largest object
the run is kept in (its DagRun and its TaskInstanceSlices, as the API server stores
them, managedFields included), how many slices, and the operator's RSS (peak,
settled after the run) and CPU seconds. Targets (issue 15): the 10,000-task run
completes and every object is under 512 KiB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from kubernetes import config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.helpers import stored_kib
from tests.integration.kube import Kube, apply_crds
from tests.integration.kubelet import WatchingKubelet

from bench.common import api_requests, metric_samples, report
from bench.fanout import fresh_namespace
from bench.memory import (
    MIB,
    Operator,
    cpu_seconds,
    drop_namespace,
    manual_run,
    probe,
    probe_file,
    wait_read,
)
from kairflow.localcluster import LocalCluster
from kairflow.localcluster.cluster import free_port
from kairflow.localcluster.processes import spawn

ROOT = Path(__file__).resolve().parents[1]


def wide_dag(name: str, size: int) -> dict[str, Any]:
    tasks = [{"name": f"t{i:06d}", "bash": "true"} for i in range(size)]
    return _dag(name, tasks, size)


def mapped_dag(name: str, items: int) -> dict[str, Any]:
    tasks = [{"name": "m", "bash": "true", "expand": {"items": list(range(items))}}]
    return _dag(name, tasks, items)


def _dag(name: str, tasks: list[dict[str, Any]], size: int) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {"maxActiveTasks": size, "tasks": tasks},
    }


def run_case(kube: Kube, kubeconfig: str, args: argparse.Namespace, case: str) -> dict[str, Any]:
    kind, size = case.split(":")
    items = int(size)
    metrics_port = free_port()
    operator = start(kubeconfig, args, items, f"big-{kind}-{items}", metrics_port)
    try:
        namespace = fresh_namespace(kube, f"big-{kind}-{items}")
        dag = wide_dag("big", items) if kind == "tasks" else mapped_dag("big", items)
        kube.kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=json.dumps(dag))
        wait_read(kube, namespace, ["big"], 900)
        kubelet = WatchingKubelet(kube, namespace)
        since, cpu0 = time.monotonic(), cpu_seconds(operator.pid)
        requests0, passes0 = api_requests(kube), run_syncs(metrics_port)
        kube.create(namespace, "dagruns", manual_run("big-1", "big"))
        state, largest = None, 0.0
        deadline = since + args.timeout
        while time.monotonic() < deadline:
            status = kube.get(namespace, "dagruns", "big-1").get("status") or {}
            state = status.get("state")
            largest = max(largest, stored_kib(kube, namespace, "dagruns", "big-1"))
            if state in ("success", "failed"):
                break
            time.sleep(1)
        wall = time.monotonic() - since
        requests = api_requests(kube) - requests0
        passes = run_syncs(metrics_port) - passes0
        slices = kube.custom.list_namespaced_custom_object(
            "kairflow.io", "v1alpha1", namespace, "taskinstanceslices"
        )["items"]
        for item in slices:
            name = item["metadata"]["name"]
            largest = max(largest, stored_kib(kube, namespace, "taskinstanceslices", name))
        operator.quiet(120)
        settled = operator.settled(5)
        row = {
            "state": state or "timeout",
            "seconds": round(wall, 1),
            "pods": kubelet.ended,
            "max KiB": round(largest, 1),
            "slices": len(slices),
            "peak MiB": round(operator.peak(since) / MIB, 1),
            "settled": round(settled / MIB, 1),
            "CPU s": round(cpu_seconds(operator.pid) - cpu0, 1),
            # How often the run was planned and written: the API server's load beside
            # the pods' own (create, the kubelet's two status updates).
            "run syncs": passes,
            "run writes": requests["PATCH dagruns"] + requests["PUT dagruns"],
            "slice wr": requests["PATCH taskinstanceslices"]
            + requests["PUT taskinstanceslices"]
            + requests["POST taskinstanceslices"],
            "requests": sum(requests.values()),
        }
        print(f"{case}: {row} ({status.get('progress')}; {status.get('message') or ''})")
        if args.probe:
            probe(operator, f"big-{kind}-{items}", case)
        end(operator, args)
        # The next case's operator must not find (and cache) this one's run and pods.
        drop_namespace(kube, namespace)
        return row
    finally:
        end(operator, args)


def end(operator: Operator, args: argparse.Namespace) -> None:
    if operator.process.poll() is not None:
        return
    if args.profile:
        operator.process.send_signal(signal.SIGINT)  # py-spy writes its profile
        operator.process.wait(60)
    operator.stop()


def run_syncs(port: int) -> int:
    """DagRun syncs the operator has run (its `kairflow_syncs_total`)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = metric_samples(text, "kairflow_syncs_total")
    return sum(int(sample.value) for sample in samples if sample.labels.get("kind") == "dagrun")


def start(
    kubeconfig: str, args: argparse.Namespace, size: int, name: str, metrics_port: int
) -> Operator:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{name}.log"
    env = {
        **os.environ,
        "KUBECONFIG": kubeconfig,
        "KAIRFLOW_PARALLELISM": str(args.parallelism),
        "KAIRFLOW_POOLS": f"default_pool={args.parallelism}",
        "KAIRFLOW_MAX_MAP_LENGTH": str(max(size, 1024)),
        "KAIRFLOW_TASK_INSTANCE_SLICE_KIB": str(args.slice_kib),
        "KAIRFLOW_POD_CLEANUP": "never",
        "KAIRFLOW_METRICS_PORT": str(metrics_port),
        "KAIRFLOW_LIVENESS_PORT": "0",
    }
    argv = [sys.executable, "-m", "kairflow.operator"]
    if args.probe:
        env["KAIRFLOW_BENCH_PROBE"] = str(probe_file(name))
        env["KAIRFLOW_BENCH_TRACEMALLOC"] = str(args.tracemalloc)
        argv = [sys.executable, str(ROOT / "bench" / "memory_probe.py")]
    if args.profile:
        # py-spy samples the operator (its RSS is then py-spy's: read only the profile).
        out = Path(args.profile) / f"{name}.txt"
        argv = ["py-spy", "record", "--format", "raw", "-o", str(out), "--", *argv]
    return Operator(spawn(argv, log, env=env))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="10000", help="sizes of the many-task run (csv)")
    parser.add_argument("--mapped", default="10000", help="items of the mapped task (csv)")
    parser.add_argument("--parallelism", type=int, default=2000, help="pods running at once")
    parser.add_argument("--slice-kib", type=int, default=192)
    parser.add_argument("--profile", metavar="DIR", help="py-spy the operator into DIR")
    parser.add_argument("--probe", action="store_true", help="print what the cache holds")
    parser.add_argument("--tracemalloc", type=int, default=0, help="frames (with --probe)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per case")
    args = parser.parse_args()
    cases = [f"tasks:{n}" for n in args.tasks.split(",") if n]
    cases += [f"mapped:{n}" for n in args.mapped.split(",") if n]
    cluster = LocalCluster()
    info = cluster.start()
    api = config.new_client_from_config(config_file=info.kubeconfig)
    kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
    apply_crds(kube, ROOT / "crds")
    rows: dict[str, dict[str, Any]] = {}
    try:
        for case in cases:
            rows[case] = run_case(kube, info.kubeconfig, args, case)
    finally:
        cluster.stop()
    report(
        "big_run",
        rows,
        unit="seconds from the run's creation to its end; pods ended by the kubelet; the "
        "largest object holding the run (KiB, as stored); slices; operator RSS MiB (peak, "
        "settled) and CPU s; targets: completes, every object < 512 KiB",
    )


if __name__ == "__main__":
    main()
