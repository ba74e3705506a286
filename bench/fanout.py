"""Fan-out at the API server's limit: N task instances ready at once, from the DagRun's
creation to the last of their N pods existing, next to the raw create rate of the same
API server in the same run (8 client threads, as a tuned client would; and the
operator's own asyncio writer with no bound).

    .venv/bin/python bench/fanout.py [--sizes 200,1000,5000] [--repeats 2]
        [--api-parallelism 32] [--api-qps 0]

The operator is a real process (`python -m kairflow.operator`); nothing runs the pods
(they stay Pending: only their creation is timed). Each case has a namespace of its own.
Target (issue 15): the operator within 1.2x of the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch
from kubernetes_asyncio import config as aconfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds

from bench.common import report
from kairflow.k8s.rate_limit import UNLIMITED, ApiLimiter
from kairflow.k8s.writes import Writer
from kairflow.localcluster import LocalCluster
from kairflow.localcluster.processes import spawn

ROOT = Path(__file__).resolve().parents[1]


class PodCounter:
    """When the watch saw the n-th pod of a namespace ADDED."""

    def __init__(self, kube: Kube, namespace: str, expected: int) -> None:
        self.expected, self.done = expected, threading.Event()
        self.last: float | None = None
        self._seen: set[str] = set()
        self._ready = threading.Event()
        threading.Thread(target=self._watch, args=(kube, namespace), daemon=True).start()
        self._ready.wait(10)

    def _watch(self, kube: Kube, namespace: str) -> None:
        stream = watch.Watch().stream(
            kube.core.list_namespaced_pod, namespace, timeout_seconds=900, _preload_content=False
        )
        self._ready.set()
        for event in stream:
            if event["type"] != "ADDED":
                continue
            self._seen.add(event["raw_object"]["metadata"]["name"])
            if len(self._seen) >= self.expected:
                self.last = time.monotonic()
                self.done.set()
                return


def fresh_namespace(kube: Kube, name: str, ignore: bool = False) -> str:
    """A new namespace where pods can be created (its service account is admitted)."""
    labels = {"kairflow.io/ignore": "true"} if ignore else None
    kube.core.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels))
    )
    probe = pod("probe")
    probe["spec"]["nodeName"] = "nowhere"  # never scheduled, never counted by a watch
    while True:
        try:
            kube.core.create_namespaced_pod(name, probe, dry_run="All")
            return name
        except client.ApiException as exc:  # the account's admission is not ready yet
            if exc.status not in (403, 500):
                raise
            time.sleep(0.05)


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"bench": "raw"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "busybox", "command": ["true"]}],
        },
    }


def raw_threads(kube: Kube, namespace: str, count: int) -> float:
    counter = PodCounter(kube, namespace, count)
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: kube.core.create_namespaced_pod(namespace, pod(f"p{i}")), range(count)
            )
        )
    counter.done.wait(600)
    assert counter.last is not None
    return counter.last - start


def raw_async(kube: Kube, namespace: str, count: int) -> float:
    counter = PodCounter(kube, namespace, count)

    async def create_all() -> None:
        api = await aconfig.new_client_from_config(config_file=str(kube.kubeconfig))
        async with api:
            writer = Writer(api, ApiLimiter(UNLIMITED))
            await asyncio.gather(
                *(writer.create_pod(namespace, pod(f"p{i}")) for i in range(count))
            )

    start = time.monotonic()
    asyncio.run(create_all())
    counter.done.wait(600)
    assert counter.last is not None
    return counter.last - start


def fan_out_dag(count: int) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "fan"},
        "spec": {
            "maxActiveTasks": count,
            "tasks": [{"name": f"t{i:05d}", "bash": "true"} for i in range(count)],
        },
    }


def operator_fan_out(kube: Kube, namespace: str, count: int) -> float:
    kube.create(namespace, "dags", fan_out_dag(count))
    # Not timed: the operator has read the DAG (a big one takes a while to validate).
    while not (kube.get(namespace, "dags", "fan").get("status") or {}).get("observedGeneration"):
        time.sleep(0.05)
    counter = PodCounter(kube, namespace, count)
    start = time.monotonic()
    kube.create(
        namespace,
        "dagruns",
        {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DagRun",
            "metadata": {"name": "fan-1"},
            "spec": {"dagName": "fan"},
        },
    )
    counter.done.wait(900)
    assert counter.last is not None, "not every pod was created"
    return counter.last - start


def start_operator(kubeconfig: str, log: Path, largest: int, args: argparse.Namespace) -> Any:
    env = {
        **os.environ,
        "KUBECONFIG": kubeconfig,
        "KAIRFLOW_PARALLELISM": str(largest),
        "KAIRFLOW_POOLS": f"default_pool={largest}",
        "KAIRFLOW_API_PARALLELISM": str(args.api_parallelism),
        "KAIRFLOW_API_QPS": str(args.api_qps),
        "KAIRFLOW_METRICS_PORT": "0",
        "KAIRFLOW_LIVENESS_PORT": "0",
    }
    return spawn([sys.executable, "-m", "kairflow.operator"], log, env=env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--api-parallelism", type=int, default=32)
    parser.add_argument("--api-qps", type=float, default=0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cluster = LocalCluster()
    info = cluster.start()
    api = config.new_client_from_config(config_file=info.kubeconfig)
    kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
    apply_crds(kube, ROOT / "crds")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-fanout-operator.log"
    log.unlink(missing_ok=True)
    # Every case's pods stay Pending (nothing runs them) and keep their slots: room for all.
    operator = start_operator(info.kubeconfig, log, sum(sizes) * args.repeats, args)
    rows: dict[str, dict[str, Any]] = {}
    try:
        case = 0
        for size in sizes:
            threads, asyncs, ours = [], [], []
            for _ in range(args.repeats):
                # Interleaved, so a slower minute of the machine hits every column alike.
                case += 1
                threads.append(raw_threads(kube, fresh_namespace(kube, f"raw{case}", True), size))
                asyncs.append(raw_async(kube, fresh_namespace(kube, f"async{case}", True), size))
                ours.append(operator_fan_out(kube, fresh_namespace(kube, f"op{case}"), size))
            raw = min(*threads, *asyncs)
            rows[f"fan-out of {size}"] = {
                "raw 8 thr": min(threads),
                "raw async": min(asyncs),
                "kairflow": min(ours),
                "ratio": min(ours) / raw,
                "pods/s": size / min(ours),
            }
            print(f"{size}: {rows[f'fan-out of {size}']}", flush=True)
    finally:
        operator.terminate()
        operator.wait(20)
        cluster.stop()
    report(
        "fanout",
        rows,
        unit=f"seconds to the last pod created (best of {args.repeats}); ratio = kairflow / "
        "the faster raw client; target <= 1.2",
    )


if __name__ == "__main__":
    main()
