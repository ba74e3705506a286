"""Fan-out at the API server's limit: N task instances ready at once, from the DagRun's
creation to the last of their N pods existing, next to raw clients creating the same
pods on the same API server in the same run.

    .venv/bin/python bench/fanout.py [--sizes 200,1000,5000] [--repeats 2]
        [--api-parallelism 32] [--api-qps 0]

The operator is a real process (`python -m kairflow.operator`); nothing runs the pods
(they stay Pending: only their creation is timed). Each case has a namespace of its own.

The raw clients are each a process of their own too (as the operator is: the watch
counting pods runs here and must slow neither side) and create the pods the operator
creates for the same DAG (`core.planner`, without the owner reference to a run:
~3.3 KB of JSON each, 2 KB of it the bash XCom wrapper): `raw thr8` with 8 threads of
the sync client, `raw async` with the operator's own asyncio client and writer,
unbounded, `raw as32` with them and 32 requests in flight (the operator's default).
The API server takes a 3.3 KB pod markedly slower than a 200-byte one, so `ratio`
compares the operator with the fastest of the three: like with like. `tiny as` is
the unbounded writer with 200-byte pods (the issue's first measure, with the tuned
client), `vs tiny` the ratio to it.
Target (issue 15): the operator within 1.2x of the fastest raw client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds

from bench.common import report
from kairflow.api import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.planner import plan
from kairflow.core.run_model import CreatePod, RunContext
from kairflow.k8s.client import operator_client
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


def operator_pods(count: int) -> list[dict[str, Any]]:
    """The pods the operator creates for `fan_out_dag(count)`, as its planner builds
    them, without an owner reference (no run owns them here)."""
    now = datetime.now(UTC)
    spec = DAGSpec.model_validate(fan_out_dag(count)["spec"])
    run = RunContext(
        namespace="raw",
        dag_name="fan",
        name="fan-1",
        uid=None,
        run_type="manual",
        run_id=f"manual__{now.isoformat()}",
        logical_date=now,
        data_interval_start=now,
        data_interval_end=now,
        spec=spec,
    )
    actions = plan(run, DagRunStatus(), [], now).actions
    return [a.manifest for a in actions if isinstance(a, CreatePod)]


def raw_client(kind: str, kubeconfig: str, namespace: str, count: int, shape: str) -> None:
    """A raw client's process: builds its pods (not timed), says "ready", creates them
    all on "go", says "done"."""
    pods = operator_pods(count) if shape == "operator" else [pod(f"p{i}") for i in range(count)]
    for manifest in pods:
        manifest["metadata"]["namespace"] = namespace
    print("ready", flush=True)
    sys.stdin.readline()
    if kind == "threads":
        api = config.new_client_from_config(config_file=kubeconfig)
        core = client.CoreV1Api(api)
        with ThreadPoolExecutor(8) as workers:
            list(workers.map(lambda m: core.create_namespaced_pod(namespace, m), pods))
    else:

        async def create_all() -> None:
            async with await operator_client(kubeconfig) as api:  # the operator's client
                writer = Writer(api, ApiLimiter(32 if kind == "async32" else UNLIMITED))
                await asyncio.gather(*(writer.create_pod(namespace, m) for m in pods))

        asyncio.run(create_all())
    print("done", flush=True)


RAW_CLIENTS = (
    ("raw thr8", "threads", "operator"),
    ("raw async", "async", "operator"),
    ("raw as32", "async32", "operator"),
    ("tiny as", "async", "tiny"),
)
"""Column, client, pods: the raw clients, each run in a process of its own."""


def raw(kube: Kube, kind: str, namespace: str, count: int, shape: str) -> float:
    """Seconds from "go" to the watch seeing the last of a raw client's pods."""
    child = subprocess.Popen(
        [
            *(sys.executable, __file__, "--raw-client", kind, "--namespace", namespace),
            *("--count", str(count), "--shape", shape, "--kubeconfig", str(kube.kubeconfig)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    assert child.stdout.readline().strip() == "ready", "the raw client did not start"
    counter = PodCounter(kube, namespace, count)
    start = time.monotonic()
    child.stdin.write("go\n")
    child.stdin.flush()
    counter.done.wait(600)
    child.wait(60)
    assert child.returncode == 0, f"the raw client failed ({child.returncode})"
    assert counter.last is not None, "not every pod was created"
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
    # A raw client's own process (see `raw`):
    parser.add_argument(
        "--raw-client", choices=["threads", "async", "async32"], help=argparse.SUPPRESS
    )
    parser.add_argument("--namespace", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shape", choices=["operator", "tiny"], help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_client:
        raw_client(args.raw_client, args.kubeconfig, args.namespace, args.count, args.shape)
        return
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
            times: dict[str, list[float]] = {
                "raw thr8": [],
                "raw async": [],
                "raw as32": [],
                "tiny as": [],
                "kairflow": [],
            }
            for _ in range(args.repeats):
                # Interleaved, so a slower minute of the machine hits every column alike.
                case += 1
                for column, kind, shape in RAW_CLIENTS:
                    ns = fresh_namespace(kube, f"{column.replace(' ', '')}-{case}", True)
                    times[column].append(raw(kube, kind, ns, size, shape))
                ns = fresh_namespace(kube, f"op{case}")
                times["kairflow"].append(operator_fan_out(kube, ns, size))
            best = {column: min(samples) for column, samples in times.items()}
            same_pods = min(best[column] for column, _, shape in RAW_CLIENTS if shape != "tiny")
            rows[f"fan-out of {size}"] = {
                **best,
                "ratio": best["kairflow"] / same_pods,
                "vs tiny": best["kairflow"] / best["tiny as"],
                "pods/s": size / best["kairflow"],
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
        "the faster raw client creating the same pods; target <= 1.2",
    )


if __name__ == "__main__":
    main()
