"""The CLI's asset views: `kairflow assets list` rows, the schedule column of
`dags list` and what `dags show` says a DAG on assets waits on, and
`next-execution` of a DAG on assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kairflow.cli.assets import asset_row
from kairflow.cli.dags_list import schedule_cell, waits_on
from tests.cli import error_line, kairflow


def asset(events: list[dict[str, Any]], count: int | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"events": events}
    if events:
        status["lastEventTime"] = events[-1]["timestamp"]
    if count is not None:
        status["eventCount"] = count
    return {"metadata": {"name": "s3-a-abc"}, "spec": {"uri": "s3://a"}, "status": status}


@pytest.mark.parametrize(
    ("body", "wide", "row"),
    [
        pytest.param(
            asset([{"id": "1", "timestamp": "T1", "sourceDagId": "p", "sourceTaskId": "w"}], 7),
            False,
            ["s3://a", "T1", "7", "p.w"],
            id="an asset last updated by a task names the DAG and task",
        ),
        pytest.param(
            asset([{"id": "1", "timestamp": "T2"}], 1),
            True,
            ["s3://a", "T2", "1", "external", "s3-a-abc"],
            id="an event emitted from outside is external; wide adds the object's name",
        ),
        pytest.param(asset([]), False, ["s3://a", "", "", ""], id="an asset with no events"),
    ],
)
def test_an_assets_row(body: dict[str, Any], wide: bool, row: list[str]) -> None:
    assert asset_row(body, wide) == row


@pytest.mark.parametrize(
    ("spec", "cell"),
    [
        pytest.param({"schedule": "@daily"}, "@daily", id="a DAG on a timetable"),
        pytest.param({"assets": {"all": ["s3://a"]}}, "assets", id="a DAG on assets"),
        pytest.param(
            {"schedule": "@daily", "assets": {"any": ["s3://a"]}},
            "@daily or assets",
            id="a DAG on time or assets",
        ),
        pytest.param({}, "None", id="a manual DAG"),
    ],
)
def test_the_schedule_column(spec: dict[str, Any], cell: str) -> None:
    assert schedule_cell(spec) == cell


def test_show_says_which_assets_a_dag_waits_on() -> None:
    status = {"queuedAssetEvents": {"s3://a": 2, "s3://b": 0}}
    assert waits_on(status) == "s3://a (2 queued), s3://b (waiting)"


def test_next_execution_of_a_dag_on_assets_only(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "apiVersion: kairflow.io/v1alpha1\nkind: DAG\nmetadata: {name: d}\nspec:\n"
        "  assets: {expression: '(s3://a | s3://b) & s3://c'}\n"
        "  tasks: [{name: t, bash: 'true'}]\n"
    )
    result = kairflow("dags", "next-execution", str(path))
    assert result.exit_code == 0
    assert "assets: (s3://a | s3://b) & s3://c" in result.stdout
    assert "it runs when its assets are updated" in result.stdout


def test_emit_refuses_an_expression_as_a_uri() -> None:
    result = kairflow("assets", "emit", "s3://a | s3://b", "--kubeconfig", "/nonexistent")
    assert "is not an asset URI" in error_line(result)


def test_emit_refuses_extra_that_is_not_an_object() -> None:
    result = kairflow("assets", "emit", "s3://a", "--extra", "[1]", "--kubeconfig", "/nonexistent")
    assert "a JSON object is needed" in error_line(result)
