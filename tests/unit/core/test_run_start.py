"""A run's first sync: its DAG snapshot, run id, logical date and data interval, or
why it cannot run (a DAG that may still come, or a refusal for good)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kairflow.api.dagrun import RunType
from kairflow.core.dag_versions import spec_json, version_name
from kairflow.core.observations import ObservedDag, RequestedDates
from kairflow.core.run_start import RunRefused, RunStart, start_run
from tests.unit.core.observed import DAG, NS, at, dag, interval, spec, wall

NOW = at("2026-03-04T12:30")
DAILY = dag(schedule="@daily", start_date="2026-01-01")
SEOUL = dag(schedule="@daily", start_date="2026-01-01", timezone="Asia/Seoul")


def started(
    the_dag: ObservedDag, logical: str, start: str, end: str, kind: str = "manual"
) -> RunStart:
    assert the_dag.spec is not None
    return RunStart(
        spec=the_dag.spec,
        dag_generation=the_dag.generation,
        dag_version=version_name(the_dag.name, spec_json(the_dag.spec)),
        run_id=f"{kind}__{at(logical).isoformat()}",
        logical_date=at(logical),
        data_interval=interval(start, end),
    )


@pytest.mark.parametrize(
    ("the_dag", "run_type", "requested", "created", "expected"),
    [
        pytest.param(
            DAILY,
            RunType.MANUAL,
            RequestedDates(),
            at("2026-03-04T12:00"),
            started(DAILY, "2026-03-04T12:00", "2026-03-03", "2026-03-04"),
            id="a manual run without a date runs at its creation, over the last whole interval",
        ),
        pytest.param(
            DAILY,
            RunType.MANUAL,
            RequestedDates(),
            None,
            started(DAILY, "2026-03-04T12:30", "2026-03-03", "2026-03-04"),
            id="a run without a date nor a creation time runs now",
        ),
        pytest.param(
            SEOUL,
            RunType.MANUAL,
            RequestedDates(wall("2026-03-02T09:00")),
            at("2026-03-04T12:00"),
            started(SEOUL, "2026-03-02T00:00", "2026-02-28T15:00", "2026-03-01T15:00"),
            id="a naive requested date is read in the DAG's zone",
        ),
        pytest.param(
            DAILY,
            RunType.MANUAL,
            RequestedDates(at("2026-03-02T09:00+09:00")),
            None,
            started(DAILY, "2026-03-02T00:00", "2026-03-01", "2026-03-02"),
            id="an aware requested date keeps its instant",
        ),
        pytest.param(
            dag(timezone="America/New_York"),
            RunType.MANUAL,
            RequestedDates(wall("2026-03-08T02:30")),
            None,
            started(
                dag(timezone="America/New_York"),
                "2026-03-08T07:30",
                "2026-03-08T07:30",
                "2026-03-08T07:30",
            ),
            id="a requested wall time the clocks skip is pushed forward by the gap",
        ),
        pytest.param(
            SEOUL,
            RunType.SCHEDULED,
            RequestedDates(
                wall("2026-02-01T00:00"), wall("2026-02-01T00:00"), wall("2026-03-01T00:00")
            ),
            None,
            started(
                SEOUL,
                "2026-01-31T15:00",
                "2026-01-31T15:00",
                "2026-02-28T15:00",
                kind="scheduled",
            ),
            id="a requested interval is taken as it is, naive ends read in the DAG's zone",
        ),
        pytest.param(
            DAILY,
            RunType.MANUAL,
            RequestedDates(at("2026-03-02T06:00"), at("2026-01-01"), None),
            None,
            started(DAILY, "2026-03-02T06:00", "2026-03-01", "2026-03-02"),
            id="half a requested interval is inferred like none",
        ),
        pytest.param(
            dag(),
            RunType.MANUAL,
            RequestedDates(at("2026-03-02T06:00")),
            None,
            started(dag(), "2026-03-02T06:00", "2026-03-02T06:00", "2026-03-02T06:00"),
            id="a run of a DAG without a schedule covers the instant of its logical date",
        ),
        pytest.param(
            replace(DAILY, generation=7),
            RunType.BACKFILL,
            RequestedDates(at("2026-02-01"), at("2026-02-01"), at("2026-02-02")),
            None,
            started(
                replace(DAILY, generation=7), "2026-02-01", "2026-02-01", "2026-02-02", "backfill"
            ),
            id="the run id names its type and the DAG generation it snapshots is kept",
        ),
    ],
)
def test_a_run_takes_its_identity_on_its_first_sync(
    the_dag: ObservedDag,
    run_type: RunType,
    requested: RequestedDates,
    created: Any,
    expected: RunStart,
) -> None:
    assert start_run(the_dag, DAG, NS, run_type, requested, {}, created, NOW) == expected


INVALID = ObservedDag(NS, DAG, None, problems=("spec.tasks: Field required",))
CYCLE = ObservedDag(NS, DAG, spec(), problems=("cycle: a -> b -> a", "flow: unknown task 'c'"))
FRUITY = dag(params={"fruit": "apple"})
ROWS = dag(params={"rows": {"default": 3, "type": "integer", "maximum": 100}, "table": None})
REQUIRED = dag(params={"table": {"default": None, "type": "string"}})


@pytest.mark.parametrize(
    ("the_dag", "conf", "expected"),
    [
        pytest.param(
            None,
            {},
            RunRefused("DagNotFound", "DAG 'etl' not found in namespace team", final=False),
            id="a run of a DAG not there (yet) waits for it",
        ),
        pytest.param(
            INVALID,
            {},
            RunRefused("InvalidRun", "cannot run: spec.tasks: Field required", final=True),
            id="a run of a DAG whose manifest does not validate is refused for good",
        ),
        pytest.param(
            CYCLE,
            {"fruit": 3},
            RunRefused(
                "InvalidRun", "cannot run: cycle: a -> b -> a; flow: unknown task 'c'", final=True
            ),
            id="a run of an invalid DAG is refused with every problem of the DAG's, only those",
        ),
        pytest.param(
            FRUITY,
            {"fruit": 3, "colour": "red"},
            RunRefused(
                "InvalidRun",
                "cannot run: conf 'fruit' must be a string like the param's default, not a number",
                final=True,
            ),
            id="a conf that does not fit the DAG's params is refused for good",
        ),
        pytest.param(
            ROWS,
            {"rows": 500},
            RunRefused(
                "InvalidRun",
                "cannot run: conf 'rows' must be <= 100, not 500 (param rows: maximum 100)",
                final=True,
            ),
            id="a conf above a param's maximum is refused for good, naming the param",
        ),
        pytest.param(
            REQUIRED,
            {},
            RunRefused(
                "InvalidRun",
                "cannot run: conf 'table' is required (param table has no default)",
                True,
            ),
            id="a run without a required param is refused",
        ),
    ],
)
def test_a_run_that_cannot_run_says_why(
    the_dag: ObservedDag | None, conf: dict[str, Any], expected: RunRefused
) -> None:
    got = start_run(the_dag, DAG, NS, RunType.MANUAL, RequestedDates(), conf, None, NOW)
    assert got == expected


def test_a_conf_with_keys_that_are_not_params_is_accepted() -> None:
    got = start_run(FRUITY, DAG, NS, RunType.MANUAL, RequestedDates(), {"x": 1}, None, NOW)
    assert isinstance(got, RunStart)
