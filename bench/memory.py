"""Operator memory: RSS at idle, with many active runs, and during one big run.

    .venv/bin/python bench/memory.py [--runs 1000] [--dags 100] [--tasks 5]
        [--size 2000] [--cases idle,active,big] [--probe] [--tracemalloc FRAMES]
        [--operator-env NAME=VALUE]...

The operator is a real process (`python -m kairflow.operator`) on the local control
plane. Nothing runs the pods: they stay Pending, so the runs stay active.
- idle: the operator started, nothing to watch.
- active: `--dags` DAGs of `--tasks` tasks in a chain, `--runs` manual runs spread over
  them; each run is running with its first task queued (one Pending pod per run).
- big: one run of `--size` independent tasks (a fresh operator, after the active
  case's namespace is gone): every task queued, one Pending pod each. Without a node
  the run cannot finish; the row says how far it got (pods created, the run's size).
RSS is VmRSS from /proc/PID/status, sampled every 0.2 s: `peak` over the case,
`settled` the median once the operator's CPU went quiet. CPU is utime+stime of the
operator during the case. Target (issue 15): settled RSS <= 200 MiB with 1,000 runs.

--probe starts the operator under bench/memory_probe.py and prints what its cache
holds, part by part, after each case (--tracemalloc N adds the top allocation sites,
at a cost in RSS and CPU: read the figures from a run without it; with 12 frames the
1,000-run case took 9 minutes of the operator's CPU instead of 25 s).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.kube import Kube, apply_crds

from bench.common import RESULTS, report
from bench.fanout import PodCounter, fresh_namespace
from kairflow.localcluster import LocalCluster
from kairflow.localcluster.processes import spawn

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    # Fields after the command (which may hold spaces): utime and stime are 14 and 15.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class Operator:
    """The operator process, its RSS sampled in the background."""

    process: Any
    samples: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._sample, daemon=True).start()

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def _sample(self) -> None:
        while self.process.poll() is None:
            try:
                self.samples.append((time.monotonic(), rss_bytes(self.pid)))
            except (OSError, RuntimeError):
                return
            time.sleep(0.2)

    def peak(self, since: float) -> int:
        return max(rss for at, rss in self.samples if at >= since)

    def quiet(self, timeout: float, window: float = 3.0, busy: float = 0.05) -> bool:
        """Wait until the operator used under `busy` of a core for `window` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = cpu_seconds(self.pid)
            time.sleep(window)
            if cpu_seconds(self.pid) - before < busy * window:
                return True
        return False

    def settled(self, seconds: float = 5.0) -> int:
        start = time.monotonic()
        time.sleep(seconds)
        return int(statistics.median(rss for at, rss in self.samples if at >= start))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)


def start_operator(kubeconfig: str, slots: int, args: argparse.Namespace, name: str) -> Operator:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-memory-{name}.log"
    log.unlink(missing_ok=True)
    env = {
        **os.environ,
        "KUBECONFIG": kubeconfig,
        # Every run's pod stays Pending and keeps its slot: room for all of them.
        "KAIRFLOW_PARALLELISM": str(slots),
        "KAIRFLOW_POOLS": f"default_pool={slots}",
        "KAIRFLOW_METRICS_PORT": "0",
        "KAIRFLOW_LIVENESS_PORT": "0",
        **dict(item.split("=", 1) for item in args.operator_env),
    }
    argv = [sys.executable, "-m", "kairflow.operator"]
    if args.probe:
        env["KAIRFLOW_BENCH_PROBE"] = str(probe_file(name))
        env["KAIRFLOW_BENCH_TRACEMALLOC"] = str(args.tracemalloc)
        argv = [sys.executable, str(ROOT / "bench" / "memory_probe.py")]
    return Operator(spawn(argv, log, env=env))


def probe_file(name: str) -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-memory-probe-{name}.json"


