"""latestOnly (Airflow's LatestOnlyOperator): the decision, and its skips in a run."""

from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.api.common import DagRunState
from kairflow.core.latest_only import decide
from kairflow.core.run_info import DataInterval
from tests.unit.core.planner_harness import Simulation, make_run, make_spec


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


THURSDAY = DataInterval(at("2024-01-04T06:00"), at("2024-01-05T06:00"))
JAN_1 = DataInterval(at("2024-01-01T00:00"), at("2024-01-02T00:00"))


@pytest.mark.parametrize(
    ("schedule", "external", "interval", "now", "proceed"),
    [
        pytest.param(
            "@daily", False, JAN_1, "2024-01-02T00:05", True,
            id="the run of yesterday's interval, run today, is the latest",
        ),
        pytest.param(
            "@daily", False, JAN_1, "2024-01-05T00:05", False,
            id="a run caught up days later is not the latest",
        ),
        pytest.param(
            "@daily", False, JAN_1, "2024-01-03T00:00", True,
            id="the end of the following interval still counts",
        ),
        pytest.param(
            "@daily", False, JAN_1, "2024-01-02T00:00", False,
            id="the start of the following interval does not",
        ),
        pytest.param(
            "@daily", False, JAN_1, "2024-03-01T00:00", False,
            id="a backfill of an old interval is not the latest",
        ),
        pytest.param(
            "@daily", True, JAN_1, "2024-03-01T00:00", True,
            id="a manually triggered run always proceeds",
        ),
        pytest.param(
            "@once", False, JAN_1, "2024-03-01T00:00", True,
            id="a run with no following interval proceeds",
        ),
        pytest.param(
            "0 6 * * 1-5", False, THURSDAY,
            "2024-01-06T12:00", True,
            id="over a weekend the following interval runs to Monday",
        ),
    ],
)  # fmt: skip
def test_is_the_run_the_latest(
    schedule: str, external: bool, interval: DataInterval, now: str, proceed: bool
) -> None:
    spec = make_spec(
        [{"name": "latest", "latestOnly": True}], schedule=schedule, startDate="2023-01-01"
    )
    decision = decide(spec, external, interval, at(now))
    assert decision.proceed is proceed, decision.reason


def t(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "bash": "true", **kw}


LATEST_DAG = make_spec(
    [
        {"name": "latest", "latestOnly": True},
        t("notify"),
        t("report"),
        t("always_on"),
        t("cleanup", triggerRule="all_done"),
    ],
    ["latest >> [notify, report] >> cleanup", "always_on >> cleanup"],
    schedule="@daily",
    startDate="2023-01-01",
)


def run_of(run_type: str, now: str, **extra: Any) -> Simulation:
    run = make_run(
        LATEST_DAG,
        run_type=run_type,
        **extra,
        data_interval_start=JAN_1.start,
        data_interval_end=JAN_1.end,
    )
    return Simulation(run, now=at(now))


def test_an_old_scheduled_run_skips_the_direct_downstream_tasks() -> None:
    sim = run_of("scheduled", "2024-01-09T00:00")
    status = sim.run_to_end()
    assert sim.states() == {
        "latest": "success",
        "notify": "skipped",
        "report": "skipped",
        "always_on": "success",
        "cleanup": "success",
    }
    assert status.state == DagRunState.SUCCESS
    latest = status.task_instances["latest"]
    assert latest.xcom == [] and "not the latest run" in (latest.message or "")
    assert status.task_instances["notify"].message == "skipped by latestOnly 'latest'"
    assert "latest" not in {key for _, key in sim.started}  # no pod


def test_the_latest_run_runs_everything() -> None:
    sim = run_of("scheduled", "2024-01-02T01:00")
    sim.run_to_end()
    assert set(sim.states().values()) == {"success"}
    assert sim.status.task_instances["latest"].xcom == ["notify", "report"]


def test_a_manual_run_is_never_skipped() -> None:
    sim = run_of("manual", "2024-06-01T00:00")
    sim.run_to_end()
    assert set(sim.states().values()) == {"success"}


def test_a_dags_test_run_is_checked_like_a_scheduled_one() -> None:
    """Airflow's `dags test` run is manual but not externally triggered."""
    sim = run_of("manual", "2024-06-01T00:00", external_trigger=False)
    sim.run_to_end()
    assert sim.states()["notify"] == "skipped"
