"""Settings of the development node agent (`kairflow localnode`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kairflow.localnode.scheduling import DEFAULT_SCHEDULER, SCHEDULER_NAME

DEFAULT_NODE_NAME = "kairflow-local"


def default_workdir(node_name: str) -> Path:
    """Stable across restarts, so a restarted agent finds what the last one left."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kairflow" / "localnode" / node_name


@dataclass(frozen=True)
class NodeSettings:
    """What `kairflow localnode` flags set; tests use short intervals."""

    node_name: str = DEFAULT_NODE_NAME
    """The Node's name (also its `kubernetes.io/hostname` label and Lease name)."""
    capacity: int = 16
    """Pods running at once (the Node's `pods` capacity). Others wait, unbound."""
    claim_default_scheduler: bool = False
    """Also bind pods whose schedulerName is `default-scheduler` (for a cluster
    without kube-scheduler, such as the local dev stack). Never on a real cluster."""
    namespaces: tuple[str, ...] = ()
    """Bind only pending pods of these namespaces (empty: every namespace). Pods
    already assigned to this node are always run."""
    workdir: Path | None = None
    """Pod directories (working dir, logs, termination messages) and the log
    server's certificate. Default: `default_workdir(node_name)`."""
    port: int = 0
    """The log server's port on 127.0.0.1 (0: any free port; the Node says which)."""
    kubeconfig: Path | None = None
    """Default: $KUBECONFIG read when the agent starts, else ~/.kube/config."""
    heartbeat_interval: float = 10.0
    """How often the Lease is renewed and the Ready condition's heartbeat refreshed."""
    lease_duration_seconds: int = 40
    default_grace_seconds: int = 30
    """terminationGracePeriodSeconds for pods that do not say."""
    shutdown_grace_seconds: float = 10.0
    """On agent shutdown, running pods get at most this long after SIGTERM."""
    config_retry_seconds: float = 5.0
    """How often a pod waiting on a missing ConfigMap/Secret is retried."""
    restart_backoff_seconds: float = 10.0
    """First wait before restarting a container (restartPolicy OnFailure/Always);
    it doubles per restart, up to 5 minutes, as a kubelet's CrashLoopBackOff."""
    poll_interval: float = 0.05
    """How often running processes are checked (exit, deadline, grace)."""
    request_timeout: float = 30.0
    """Client-side timeout of one API call (watches have their own)."""
    extra_labels: dict[str, str] = field(default_factory=dict)

    def resolved_workdir(self) -> Path:
        return self.workdir or default_workdir(self.node_name)

    def schedulers(self) -> frozenset[str]:
        if self.claim_default_scheduler:
            return frozenset({SCHEDULER_NAME, DEFAULT_SCHEDULER})
        return frozenset({SCHEDULER_NAME})
