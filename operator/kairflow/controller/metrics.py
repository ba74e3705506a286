"""Prometheus metrics of the operator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.times import parse_time

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.runs = Gauge("kairflow_dag_runs", "DAG runs known, by state", ["state"], registry=r)
        self.runs_finished = Counter(
            "kairflow_dag_runs_finished_total", "DAG runs finished", ["dag", "state"], registry=r
        )
        self.task_duration = Histogram(
            "kairflow_task_instance_duration_seconds",
            "Task instance try durations",
            ["dag", "state"],
            buckets=_SECONDS,
            registry=r,
        )
        self.scheduling_delay = Histogram(
            "kairflow_scheduling_delay_seconds",
            "Pod created minus the moment its dependencies were met",
            buckets=_SECONDS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "kairflow_queue_depth", "Keys waiting for a sync", ["queue"], registry=r
        )
        self.syncs = Counter("kairflow_syncs_total", "Syncs run", ["kind", "result"], registry=r)
        self.shard_dags = Gauge(
            "kairflow_shard_dags", "DAGs this replica owns (KAIRFLOW_SHARDS)", registry=r
        )
        self.shard_members = Gauge(
            "kairflow_shard_replicas",
            "Replicas with a live Lease, as this one sees them",
            registry=r,
        )

    def watch_queue(self, name: str, depth: Callable[[], int]) -> None:
        """The queue-depth gauge reads the queue when scraped."""
        self.queue_depth.labels(name).set_function(depth)

    def watch_shard(self, owned: Callable[[], int], members: Callable[[], int]) -> None:
        """The shard gauges read this replica's view when scraped."""
        self.shard_dags.set_function(lambda: float(owned()))
        self.shard_members.set_function(lambda: float(members()))

    def watch_runs(self, states: Callable[[], dict[str, int]]) -> None:
        """Runs-by-state, computed from the operator's cache when scraped."""

        def collect(state: str) -> Callable[[], float]:
            return lambda: float(states().get(state, 0))

        for state in ("pending", "queued", "running", "success", "failed"):
            self.runs.labels(state).set_function(collect(state))

    def run_finished(self, dag: str, status: DagRunStatus) -> None:
        """Count a run that has just finished, and its task instances' durations."""
        if status.state is None:
            return
        self.runs_finished.labels(dag, status.state.value).inc()
        for ti in status.task_instances.values():
            started, ended = parse_time(ti.start_date), parse_time(ti.end_date)
            if started and ended and ti.state in (TI.SUCCESS, TI.FAILED):
                self.task_duration.labels(dag, ti.state.value).observe(
                    (ended - started).total_seconds()
                )

    def serve(self, port: int) -> None:
        if port:
            start_http_server(port, registry=self.registry)