def probe(operator: Operator, name: str, case: str) -> None:
    """Ask a --probe operator what its cache holds; print it and keep it by the results."""
    out = probe_file(name)
    out.unlink(missing_ok=True)
    os.kill(operator.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not out.exists():
        if time.monotonic() > deadline:
            print(f"{case}: the probe wrote nothing", flush=True)
            return
        time.sleep(0.5)
    found = json.loads(out.read_text())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"memory-probe-{case}.json").write_text(json.dumps(found, indent=2))
    for cache in found["caches"]:
        print(f"\n{case}: cache of {cache['counts']}")
        for part, size in cache["bytes"].items():
            print(f"  {part:<40}{size / MIB:>10.1f} MiB")
        for part, size in cache["strings"].items():
            print(f"  {part:<40}{size / MIB:>10.1f} MiB")
    print(
        "  pymalloc: "
        + ", ".join(f"{k} {v / MIB:.1f} MiB" for k, v in found["pymalloc"].items() if k != "arenas")
    )
    for kind in found["types"][:12]:
        print(f"  {kind['bytes'] / MIB:>8.1f} MiB {kind['count']:>9} {kind['type']}")
    if "top_lines" in found:
        print(f"  traced: {found['traced_bytes'] / MIB:.1f} MiB; top sites:")
        for line in found["top_lines"][:20]:
            print(f"  {line['bytes'] / MIB:>8.1f} MiB {line['count']:>9} {line['where']}")


def chain_dag(name: str, tasks: int, runs: int) -> dict[str, Any]:
    steps = [{"name": "t0", "bash": "true"}]
    steps += [
        {"name": f"t{i}", "bash": "true", "dependsOn": [f"t{i - 1}"]} for i in range(1, tasks)
    ]
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {"maxActiveRuns": runs, "tasks": steps},
    }


def wide_dag(name: str, size: int) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {
            "maxActiveTasks": size,
            "tasks": [{"name": f"t{i:05d}", "bash": "true"} for i in range(size)],
        },
    }


def manual_run(name: str, dag: str) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": name},
        "spec": {"dagName": dag},
    }


def wait_read(kube: Kube, namespace: str, dags: list[str], timeout: float) -> None:
    """Until the operator has read every DAG (a big one takes a while to validate)."""
    deadline = time.monotonic() + timeout
    for name in dags:
        while not (kube.get(namespace, "dags", name).get("status") or {}).get("observedGeneration"):
            if time.monotonic() > deadline:
                raise SystemExit(f"the operator did not read DAG {name} in {timeout} s")
            time.sleep(0.2)


def list_runs(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kube.custom.list_namespaced_custom_object(
        "kairflow.io", "v1alpha1", namespace, "dagruns"
    )["items"]
    return items


def run_kib(body: dict[str, Any]) -> float:
    return len(json.dumps(body, separators=(",", ":"))) / 1024


def queued(body: dict[str, Any]) -> int:
    instances = (body.get("status") or {}).get("taskInstances") or {}
    return sum(1 for ti in instances.values() if ti.get("state") == "queued")


def row(operator: Operator, since: float, cpu0: float, settled: int, **more: Any) -> dict[str, Any]:
    return {
        "peak MiB": operator.peak(since) / MIB,
        "settled": settled / MIB,
        "CPU s": cpu_seconds(operator.pid) - cpu0,
        **more,
    }


def idle(operator: Operator) -> dict[str, Any]:
    since, cpu0 = time.monotonic(), cpu_seconds(operator.pid)
    time.sleep(5)  # started, listed, its watches open
    operator.quiet(120)
    return row(operator, since, cpu0, operator.settled(), pods=0, seconds=0.0, **{"run KiB": 0.0})


def active(kube: Kube, operator: Operator, args: argparse.Namespace) -> dict[str, Any]:
    namespace = fresh_namespace(kube, "active")
    since, cpu0 = time.monotonic(), cpu_seconds(operator.pid)
    per_dag = -(-args.runs // args.dags)
    dags = [f"d{i:03d}" for i in range(args.dags)]
    for name in dags:
        kube.create(namespace, "dags", chain_dag(name, args.tasks, per_dag))
    wait_read(kube, namespace, dags, 300)
    names = [
        (f"{dags[i % args.dags]}-r{i // args.dags:03d}", dags[i % args.dags])
        for i in range(args.runs)
    ]
    counter = PodCounter(kube, namespace, args.runs)
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: kube.create(namespace, "dagruns", manual_run(*n)), names))
    counter.done.wait(900)
    wall = time.monotonic() - start
    operator.quiet(300)
    runs = list_runs(kube, namespace)
    running = [r for r in runs if (r.get("status") or {}).get("state") == "running" and queued(r)]
    settled = operator.settled(10)
    print(
        f"active: {len(running)} of {len(runs)} runs running with a queued task; "
        f"{len(counter._seen)} pods",
        flush=True,
    )
    mean_kib = statistics.fmean(run_kib(r) for r in runs) if runs else 0.0
    return row(
        operator,
        since,
        cpu0,
        settled,
        pods=len(counter._seen),
        seconds=wall,
        **{"run KiB": mean_kib},
    )


