"""Clear and mark requests on a run's status (pure)."""

from datetime import UTC, datetime

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import ClearRequest, DagRunStatus, MarkRequest, TaskInstanceStatus
from kairflow.core.graph import build_graph
from kairflow.core.interventions import apply_clear, apply_mark, apply_requests
from tests.unit.core.planner_harness import make_spec

NOW = datetime(2024, 1, 1, tzinfo=UTC)
GRAPH = build_graph(
    make_spec(
        [{"name": n, "bash": "x"} for n in ("extract", "transform_a", "transform_b", "load")],
        ["extract >> [transform_a, transform_b] >> load"],
    )
)


def finished_run(**states: TI) -> DagRunStatus:
    tis = {
        name: TaskInstanceStatus(
            state=states.get(name, TI.SUCCESS), try_number=1, max_tries=1, pod=f"p-{name}"
        )
        for name in GRAPH.order
    }
    return DagRunStatus(state=DagRunState.FAILED, start_date="s", end_date="e", task_instances=tis)


@pytest.mark.parametrize(
    ("request_", "cleared"),
    [
        pytest.param(ClearRequest(id="1", tasks=["load"]), {"load"}, id="one task"),
        pytest.param(
            ClearRequest(id="1", tasks=["transform_*"]),
            {"transform_a", "transform_b"},
            id="a pattern",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["transform_a"], downstream=True),
            {"transform_a", "load"},
            id="with downstream",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["transform_a"], upstream=True),
            {"transform_a", "extract"},
            id="with upstream",
        ),
        pytest.param(
            ClearRequest(id="1"),
            {"extract", "transform_a", "transform_b", "load"},
            id="no tasks means all",
        ),
        pytest.param(
            ClearRequest(id="1", only_failed=True),
            {"transform_b", "load"},
            id="only failed and upstream_failed",
        ),
    ],
)
def test_clear_selects_the_right_task_instances(request_: ClearRequest, cleared: set[str]) -> None:
    status = finished_run(transform_b=TI.FAILED, load=TI.UPSTREAM_FAILED)
    doomed = apply_clear(status, GRAPH, request_, retries={"load": 2})
    reset = {k for k, ti in status.task_instances.items() if ti.state == TI.NONE}
    assert reset == cleared
    assert doomed == []  # nothing was running
    assert status.handled_clear == "1"
    # Like Airflow's clear: the run is queued again and gets a new start date.
    assert status.state == DagRunState.QUEUED and status.start_date is None


def test_clear_keeps_counting_tries_and_grants_retries_again() -> None:
    status = finished_run(load=TI.FAILED)
    apply_clear(status, GRAPH, ClearRequest(id="x", tasks=["load"]), retries={"load": 2})
    load = status.task_instances["load"]
    assert (load.try_number, load.max_tries) == (1, 4)


def test_clearing_a_running_task_deletes_its_pod() -> None:
    status = finished_run()
    status.state = DagRunState.RUNNING
    status.task_instances["load"].state = TI.RUNNING
    assert apply_clear(status, GRAPH, ClearRequest(id="1", tasks=["load"]), {}) == ["p-load"]
    assert status.state == DagRunState.RUNNING


def test_mark_success_reopens_a_finished_run() -> None:
    status = finished_run(transform_b=TI.FAILED, load=TI.UPSTREAM_FAILED)
    doomed = apply_mark(
        status, GRAPH, MarkRequest(id="m", tasks=["transform_b"], state=TI.SUCCESS), NOW
    )
    assert doomed == []
    assert status.task_instances["transform_b"].state == TI.SUCCESS
    assert status.state == DagRunState.RUNNING
    assert status.handled_mark == "m"


def test_mark_refuses_states_other_than_success_and_failed() -> None:
    status = finished_run()
    apply_mark(status, GRAPH, MarkRequest(id="m", tasks=["load"], state=TI.SKIPPED), NOW)
    assert status.task_instances["load"].state == TI.SUCCESS
    assert "only success or failed" in (status.message or "")


SPEC = make_spec(
    [{"name": n, "bash": "x"} for n in GRAPH.order],
    ["extract >> [transform_a, transform_b] >> load"],
    defaults={"retries": 2},
)
CLEAR_LOAD = ClearRequest(id="c2", tasks=["load"])
MARK_LOAD = MarkRequest(id="m2", tasks=["load"], state=TI.SUCCESS)


@pytest.mark.parametrize(
    ("clear", "mark", "load", "handled", "run_state"),
    [
        pytest.param(
            None, None, TI.FAILED, (None, None), DagRunState.FAILED, id="no request changes nothing"
        ),
        pytest.param(
            ClearRequest(id="c1", tasks=["load"]),
            MarkRequest(id="m1", tasks=["load"], state=TI.SUCCESS),
            TI.FAILED,
            ("c1", "m1"),
            DagRunState.FAILED,
            id="requests handled already are not applied again",
        ),
        pytest.param(
            CLEAR_LOAD,
            None,
            TI.NONE,
            ("c2", "m1"),
            DagRunState.QUEUED,
            id="a new clear request clears its tasks and queues the run again",
        ),
        pytest.param(
            None,
            MARK_LOAD,
            TI.SUCCESS,
            ("c1", "m2"),
            DagRunState.RUNNING,
            id="a new mark request sets its tasks' state and reopens the run",
        ),
        pytest.param(
            CLEAR_LOAD,
            MARK_LOAD,
            TI.SUCCESS,
            ("c2", "m2"),
            DagRunState.QUEUED,
            id="a new clear and a new mark together: the clear first (the run is queued again), "
            "then the mark",
        ),
        pytest.param(
            ClearRequest(id="c1", tasks=["load"]),
            MARK_LOAD,
            TI.SUCCESS,
            ("c1", "m2"),
            DagRunState.RUNNING,
            id="a new mark next to a clear handled already: only the mark",
        ),
    ],
)
def test_apply_requests(
    clear: ClearRequest | None,
    mark: MarkRequest | None,
    load: TI,
    handled: tuple[str | None, str | None],
    run_state: DagRunState,
) -> None:
    status = finished_run(load=TI.FAILED)
    if (clear, mark) != (None, None):
        status.handled_clear, status.handled_mark = "c1", "m1"
    apply_requests(status, SPEC, clear, mark, NOW)
    assert status.task_instances["load"].state == load
    assert (status.handled_clear, status.handled_mark) == handled
    assert status.state == run_state


def test_a_clear_request_grants_the_retries_of_the_dags_defaults_again() -> None:
    status = finished_run(load=TI.FAILED)
    apply_requests(status, SPEC, CLEAR_LOAD, None, NOW)
    assert status.task_instances["load"].max_tries == 1 + 1 + 2


def test_apply_requests_returns_the_pods_of_running_task_instances_it_touches() -> None:
    status = finished_run()
    status.state = DagRunState.RUNNING
    status.task_instances["load"].state = TI.RUNNING
    status.task_instances["extract"].state = TI.RUNNING
    clear_extract = ClearRequest(id="c", tasks=["extract"])
    assert apply_requests(status, SPEC, clear_extract, MARK_LOAD, NOW) == ["p-extract", "p-load"]
