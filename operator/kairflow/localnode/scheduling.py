"""Which pods the node agent takes, and in what order (pure: no API calls).

There is no kube-scheduler next to the development node agent, so it binds pods to
its own Node itself, through the `pods/binding` subresource, like a scheduler. It
only takes pods that are meant for it, so it never steals pods on a real cluster:

- a pod without `spec.nodeName` whose `spec.schedulerName` is `kairflow-localnode`;
- with `--claim-default-scheduler` (the local dev stack, which has no scheduler):
  also a pod without `spec.nodeName` whose schedulerName is `default-scheduler`
  (what a pod gets when it names no scheduler);
- with `--namespace`, only unbound pods of those namespaces;
- and every pod whose `spec.nodeName` already is this node, whoever bound it.

Capacity is a number of pods at once. A pod that finds no free slot stays Pending
(unbound, with condition PodScheduled=False reason Unschedulable, as kube-scheduler
writes it) until one frees; slots go to pods already assigned to the node first,
then to the others, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SCHEDULER_NAME = "kairflow-localnode"
DEFAULT_SCHEDULER = "default-scheduler"
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})

Pod = Mapping[str, Any]


def meta(pod: Pod) -> Mapping[str, Any]:
    return pod.get("metadata") or {}


def spec(pod: Pod) -> Mapping[str, Any]:
    return pod.get("spec") or {}


def status(pod: Pod) -> Mapping[str, Any]:
    return pod.get("status") or {}


def uid(pod: Pod) -> str:
    return str(meta(pod).get("uid"))


def key(pod: Pod) -> str:
    """`namespace/name`, for messages."""
    return f"{meta(pod).get('namespace')}/{meta(pod).get('name')}"


def is_terminal(pod: Pod) -> bool:
    return status(pod).get("phase") in TERMINAL_PHASES


def is_deleting(pod: Pod) -> bool:
    return bool(meta(pod).get("deletionTimestamp"))


def has_started(pod: Pod) -> bool:
    """The pod's status says a container of it ran (on some earlier agent)."""
    if status(pod).get("phase") == "Running":
        return True
    statuses = [
        *(status(pod).get("initContainerStatuses") or []),
        *(status(pod).get("containerStatuses") or []),
    ]
    for item in statuses:
        state = item.get("state") or {}
        last = item.get("lastState") or {}
        if state.get("running") or state.get("terminated") or last.get("terminated"):
            return True
    return False


def claimable(pod: Pod, schedulers: frozenset[str], namespaces: Iterable[str] = ()) -> bool:
    """An unbound pod this agent may bind (see the module docstring)."""
    allowed = tuple(namespaces)
    return (
        not spec(pod).get("nodeName")
        and (spec(pod).get("schedulerName") or DEFAULT_SCHEDULER) in schedulers
        and (not allowed or meta(pod).get("namespace") in allowed)
        and not is_deleting(pod)
        and not is_terminal(pod)
    )


def oldest_first(pods: Iterable[Pod]) -> list[Pod]:
    return sorted(
        pods,
        key=lambda p: (
            str(meta(p).get("creationTimestamp") or ""),
            str(meta(p).get("namespace")),
            str(meta(p).get("name")),
        ),
    )


@dataclass(frozen=True)
class Placement:
    start: list[Pod]
    """Assigned to this node already: start them."""
    bind: list[Pod]
    """Unbound and claimable: bind them to this node, then start them."""
    waiting: list[Pod]
    """Unbound and claimable, but no slot is free: they stay Pending."""


def place(assigned: Iterable[Pod], unbound: Iterable[Pod], free: int) -> Placement:
    """Hand out `free` slots: assigned pods first, then unbound ones, oldest first.
    Assigned pods without a slot simply wait (they are ours already)."""
    free = max(free, 0)
    mine = oldest_first(assigned)
    others = oldest_first(unbound)
    start = mine[:free]
    free -= len(start)
    return Placement(start=start, bind=others[:free], waiting=others[free:])


def unschedulable_message(capacity: int) -> str:
    """kube-scheduler's wording for a full node."""
    return f"0/1 nodes are available: 1 Too many pods (capacity {capacity})."
