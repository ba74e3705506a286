"""What `kairflow tasks clear|mark` lists before it asks, which runs a DAG's date range
picks, and the ids of the requests it writes. No cluster: runs are the API's dicts."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import ClearRequest, MarkRequest
from kairflow.cli.confirm import confirm
from kairflow.cli.errors import EXIT_ABORTED, EXIT_USAGE, UserError
from kairflow.cli.task_selection import parse_bound, preview, runs_in_range
from kairflow.cli.tasks_mark import split_tasks_and_state
from kairflow.core.interventions import cleared_keys, marked_keys
from kairflow.requests.errors import RequestError
from kairflow.requests.task_selection import (
    RunTasks,
    Selected,
    check_patterns,
    count_words,
    request_id,
    select,
)
from tests.cli import error_line, kairflow

# extract >> transform >> [load, report]; extract >> audit
SPEC = {
    "tasks": [
        {"name": "extract", "bash": "true"},
        {"name": "transform", "bash": "true", "dependsOn": ["extract"]},
        {"name": "load", "bash": "true", "dependsOn": ["transform"]},
        {"name": "report", "bash": "true", "dependsOn": ["transform"]},
        {"name": "audit", "bash": "true", "dependsOn": ["extract"]},
    ]
}
STATES = {
    "extract": ("success", 1),
    "transform": ("failed", 2),
    "load": ("upstream_failed", 0),
    "report": ("upstream_failed", 0),
    "audit": ("success", 1),
}


def run(name: str = "etl-1", *, started: bool = True, **spec: Any) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if started:
        status = {
            "dagSpec": SPEC,
            # Sorted by key, as the API server returns a map.
            "taskInstances": {
                key: {"state": state, "tryNumber": tries}
                for key, (state, tries) in sorted(STATES.items())
            },
        }
    return {"metadata": {"name": name}, "spec": {"dagName": "etl", **spec}, "status": status}


def cleared(**request: Any) -> list[tuple[str, str, int]]:
    clear = ClearRequest(id="1", **request)
    selected = select([RunTasks.of(run())], lambda s, g: cleared_keys(s, g, clear))
    return [(s.key, s.state, s.try_number) for s in selected]


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        pytest.param(
            {"tasks": ["transform"]},
            [("transform", "failed", 2)],
            id="clearing one task lists only that task instance",
        ),
        pytest.param(
            {"tasks": ["transform"], "downstream": True},
            [
                ("transform", "failed", 2),
                ("load", "upstream_failed", 0),
                ("report", "upstream_failed", 0),
            ],
            id="clearing with downstream lists the task and everything after it",
        ),
        pytest.param(
            {"tasks": ["load"], "upstream": True},
            [("extract", "success", 1), ("transform", "failed", 2), ("load", "upstream_failed", 0)],
            id="clearing with upstream lists the task and everything before it",
        ),
        pytest.param(
            {"only_failed": True},
            [
                ("transform", "failed", 2),
                ("load", "upstream_failed", 0),
                ("report", "upstream_failed", 0),
            ],
            id="clearing only failed leaves the successful instances out, in DAG order",
        ),
        pytest.param(
            {"tasks": ["*t"], "only_failed": True},
            [("report", "upstream_failed", 0)],
            id="a pattern and only failed together narrow to both",
        ),
    ],
)
def test_the_clear_preview_lists_what_the_operator_will_clear(
    request_fields: dict[str, Any], expected: list[tuple[str, str, int]]
) -> None:
    assert cleared(**request_fields) == expected


def test_the_clear_preview_lists_the_setup_and_teardown_of_the_work() -> None:
    spec = {
        "tasks": [
            {"name": "create", "bash": "true", "setup": True},
            {"name": "work", "bash": "true", "dependsOn": ["create"]},
            {"name": "delete", "bash": "true", "teardown": True, "dependsOn": ["create", "work"]},
        ]
    }
    status = {
        "dagSpec": spec,
        "taskInstances": {k: {"state": "success"} for k in ("create", "delete", "work")},
    }
    runs = [RunTasks.of({"metadata": {"name": "r"}, "spec": {"dagName": "d"}, "status": status})]
    clear = ClearRequest(id="1", tasks=["work"])
    selected = select(runs, lambda s, g: cleared_keys(s, g, clear))
    assert [s.key for s in selected] == ["create", "work", "delete"]


def test_the_mark_preview_lists_the_named_tasks() -> None:
    mark = MarkRequest(id="1", tasks=["load", "rep*"], state=TaskInstanceState.SUCCESS)
    selected = select([RunTasks.of(run())], lambda s, g: marked_keys(s, g, mark))
    assert [s.key for s in selected] == ["load", "report"]


def test_the_preview_lists_mapped_instances_by_index_in_dag_order() -> None:
    spec = {
        "tasks": [
            {"name": "split", "bash": "true"},
            {"name": "part", "bash": "true", "dependsOn": ["split"], "expand": {"items": [1, 2]}},
        ]
    }
    keys = ["part[0]", "part[10]", "part[2]", "split"]  # the API's (string) order
    status = {
        "dagSpec": spec,
        "taskInstances": {
            k: {"state": "failed", "mapIndex": int(k[5:-1])} if "[" in k else {"state": "success"}
            for k in keys
        },
    }
    mapped = RunTasks.of({"metadata": {"name": "r"}, "spec": {"dagName": "d"}, "status": status})
    clear = ClearRequest(id="1")
    selected = select([mapped], lambda s, g: cleared_keys(s, g, clear))
    assert [s.key for s in selected] == ["split", "part[0]", "part[2]", "part[10]"]


def test_a_run_that_has_not_started_has_nothing_to_clear() -> None:
    clear = ClearRequest(id="1")
    assert select([RunTasks.of(run(started=False))], lambda s, g: cleared_keys(s, g, clear)) == []


def test_the_preview_table_shows_run_task_instance_state_and_try() -> None:
    out = Console(file=io.StringIO(), width=120, no_color=True)
    out.print(
        preview(
            [Selected("etl-1", "transform", "failed", 2), Selected("etl-2", "m[3]", "success", 1)]
        )
    )
    lines = [line.split() for line in out.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    assert lines == [
        ["RUN", "TASK", "INSTANCE", "STATE", "TRY"],
        ["etl-1", "transform", "failed", "2"],
        ["etl-2", "m[3]", "success", "1"],
    ]


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        pytest.param(["transfrom"], "'transfrom' matches no task", id="a typo in a task name"),
        pytest.param(
            ["load", "x*", "y"],
            "'x*', 'y' matches no task",
            id="every pattern that matches nothing",
        ),
    ],
)
def test_a_pattern_matching_no_task_names_the_dags_tasks(patterns: list[str], message: str) -> None:
    with pytest.raises(RequestError) as raised:
        check_patterns(patterns, ["extract", "transform", "load"], "etl")
    assert str(raised.value) == f"{message} of DAG 'etl' (its tasks: extract, transform, load)"


def test_patterns_that_all_match_pass() -> None:
    check_patterns(["load", "ex*"], ["extract", "transform", "load"], "etl")


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


RUNS = [
    run("jan-3", logicalDate="2024-01-03T00:00:00Z"),
    run("jan-1", logicalDate="2024-01-01T00:00:00Z"),
    run("jan-2", logicalDate="2024-01-02T00:00:00+00:00"),
    {**run("other-jan-2", logicalDate="2024-01-02T00:00:00Z"), "spec": {"dagName": "other"}},
    run("tokyo-jan-2", logicalDate="2024-01-02T08:00:00+09:00"),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(
            None,
            None,
            ["jan-1", "tokyo-jan-2", "jan-2", "jan-3"],
            id="no bounds: every run of the DAG, oldest first",
        ),
        pytest.param(
            "2024-01-02", None, ["jan-2", "jan-3"], id="from a day includes that day's midnight run"
        ),
        pytest.param(
            None,
            "2024-01-02",
            ["jan-1", "tokyo-jan-2", "jan-2"],
            id="to a day includes that day's midnight run",
        ),
        pytest.param(
            "2024-01-02",
            "2024-01-02",
            ["jan-2"],
            id="from and to the same instant picks the run at it",
        ),
        pytest.param(
            "2024-01-02T09:00:00+09:00",
            "2024-01-02T09:00:00+09:00",
            ["jan-2"],
            id="bounds with a zone compare as instants",
        ),
        pytest.param("2024-01-04", None, [], id="a range after every run picks none"),
    ],
)
def test_a_dags_runs_between_dates(start: str | None, end: str | None, expected: list[str]) -> None:
    picked = runs_in_range(RUNS, "etl", parse_bound(start, "--from"), parse_bound(end, "--to"))
    assert [r["metadata"]["name"] for r in picked] == expected


def test_a_run_without_a_logical_date_yet_is_only_picked_without_bounds() -> None:
    runs = [run("pending", started=False), run("jan-1", logicalDate="2024-01-01T00:00:00Z")]
    assert [r["metadata"]["name"] for r in runs_in_range(runs, "etl", None, None)] == [
        "jan-1",
        "pending",
    ]
    assert runs_in_range(runs[:1], "etl", day("2024-01-01"), None) == []


def test_a_bad_date_names_its_flag() -> None:
    with pytest.raises(UserError, match=r"^--to: invalid date-time 'Jan 2'"):
        parse_bound("Jan 2", "--to")


def test_a_request_id_is_the_utc_time_then_a_random_suffix() -> None:
    now = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert request_id(now, "abc123") == "20240102T030405.678901Z-abc123"
    assert re.fullmatch(r"20240102T030405\.678901Z-[0-9a-f]{6}", request_id(now))


def test_request_ids_made_at_the_same_instant_differ() -> None:
    now = datetime(2024, 1, 2, tzinfo=UTC)
    assert len({request_id(now) for _ in range(200)}) == 200


def test_request_ids_sort_by_when_they_were_made() -> None:
    start = datetime(2024, 1, 2, 23, 59, 59, 999999, tzinfo=UTC)
    made = [
        request_id(start + timedelta(microseconds=n), token)
        for n, token in [(0, "ff"), (1, "00"), (10**6, "00")]
    ]
    assert sorted(made) == made


@pytest.mark.parametrize(
    ("words", "tasks", "state"),
    [
        pytest.param(["load", "success"], ["load"], "success", id="one task marked success"),
        pytest.param(
            ["load", "report", "failed"], ["load", "report"], "failed", id="two tasks marked failed"
        ),
    ],
)
def test_mark_reads_the_last_word_as_the_state(
    words: list[str], tasks: list[str], state: str
) -> None:
    assert split_tasks_and_state(words) == (tasks, TaskInstanceState(state))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["tasks", "mark", "etl-1", "load", "running"],
            "error: the state to mark must be success or failed, not 'running'",
            id="mark with a state that cannot be set by hand",
        ),
        pytest.param(
            ["tasks", "mark", "etl-1", "success"],
            "error: give the tasks, then the state: kairflow tasks mark RUN TASK... STATE",
            id="mark without a task",
        ),
        pytest.param(
            ["tasks", "clear", "etl", "--from", "yesterday"],
            "error: --from: invalid date-time 'yesterday'",
            id="clear from a date that is not ISO-8601",
        ),
        pytest.param(
            ["tasks", "clear", "etl", "-o", "yaml"],
            "error: -o: unknown format 'yaml' (choose from table, json)",
            id="clear with an output it does not print",
        ),
    ],
)
def test_mistakes_are_refused_before_the_cluster_is_asked(args: list[str], message: str) -> None:
    result = kairflow(*args, env={"KUBECONFIG": "/nonexistent"})
    assert result.exit_code == EXIT_USAGE
    assert error_line(result).startswith(message)


class _Keyboard(io.StringIO):
    """stdin on a terminal, with the user's answer typed in."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stdin", "yes", "exit_code"),
    [
        pytest.param(io.StringIO(""), True, None, id="--yes needs no terminal"),
        pytest.param(_Keyboard("y\n"), False, None, id="a user who answers y goes ahead"),
        pytest.param(
            _Keyboard("\n"), False, EXIT_ABORTED, id="a user who just presses enter aborts"
        ),
        pytest.param(
            io.StringIO("y\n"), False, EXIT_USAGE, id="a script without --yes is refused, not asked"
        ),
    ],
)
def test_confirmation(
    monkeypatch: pytest.MonkeyPatch, stdin: io.StringIO, yes: bool, exit_code: int | None
) -> None:
    monkeypatch.setattr("sys.stdin", stdin)
    if exit_code is None:
        confirm("Clear 1 task instance in 1 run?", yes=yes)
        return
    with pytest.raises(UserError) as raised:
        confirm("Clear 1 task instance in 1 run?", yes=yes)
    assert raised.value.exit_code == exit_code


def test_marking_a_windowed_mapping_counts_every_instance_it_marks() -> None:
    spec = {"tasks": [{"name": "part", "bash": "true", "expand": {"items": list(range(100))}}]}
    status = {
        "dagSpec": spec,
        "taskInstances": {
            "part": {"mapLength": 100, "mapNext": 3},
            **{f"part[{i}]": {"state": "running", "mapIndex": i} for i in (2, 0, 1)},
        },
    }
    windowed = RunTasks.of({"metadata": {"name": "r"}, "spec": {"dagName": "d"}, "status": status})
    mark = MarkRequest(id="1", tasks=["part"], state=TaskInstanceState.SUCCESS)
    selected = select([windowed], lambda s, g: marked_keys(s, g, mark))
    assert [s.key for s in selected] == ["part[0]", "part[1]", "part[2]", "part"]
    assert count_words(selected) == "100 task instances in 1 run"
