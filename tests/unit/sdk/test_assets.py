"""Assets in the SDK, written as in Airflow 3 (and 2's Dataset): a task's outlets, a
DAG scheduled on a list, on `(a | b) & c`, or on time or assets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kairflow.sdk import (
    DAG,
    Asset,
    AssetAll,
    AssetAny,
    AssetOrTimeSchedule,
    BashOperator,
    CronTriggerTimetable,
    Dataset,
    SdkError,
)
from tests.unit.sdk.helpers import manifest_of, tasks_of

A, B, C = Asset("s3://a"), Asset("s3://b"), Dataset("s3://c")
START = datetime(2024, 1, 1)


def spec_for(schedule: Any) -> dict[str, Any]:
    with DAG("d", schedule=schedule, start_date=START) as dag:
        BashOperator(task_id="t", bash_command="true")
    spec: dict[str, Any] = manifest_of(dag)["spec"]
    return {k: spec.get(k) for k in ("schedule", "timetable", "assets")}


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        pytest.param(
            [A, B],
            {"schedule": None, "timetable": None, "assets": {"all": ["s3://a", "s3://b"]}},
            id="a list of assets is all of them",
        ),
        pytest.param(
            (A | B) & C,
            {
                "schedule": None,
                "timetable": None,
                "assets": {"expression": "(s3://a | s3://b) & s3://c"},
            },
            id="(a | b) & c is written as Airflow writes it",
        ),
        pytest.param(
            AssetAny(A, AssetAll(B, C)),
            {
                "schedule": None,
                "timetable": None,
                "assets": {"expression": "s3://a | (s3://b & s3://c)"},
            },
            id="AssetAny and AssetAll as classes",
        ),
        pytest.param(
            A,
            {"schedule": None, "timetable": None, "assets": {"expression": "s3://a"}},
            id="one asset",
        ),
        pytest.param(
            AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 1 * * 3"), assets=A | B),
            {
                "schedule": "0 1 * * 3",
                "timetable": "trigger",
                "assets": {"expression": "s3://a | s3://b"},
            },
            id="asset-or-time keeps the timetable and adds the assets",
        ),
    ],
)
def test_asset_schedules(schedule: Any, expected: dict[str, Any]) -> None:
    assert spec_for(schedule) == expected


def test_outlets_are_uris() -> None:
    with DAG("p", schedule=None) as dag:
        BashOperator(task_id="w", bash_command="true", outlets=[A, C, A])
        BashOperator(task_id="plain", bash_command="true")
    tasks = tasks_of(dag)
    assert tasks["w"]["outlets"] == ["s3://a", "s3://c"]
    assert "outlets" not in tasks["plain"]


def test_an_asset_uri_with_condition_characters_is_refused() -> None:
    with pytest.raises(SdkError, match="no spaces"):
        Asset("s3://a | s3://b")
