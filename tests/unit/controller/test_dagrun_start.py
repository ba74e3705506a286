"""A DagRun's first sync on a fake cluster: it takes its identity from the DAG, or
says why it cannot run — in one line, with one Event, losing nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kairflow.core.dag_versions import read_config_map
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = "2026-03-04T12:30:00Z"


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(utc(NOW))
    yield h
    h.close()


@pytest.mark.parametrize(
    ("dag_spec", "run_spec", "expected"),
    [
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-01-01"},
            {},
            {
                "runId": "manual__2026-03-04T12:30:00+00:00",
                "logicalDate": "2026-03-04T12:30:00+00:00",
                "dataIntervalStart": "2026-03-03T00:00:00+00:00",
                "dataIntervalEnd": "2026-03-04T00:00:00+00:00",
            },
            id="a manual run without a date runs now, over the last complete interval",
        ),
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-01-01", "timezone": "Asia/Seoul"},
            {"logicalDate": "2026-03-02T09:00:00"},
            {
                "runId": "manual__2026-03-02T00:00:00+00:00",
                "logicalDate": "2026-03-02T00:00:00+00:00",
                "dataIntervalStart": "2026-02-28T15:00:00+00:00",
                "dataIntervalEnd": "2026-03-01T15:00:00+00:00",
            },
            id="a naive logical date is a wall time in the DAG's zone",
        ),
        pytest.param(
            {},
            {
                "logicalDate": "2026-03-01T00:00:00Z",
                "dataIntervalStart": "2026-02-01T00:00:00Z",
                "dataIntervalEnd": "2026-03-01T00:00:00Z",
            },
            {
                "runId": "manual__2026-03-01T00:00:00+00:00",
                "logicalDate": "2026-03-01T00:00:00+00:00",
                "dataIntervalStart": "2026-02-01T00:00:00+00:00",
                "dataIntervalEnd": "2026-03-01T00:00:00+00:00",
            },
            id="a data interval given by hand is kept",
        ),
    ],
)
def test_a_run_takes_its_identity_on_its_first_sync(
    harness: ControllerHarness,
    dag_spec: dict[str, Any],
    run_spec: dict[str, Any],
    expected: dict[str, str],
) -> None:
    harness.apply("dags", dag(**dag_spec))
    harness.apply("dagruns", run("r1", **run_spec))
    assert harness.sync_run("r1") is None
    status = harness.status("dagruns", "r1")
    assert {k: status[k] for k in expected} == expected
    assert "dagSpec" not in status  # the spec is in its version, stored once
    version = harness.cluster.objects[("configmaps", NS, status["dagVersion"])]
    assert read_config_map(version)["tasks"][0]["name"] == "extract"
    assert harness.queued()["dagruns"] == [("team", "r1")]  # its first pass comes next


@pytest.mark.parametrize(
    ("dag_spec", "run_spec", "reason", "message", "final"),
    [
        pytest.param(
            None,
            {},
            "DagNotFound",
            "DAG 'etl' not found in namespace team",
            False,
            id="a run of a DAG not there yet waits for it",
        ),
        pytest.param(
            {"maxActiveRuns": "many"},
            {},
            "InvalidRun",
            "cannot run: spec.maxActiveRuns: Input should be a valid integer, "
            "unable to parse string as an integer",
            True,
            id="a run of a DAG that does not validate fails with one line naming the field",
        ),
        pytest.param(
            {"tasks": [{"name": "a", "bash": "x", "dependsOn": ["ghost"]}]},
            {},
            "InvalidRun",
            "cannot run: task 'a' dependsOn: unknown task 'ghost'",
            True,
            id="a run of a DAG with a semantic problem fails with the problem",
        ),
        pytest.param(
            {"params": {"rows": 10}},
            {"conf": {"rows": "ten"}},
            "InvalidRun",
            "cannot run: conf 'rows' must be a number like the param's default, not a string",
            True,
            id="a conf value of the wrong type fails the run with one line",
        ),
        pytest.param(
            {},
            {"mark": {"id": "m1", "tasks": [], "state": "success"}},
            "InvalidRun",
            "cannot run: spec.mark.tasks: List should have at least 1 item after validation, not 0",
            True,
            id="a run whose own spec does not validate fails with one line naming the field",
        ),
    ],
)
def test_a_run_that_cannot_start_says_why_in_one_line(
    harness: ControllerHarness,
    dag_spec: dict[str, Any] | None,
    run_spec: dict[str, Any],
    reason: str,
    message: str,
    final: bool,
) -> None:
    if dag_spec is not None:
        harness.apply("dags", dag(**dag_spec))
    harness.apply("dagruns", run("r1", **run_spec))
    harness.sync_run("r1")
    harness.deliver()
    harness.sync_run("r1")  # a second look posts no second Event
    status = harness.status("dagruns", "r1")
    assert status["message"] == message
    assert status.get("state") == ("failed" if final else None)
    assert harness.events.posted == [("r1", "Warning", reason, message)]
    assert "dagSpec" not in status and "dagVersion" not in status


@pytest.mark.parametrize(
    ("run_spec", "started"),
    [
        pytest.param({}, True, id="a run made by hand is owned by its DAG as it starts"),
        pytest.param(
            {"conf": {"rows": "ten"}}, False, id="so is one refused for good (a bad conf)"
        ),
        pytest.param(
            {"runType": "sometimes"}, False, id="and one whose own spec does not validate"
        ),
    ],
)
def test_a_run_made_by_hand_gets_its_dag_as_owner_in_its_first_sync(
    harness: ControllerHarness, run_spec: dict[str, Any], started: bool
) -> None:
    harness.apply("dags", dag(params={"rows": 10}))
    harness.apply("dagruns", run("r1", **run_spec))
    harness.sync_run("r1")  # one sync: owner patch and status write, no conflict between
    body = harness.cluster.objects[("dagruns", NS, "r1")]
    owners = body["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"]) for o in owners] == [("DAG", "etl")]
    assert ("dagVersion" in body["status"]) is started
    assert body["status"].get("state") == (None if started else "failed")
    assert len(harness.cluster.verbs("replace_status")) == 1


def test_a_waiting_run_starts_when_its_dag_comes(harness: ControllerHarness) -> None:
    harness.apply("dagruns", run("r1"))
    harness.settle()
    harness.apply("dags", dag())
    harness.settle()
    status = harness.status("dagruns", "r1")
    assert status["state"] == "running"
    assert "message" not in status


def test_a_run_refused_for_good_is_not_written_again(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(params={"rows": 10}))
    harness.apply("dagruns", run("r1", conf={"rows": "ten"}))
    harness.sync_run("r1")
    harness.deliver()
    writes = len(harness.cluster.verbs("replace_status"))
    harness.clock.now = utc("2026-03-04T13:00:00Z")
    harness.sync_run("r1")
    assert len(harness.cluster.verbs("replace_status")) == writes
    assert harness.status("dagruns", "r1")["endDate"] == "2026-03-04T12:30:00+00:00"


@pytest.mark.parametrize(
    ("hand_written", "missing"),
    [
        pytest.param(
            {"logicalDate": "2026-03-01T00:00:00Z"},
            "runId, dataIntervalStart, dataIntervalEnd",
            id="a status written by hand with a DAG version but no run id fails, naming it",
        ),
        pytest.param(
            {
                "runId": "manual__x",
                "logicalDate": "2026-03-01T00:00:00Z",
                "dataIntervalStart": "2026-02-28T00:00:00Z",
            },
            "dataIntervalEnd",
            id="one missing field is named alone",
        ),
    ],
)
def test_a_run_whose_status_lacks_its_identity_fails_instead_of_crashing(
    harness: ControllerHarness, hand_written: dict[str, Any], missing: str
) -> None:
    harness.apply("dags", dag())
    harness.apply("dagruns", run("r0"))
    harness.settle()
    version = harness.status("dagruns", "r0")["dagVersion"]
    harness.apply("dagruns", {**run("r1"), "status": {"dagVersion": version, **hand_written}})
    harness.sync_run("r1")
    harness.deliver()
    writes = len(harness.cluster.verbs("replace_status"))
    harness.sync_run("r1")  # failed for good: no second write, no second Event
    assert len(harness.cluster.verbs("replace_status")) == writes
    status = harness.status("dagruns", "r1")
    assert status["state"] == "failed"
    assert f"no {missing} (" in status["message"]
    reasons = [(n, r) for n, _, r, _ in harness.events.posted if n == "r1"]
    assert reasons == [("r1", "InvalidRun")]
    assert not [k for k in harness.cluster.objects if k[0] == "pods" and "r1" in k[2]]
