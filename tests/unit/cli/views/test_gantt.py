"""`runs gantt`: bars from start to end on one time axis, queued time drawn apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kairflow.api.dagrun import DagRun
from kairflow.cli.views.gantt import run_gantt
from tests.unit.cli.views.builders import lines_of, render, run, ti

NOW = datetime(2024, 3, 1, 8, 10, tzinfo=UTC)


def bars(text: str) -> dict[str, tuple[int, int, int]]:
    """Per row label: (column where its bar begins, queued cells, running cells)."""
    out = {}
    for line in lines_of(text):
        if "█" in line and not line.startswith("░"):  # not the key line
            label = line.split(" ")[0]
            first = min(i for i, c in enumerate(line) if c in "░█")
            out[label] = (first, line.count("░"), line.count("█"))
    return out


def test_a_task_that_ran_twice_as_long_has_a_bar_twice_as_long() -> None:
    the_run = run(
        {
            "short": ti("success", "08:00:00", "08:02:00"),
            "long": ti("success", "08:02:00", "08:06:00"),
        }
    )
    shown = bars(render(run_gantt(the_run, 80)))
    assert abs(shown["long"][2] - 2 * shown["short"][2]) <= 1
    assert shown["long"][0] == shown["short"][0] + shown["short"][2]  # it starts where short ends


def test_rows_are_ordered_by_start_and_only_started_instances_appear() -> None:
    the_run = run(
        {
            "late": ti("success", "08:05:00", "08:06:00"),
            "waiting": ti("scheduled", try_number=0),
            "early": ti("success", "08:00:00", "08:01:00"),
            "fan[3]": ti("failed", "08:02:00", "08:03:00"),
        }
    )
    assert list(bars(render(run_gantt(the_run, 80)))) == ["early", "fan[3]", "late"]


def test_the_queued_part_is_drawn_apart_before_the_run() -> None:
    the_run = run({"a": ti("success", "08:05:00", "08:10:00", queued="08:00:00")})
    first, queued, ran = bars(render(run_gantt(the_run, 80)))["a"]
    assert (first, abs(queued - ran) <= 1) == (2, True)
    assert queued + ran >= 50


@pytest.mark.parametrize(
    ("now", "duration"),
    [
        pytest.param(NOW, "8m00s+", id="a running task's bar reaches now"),
        pytest.param(None, "2m00s+", id="without now it reaches the latest time known"),
    ],
)
def test_a_running_task(now: datetime | None, duration: str) -> None:
    the_run = run(
        {"done": ti("success", "08:00:00", "08:04:00"), "busy": ti("running", "08:02:00")}
    )
    text = render(run_gantt(the_run, 80, now=now))
    busy = next(line for line in lines_of(text) if line.startswith("busy"))
    assert busy.endswith(duration)
    assert bars(text)["busy"][0] + bars(text)["busy"][2] >= bars(text)["done"][2]


def test_the_axis_says_when_it_starts_and_ends_and_how_long_it_spans() -> None:
    the_run = run(
        {
            "a": ti("success", "2024-03-01T09:00:00.123456+01:00", "2024-03-01T08:00:30Z"),
            "b": ti("success", "2024-03-01T08:00:30Z", "2024-03-01T08:01:00"),
        }
    )
    lines = lines_of(render(run_gantt(the_run, 80)))
    assert lines[-3].strip().startswith("├") and lines[-3].endswith("┤")
    assert lines[-2].split() == ["08:00:00", "1m00s", "08:01:00"]
    assert "(UTC)" in lines[-1]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_long_names_are_cut_and_lines_fit_the_width(width: int) -> None:
    long = "load_every_single_partition_into_the_warehouse_before_midnight"
    the_run = run(
        {
            f"{long}[12]": ti("failed", "08:00:00", "08:01:00"),
            long: ti("success", "08:00:00", "08:00:30"),
        }
    )
    text = render(run_gantt(the_run, width), width=width)
    assert all(len(line) <= width for line in text.splitlines())
    assert long not in text and "…[12]" in text


@pytest.mark.parametrize(
    ("the_run", "expected"),
    [
        pytest.param(run(pending=True), "no task instance has started yet", id="a pending run"),
        pytest.param(
            run({"a": ti("queued", try_number=0)}),
            "no task instance has started yet",
            id="a run whose tasks have not started",
        ),
        pytest.param(
            run({"a": ti("awaiting", "08:00:00")}), "█", id="an unknown state still has a bar"
        ),
        pytest.param(
            run({"a": ti("success", "not a time")}),
            "no task instance has started yet",
            id="an unreadable time is treated as missing",
        ),
    ],
)
def test_runs_with_little_to_show(the_run: DagRun, expected: str) -> None:
    assert expected in render(run_gantt(the_run, 80))
