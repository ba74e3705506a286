"""Setup and teardown tasks, as Airflow 2.10 runs them: through the planner over time,
the tasks a clear takes along, the tasks that decide a run's state, and validation."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kairflow.api.common import DagRunState
from kairflow.api.dagrun import ClearRequest
from kairflow.core.graph import build_graph
from kairflow.core.interventions import apply_clear, cleared_keys
from kairflow.core.setup_teardown import (
    clear_closure,
    indirect_setups,
    relevant_setups,
    run_state_tasks,
)
from kairflow.core.validation import validate_dag
from tests.unit.core.planner_harness import Simulation, fail, make_run, make_spec, xcom


def t(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "bash": "true", **kw}


def cluster_dag(**teardown: Any) -> list[dict[str, Any]]:
    return [t("create", setup=True), t("work"), t("delete", teardown=True, **teardown)]


CLUSTER_FLOW = ["create >> work >> delete", "create >> delete"]


@pytest.mark.parametrize(
    ("script", "teardown", "states", "run_state"),
    [
        pytest.param(
            {},
            {},
            {"create": "success", "work": "success", "delete": "success"},
            "success",
            id="setup, work and teardown run in order and the run succeeds",
        ),
        pytest.param(
            {"work": [fail()]},
            {},
            {"create": "success", "work": "failed", "delete": "success"},
            "failed",
            id="the teardown runs when the work failed, and the run fails for the work",
        ),
        pytest.param(
            {"create": [fail()]},
            {},
            {"create": "failed", "work": "upstream_failed", "delete": "upstream_failed"},
            "failed",
            id="a failed setup stops the work and its teardown",
        ),
        pytest.param(
            {"delete": [fail()]},
            {},
            {"create": "success", "work": "success", "delete": "failed"},
            "success",
            id="a failed teardown does not fail the run",
        ),
        pytest.param(
            {"delete": [fail()]},
            {"onFailureFailDagrun": True},
            {"create": "success", "work": "success", "delete": "failed"},
            "failed",
            id="a failed teardown with onFailureFailDagrun fails the run",
        ),
        pytest.param(
            {"create": [fail(99)]},
            {},
            {"create": "skipped", "work": "skipped", "delete": "skipped"},
            "success",
            id="a skipped setup skips its work and teardown",
        ),
    ],
)
def test_a_setup_work_teardown_run(
    script: dict[str, Any], teardown: dict[str, Any], states: dict[str, str], run_state: str
) -> None:
    tasks = cluster_dag(**teardown)
    tasks[0]["skipOnExitCode"] = [99]
    sim = Simulation(make_run(make_spec(tasks, CLUSTER_FLOW)), script=script)
    status = sim.run_to_end()
    assert sim.states() == states
    assert status.state == run_state
    if states["delete"] != "upstream_failed" and states["delete"] != "skipped":
        assert sim.start_time("delete") > sim.start_time("work")


def test_work_after_a_failed_work_task_is_upstream_failed_even_with_all_done() -> None:
    """Airflow's setup constraint: an all_done task inside the setup's scope does not
    run when its setup failed, even though its direct upstream is done."""
    spec = make_spec(
        [
            t("create", setup=True),
            t("w1"),
            t("w2", triggerRule="all_done"),
            t("delete", teardown=True),
        ],
        ["create >> w1 >> w2 >> delete", "create >> delete"],
    )
    sim = Simulation(make_run(spec), script={"create": [fail()]})
    status = sim.run_to_end()
    assert sim.states() == {
        "create": "failed",
        "w1": "upstream_failed",
        "w2": "upstream_failed",
        "delete": "upstream_failed",
    }
    assert status.state == DagRunState.FAILED


def test_an_all_done_task_after_failed_work_runs_when_its_setup_succeeded() -> None:
    spec = make_spec(
        [
            t("create", setup=True),
            t("w1"),
            t("w2", triggerRule="all_done"),
            t("delete", teardown=True),
        ],
        ["create >> w1 >> w2 >> delete", "create >> delete"],
    )
    sim = Simulation(make_run(spec), script={"w1": [fail()]})
    sim.run_to_end()
    assert sim.states() == {
        "create": "success",
        "w1": "failed",
        "w2": "success",
        "delete": "success",
    }


def test_a_cleared_work_task_says_it_waits_for_its_setup() -> None:
    spec = make_spec(
        [t("create", setup=True), t("w1"), t("w2"), t("delete", teardown=True)],
        ["create >> w1 >> w2 >> delete", "create >> delete"],
    )
    sim = Simulation(make_run(spec))
    sim.run_to_end()
    graph = build_graph(spec)
    apply_clear(sim.status, graph, ClearRequest(id="1", tasks=["w2"]), retries={})
    sim.step()  # the run starts again: create is queued, w2 waits for it
    assert sim.status.task_instances["w2"].message == "waiting for setup create to succeed"
    assert sim.run_to_end().state == DagRunState.SUCCESS
    assert sim.start_time("w2", 1) > sim.start_time("create", 1)


def test_a_short_circuit_never_skips_a_teardown() -> None:
    spec = make_spec(
        [
            t("create", setup=True),
            t("check", shortCircuit=True),
            t("work"),
            t("delete", teardown=True),
        ],
        ["create >> check >> work >> delete", "create >> delete"],
    )
    sim = Simulation(make_run(spec), script={"check": [xcom("false")]})
    status = sim.run_to_end()
    assert sim.states() == {
        "create": "success",
        "check": "success",
        "work": "skipped",
        "delete": "success",
    }
    assert status.state == DagRunState.SUCCESS


def test_clearing_the_work_runs_its_setup_work_and_teardown_again_in_order() -> None:
    sim = Simulation(
        make_run(make_spec(cluster_dag(), CLUSTER_FLOW)), script={"work": [fail(), fail()]}
    )
    assert sim.run_to_end().state == DagRunState.FAILED
    graph = build_graph(sim.run.spec)
    apply_clear(sim.status, graph, ClearRequest(id="1", tasks=["work"]), retries={})
    sim.script = {}
    sim._tries.clear()
    status = sim.run_to_end()
    assert status.state == DagRunState.SUCCESS
    tries = {k: ti.try_number for k, ti in status.task_instances.items()}
    assert tries == {"create": 2, "work": 2, "delete": 2}
    assert sim.start_time("create", 1) < sim.start_time("work", 1) < sim.start_time("delete", 1)


# create (setup) >> w1 >> w2 >> delete (teardown), create >> delete; a setup without
# teardown `lone` >> w2; `outside` after create but not before its teardown.
SCOPE = build_graph(
    make_spec(
        [
            t("create", setup=True),
            t("lone", setup=True),
            t("w1"),
            t("w2"),
            t("delete", teardown=True),
            t("outside"),
        ],
        ["create >> w1 >> w2 >> delete", "create >> delete", "lone >> w2", "create >> outside"],
    )
)


@pytest.mark.parametrize(
    ("tasks", "downstream", "upstream", "cleared"),
    [
        pytest.param(
            ["w1"],
            False,
            False,
            {"w1", "create", "delete"},
            id="clearing work clears its setup and teardown",
        ),
        pytest.param(
            ["w2"],
            False,
            False,
            {"w2", "create", "delete", "lone"},
            id="clearing work clears a setup without teardown too",
        ),
        pytest.param(
            ["create"],
            False,
            False,
            {"create", "delete"},
            id="clearing a setup clears its teardown",
        ),
        pytest.param(
            ["create"],
            True,
            False,
            {"create", "w1", "w2", "delete", "outside", "lone"},
            id="clearing a setup with downstream clears its work and the work's other setups",
        ),
        pytest.param(["delete"], False, False, {"delete"}, id="clearing a teardown clears only it"),
        pytest.param(
            ["w1"],
            False,
            True,
            {"w1", "create", "delete"},
            id="clearing with upstream takes the setups' teardowns",
        ),
        pytest.param(
            ["outside"], False, False, {"outside"}, id="a task out of a setup's scope clears alone"
        ),
    ],
)
def test_a_clear_takes_setups_and_teardowns_along(
    tasks: list[str], downstream: bool, upstream: bool, cleared: set[str]
) -> None:
    assert clear_closure(SCOPE, set(tasks), downstream, upstream) == cleared


def test_the_clear_preview_lists_the_setup_and_teardown() -> None:
    sim = Simulation(make_run(make_spec(cluster_dag(), CLUSTER_FLOW)))
    sim.run_to_end()
    graph = build_graph(sim.run.spec)
    assert cleared_keys(sim.status, graph, ClearRequest(id="1", tasks=["work"])) == [
        "create",
        "work",
        "delete",
    ]


def test_only_relevant_setups_are_indirect() -> None:
    assert indirect_setups(SCOPE) == {"w2": frozenset({"create"})}


@pytest.mark.parametrize(
    ("tasks", "flow", "deciding"),
    [
        pytest.param(
            cluster_dag(), CLUSTER_FLOW, {"work"}, id="the work before a teardown decides"
        ),
        pytest.param(
            cluster_dag(onFailureFailDagrun=True),
            CLUSTER_FLOW,
            {"delete"},
            id="a teardown with onFailureFailDagrun decides",
        ),
        pytest.param(
            [t("a", teardown=True), t("b", teardown=True)],
            ["a >> b"],
            {"b"},
            id="a DAG of teardowns only falls back to its leaves",
        ),
        pytest.param(
            [*cluster_dag(), t("report")],
            [*CLUSTER_FLOW, "delete >> report"],
            {"work", "report"},
            id="a task after a teardown is a leaf too, and the work still decides",
        ),
    ],
)
def test_the_tasks_that_decide_the_run_state(
    tasks: list[dict[str, Any]], flow: list[str], deciding: set[str]
) -> None:
    assert run_state_tasks(build_graph(make_spec(tasks, flow))) == deciding


@pytest.mark.parametrize(
    ("tasks", "flow", "problem"),
    [
        pytest.param(
            [t("a", setup=True, teardown=True)],
            [],
            "cannot be both a setup and a teardown",
            id="a task cannot be both",
        ),
        pytest.param(
            [t("a", onFailureFailDagrun=True)],
            [],
            "onFailureFailDagrun is only for a teardown",
            id="onFailureFailDagrun needs a teardown",
        ),
        pytest.param(
            [t("a", teardown=True, triggerRule="all_success")],
            [],
            "a teardown's trigger rule is always all_done_setup_success",
            id="a teardown's trigger rule cannot be changed",
        ),
        pytest.param(
            [t("s", setup=True), t("w", triggerRule="all_done")],
            ["s >> w"],
            "a task right after setup 's' must have trigger rule all_success",
            id="a task right after a setup must be all_success",
        ),
    ],
)
def test_invalid_setups_and_teardowns(
    tasks: list[dict[str, Any]], flow: list[str], problem: str
) -> None:
    problems = validate_dag(make_spec(tasks, flow))
    assert any(problem in p for p in problems), problems


def test_a_teardown_without_setup_is_valid_and_runs_like_all_done() -> None:
    spec = make_spec([t("work"), t("cleanup", teardown=True)], ["work >> cleanup"])
    assert validate_dag(spec) == []
    sim = Simulation(make_run(spec), script={"work": [fail()]})
    assert sim.run_to_end().state == DagRunState.FAILED
    assert sim.states() == {"work": "failed", "cleanup": "success"}


def test_defaults_trigger_rule_does_not_change_a_teardowns() -> None:
    spec = make_spec(cluster_dag(), CLUSTER_FLOW, defaults={"triggerRule": "all_success"})
    assert validate_dag(spec) == []
    sim = Simulation(make_run(spec), script={"work": [fail()]})
    sim.run_to_end()
    assert sim.states()["delete"] == "success"


@st.composite
def setup_dags(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    """Random DAGs of up to 12 tasks, some setups and teardowns, edges forward only."""
    size = draw(st.integers(2, 12))
    roles = draw(
        st.lists(st.sampled_from(["work", "setup", "teardown"]), min_size=size, max_size=size)
    )
    tasks = [t(f"t{i}", **({role: True} if role != "work" else {})) for i, role in enumerate(roles)]
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=20)) if pairs else []
    return tasks, [f"t{a} >> t{b}" for a, b in edges]


@settings(max_examples=300, deadline=None)
@given(setup_dags())
def test_indirect_setups_are_each_tasks_relevant_setups_but_its_direct_ones(
    dag: tuple[list[dict[str, Any]], list[str]],
) -> None:
    # The whole-graph answer (setup by setup) equals Airflow's rule asked task by task.
    graph = build_graph(make_spec(*dag))
    expected = {}
    for name in graph.order:
        indirect = relevant_setups(graph, name) - graph.upstream[name]
        if indirect and not graph.tasks[name].teardown:
            expected[name] = indirect
    assert indirect_setups(graph) == expected
