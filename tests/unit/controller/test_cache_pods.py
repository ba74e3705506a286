"""A pod is cached as what the operator reads back from it: the planner's reading of
the cached pod is its reading of the whole pod, for every outcome a pod can report
and for a pod as the operator builds it (every label and annotation it sets)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.api.dag import TaskSpec
from kairflow.controller.cache import pod_observation
from kairflow.core.pod_builder import build_pod
from kairflow.core.templating import RenderedTask
from kairflow.k8s.observe import observe_pod
from tests.unit.k8s.test_observe import (
    BAD_NAME,
    CREATED,
    EVICTED,
    FINISHED,
    STARTED,
    container,
    pod,
    terminated,
    waiting,
)


def built(status: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    """A task pod as the operator builds it and the API returns it."""
    body = build_pod(
        namespace="team-a",
        dag_name="tutorial",
        dagrun_name="tutorial-manual-1",
        dagrun_uid="u1",
        run_id="manual__2026-11-21T12:00:00+00:00",
        logical_date=datetime(2026, 11, 21, 12, tzinfo=UTC),
        task=TaskSpec(name="print_date", bash="date"),
        rendered=RenderedTask(bash="date"),
        try_number=2,
        map_index=3,
        default_image="python:3.12-slim",
        execution_timeout_seconds=60,
    )
    body["metadata"].update(uid="0d7f", resourceVersion="7", creationTimestamp=CREATED, **metadata)
    return {**body, "status": status}


SIDECARS = {
    "phase": "Running",
    "startTime": STARTED,
    "containerStatuses": [
        container({"running": {"startedAt": "2026-11-21T12:00:02Z"}}, name="istio-proxy"),
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
    ],
}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(pod(None), id="a pod with no status yet"),
        pytest.param(built({"phase": "Pending", "qosClass": "BestEffort"}), id="a pending pod"),
        pytest.param(built(waiting("InvalidImageName", BAD_NAME)), id="a pod waiting with why"),
        pytest.param(
            built(
                {
                    "phase": "Running",
                    "containerStatuses": [container({"running": {"startedAt": STARTED}})],
                }
            ),
            id="a running pod",
        ),
        pytest.param(
            built(terminated("Succeeded", 0, "Completed", message='{"rows": 3}')),
            id="a succeeded pod with its XCom",
        ),
        pytest.param(
            built(
                {
                    **terminated("Failed", 137, "Error"),
                    "reason": "DeadlineExceeded",
                    "message": "late",
                }
            ),
            id="a pod past its deadline, with a reason of its own",
        ),
        pytest.param(
            built({"phase": "Failed", "reason": "Evicted", "message": EVICTED}),
            id="an evicted pod",
        ),
        pytest.param(built(SIDECARS), id="a pod with a sidecar listed first"),
        pytest.param(
            built(SIDECARS, deletionTimestamp="2026-11-21T12:00:30Z"), id="a pod being deleted"
        ),
    ],
)
def test_the_cached_pod_reads_as_the_whole_pod(body: dict[str, Any]) -> None:
    assert observe_pod(pod_observation(body)) == observe_pod(body)


def test_a_cached_pod_keeps_no_labels_annotations_spec_or_conditions() -> None:
    body = built({**waiting("ErrImagePull", "denied"), "qosClass": "BestEffort"})
    kept = pod_observation(body)
    assert set(kept) == {"metadata", "status"}
    assert set(kept["metadata"]) == {"name", "namespace", "creationTimestamp"}
    assert set(kept["status"]) == {"phase", "containerStatuses"}
    assert [set(c) for c in kept["status"]["containerStatuses"]] == [{"name", "state"}]
