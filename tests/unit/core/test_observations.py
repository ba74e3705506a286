"""What the controller sees of DAGs and runs: a run's dates read in its DAG's zone,
whether it is in flight, a DAG's zone and validity, a snapshot's slots and past."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kairflow.core.observations import ObservedDag, ObservedRun, SlotUse, snapshot_facts
from kairflow.core.run_info import DataInterval
from tests.unit.core.observed import (
    DAG,
    FAILED,
    NS,
    QUEUED,
    RUNNING,
    SUCCESS,
    at,
    interval,
    run,
    spec,
)

SEOUL, NEW_YORK = ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("the_run", "zone", "expected"),
    [
        pytest.param(
            run(
                "r",
                logical="2026-01-01",
                requested="2026-02-01T00:00",
                created="2026-03-01",
            ),
            SEOUL,
            at("2026-01-01"),
            id="a resolved logical date wins over the requested one and the creation time",
        ),
        pytest.param(
            run("r", requested="2026-01-02T09:00", created="2026-03-01"),
            SEOUL,
            at("2026-01-02T00:00"),
            id="a naive requested date is a wall time in the DAG's zone",
        ),
        pytest.param(
            run("r", requested="2026-01-02T09:00+09:00"),
            NEW_YORK,
            at("2026-01-02T00:00"),
            id="an aware requested date keeps its instant whatever the DAG's zone",
        ),
        pytest.param(
            run("r", requested="2026-03-08T02:30"),
            NEW_YORK,
            at("2026-03-08T07:30"),
            id="a requested wall time the clocks skip reads as its first run does (03:30 EDT)",
        ),
        pytest.param(
            run("r", created="2026-03-01T10:00"),
            SEOUL,
            at("2026-03-01T10:00"),
            id="a run that asks for no date is dated by its creation",
        ),
        pytest.param(run("r"), SEOUL, None, id="a run without any date has none"),
    ],
)
def test_logical_date_in(the_run: ObservedRun, zone: ZoneInfo, expected: datetime | None) -> None:
    assert the_run.logical_date_in(zone) == expected


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        pytest.param(
            ("2026-01-01T09:00", "2026-01-02T09:00"),
            interval("2026-01-01", "2026-01-02"),
            id="a naive requested interval is read in the DAG's zone",
        ),
        pytest.param(
            ("2026-01-01T00:00+00:00", "2026-01-02T09:00"),
            interval("2026-01-01", "2026-01-02"),
            id="an aware end keeps its instant, a naive one is a wall time",
        ),
        pytest.param(("2026-01-01T09:00", None), None, id="half an interval is none"),
        pytest.param((None, "2026-01-01T09:00"), None, id="the other half is none too"),
    ],
)
def test_requested_interval_in(asked: Any, expected: DataInterval | None) -> None:
    assert run("r", requested_interval=asked).requested_interval_in(SEOUL) == expected


@pytest.mark.parametrize(
    ("the_run", "finished", "in_flight"),
    [
        pytest.param(run("r"), False, True, id="a run not synced yet is in flight"),
        pytest.param(run("r", state=QUEUED), False, True, id="a queued run is in flight"),
        pytest.param(run("r", state=RUNNING), False, True, id="a running run is in flight"),
        pytest.param(run("r", state=SUCCESS), True, False, id="a successful run has finished"),
        pytest.param(run("r", state=FAILED), True, False, id="a failed run has finished"),
        pytest.param(
            run("r", state=FAILED, clear_pending=True),
            True,
            True,
            id="a finished run with a clear pending is about to run again: in flight",
        ),
    ],
)
def test_finished_and_in_flight(the_run: ObservedRun, finished: bool, in_flight: bool) -> None:
    assert (the_run.finished, the_run.in_flight) == (finished, in_flight)


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        pytest.param("Asia/Seoul", "Asia/Seoul", id="a DAG's zone is its timezone"),
        pytest.param("Mars/Olympus", "UTC", id="an unknown zone reads as UTC"),
        pytest.param("", "UTC", id="an empty zone reads as UTC"),
        pytest.param("America", "UTC", id="a zone that names a folder of zones reads as UTC"),
        pytest.param("../../etc/passwd", "UTC", id="a path is no zone"),
        pytest.param(None, "UTC", id="a DAG whose manifest does not validate is read in UTC"),
    ],
)
def test_dag_zone(timezone: str | None, expected: str) -> None:
    the_spec = None if timezone is None else spec(timezone=timezone)
    assert ObservedDag(NS, DAG, the_spec).zone == ZoneInfo(expected)


@pytest.mark.parametrize(
    ("the_dag", "valid"),
    [
        pytest.param(ObservedDag(NS, DAG, spec()), True, id="a DAG with a spec and no problem"),
        pytest.param(
            ObservedDag(NS, DAG, spec(), problems=("cycle: a -> a",)),
            False,
            id="a DAG with a problem is invalid",
        ),
        pytest.param(
            ObservedDag(NS, DAG, None), False, id="a DAG without a spec is invalid, even silent"
        ),
    ],
)
def test_dag_validity(the_dag: ObservedDag, valid: bool) -> None:
    assert the_dag.valid is valid


@pytest.mark.parametrize(
    ("fields", "slots", "waits"),
    [
        pytest.param(
            {"tasks": [{"name": "a", "bash": "x"}]},
            {"a": SlotUse("default_pool", 1)},
            False,
            id="a plain task takes one slot of the default pool and waits on nothing",
        ),
        pytest.param(
            {
                "defaults": {"pool": "shared", "poolSlots": 2},
                "tasks": [
                    {"name": "a", "bash": "x"},
                    {"name": "b", "bash": "x", "pool": "db", "poolSlots": 3},
                ],
            },
            {"a": SlotUse("shared", 2), "b": SlotUse("db", 3)},
            False,
            id="pools and pool slots come from the task, else from the DAG's defaults",
        ),
        pytest.param(
            {
                "tasks": [
                    {"name": "a", "bash": "x"},
                    {"name": "b", "bash": "x", "dependsOnPast": True},
                ]
            },
            {"a": SlotUse("default_pool", 1), "b": SlotUse("default_pool", 1)},
            True,
            id="one task with dependsOnPast makes the run wait on its past",
        ),
        pytest.param(
            {"tasks": [{"name": "a", "bash": "x", "waitForDownstream": True}]},
            {"a": SlotUse("default_pool", 1)},
            True,
            id="waitForDownstream waits on the past too",
        ),
        pytest.param(
            {"defaults": {"dependsOnPast": True}, "tasks": [{"name": "a", "bash": "x"}]},
            {"a": SlotUse("default_pool", 1)},
            True,
            id="dependsOnPast from the DAG's defaults",
        ),
        pytest.param(
            {
                "defaults": {"dependsOnPast": True},
                "tasks": [{"name": "a", "bash": "x", "dependsOnPast": False}],
            },
            {"a": SlotUse("default_pool", 1)},
            False,
            id="a task that turns the default dependsOnPast off does not wait",
        ),
    ],
)
def test_snapshot_facts(fields: dict[str, Any], slots: dict[str, SlotUse], waits: bool) -> None:
    facts = snapshot_facts(spec(**fields))
    assert (dict(facts.slots), facts.waits_on_past) == (slots, waits)
