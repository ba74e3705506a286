"""Which pods of a finished run to delete: the operator's pod cleanup policy.

`never` keeps pods until the run itself is deleted (so `kubectl logs` keeps
working), `succeeded` deletes the pods of successful task instances, `always`
every pod of the run. Decided again on every sync of a finished run, so a cleanup
cut short (operator killed, API error) is completed by the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from kairflow.api.callbacks import CallbackState
from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.naming import pod_name
from kairflow.core.run_model import ObservedPod, SealBlock

CleanupPolicy = Literal["never", "succeeded", "always"]


def pods_to_clean_up(
    policy: CleanupPolicy, status: DagRunStatus, pods: Iterable[ObservedPod]
) -> list[str]:
    if policy == "never" or status.state is None or not status.state.finished:
        return []
    succeeded = {
        ti.pod
        for ti in status.task_instances.values()
        if ti.state == TaskInstanceState.SUCCESS and ti.pod
    }
    succeeded |= {c.pod for c in status.callbacks if c.state == CallbackState.SUCCESS and c.pod}
    # A callback still running outlives its run's end: its pod goes once it is done.
    busy = {c.pod for c in status.callbacks if not c.state.finished and c.pod}
    return sorted(
        pod.name
        for pod in pods
        if not pod.deleting
        and pod.name not in busy
        and (policy == "always" or pod.name in succeeded)
    )


def sealed_pods(policy: CleanupPolicy, run: str, seals: Iterable[SealBlock]) -> SealedPods:
    """The pods of instances just sealed (`sealed_blocks`): the operator stops
    watching them (they have ended and their instances are recorded), and deletes
    now those the policy would delete at the run's end, when it no longer holds them
    (`succeeded`: a successful try's; `always`: every try's)."""
    forget: list[str] = []
    delete: list[str] = []
    for seal in seals:
        for record in seal.records.values():
            index, tries = record.get("mapIndex"), int(record.get("tryNumber") or 0)
            names = [pod_name(run, seal.task, t, index) for t in range(1, tries + 1)]
            last = record.get("pod")
            if isinstance(last, str) and last not in names:
                names.append(last)
            forget += names
            if policy == "always":
                delete += names
            elif policy == "succeeded" and record.get("state") == "success" and last:
                delete.append(str(last))
    return SealedPods(tuple(delete), tuple(forget))


@dataclass(frozen=True)
class SealedPods:
    delete: tuple[str, ...]
    forget: tuple[str, ...]
