"""Which pod `kairflow tasks logs` reads for a task instance's try, what it says when
there is none, and the order and headers of `kairflow runs logs`. No cluster."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.cli.errors import EXIT_NOT_FOUND, EXIT_USAGE, UserError
from kairflow.cli.task_logs import LogOf, header, log_of, parse_instance
from kairflow.requests.task_selection import RunTasks, instances_in_order

RUN = "etl-manual-20240101t000000"
SPEC = {
    "tasks": [
        {"name": "extract", "bash": "true"},
        {"name": "part", "bash": "true", "dependsOn": ["extract"], "expand": {"items": [1, 2]}},
        {"name": "wait", "bash": "true", "dependsOn": ["extract"]},
        {"name": "load", "bash": "true", "dependsOn": ["part", "wait"]},
    ]
}
# As the API returns it: sorted by key.
INSTANCES: dict[str, dict[str, Any]] = {
    "extract": {"state": "success", "tryNumber": 3, "pod": f"{RUN}-extract-3"},
    "load": {"state": "upstream_failed", "message": "upstream part[1] failed"},
    "part[0]": {"state": "success", "tryNumber": 1, "mapIndex": 0, "pod": f"{RUN}-part-0-1"},
    "part[1]": {"state": "failed", "tryNumber": 2, "mapIndex": 1, "pod": f"{RUN}-part-1-2"},
    "wait": {"state": "running", "tryNumber": 1, "pod": f"{RUN}-wait-1-poke4"},
}


def target(started: bool = True) -> RunTasks:
    status = {"dagSpec": SPEC, "taskInstances": INSTANCES} if started else {}
    return RunTasks.of({"metadata": {"name": RUN}, "spec": {"dagName": "etl"}, "status": status})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("extract", ("extract", None), id="a plain task name"),
        pytest.param("part[3]", ("part", 3), id="a mapped instance written with its index"),
        pytest.param(
            "my_task.v2[12]", ("my_task.v2", 12), id="a dotted name with a two-digit index"
        ),
    ],
)
def test_a_task_instance_as_typed(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_instance(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("part[x]", id="an index that is not a number"),
        pytest.param("part[1", id="an unclosed bracket"),
        pytest.param("[1]", id="an index without a task"),
    ],
)
def test_a_malformed_task_instance_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="is not a task instance"):
        parse_instance(text)


@pytest.mark.parametrize(
    ("instance", "map_index", "try_number", "expected"),
    [
        pytest.param(
            "extract",
            None,
            None,
            LogOf("extract", 3, f"{RUN}-extract-3"),
            id="the latest try by default",
        ),
        pytest.param(
            "extract",
            None,
            1,
            LogOf("extract", 1, f"{RUN}-extract-1"),
            id="an earlier try is in the pod named for it",
        ),
        pytest.param(
            "part[1]",
            None,
            1,
            LogOf("part[1]", 1, f"{RUN}-part-1-1"),
            id="an earlier try of a mapped instance",
        ),
        pytest.param(
            "part",
            1,
            None,
            LogOf("part[1]", 2, f"{RUN}-part-1-2"),
            id="a mapped instance chosen with --map-index",
        ),
        pytest.param(
            "wait",
            None,
            None,
            LogOf("wait", 1, f"{RUN}-wait-1-poke4"),
            id="a rescheduling sensor's latest poke pod from status",
        ),
    ],
)
def test_the_pod_of_a_try(
    instance: str, map_index: int | None, try_number: int | None, expected: LogOf
) -> None:
    run = target()
    assert log_of(RUN, run.status, run.graph, instance, map_index, try_number) == expected


@pytest.mark.parametrize(
    ("instance", "map_index", "try_number", "code", "message"),
    [
        pytest.param(
            "extrct",
            None,
            None,
            EXIT_NOT_FOUND,
            f"run {RUN} has no task 'extrct' (its tasks: extract, part, wait, load)",
            id="an unknown task lists the run's tasks",
        ),
        pytest.param(
            "extract",
            None,
            4,
            EXIT_USAGE,
            "task extract has had 3 tries; --try must be 1..3",
            id="a try after the latest",
        ),
        pytest.param(
            "extract",
            None,
            0,
            EXIT_USAGE,
            "task extract has had 3 tries; --try must be 1..3",
            id="try zero",
        ),
        pytest.param(
            "part[0]",
            None,
            2,
            EXIT_USAGE,
            "task part[0] has had 1 try; --try must be 1..1",
            id="one try, said in the singular",
        ),
        pytest.param(
            "load",
            None,
            None,
            EXIT_NOT_FOUND,
            "task instance load has not run yet (state upstream_failed: upstream part[1] failed)",
            id="an instance that never ran says its state and why",
        ),
        pytest.param(
            "part",
            None,
            None,
            EXIT_USAGE,
            "task 'part' is mapped (2 instances): write part[INDEX] or pass --map-index",
            id="a mapped task without an index",
        ),
        pytest.param(
            "part[5]",
            None,
            None,
            EXIT_NOT_FOUND,
            "task 'part' has no mapped instance 5 (2 instances)",
            id="a map index past the last instance",
        ),
        pytest.param(
            "extract[0]",
            None,
            None,
            EXIT_USAGE,
            "task 'extract' is not mapped: leave out the map index",
            id="an index on a task that is not mapped",
        ),
        pytest.param(
            "part[0]",
            1,
            None,
            EXIT_USAGE,
            "part[0] and --map-index 1 name different instances",
            id="two different indexes",
        ),
    ],
)
def test_why_there_is_no_log(
    instance: str, map_index: int | None, try_number: int | None, code: int, message: str
) -> None:
    run = target()
    with pytest.raises(UserError) as raised:
        log_of(RUN, run.status, run.graph, instance, map_index, try_number)
    assert (str(raised.value), raised.value.exit_code) == (message, code)


def test_a_run_that_has_not_started_has_no_task_to_read() -> None:
    run = target(started=False)
    with pytest.raises(UserError, match=r"has no task 'extract' \(its tasks: none yet"):
        log_of(RUN, run.status, run.graph, "extract")


def test_runs_logs_goes_in_dag_order_with_mapped_instances_by_index() -> None:
    run = target()
    assert instances_in_order(run.status, run.graph) == [
        "extract",
        "part[0]",
        "part[1]",
        "wait",
        "load",
    ]


def test_a_task_with_no_instance_yet_is_listed_by_name() -> None:
    status = DagRunStatus.model_validate({"taskInstances": {"extract": INSTANCES["extract"]}})
    assert instances_in_order(status, target().graph) == ["extract", "part", "wait", "load"]


@pytest.mark.parametrize(
    ("key", "ti", "expected"),
    [
        pytest.param(
            "extract",
            TaskInstanceStatus.model_validate(INSTANCES["extract"]),
            "==> extract (try 3, success) <==",
            id="an instance that ran: its latest try and state",
        ),
        pytest.param(
            "load",
            TaskInstanceStatus.model_validate(INSTANCES["load"]),
            "==> load (upstream_failed, never ran) <==",
            id="an instance that never ran: its state",
        ),
        pytest.param("part", None, "==> part (none, never ran) <==", id="a task not expanded yet"),
    ],
)
def test_runs_logs_headers(key: str, ti: TaskInstanceStatus | None, expected: str) -> None:
    assert header(key, ti) == expected


def windowed() -> RunTasks:
    """`part` mapped over 3,000 items, two created, the rest waiting as a count."""
    rest = {"mapLength": 3000, "mapNext": 2, "message": "2,998 of 3,000 not created yet"}
    status = {"dagSpec": SPEC, "taskInstances": {**INSTANCES, "part": rest}}
    return RunTasks.of({"metadata": {"name": RUN}, "spec": {"dagName": "etl"}, "status": status})


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        pytest.param(
            "part",
            "task 'part' is mapped (3,000 instances): write part[INDEX] or pass --map-index",
            id="a mapped task counts the instances not created yet",
        ),
        pytest.param(
            "part[2500]",
            "task instance part[2500] is not created yet: mapped instances are created as "
            "earlier ones finish",
            id="an instance not created yet says so",
        ),
        pytest.param(
            "part[3000]",
            "task 'part' has no mapped instance 3000 (3,000 instances)",
            id="past the last item",
        ),
    ],
)
def test_why_a_windowed_mapping_has_no_log(instance: str, message: str) -> None:
    run = windowed()
    with pytest.raises(UserError, match=f"^{re.escape(message)}$"):
        log_of(RUN, run.status, run.graph, instance)


def test_the_record_of_instances_not_created_yet_comes_after_the_created_ones() -> None:
    run = windowed()
    order = instances_in_order(run.status, run.graph)
    assert order[1:4] == ["part[0]", "part[1]", "part"]
