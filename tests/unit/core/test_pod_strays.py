"""Pods no task instance waits on are deleted, level-triggered: every pass asks
again until they are gone (a delete cut short by a restart is not forgotten)."""

from __future__ import annotations

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core.planner import plan
from kairflow.core.run_model import DeletePod, ObservedPod, PodPhase
from tests.unit.core.planner_harness import T0, make_run, make_spec

RUN = make_run(make_spec([{"name": "a", "bash": "true"}, {"name": "b", "bash": "true"}]))


def status(state: DagRunState, **tis: tuple[TI, str | None]) -> DagRunStatus:
    return DagRunStatus(
        state=state,
        start_date=T0.isoformat(),
        run_id=RUN.run_id,
        logical_date=T0.isoformat(),
        data_interval_start=T0.isoformat(),
        data_interval_end=T0.isoformat(),
        task_instances={
            key: TaskInstanceStatus(
                state=s, pod=pod, try_number=1, max_tries=2, queued_at=T0.isoformat()
            )
            for key, (s, pod) in tis.items()
        },
    )


def pod(name: str, phase: PodPhase, deleting: bool = False) -> ObservedPod:
    return ObservedPod(name=name, phase=phase, created_at=T0, deleting=deleting)


R = DagRunState.RUNNING


@pytest.mark.parametrize(
    ("saved", "pods", "deleted"),
    [
        pytest.param(
            status(R, a=(TI.UP_FOR_RETRY, "p-a-1"), b=(TI.RUNNING, "p-b-1")),
            [pod("p-a-1", PodPhase.PENDING), pod("p-b-1", PodPhase.RUNNING)],
            ["p-a-1"],
            id="a pod still pending after its try failed (an image error) is deleted",
        ),
        pytest.param(
            status(R, a=(TI.QUEUED, "p-a-1"), b=(TI.RUNNING, "p-b-1")),
            [pod("p-a-1", PodPhase.PENDING), pod("p-b-1", PodPhase.RUNNING)],
            [],
            id="the pods of queued and running task instances are kept",
        ),
        pytest.param(
            status(R, a=(TI.SUCCESS, "p-a-1"), b=(TI.FAILED, "p-b-1")),
            [pod("p-a-1", PodPhase.SUCCEEDED), pod("p-b-1", PodPhase.FAILED)],
            [],
            id="pods that ended are kept (their logs), whatever their task instance",
        ),
        pytest.param(
            status(R, a=(TI.NONE, "p-a-1"), b=(TI.RUNNING, "p-b-1")),
            [pod("p-a-1", PodPhase.RUNNING), pod("p-b-1", PodPhase.RUNNING)],
            ["p-a-1"],
            id="the running pod of a task instance cleared by hand is deleted",
        ),
        pytest.param(
            status(R, a=(TI.UP_FOR_RETRY, "p-a-1"), b=(TI.RUNNING, "p-b-1")),
            [pod("p-a-1", PodPhase.PENDING, deleting=True), pod("p-b-1", PodPhase.RUNNING)],
            [],
            id="a pod being deleted is not asked again",
        ),
        pytest.param(
            status(DagRunState.FAILED, a=(TI.SKIPPED, "p-a-1"), b=(TI.SKIPPED, "p-b-1")),
            [
                pod("p-a-1", PodPhase.RUNNING),
                pod("p-b-1", PodPhase.PENDING),
                pod("x", PodPhase.UNKNOWN),
            ],
            ["p-a-1", "p-b-1", "x"],
            id="every pod of a finished run that still runs is deleted",
        ),
    ],
)
def test_pods_no_task_instance_waits_on_are_deleted(
    saved: DagRunStatus, pods: list[ObservedPod], deleted: list[str]
) -> None:
    result = plan(RUN, saved, pods, T0)
    asked = sorted(a.name for a in result.actions if isinstance(a, DeletePod))
    assert asked == deleted
