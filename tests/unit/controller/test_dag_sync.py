"""The DAG controller's sync on a fake cluster: given these DAGs and runs at this
time, it creates these runs, writes this status and wakes up then."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(utc("2026-03-04T12:30:00Z"))
    yield h
    h.close()


@pytest.mark.parametrize(
    ("spec", "existing", "created", "wake"),
    [
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-03-01"},
            [],
            ["2026-03-01", "2026-03-02", "2026-03-03"],
            "2026-03-05T00:00:00Z",
            id="a daily DAG with catchup makes every missed day, then sleeps until the next",
        ),
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-03-01", "catchup": False},
            [],
            ["2026-03-03"],
            "2026-03-05T00:00:00Z",
            id="without catchup only the latest interval runs",
        ),
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-03-01", "maxActiveRuns": 2},
            [],
            ["2026-03-01", "2026-03-02"],
            "2026-03-05T00:00:00Z",
            id="maxActiveRuns caps the runs one pass makes",
        ),
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-03-01", "paused": True},
            [],
            [],
            None,
            id="a paused DAG makes no run and sets no timer",
        ),
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-03-01"},
            [run("etl-backfill", runType="backfill", logicalDate="2026-03-02T00:00:00Z")],
            ["2026-03-01", "2026-03-03"],
            "2026-03-05T00:00:00Z",
            id="a date that has a backfill run gets no scheduled run",
        ),
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-03-01", "timezone": "Asia/Seoul"},
            [run("by-hand", logicalDate="2026-03-02T00:00:00")],
            ["2026-03-01", "2026-03-03"],
            "2026-03-04T15:00:00Z",
            id="a manual run at a naive date is read in the DAG's zone and takes that date",
        ),
        pytest.param(
            {"tasks": [{"name": "t", "bash": "true"}]},
            [],
            [],
            None,
            id="a DAG without a schedule makes no run",
        ),
    ],
)
def test_the_scheduler_creates_the_runs_that_are_due(
    harness: ControllerHarness,
    spec: dict[str, Any],
    existing: list[dict[str, Any]],
    created: list[str],
    wake: str | None,
) -> None:
    harness.apply("dags", dag(**spec))
    for body in existing:
        harness.apply("dagruns", body)
    before = set(harness.cluster.names("dagruns", NS))
    wake_at = harness.sync_dag("etl")
    made = sorted(set(harness.cluster.names("dagruns", NS)) - before)
    days = sorted(
        harness.cluster.objects[("dagruns", NS, name)]["spec"]["logicalDate"] for name in made
    )
    zone_days = [d[:10] if not spec.get("timezone") else _local_day(d) for d in days]
    assert zone_days == created
    assert wake_at == (utc(wake) if wake else None)


def _local_day(stamp: str) -> str:
    from zoneinfo import ZoneInfo

    return utc(stamp).astimezone(ZoneInfo("Asia/Seoul")).date().isoformat()


def test_a_second_pass_creates_nothing_new(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(schedule="@daily", startDate="2026-03-01"))
    harness.sync_dag("etl")
    harness.deliver()
    creates = len(harness.cluster.verbs("create"))
    harness.sync_dag("etl")
    assert len(harness.cluster.verbs("create")) == creates


def test_an_invalid_dag_says_why_once(harness: ControllerHarness) -> None:
    harness.apply(
        "dags", dag(schedule="@daily", tasks=[{"name": "a", "bash": "x", "dependsOn": ["nope"]}])
    )
    harness.sync_dag("etl")
    harness.deliver()
    harness.sync_dag("etl")
    ready = harness.status("dags", "etl")["conditions"][0]
    assert (ready["type"], ready["status"], ready["reason"]) == ("Ready", "False", "InvalidDag")
    assert "nope" in ready["message"] and "\n" not in ready["message"]
    assert harness.events.reasons() == ["InvalidDag"]


def test_a_schema_error_is_one_line_naming_the_field(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(schedule="@daily", maxActiveRuns="many"))
    harness.sync_dag("etl")
    message = harness.status("dags", "etl")["conditions"][0]["message"]
    assert message.startswith("spec.maxActiveRuns: ")
    assert "\n" not in message and "http" not in message


def test_history_keeps_the_newest_successful_runs(harness: ControllerHarness) -> None:
    h = ControllerHarness(harness.clock(), successful_runs_history=1)
    h.apply("dags", dag())
    for day in ("01", "02", "03"):
        body = run(f"r{day}", logicalDate=f"2026-03-{day}T00:00:00Z")
        body["status"] = {
            "state": "success",
            "logicalDate": f"2026-03-{day}T00:00:00+00:00",
            "endDate": f"2026-03-{day}T01:00:00+00:00",
        }
        h.apply("dagruns", body)
    h.sync_dag("etl")
    assert h.cluster.names("dagruns", NS) == ["r03"]
    h.close()


def test_a_dag_deleted_while_its_sync_runs_is_no_sync_error(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(schedule="@daily", startDate="2026-03-01", paused=True))
    del harness.cluster.objects[("dags", NS, "etl")]  # its DELETED event not delivered yet
    assert harness.sync_dag("etl") is None


def test_a_zero_timeout_is_the_dags_condition_and_event_naming_the_limit(
    harness: ControllerHarness,
) -> None:
    harness.apply(
        "dags", dag(schedule="@daily", tasks=[{"name": "a", "bash": "x", "executionTimeout": "0s"}])
    )
    harness.sync_dag("etl")
    ready = harness.status("dags", "etl")["conditions"][0]
    assert (ready["type"], ready["status"]) == ("Ready", "False")
    assert ready["message"] == (
        "spec.tasks.0.executionTimeout: Value error, must be longer than 0s (got 0s)"
    )
    assert harness.events.reasons() == ["InvalidDag"]
    assert harness.cluster.verbs("create") == []  # no run of a DAG that cannot run