def drop_namespace(kube: Kube, namespace: str, timeout: float = 300) -> None:
    """Delete a case's namespace and wait until it is gone (its runs and pods with it)."""
    kube.core.delete_namespace(namespace)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kube.core.read_namespace(namespace)
        except client.ApiException as exc:
            if exc.status == 404:
                return
            raise
        time.sleep(1)
    raise SystemExit(f"namespace {namespace} still there after {timeout} s")


def big(kube: Kube, operator: Operator, size: int) -> dict[str, Any]:
    namespace = fresh_namespace(kube, "big")
    since, cpu0 = time.monotonic(), cpu_seconds(operator.pid)
    kube.create(namespace, "dags", wide_dag("wide", size))
    wait_read(kube, namespace, ["wide"], 900)
    counter = PodCounter(kube, namespace, size)
    start = time.monotonic()
    kube.create(namespace, "dagruns", manual_run("wide-1", "wide"))
    counter.done.wait(max(300, size * 0.12))
    wall = time.monotonic() - start
    operator.quiet(300)
    body = kube.get(namespace, "dagruns", "wide-1")
    status = body.get("status") or {}
    settled = operator.settled(10)
    conditions = [
        f"{c.get('type')}={c.get('status')} {c.get('reason') or ''}"
        for c in status.get("conditions") or []
    ]
    print(
        f"big: {len(counter._seen)} of {size} pods in {wall:.1f} s; run {status.get('state')}, "
        f"{queued(body)} queued in its status, {run_kib(body):.0f} KiB; {conditions}",
        flush=True,
    )
    return row(
        operator,
        since,
        cpu0,
        settled,
        pods=len(counter._seen),
        seconds=wall,
        **{"run KiB": run_kib(body)},
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000, help="active runs in all")
    parser.add_argument("--dags", type=int, default=100, help="DAGs the runs are spread over")
    parser.add_argument("--tasks", type=int, default=5, help="tasks per DAG (a chain)")
    parser.add_argument("--size", type=int, default=2000, help="tasks of the big run")
    parser.add_argument("--cases", default="idle,active,big")
    parser.add_argument("--probe", action="store_true", help="print what the cache holds")
    parser.add_argument("--tracemalloc", type=int, default=0, help="frames (with --probe)")
    parser.add_argument(
        "--operator-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="more environment for the operator (e.g. MALLOC_ARENA_MAX=2); repeatable",
    )
    return parser.parse_args()


def main() -> None:
    args = arguments()
    cases = set(args.cases.split(","))
    cluster = LocalCluster()
    info = cluster.start()
    api = config.new_client_from_config(config_file=info.kubeconfig)
    kube = Kube(api=api, kubeconfig=Path(info.kubeconfig))
    apply_crds(kube, ROOT / "crds")
    rows: dict[str, dict[str, Any]] = {}
    operator: Operator | None = None
    try:
        if cases & {"idle", "active"}:
            operator = start_operator(info.kubeconfig, args.runs, args, "active")
            rows["idle"] = idle(operator)
            print(f"idle: {rows['idle']}", flush=True)
            if args.probe:
                probe(operator, "active", "idle")
        if "active" in cases:
            assert operator is not None
            case = f"{args.runs} active runs ({args.dags} DAGs x {args.tasks} tasks)"
            rows[case] = active(kube, operator, args)
            print(f"{case}: {rows[case]}", flush=True)
            if args.probe:
                probe(operator, "active", "active")
        if operator is not None:
            operator.stop()
            operator = None
        if "big" in cases:
            if "active" in cases:
                drop_namespace(kube, "active")
            operator = start_operator(info.kubeconfig, args.size, args, "big")
            rows["idle, before the big run"] = idle(operator)
            case = f"one run of {args.size} tasks"
            rows[case] = big(kube, operator, args.size)
            print(f"{case}: {rows[case]}", flush=True)
            if args.probe:
                probe(operator, "big", "big")
    finally:
        if operator is not None:
            operator.stop()
        cluster.stop()
    report(
        "memory",
        rows,
        unit="operator RSS in MiB (peak over the case; settled once its CPU is quiet), CPU "
        "seconds of the case, pods created, seconds to the last pod, mean run object KiB; "
        "target: settled <= 200 MiB with 1,000 active runs",
    )


if __name__ == "__main__":
    main()
