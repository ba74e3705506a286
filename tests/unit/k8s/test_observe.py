"""Reading a pod as the kubelet reports it into the planner's ObservedPod: one row per
outcome, each pod's status as the API returns it, each row checking the whole result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.core.run_model import ObservedPod, PodPhase
from kairflow.k8s.observe import observe_pod

NAME = "tutorial-manual-1-print-date-1"
CREATED = "2026-11-21T12:00:00Z"
STARTED = "2026-11-21T12:00:04Z"
FINISHED = "2026-11-21T12:00:09Z"


def at(second: int) -> datetime:
    return datetime(2026, 11, 21, 12, 0, second, tzinfo=UTC)


def pod(status: dict[str, Any] | None, **metadata: Any) -> dict[str, Any]:
    """A task pod as the API returns it, with `status` as the kubelet wrote it."""
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": NAME,
            "namespace": "team-a",
            "uid": "0d7f4c1e-8a8e-4d35-9a1b-4b6f0f1c2a11",
            "creationTimestamp": CREATED,
            "labels": {"kairflow.io/dag": "tutorial", "kairflow.io/task": "print-date"},
            **metadata,
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "python:3.12-slim"}],
        },
    }
    if status is not None:
        body["status"] = status
    return body


def container(state: dict[str, Any], name: str = "base", **extra: Any) -> dict[str, Any]:
    """One entry of status.containerStatuses."""
    return {
        "name": name,
        "image": "python:3.12-slim",
        "imageID": "",
        "ready": "running" in state,
        "restartCount": 0,
        "started": "running" in state,
        "lastState": {},
        "state": state,
        **extra,
    }


def waiting(reason: str, message: str) -> dict[str, Any]:
    return {
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "True"}],
        "hostIP": "10.0.0.5",
        "startTime": STARTED,
        "containerStatuses": [container({"waiting": {"reason": reason, "message": message}})],
    }


def terminated(phase: str, exit_code: int, reason: str, **extra: Any) -> dict[str, Any]:
    state = {
        "terminated": {
            "exitCode": exit_code,
            "reason": reason,
            "startedAt": STARTED,
            "finishedAt": FINISHED,
            "containerID": "containerd://4f1c",
            **extra,
        }
    }
    return {"phase": phase, "startTime": STARTED, "containerStatuses": [container(state)]}


PULL_DENIED = (
    'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nope:1":'
    " pull access denied, repository does not exist or may require authorization"
)
BAD_NAME = (
    'Failed to apply default image tag "Python 3": couldn\'t parse image reference "Python 3":'
    " invalid reference format"
)
EVICTED = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 88Mi."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            pod(None),
            ObservedPod(NAME, PodPhase.PENDING, created_at=at(0)),
            id="a pod just created has no status yet: pending",
        ),
        pytest.param(
            pod(
                {
                    "phase": "Pending",
                    "qosClass": "BestEffort",
                    "conditions": [
                        {
                            "type": "PodScheduled",
                            "status": "False",
                            "reason": "Unschedulable",
                            "message": "0/3 nodes are available: 3 Insufficient cpu.",
                        }
                    ],
                }
            ),
            ObservedPod(NAME, PodPhase.PENDING, created_at=at(0)),
            id="a pod no node can take is pending, without a reason of its own",
        ),
        pytest.param(
            pod(waiting("ErrImagePull", PULL_DENIED)),
            ObservedPod(
                NAME, PodPhase.PENDING, reason="ErrImagePull", message=PULL_DENIED, created_at=at(0)
            ),
            id="an image that cannot be pulled is pending with ErrImagePull and why",
        ),
        pytest.param(
            pod(waiting("ImagePullBackOff", 'Back-off pulling image "nope:1"')),
            ObservedPod(
                NAME,
                PodPhase.PENDING,
                reason="ImagePullBackOff",
                message='Back-off pulling image "nope:1"',
                created_at=at(0),
            ),
            id="the kubelet backing off an image pull is pending with ImagePullBackOff",
        ),
        pytest.param(
            pod(waiting("InvalidImageName", BAD_NAME)),
            ObservedPod(
                NAME,
                PodPhase.PENDING,
                reason="InvalidImageName",
                message=BAD_NAME,
                created_at=at(0),
            ),
            id="an image name that does not parse is pending with InvalidImageName",
        ),
        pytest.param(
            pod(waiting("CreateContainerConfigError", 'configmap "settings" not found')),
            ObservedPod(
                NAME,
                PodPhase.PENDING,
                reason="CreateContainerConfigError",
                message='configmap "settings" not found',
                created_at=at(0),
            ),
            id="a missing configmap is pending with CreateContainerConfigError",
        ),
        pytest.param(
            pod(
                {
                    "phase": "Running",
                    "podIP": "10.244.0.7",
                    "startTime": STARTED,
                    "containerStatuses": [container({"running": {"startedAt": STARTED}})],
                }
            ),
            ObservedPod(NAME, PodPhase.RUNNING, created_at=at(0), started_at=at(4)),
            id="a running pod has started when its container started",
        ),
        pytest.param(
            pod(terminated("Succeeded", 0, "Completed", message='{"rows": 3}')),
            ObservedPod(
                NAME,
                PodPhase.SUCCEEDED,
                exit_code=0,
                reason="Completed",
                termination_message='{"rows": 3}',
                created_at=at(0),
                started_at=at(4),
                finished_at=at(9),
            ),
            id="a succeeded pod's termination message is the task's XCom",
        ),
        pytest.param(
            pod(terminated("Failed", 1, "Error")),
            ObservedPod(
                NAME,
                PodPhase.FAILED,
                exit_code=1,
                reason="Error",
                created_at=at(0),
                started_at=at(4),
                finished_at=at(9),
            ),
            id="a command that exits 1 fails with exit code 1",
        ),
        pytest.param(
            pod(terminated("Failed", 137, "OOMKilled")),
            ObservedPod(
                NAME,
                PodPhase.FAILED,
                exit_code=137,
                reason="OOMKilled",
                created_at=at(0),
                started_at=at(4),
                finished_at=at(9),
            ),
            id="a container over its memory limit fails OOMKilled with exit code 137",
        ),
        pytest.param(
            pod(
                {
                    **terminated("Failed", 137, "Error"),
                    "reason": "DeadlineExceeded",
                    "message": "Pod was active on the node longer than the specified deadline",
                }
            ),
            ObservedPod(
                NAME,
                PodPhase.FAILED,
                exit_code=137,
                reason="DeadlineExceeded",
                message="Pod was active on the node longer than the specified deadline",
                created_at=at(0),
                started_at=at(4),
                finished_at=at(9),
            ),
            id="a pod past activeDeadlineSeconds fails DeadlineExceeded: the pod's reason wins",
        ),
        pytest.param(
            pod({"phase": "Failed", "reason": "Evicted", "message": EVICTED, "startTime": STARTED}),
            ObservedPod(NAME, PodPhase.FAILED, reason="Evicted", message=EVICTED, created_at=at(0)),
            id="an evicted pod fails Evicted, with no exit code",
        ),
        pytest.param(
            pod(
                {
                    "phase": "Running",
                    "startTime": STARTED,
                    "containerStatuses": [container({"running": {"startedAt": STARTED}})],
                },
                deletionTimestamp="2026-11-21T12:00:30Z",
                deletionGracePeriodSeconds=30,
            ),
            ObservedPod(NAME, PodPhase.RUNNING, created_at=at(0), started_at=at(4), deleting=True),
            id="a pod with a deletion timestamp is being deleted",
        ),
        pytest.param(
            pod(
                {
                    "phase": "Unknown",
                    "reason": "NodeLost",
                    "message": "Node kind-worker which was running pod is unresponsive",
                }
            ),
            ObservedPod(
                NAME,
                PodPhase.UNKNOWN,
                reason="NodeLost",
                message="Node kind-worker which was running pod is unresponsive",
                created_at=at(0),
            ),
            id="a pod on a lost node is in phase Unknown",
        ),
        pytest.param(
            pod({"phase": "Terminating"}),
            ObservedPod(NAME, PodPhase.UNKNOWN, created_at=at(0)),
            id="a phase Kubernetes does not define reads as Unknown",
        ),
        pytest.param(
            pod(
                {
                    "phase": "Running",
                    "startTime": STARTED,
                    "containerStatuses": [
                        container(
                            {"running": {"startedAt": "2026-11-21T12:00:02Z"}}, name="istio-proxy"
                        ),
                        container(
                            {
                                "terminated": {
                                    "exitCode": 2,
                                    "reason": "Error",
                                    "message": "partial",
                                    "startedAt": STARTED,
                                    "finishedAt": FINISHED,
                                }
                            }
                        ),
                        container({"waiting": {"reason": "PodInitializing"}}, name="log-shipper"),
                    ],
                }
            ),
            ObservedPod(
                NAME,
                PodPhase.RUNNING,
                exit_code=2,
                reason="Error",
                termination_message="partial",
                created_at=at(0),
                started_at=at(4),
                finished_at=at(9),
            ),
            id="with sidecars, the base container is the task's, wherever it is listed",
        ),
        pytest.param(
            pod(
                {
                    "phase": "Running",
                    "containerStatuses": [
                        container({"running": {"startedAt": "2026-11-21T12:00:04"}}, name="main")
                    ],
                },
                creationTimestamp="2026-11-21T12:00:00",
            ),
            ObservedPod(NAME, PodPhase.RUNNING, created_at=at(0), started_at=at(4)),
            id="hand-written naive timestamps read as UTC (and a lone container is the task's)",
        ),
        pytest.param(
            pod(
                terminated("Succeeded", 0, "Completed", finishedAt="2026-11-21T13:00:09+01:00"),
                creationTimestamp="2026-11-21T12:00:00.250000Z",
            ),
            ObservedPod(
                NAME,
                PodPhase.SUCCEEDED,
                exit_code=0,
                reason="Completed",
                created_at=at(0).replace(microsecond=250000),
                started_at=at(4),
                finished_at=at(9),
            ),
            id="Z, fractional and offset timestamps read as the instants they name",
        ),
    ],
)
def test_observe_pod(body: dict[str, Any], expected: ObservedPod) -> None:
    assert observe_pod(body) == expected
