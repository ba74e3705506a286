"""`runs grid`: runs as columns oldest → newest, tasks as rows in DAG order."""

from __future__ import annotations

import itertools

import pytest

from kairflow.api.dagrun import DagRun, TaskInstanceStatus
from kairflow.cli.views.grid import runs_grid
from tests.unit.cli.views.builders import dag_spec, lines_of, render, run, spec, ti

ETL = spec("extract", "transform", "load", flow=["extract >> transform >> load"])


def daily(
    day: int, instances: dict, *, snapshot: dict | None = ETL, state: str = "success"
) -> DagRun:
    return run(
        instances, snapshot=snapshot, state=state, logical_date=f"2024-03-{day:02d}T00:00:00+00:00"
    )


def row(text: str, label: str) -> str:
    """The cells of the row whose label is `label`, one character per run."""
    line = next(line for line in lines_of(text) if line.split(" ")[0] == label)
    return line[len(label) :].strip().replace(" ", "")


def test_runs_go_oldest_left_and_tasks_follow_the_dag() -> None:
    runs = [
        daily(3, {"load": ti("failed"), "transform": ti(), "extract": ti()}, state="failed"),
        daily(1, {"load": ti(), "transform": ti(), "extract": ti()}),
        daily(2, {"load": ti("running"), "transform": ti(), "extract": ti()}, state="running"),
    ]
    text = render(
        runs_grid(
            dag_spec("extract", "transform", "load", flow=["extract >> transform >> load"]), runs
        )
    )
    lines = lines_of(text)
    assert lines[0].startswith("3 runs, oldest → newest  2024-03-01 00:00 → 2024-03-03 00:00 UTC")
    assert row(text, "run") == "✓►✗"
    assert row(text, "day") == "000"
    assert [line.split(" ")[0] for line in lines[6:9]] == ["extract", "transform", "load"]
    assert row(text, "load") == "✓►✗"


NOT_CREATED = TaskInstanceStatus(map_length=300, map_next=2)
"""A mapped task's record of its 298 instances not created yet (core.map_window)."""


@pytest.mark.parametrize(
    ("instances", "cell"),
    [
        pytest.param(
            {"fan[0]": ti(), "fan[1]": ti("failed"), "fan[2]": ti()},
            "✗3",
            id="a mapped task shows its worst state and its count",
        ),
        pytest.param({"fan[0]": ti(), "fan[1]": ti("skipped")}, "✓2", id="success beats skipped"),
        pytest.param({}, "·", id="a mapped task not expanded yet has no count"),
        pytest.param(
            {"fan[0]": ti(), "fan[1]": ti("running"), "fan": NOT_CREATED},
            "►300",
            id="instances not created yet count in the mapped task's count",
        ),
    ],
)
def test_mapped_cells(instances: dict, cell: str) -> None:
    snapshot = spec({"name": "fan", "bash": "x", "expand": {"items": [1, 2, 3]}})
    text = render(runs_grid(None, [daily(1, instances, snapshot=snapshot)]))
    assert row(text, "fan") == "[]" + cell


def test_tasks_of_older_snapshots_still_appear_and_are_blank_elsewhere() -> None:
    old = daily(1, {"extract": ti(), "legacy": ti("failed")}, snapshot=spec("extract", "legacy"))
    new = daily(2, {"extract": ti(), "transform": ti(), "load": ti()})
    text = render(runs_grid(dag_spec("extract", "transform", "load"), [new, old]))
    labels = [line.split(" ")[0] for line in lines_of(text)[6:10]]
    assert labels == ["extract", "transform", "load", "legacy"]
    legacy = next(line for line in lines_of(text) if line.startswith("legacy"))
    assert legacy.rstrip().endswith("✗") and legacy.count("✗") == 1
    transform = next(line for line in lines_of(text) if line.startswith("transform"))
    assert transform.split()[1:] == ["✓"]  # blank under the old run


@pytest.mark.parametrize(
    ("the_run", "run_symbol", "cells"),
    [
        pytest.param(run(pending=True), "·", "", id="a pending run is a column of blanks"),
        pytest.param(
            daily(1, {"extract": ti("awaiting")}, snapshot=None, state="paused"),
            "?",
            "?",
            id="unknown run and task states are question marks",
        ),
    ],
)
def test_runs_with_little_to_show(the_run: DagRun, run_symbol: str, cells: str) -> None:
    text = render(runs_grid(dag_spec("extract"), [the_run]))
    assert row(text, "run") == run_symbol
    assert row(text, "extract") == cells


def test_without_runs_it_says_so() -> None:
    assert "no runs yet" in render(runs_grid(dag_spec("a"), []))


def test_runs_that_do_not_fit_are_the_oldest_and_are_counted() -> None:
    runs = [daily(d, {"extract": ti("failed" if d == 30 else "success")}) for d in range(1, 31)]
    text = render(runs_grid(None, runs), width=40)
    assert "older runs not shown" in text
    hidden = int(next(line for line in lines_of(text) if "not shown" in line).split()[0])
    shown = row(text, "extract")
    assert len(shown) + hidden == 30
    assert shown.endswith("✗")  # the newest run is kept
    assert all(len(line) <= 40 for line in text.splitlines())


def test_200_tasks_by_25_runs_fit_80_columns() -> None:
    names = [f"task_number_{i:03d}_with_a_long_descriptive_name" for i in range(200)]
    snapshot = spec(*names, flow=[f"{a} >> {b}" for a, b in itertools.pairwise(names)])
    runs = [daily(d, {n: ti() for n in names}, snapshot=snapshot) for d in range(1, 26)]
    text = render(runs_grid(None, runs))  # its speed: bench/, never a timed test
    lines = lines_of(text)
    assert all(len(line) <= 80 for line in lines)
    assert "not shown" not in text
    body = [line for line in lines if line.startswith("task_number_")]
    assert len(body) == 200 and all(line.endswith("✓ " * 24 + "✓") for line in body)
    assert body[0] < body[-1] and "…" in body[0]
