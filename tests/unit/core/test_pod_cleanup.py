"""Which pods of a finished run the pod cleanup policy deletes."""

from __future__ import annotations

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core.pod_cleanup import CleanupPolicy, pods_to_clean_up
from kairflow.core.run_model import ObservedPod, PodPhase


def status(state: DagRunState | None) -> DagRunStatus:
    """extract succeeded on its second try (p-extract-1 failed before), load failed,
    notify is an empty task (no pod)."""
    return DagRunStatus(
        state=state,
        task_instances={
            "extract": TaskInstanceStatus(state=TI.SUCCESS, pod="p-extract-2"),
            "load": TaskInstanceStatus(state=TI.FAILED, pod="p-load-1"),
            "notify": TaskInstanceStatus(state=TI.SUCCESS),
        },
    )


PODS = [
    ObservedPod("p-load-1", PodPhase.FAILED),
    ObservedPod("p-extract-2", PodPhase.SUCCEEDED),
    ObservedPod("p-extract-1", PodPhase.FAILED),
]


@pytest.mark.parametrize(
    ("policy", "state", "pods", "expected"),
    [
        pytest.param("never", DagRunState.SUCCESS, PODS, [], id="never keeps every pod"),
        pytest.param(
            "always",
            DagRunState.FAILED,
            PODS,
            ["p-extract-1", "p-extract-2", "p-load-1"],
            id="always deletes every pod of a finished run, in name order",
        ),
        pytest.param(
            "succeeded",
            DagRunState.FAILED,
            PODS,
            ["p-extract-2"],
            id="succeeded deletes the pods of successful task instances only",
        ),
        pytest.param(
            "always", DagRunState.RUNNING, PODS, [], id="nothing is deleted while the run runs"
        ),
        pytest.param(
            "always", DagRunState.QUEUED, PODS, [], id="nothing is deleted while the run is queued"
        ),
        pytest.param("always", None, PODS, [], id="a run without a state yet keeps its pods"),
        pytest.param(
            "always",
            DagRunState.SUCCESS,
            [ObservedPod("p-load-1", PodPhase.FAILED, deleting=True), *PODS[1:]],
            ["p-extract-1", "p-extract-2"],
            id="pods already being deleted are not deleted again",
        ),
        pytest.param("always", DagRunState.SUCCESS, [], [], id="a run without pods deletes none"),
    ],
)
def test_pods_to_clean_up(
    policy: CleanupPolicy, state: DagRunState | None, pods: list[ObservedPod], expected: list[str]
) -> None:
    assert pods_to_clean_up(policy, status(state), pods) == expected


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            "always",
            ["p-done-cb", "p-extract-1", "p-extract-2", "p-load-1"],
            id="always keeps the pod of a callback still running until it is done",
        ),
        pytest.param(
            "succeeded",
            ["p-done-cb", "p-extract-2"],
            id="succeeded deletes the pods of successful callbacks too",
        ),
    ],
)
def test_callback_pods_outlive_the_run_until_done(
    policy: CleanupPolicy, expected: list[str]
) -> None:
    from kairflow.api.callbacks import CallbackKind, CallbackState, CallbackStatus

    finished = status(DagRunState.FAILED)
    finished.callbacks = [
        CallbackStatus(kind=CallbackKind.ON_FAILURE, state=CallbackState.RUNNING, pod="p-busy-cb"),
        CallbackStatus(kind=CallbackKind.ON_FAILURE, state=CallbackState.SUCCESS, pod="p-done-cb"),
    ]
    pods = [
        *PODS,
        ObservedPod("p-busy-cb", PodPhase.RUNNING),
        ObservedPod("p-done-cb", PodPhase.SUCCEEDED),
    ]
    assert pods_to_clean_up(policy, finished, pods) == expected
