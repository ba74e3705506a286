"""Schedule bursts: N DAGs on `* * * * *` all due the same minute. How late is each
run, from its due time (the data interval's end) to its DagRun existing?

    .venv/bin/python bench/schedule_burst.py [--dags 200,1000] [--workers 8]

The operator is a real process; nothing runs the pods (each run's one task stays
queued). For each size the bench applies N DAGs (catchup off), waits until every one
is Ready, then times the runs of the next whole minute. Target (issue 15): every run
at most 1 s late with 200 DAGs due.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kubernetes import config, watch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds

from bench.common import report, summarize
from bench.fanout import fresh_namespace
from kairflow.localcluster import LocalCluster
from kairflow.localcluster.processes import spawn

ROOT = Path(__file__).resolve().parents[1]


def minutely(name: str, start: datetime) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {
            "schedule": "* * * * *",
            "catchup": False,
            "startDate": start.isoformat(),
            "tasks": [{"name": "t", "bash": "true"}],
        },
    }


class RunArrivals:
    """When the watch saw each DagRun ADDED, with its data interval's end."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.seen: dict[str, tuple[float, str | None]] = {}
        self._watch = watch.Watch()
        self._stopped = threading.Event()
        ready = threading.Event()

        def run() -> None:
            stream = self._watch.stream(
                kube.custom.list_namespaced_custom_object,
                "kairflow.io",
                "v1alpha1",
                namespace,
                "dagruns",
                timeout_seconds=900,
            )
            ready.set()
            try:
                for event in stream:
                    if event["type"] == "ADDED":
                        body = event["object"]
                        end = (body.get("spec") or {}).get("dataIntervalEnd")
                        self.seen.setdefault(body["metadata"]["name"], (time.time(), end))
            except Exception:
                if not self._stopped.is_set():  # a watch that fails while counting
                    raise

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)

    def close(self) -> None:
        """Stop watching (before the cluster stops: no traceback of a cut watch)."""
        self._stopped.set()
        self._watch.stop()
        self._thread.join(5)


def burst(
    kube: Kube, namespace: str, count: int, profile: tuple[Path, int] | None = None
) -> list[float]:
    """`profile`: a directory, and the operator's pid to py-spy into it."""
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    for i in range(count):
        kube.create(namespace, "dags", minutely(f"d{i:04d}", start))

    def ready() -> int:
        items = kube.custom.list_namespaced_custom_object(
            "kairflow.io", "v1alpha1", namespace, "dags"
        )["items"]
        return sum(
            1
            for d in items
            if any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (d.get("status") or {}).get("conditions") or []
            )
        )

    while ready() < count:
        time.sleep(0.2)
    arrivals = RunArrivals(kube, namespace)
    # The first whole minute at least 5 s away: every DAG is idle, waiting for it.
    due = (datetime.now(UTC) + timedelta(seconds=65)).replace(second=0, microsecond=0)
    wanted = due.isoformat().replace("+00:00", "")
    if profile is not None:
        # From now to 5 s after the due time; py-spy leaves idle samples out, so what
        # it records is the burst.
        directory, pid = profile
        seconds = int(due.timestamp() - time.time()) + 5
        out = directory / f"burst-{count}.txt"
        argv = ["py-spy", "record", "--format", "raw", "-o", str(out), "-d", str(seconds)]
        subprocess.Popen([*argv, "-p", str(pid)], stdout=subprocess.DEVNULL)
    deadline = due.timestamp() + 120
    try:
        while time.time() < deadline:
            hits = [at for at, end in arrivals.seen.values() if end and end.startswith(wanted)]
            if len(hits) == count:
                return [at - due.timestamp() for at in hits]
            time.sleep(0.2)
    finally:
        arrivals.close()
    got = [at for at, end in arrivals.seen.values() if end and end.startswith(wanted)]
    raise SystemExit(f"only {len(got)} of {count} runs due at {due} were created")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dags", default="200,1000")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the operator's burst into DIR")
    parser.add_argument("--workers", type=int, default=0, help="KAIRFLOW_WORKERS (0: default)")
    args = parser.parse_args()
    cluster = LocalCluster()
    info = cluster.start()
    api = config.new_client_from_config(config_file=info.kubeconfig)
    kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
    apply_crds(kube, ROOT / "crds")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-burst-operator.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "KUBECONFIG": info.kubeconfig, "KAIRFLOW_METRICS_PORT": "0"}
    env["KAIRFLOW_LIVENESS_PORT"] = "0"
    if args.workers:
        env["KAIRFLOW_WORKERS"] = str(args.workers)
    operator = spawn([sys.executable, "-m", "kairflow.operator"], log, env=env)
    profile = (Path(args.profile), operator.pid) if args.profile else None
    rows: dict[str, dict[str, Any]] = {}
    try:
        for index, count in enumerate(int(n) for n in args.dags.split(",")):
            lateness = burst(kube, fresh_namespace(kube, f"burst{index}"), count, profile)
            rows[f"{count} DAGs due at once"] = summarize(lateness)
            print(f"{count}: {rows[f'{count} DAGs due at once']}", flush=True)
    finally:
        operator.terminate()
        operator.wait(20)
        cluster.stop()
    report("schedule_burst", rows, unit="seconds late: DagRun seen minus its due time; target <= 1")


if __name__ == "__main__":
    main()
