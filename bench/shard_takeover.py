"""Shard takeover: two sharded operators split N DAGs; one is SIGKILLed. How long
until the survivor owns every DAG, and until a run of a dead replica's DAG (made
right after the kill) has succeeded?

    .venv/bin/python bench/shard_takeover.py [--dags 20] [--leases 6,15] [--repeats 2]

Operators are real processes (`KAIRFLOW_SHARDS=on`, docs/sharding.md) on the local
control plane; a fake kubelet runs every pod to success at once. Expected: the Lease
duration plus its hand-over margin (a third of it) plus up to one poll (a fifth):
about 1.5x the Lease duration. Printed, and written to bench/results/shard_takeover.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kubernetes import config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.helpers import dag, manual_run, sample
from tests.integration.kube import Kube, apply_crds, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet
from tests.integration.operator_process import OperatorProcess, operators, own_namespace

from bench.common import report
from kairflow.localcluster import LocalCluster

ROOT = Path(__file__).resolve().parents[1]


def owned(process: OperatorProcess) -> float:
    return sample(process.metrics(), "kairflow_shard_dags") or 0.0


def succeeded(kube: Kube, namespace: str, run: str) -> bool:
    status = kube.get(namespace, "dagruns", run).get("status") or {}
    return status.get("state") == "success"


def takeover(kube: Kube, dags: int, lease: int, case: int) -> dict[str, float]:
    """One kill: (seconds until the survivor owns all, until a dead DAG's run succeeded)."""
    names = [f"d{i:03d}" for i in range(dags)]
    env = {"KAIRFLOW_SHARDS": "on", "KAIRFLOW_SHARD_LEASE_DURATION": f"{lease}s"}
    with (
        tempfile.TemporaryDirectory() as logs,
        own_namespace(kube, f"takeover{case}") as ns,
        operators(kube.kubeconfig, ns, Path(logs)) as ops,
        AutoKubelet(FakeKubelet(kube, ns)),
    ):
        for name in names:
            kube.create(ns, "dags", dag(name, [{"name": "a", "bash": "true"}]))
        first = ops.start(env={**env, "KAIRFLOW_SHARD_IDENTITY": "one"}).wait_ready()
        second = ops.start(env={**env, "KAIRFLOW_SHARD_IDENTITY": "two"}).wait_ready()
        wait_for(
            lambda: owned(first) > 0 and owned(first) + owned(second) == dags,
            timeout=lease * 6,
            what="both replicas owning DAGs",
        )
        # A DAG of the first replica: its metrics count the runs it finished.
        for name in names:
            kube.create(ns, "dagruns", manual_run(f"{name}-1", name))
        for name in names:
            wait_for(lambda n=name: succeeded(kube, ns, f"{n}-1"), timeout=60, what=f"{name}-1")
        metrics = first.metrics()
        dead = next(
            n
            for n in names
            if sample(metrics, "kairflow_dag_runs_finished_total", dag=n, state="success")
        )
        first.kill()
        killed = time.monotonic()
        kube.create(ns, "dagruns", manual_run(f"{dead}-2", dead))
        wait_for(lambda: owned(second) == dags, timeout=lease * 4, interval=0.1, what="all owned")
        owning = time.monotonic() - killed
        wait_for(
            lambda: succeeded(kube, ns, f"{dead}-2"), timeout=lease * 4, interval=0.1, what="run"
        )
        return {"owns all": owning, "run done": time.monotonic() - killed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dags", type=int, default=20)
    parser.add_argument("--leases", default="6,15", help="Lease durations (seconds) to try")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    cluster = LocalCluster()
    info = cluster.start()
    kube = Kube(
        api=config.new_client_from_config(config_file=info.kubeconfig),
        kubeconfig=Path(info.kubeconfig),
    )
    apply_crds(kube, ROOT / "crds")
    rows: dict[str, dict[str, Any]] = {}
    try:
        case = 0
        for lease in (int(x) for x in args.leases.split(",")):
            samples = []
            for _ in range(args.repeats):
                case += 1
                samples.append(takeover(kube, args.dags, lease, case))
                print(f"lease {lease}s: {samples[-1]}", flush=True)
            rows[f"lease {lease}s, {args.dags} DAGs"] = {
                "owns all": max(s["owns all"] for s in samples),
                "run done": max(s["run done"] for s in samples),
                "expected": lease * (1 + 1 / 3 + 1 / 5),
            }
    finally:
        cluster.stop()
    report(
        "shard_takeover",
        rows,
        unit=f"seconds after SIGKILL of one of two replicas (worst of {args.repeats}); "
        "expected: Lease + margin (1/3) + one poll (1/5)",
    )


if __name__ == "__main__":
    main()
