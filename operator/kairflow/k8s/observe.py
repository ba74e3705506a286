"""Reading Kubernetes objects into the core's plain data (no API calls here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kairflow.core.pod_builder import BASE_CONTAINER
from kairflow.core.run_model import ObservedPod, PodPhase


def parse_time(text: str | None) -> datetime | None:
    """An API timestamp; a hand-written naive one is read as UTC."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def instant(text: str) -> datetime:
    """`parse_time` for a timestamp that must be there."""
    moment = parse_time(text)
    if moment is None:
        raise ValueError("empty timestamp")
    return moment


def owner_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    """The controller owner reference to `owner` (its garbage collection takes ours)."""
    return {
        "apiVersion": owner.get("apiVersion"),
        "kind": owner.get("kind"),
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _main_container(status: Mapping[str, Any]) -> Mapping[str, Any]:
    statuses = status.get("containerStatuses") or []
    for item in statuses:
        if item.get("name") == BASE_CONTAINER:
            return dict(item)
    return dict(statuses[0]) if statuses else {}


def observe_pod(pod: Mapping[str, Any]) -> ObservedPod:
    """What the planner needs from a pod: phase, exit code, reason, XCom, times."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    container = _main_container(status)
    state = container.get("state") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    running = state.get("running") or {}
    try:
        phase = PodPhase(status.get("phase") or "Pending")
    except ValueError:
        phase = PodPhase.UNKNOWN
    # A pod-level reason (Evicted, DeadlineExceeded) says more than the container's.
    reason = status.get("reason") or terminated.get("reason") or waiting.get("reason")
    message = status.get("message") or waiting.get("message")
    return ObservedPod(
        name=str(meta.get("name")),
        phase=phase,
        exit_code=terminated.get("exitCode"),
        reason=reason,
        message=message,
        termination_message=terminated.get("message"),
        created_at=parse_time(meta.get("creationTimestamp")),
        started_at=parse_time(running.get("startedAt") or terminated.get("startedAt")),
        finished_at=parse_time(terminated.get("finishedAt")),
    )
