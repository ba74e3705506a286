"""Operator settings. Every field can be set by a flag of `kairflow operator` or by
the environment variable named in its metadata (flags win)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from kairflow.api.peering import DEFAULT_PEERING
from kairflow.api.types import parse_duration
from kairflow.core.dag_defaults import DagDefaults
from kairflow.core.mapping import DEFAULT_WINDOW, MAX_MAP_LENGTH
from kairflow.core.status_size import DEFAULT_LIMIT
from kairflow.core.task_instance_slices import DEFAULT_BUDGET as SLICE_BUDGET

DEFAULT_POOL_SLOTS = 128  # Airflow's default_pool


def _env(name: str) -> dict[str, Any]:
    return {"env": name}


@dataclass(frozen=True)
class OperatorSettings:
    namespaces: tuple[str, ...] = field(default=(), metadata=_env("KAIRFLOW_NAMESPACES"))
    """Namespaces to watch (comma-separated in the env var); empty: all namespaces."""
    parallelism: int = field(default=32, metadata=_env("KAIRFLOW_PARALLELISM"))
    """Task instances running at once across all DAGs (Airflow's [core] parallelism)."""
    pools: dict[str, int] = field(default_factory=dict, metadata=_env("KAIRFLOW_POOLS"))
    """The default pools, e.g. "db=2,api=5" (default_pool has 128 slots unless set),
    shared by all namespaces; a Pool object of the same name in a DAG's namespace
    wins for that namespace's DAGs (see core.pools)."""
    default_image: str = field(default="python:3.12-slim", metadata=_env("KAIRFLOW_DEFAULT_IMAGE"))
    """Image for tasks that name none (neither the task nor the DAG's defaults)."""
    startup_timeout: timedelta = field(
        default=timedelta(minutes=5), metadata=_env("KAIRFLOW_STARTUP_TIMEOUT")
    )
    """A pod Pending longer than this fails its try."""
    render_budget: timedelta = field(
        default=timedelta(seconds=2), metadata=_env("KAIRFLOW_RENDER_BUDGET")
    )
    """CPU time one task instance's templates may take to render; more fails the task
    (a DAG author's runaway loop must not hold the operator)."""
    successful_runs_history: int = field(default=50, metadata=_env("KAIRFLOW_SUCCESS_HISTORY"))
    """Finished successful DagRuns kept per DAG (like CronJob's history limits)."""
    failed_runs_history: int = field(default=50, metadata=_env("KAIRFLOW_FAILED_HISTORY"))
    """Finished failed DagRuns kept per DAG."""
    run_ttl: timedelta | None = field(default=None, metadata=_env("KAIRFLOW_RUN_TTL"))
    """Also delete finished runs older than this (unset: keep by count only)."""
    pod_cleanup: str = field(default="never", metadata=_env("KAIRFLOW_POD_CLEANUP"))
    """Delete task pods when their run finishes: never | succeeded | always. Pods are
    otherwise deleted with their run (owner references), keeping `kubectl logs`."""
    metrics_port: int = field(default=9090, metadata=_env("KAIRFLOW_METRICS_PORT"))
    """Prometheus metrics on http://0.0.0.0:PORT/metrics (0 disables)."""
    liveness_port: int = field(default=8080, metadata=_env("KAIRFLOW_LIVENESS_PORT"))
    """kopf liveness probe on http://0.0.0.0:PORT/healthz (0 disables)."""
    workers: int = field(default=8, metadata=_env("KAIRFLOW_WORKERS"))
    """Concurrent syncs per resource kind (DAGs: KAIRFLOW_DAG_WORKERS)."""
    dag_workers: int = field(default=256, metadata=_env("KAIRFLOW_DAG_WORKERS"))
    """Concurrent DAG syncs: at least as many as DAGs due the same second. A DAG sync
    is a few milliseconds of CPU and two or three API round trips (the run's create,
    then the DAG's status), so a DAG that waits for a worker waits for others' status
    writes; with a worker each, every create is asked at once and the API limiter
    (KAIRFLOW_API_PARALLELISM) orders them. Workers are cheap (an idle coroutine each).
    200 DAGs due at once, latest run created after (bench/schedule_burst.py): 8 workers
    2.6 s, 64: 1.1-1.3 s, 128: 1.3 s, 256: 0.7-0.9 s."""
    api_parallelism: int = field(default=32, metadata=_env("KAIRFLOW_API_PARALLELISM"))
    """API requests (pod creates, status writes...) in flight at once."""
    api_qps: float = field(default=0.0, metadata=_env("KAIRFLOW_API_QPS"))
    """Client-side limit on API requests a second (client-go's QPS, Argo's --qps);
    0 (the default): no limit beyond KAIRFLOW_API_PARALLELISM."""
    api_burst: int = field(default=0, metadata=_env("KAIRFLOW_API_BURST"))
    """Requests allowed at once above KAIRFLOW_API_QPS (0: as many as the QPS)."""
    max_run_status_kib: int = field(
        default=DEFAULT_LIMIT // 1024, metadata=_env("KAIRFLOW_MAX_RUN_STATUS_KIB")
    )
    """A run whose records (its status and task instance slices, in all) would pass
    this starts no task instance (condition TooLarge): a status that cannot be
    written must never leave pods unrecorded."""
    max_map_length: int = field(default=MAX_MAP_LENGTH, metadata=_env("KAIRFLOW_MAX_MAP_LENGTH"))
    """Instances a mapped task may have (Airflow's `[core] max_map_length`); more
    fail the task, naming the count and the limit."""
    map_window: int = field(default=DEFAULT_WINDOW, metadata=_env("KAIRFLOW_MAP_WINDOW"))
    """Unfinished instances a mapped task has at a time; the rest wait as a count on
    the task's record and are created as earlier ones finish (core.map_window), so a
    task mapped over 100,000 items costs what its window costs."""
    task_instance_slice_kib: int = field(
        default=SLICE_BUDGET // 1024, metadata=_env("KAIRFLOW_TASK_INSTANCE_SLICE_KIB")
    )
    """Task instances a run keeps in its own status, and in each TaskInstanceSlice
    once they outgrow it (KiB of JSON; see core.task_instance_slices)."""
    peering: str = field(default="", metadata=_env("KAIRFLOW_PEERING"))
    """kopf peering name: replicas with the same name elect one active operator. Empty
    (the default): no peering, for a single replica; `--standby` implies "kairflow"."""
    standby: bool = field(default=False, metadata=_env("KAIRFLOW_STANDBY"))
    """Start with a low priority: wait while another replica is active."""
    shards: bool = field(default=False, metadata=_env("KAIRFLOW_SHARDS"))
    """Replicas share the DAGs (docs/sharding.md): each announces itself with a Lease
    and syncs only the DAGs (and their runs, Backfills, pods) it owns. Off (the
    default): one replica does everything (active/standby with KAIRFLOW_PEERING)."""
    shard_identity: str = field(default="", metadata=_env("KAIRFLOW_SHARD_IDENTITY"))
    """This replica's name among the shards; empty: the host name (a pod's name)."""
    shard_namespace: str = field(default="", metadata=_env("KAIRFLOW_SHARD_NAMESPACE"))
    """Where the replicas' Leases live; empty: the first watched namespace, or
    "default" for an operator of all namespaces (the chart sets its own namespace)."""
    shard_lease_duration: timedelta = field(
        default=timedelta(seconds=15), metadata=_env("KAIRFLOW_SHARD_LEASE_DURATION")
    )
    """A replica whose Lease is not renewed for this long is gone; its DAGs move to the
    others a third of this later. Renewals every fifth of it."""
    shard_pod_uid: str = field(default="", metadata=_env("KAIRFLOW_SHARD_POD_UID"))
    """The operator pod's uid (the chart's downward API): the Lease is owned by the pod,
    so Kubernetes deletes it with the pod. Empty: no owner (outside a cluster)."""
    catchup_by_default: bool = field(default=True, metadata=_env("KAIRFLOW_CATCHUP_BY_DEFAULT"))
    """catchup of a DAG that does not say (Airflow's [scheduler] catchup_by_default)."""
    dags_are_paused_at_creation: bool = field(
        default=False, metadata=_env("KAIRFLOW_DAGS_ARE_PAUSED_AT_CREATION")
    )
    """Pause a DAG the operator sees for the first time, once (Airflow's [core]
    dags_are_paused_at_creation); a DAG's isPausedUponCreation wins."""

    def __post_init__(self) -> None:
        if self.pod_cleanup not in ("never", "succeeded", "always"):
            raise ValueError(f"pod cleanup {self.pod_cleanup!r}: use never, succeeded or always")
        if self.shards and self.standby:
            raise ValueError("shards and standby exclude each other: every shard is active")
        if self.shard_lease_duration < timedelta(seconds=3):
            raise ValueError("a shard Lease lasts at least 3s")
        if self.map_window < 1:
            raise ValueError(
                f"KAIRFLOW_MAP_WINDOW={self.map_window}: a mapped task needs at least 1 "
                "instance at a time"
            )

    @property
    def peering_name(self) -> str:
        """The peering name used when peering is on (`--standby` or KAIRFLOW_PEERING)."""
        return self.peering or DEFAULT_PEERING

    @property
    def shard_identity_or_host(self) -> str:
        return self.shard_identity or socket.gethostname()

    @property
    def shard_lease_namespace(self) -> str:
        return self.shard_namespace or (self.namespaces[0] if self.namespaces else "default")

    @property
    def dag_defaults(self) -> DagDefaults:
        return DagDefaults(self.catchup_by_default, self.dags_are_paused_at_creation)

    def pool_slots(self) -> dict[str, int]:
        return {"default_pool": DEFAULT_POOL_SLOTS, **self.pools}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> OperatorSettings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            name = item.metadata["env"]
            raw = env.get(name)
            if raw is not None and raw != "":
                try:
                    values[item.name] = _parse(item.name, raw)
                except ValueError as exc:
                    raise ValueError(f"{name}={raw!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def parse_pools(text: str) -> dict[str, int]:
    pools: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, slots = part.partition("=")
        if not name or not slots.isdigit():
            raise ValueError(f"invalid pool {part!r}: use name=slots, e.g. db=2")
        pools[name.strip()] = int(slots)
    return pools


def _boolean(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false, on or off")


_TEXT = {"default_image", "pod_cleanup", "peering", "shard_identity", "shard_namespace"}
_TEXT |= {"shard_pod_uid"}


def _parse(name: str, raw: str) -> Any:
    if name == "namespaces":
        return tuple(n.strip() for n in raw.split(",") if n.strip())
    if name == "pools":
        return parse_pools(raw)
    if name in ("startup_timeout", "run_ttl", "render_budget", "shard_lease_duration"):
        return parse_duration(raw)
    if name == "api_qps":
        try:
            qps = float(raw)
        except ValueError:
            raise ValueError("use a number of requests a second, e.g. 50") from None
        if not qps >= 0:  # negative, or NaN
            raise ValueError("use 0 for no limit, or a positive number")
        return qps
    if name == "standby":
        return raw.lower() in ("1", "true", "yes")
    if name in ("catchup_by_default", "dags_are_paused_at_creation"):
        return _boolean(raw)
    if name == "shards":
        return _boolean(raw)
    if name in _TEXT:
        return raw
    if not raw.strip().isdigit():
        raise ValueError("use a whole number")
    return int(raw)
