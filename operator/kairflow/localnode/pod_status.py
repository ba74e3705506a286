"""A pod's status as a kubelet computes it (pure: from container states to phase,
conditions and the object written through `pods/status`).

Phase follows the kubelet's getPhase: Pending until every container has started
(or while init containers run), Running while one runs, then Succeeded when all
ended with 0 or Failed when one did not (restartPolicy Never; with OnFailure a
failed container restarts and the pod stays Running, with Always it always does).
A failed init container fails the pod under restartPolicy Never.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kairflow.core.times import kube_time

HOST_IP = "127.0.0.1"

ContainerStatus = Mapping[str, Any]


def _terminated(item: ContainerStatus) -> Mapping[str, Any] | None:
    value: Mapping[str, Any] | None = (item.get("state") or {}).get("terminated")
    return value


def _restarting(item: ContainerStatus) -> bool:
    waiting = (item.get("state") or {}).get("waiting")
    return waiting is not None and (item.get("lastState") or {}).get("terminated") is not None


def init_failed(restart_policy: str, init: Sequence[ContainerStatus]) -> bool:
    return restart_policy == "Never" and any(
        (t := _terminated(item)) is not None and t.get("exitCode") != 0 for item in init
    )


def initialized(init: Sequence[ContainerStatus]) -> bool:
    return all((t := _terminated(item)) is not None and t.get("exitCode") == 0 for item in init)


def phase(
    restart_policy: str, init: Sequence[ContainerStatus], containers: Sequence[ContainerStatus]
) -> str:
    """The kubelet's getPhase (pkg/kubelet/kubelet_pods.go)."""
    if init_failed(restart_policy, init):
        return "Failed"
    if not initialized(init):
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for item in containers:
        state = item.get("state") or {}
        if state.get("running") is not None:
            running += 1
        elif (terminated := _terminated(item)) is not None:
            stopped += 1
            succeeded += terminated.get("exitCode") == 0
        elif _restarting(item):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(kind: str, ok: bool, reason: str | None, message: str | None) -> dict[str, Any]:
    condition: dict[str, Any] = {"type": kind, "status": "True" if ok else "False"}
    if not ok and reason:
        condition["reason"] = reason
        if message:
            condition["message"] = message
    return condition


def conditions(
    pod_phase: str,
    init: Sequence[ContainerStatus],
    containers: Sequence[ContainerStatus],
    previous: Iterable[Mapping[str, Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    """PodScheduled, Initialized, ContainersReady and Ready; a condition keeps its
    lastTransitionTime while its status stays the same."""
    unready = [str(c.get("name")) for c in containers if not c.get("ready")]
    incomplete = [
        str(c.get("name")) for c in init if (t := _terminated(c)) is None or t.get("exitCode") != 0
    ]
    done = pod_phase in ("Succeeded", "Failed")
    ready_reason = "PodCompleted" if done else "ContainersNotReady"
    ready_message = None if done else f"containers with unready status: [{' '.join(unready)}]"
    fresh = [
        _condition("PodScheduled", True, None, None),
        _condition(
            "Initialized",
            not incomplete,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(incomplete)}]",
        ),
        _condition("ContainersReady", not unready, ready_reason, ready_message),
        _condition("Ready", not unready, ready_reason, ready_message),
    ]
    before = {str(c.get("type")): c for c in previous}
    for condition in fresh:
        old = before.get(condition["type"])
        same = old is not None and old.get("status") == condition["status"]
        condition["lastProbeTime"] = None
        condition["lastTransitionTime"] = (
            old.get("lastTransitionTime") if same and old is not None else None
        ) or kube_time(now)
    return fresh


def pod_status(
    restart_policy: str,
    start_time: datetime,
    init: Sequence[ContainerStatus],
    containers: Sequence[ContainerStatus],
    previous_conditions: Iterable[Mapping[str, Any]],
    now: datetime,
    reason: str | None = None,
    message: str | None = None,
    forced_phase: str | None = None,
) -> dict[str, Any]:
    """The whole status the agent owns (sent as a merge patch: lists replaced)."""
    computed = forced_phase or phase(restart_policy, init, containers)
    status: dict[str, Any] = {
        "phase": computed,
        "conditions": conditions(computed, init, containers, previous_conditions, now),
        "hostIP": HOST_IP,
        "podIP": HOST_IP,
        "podIPs": [{"ip": HOST_IP}],
        "startTime": kube_time(start_time),
        "containerStatuses": [dict(c) for c in containers],
        "reason": reason,
        "message": message,
    }
    if init:
        status["initContainerStatuses"] = [dict(c) for c in init]
    return status
