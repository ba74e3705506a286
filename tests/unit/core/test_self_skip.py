"""A task that skips itself: a try exiting with one of its `skipOnExitCode` codes ends
`skipped` at once (Airflow's AirflowSkipException / BashOperator skip_on_exit_code),
and the tasks after it follow their trigger rules as after any skipped task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.core.validation import validate_dag
from tests.unit.core.planner_harness import T0, Outcome, Simulation, fail, make_run, make_spec, xcom

NOT_YET = Outcome(exit_code=100)


def t(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "bash": "true", **kw}


@pytest.mark.parametrize(
    ("settings", "outcomes", "state", "tries", "message"),
    [
        pytest.param(
            {"skipOnExitCode": [99]},
            [fail(99)],
            "skipped",
            1,
            "skipped: exit code 99 (skipOnExitCode)",
            id="a task exiting 99 with skipOnExitCode 99 is skipped",
        ),
        pytest.param(
            {"skipOnExitCode": [99], "retries": 3, "retryDelay": "1s"},
            [fail(99)],
            "skipped",
            1,
            "skipped: exit code 99 (skipOnExitCode)",
            id="a skip is never retried, whatever the retries",
        ),
        pytest.param(
            {"skipOnExitCode": [99], "retries": 3, "retryOnExitCodes": [99]},
            [fail(99)],
            "skipped",
            1,
            "skipped: exit code 99 (skipOnExitCode)",
            id="a code in both skipOnExitCode and retryOnExitCodes skips",
        ),
        pytest.param(
            {"skipOnExitCode": [3, 4]},
            [fail(4)],
            "skipped",
            1,
            "skipped: exit code 4 (skipOnExitCode)",
            id="any code of the list skips",
        ),
        pytest.param(
            {"skipOnExitCode": [99]},
            [fail(1)],
            "failed",
            1,
            "exit code 1",
            id="an exit code not in the list still fails",
        ),
        pytest.param(
            {},
            [fail(99)],
            "failed",
            1,
            "exit code 99",
            id="without skipOnExitCode exit code 99 is a failure",
        ),
        pytest.param(
            {"skipOnExitCode": []},
            [fail(99)],
            "failed",
            1,
            "exit code 99",
            id="an empty skipOnExitCode skips on nothing",
        ),
        pytest.param(
            {"skipOnExitCode": [99], "retries": 2, "retryDelay": "1s"},
            [fail(1), fail(99)],
            "skipped",
            2,
            "skipped: exit code 99 (skipOnExitCode)",
            id="a retry that exits 99 skips the task",
        ),
        pytest.param(
            {"skipOnExitCode": [137], "executionTimeout": "30s"},
            [Outcome(exit_code=137, reason="DeadlineExceeded")],
            "failed",
            1,
            "execution timeout of 30s exceeded (DeadlineExceeded)",
            id="an execution timeout is a failure even when its exit code is listed",
        ),
        pytest.param(
            {"skipOnExitCode": [128]},
            [Outcome(exit_code=128, reason="StartError", xcom="exec: not found")],
            "failed",
            1,
            "exit code 128 (StartError: exec: not found)",
            id="a container that never ran its command fails even when its code is listed",
        ),
    ],
)
def test_a_try_exiting_with_a_skip_code(
    settings: dict[str, Any], outcomes: list[Outcome], state: str, tries: int, message: str
) -> None:
    sim = Simulation(make_run(make_spec([t("a", **settings)])), script={"a": outcomes})
    sim.run_to_end()
    ti = sim.status.task_instances["a"]
    assert (ti.state.value, ti.try_number, ti.message) == (state, tries, message)
    assert ti.exit_code == outcomes[-1].exit_code


def test_a_self_skip_records_when_the_try_ran_and_ends_the_run_successfully() -> None:
    spec = make_spec([t("a", skipOnExitCode=[99])])
    sim = Simulation(make_run(spec), script={"a": [Outcome(exit_code=99, seconds=7)]})
    sim.step()
    sim.now = T0 + timedelta(seconds=30)  # seen well after it ended
    status = sim.run_to_end()
    ti = status.task_instances["a"]
    assert ti.start_date == T0.isoformat()
    assert ti.end_date == (T0 + timedelta(seconds=7)).isoformat()
    assert ti.duration == "7s"
    assert status.state == "success"
    assert [e.reason for e in sim.events if e.type == "Warning"] == []


def test_the_dags_defaults_can_set_skip_on_exit_code() -> None:
    spec = make_spec([t("a")], defaults={"skipOnExitCode": [99]})
    sim = Simulation(make_run(spec), script={"a": [fail(99)]})
    assert sim.run_to_end().task_instances["a"].state == TI.SKIPPED


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param("all_success", "skipped", id="all_success after a self-skip is skipped"),
        pytest.param("none_failed", "success", id="none_failed after a self-skip runs"),
        pytest.param("all_done", "success", id="all_done after a self-skip runs"),
        pytest.param(
            "one_success", "success", id="one_success runs on the other upstream's success"
        ),
        pytest.param(
            "none_failed_min_one_success",
            "success",
            id="none_failed_min_one_success runs on the other upstream's success",
        ),
        pytest.param("none_skipped", "skipped", id="none_skipped after a self-skip is skipped"),
        pytest.param("one_failed", "skipped", id="one_failed is skipped when nothing failed"),
        pytest.param("all_skipped", "skipped", id="all_skipped needs every upstream skipped"),
        pytest.param("always", "success", id="always runs"),
    ],
)
def test_downstream_of_a_self_skip_follows_its_trigger_rule(rule: str, expected: str) -> None:
    spec = make_spec(
        [t("skips", skipOnExitCode=[99]), t("works"), t("after", triggerRule=rule)],
        ["[skips, works] >> after"],
    )
    sim = Simulation(make_run(spec), script={"skips": [fail(99)]})
    status = sim.run_to_end()
    assert sim.states() == {"skips": "skipped", "works": "success", "after": expected}
    assert status.state == "success"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param("one_success", "skipped", id="one_success after only a self-skip skips"),
        pytest.param(
            "none_failed_min_one_success",
            "skipped",
            id="none_failed_min_one_success after only a self-skip skips",
        ),
        pytest.param("all_skipped", "success", id="all_skipped after only a self-skip runs"),
        pytest.param("one_done", "skipped", id="one_done after only a self-skip skips"),
    ],
)
def test_a_task_whose_only_upstream_skipped_itself(rule: str, expected: str) -> None:
    spec = make_spec(
        [t("skips", skipOnExitCode=[99]), t("after", triggerRule=rule)], ["skips >> after"]
    )
    sim = Simulation(make_run(spec), script={"skips": [fail(99)]})
    sim.run_to_end()
    assert sim.states()["after"] == expected


def test_a_skip_spreads_down_an_all_success_chain_but_not_past_all_done() -> None:
    spec = make_spec(
        [t("a", skipOnExitCode=[99]), t("b"), t("c"), t("d", triggerRule="all_done")],
        ["a >> b >> c >> d"],
    )
    sim = Simulation(make_run(spec), script={"a": [fail(99)]})
    sim.run_to_end()
    assert sim.states() == {"a": "skipped", "b": "skipped", "c": "skipped", "d": "success"}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param({"branch": True}, id="a branch task that skips itself chooses nothing"),
        pytest.param(
            {"shortCircuit": True}, id="a short-circuit task that skips itself decides nothing"
        ),
    ],
)
def test_a_branch_or_short_circuit_that_skips_itself(kind: dict[str, Any]) -> None:
    spec = make_spec(
        [
            t("decide", skipOnExitCode=[99], **kind),
            t("left"),
            t("join", triggerRule="none_failed"),
        ],
        ["decide >> left >> join"],
    )
    # The XCom it would have pushed is not read: a skipped task decided nothing.
    sim = Simulation(make_run(spec), script={"decide": [Outcome(exit_code=99, xcom='"left"')]})
    status = sim.run_to_end()
    assert sim.states() == {"decide": "skipped", "left": "skipped", "join": "success"}
    assert status.task_instances["decide"].xcom is None
    assert status.state == "success"


def test_mapped_instances_skip_one_by_one() -> None:
    spec = make_spec(
        [
            t("m", expand={"items": [1, 2, 3]}, skipOnExitCode=[99]),
            t("after", triggerRule="none_failed"),
        ],
        ["m >> after"],
    )
    sim = Simulation(make_run(spec), script={"m[1]": [fail(99)]})
    status = sim.run_to_end()
    assert sim.states() == {
        "m[0]": "success",
        "m[1]": "skipped",
        "m[2]": "success",
        "after": "success",
    }
    assert status.state == "success"


def sensor(**kw: Any) -> dict[str, Any]:
    settings = {"mode": "reschedule", "pokeInterval": "30s", "timeout": "5m"}
    return t("wait", sensor=settings, **{"skipOnExitCode": [99], **kw})


@pytest.mark.parametrize(
    ("pokes", "state", "pokes_made"),
    [
        pytest.param([fail(99)], "skipped", 1, id="a sensor whose first poke exits 99 is skipped"),
        pytest.param(
            [NOT_YET, NOT_YET, fail(99)],
            "skipped",
            3,
            id="a sensor skips on a later poke, after some not-yets",
        ),
        pytest.param([NOT_YET, Outcome()], "success", 2, id="a sensor that is done succeeds"),
    ],
)
def test_a_sensor_poke_exiting_with_a_skip_code(
    pokes: list[Outcome], state: str, pokes_made: int
) -> None:
    spec = make_spec([sensor(retries=2), t("after")], ["wait >> after"])
    sim = Simulation(make_run(spec), script={"wait": pokes})
    sim.run_to_end()
    ti = sim.status.task_instances["wait"]
    assert (ti.state.value, ti.pokes or 1, ti.try_number) == (state, pokes_made, 1)
    assert sim.states()["after"] == ("skipped" if state == "skipped" else "success")


@pytest.mark.parametrize(
    ("task", "defaults", "problem"),
    [
        pytest.param(
            t("a", skipOnExitCode=[0, 99]),
            {},
            "task 'a': skipOnExitCode cannot hold 0 (exit code 0 means success)",
            id="exit code 0 is refused: it means success",
        ),
        pytest.param(
            t("a"),
            {"skipOnExitCode": [0]},
            "task 'a': skipOnExitCode cannot hold 0 (exit code 0 means success)",
            id="exit code 0 in the defaults is refused for each task",
        ),
        pytest.param(
            sensor(skipOnExitCode=[100]),
            {},
            "task 'wait': skipOnExitCode cannot hold 100 (a sensor's poke exits 100: not yet)",
            id="exit code 100 on a sensor is refused: it means not yet",
        ),
    ],
)
def test_skip_codes_that_already_mean_something_are_refused(
    task: dict[str, Any], defaults: dict[str, Any], problem: str
) -> None:
    assert problem in validate_dag(make_spec([task], defaults=defaults))


@pytest.mark.parametrize(
    ("task", "defaults"),
    [
        pytest.param(t("a", skipOnExitCode=[100]), {}, id="exit code 100 on a plain task is fine"),
        pytest.param(sensor(), {}, id="a sensor may skip on 99"),
        pytest.param(
            t("a", skipOnExitCode=[99]),
            {"skipOnExitCode": [0]},
            id="a task's own codes replace a bad default",
        ),
    ],
)
def test_skip_codes_that_are_allowed(task: dict[str, Any], defaults: dict[str, Any]) -> None:
    assert validate_dag(make_spec([task], defaults=defaults)) == []


def test_a_branch_choosing_a_task_that_skips_itself() -> None:
    spec = make_spec(
        [
            t("pick", branch=True),
            t("chosen", skipOnExitCode=[99]),
            t("other"),
            t("join", triggerRule="none_failed_min_one_success"),
        ],
        ["pick >> [chosen, other] >> join"],
    )
    sim = Simulation(make_run(spec), script={"pick": [xcom('"chosen"')], "chosen": [fail(99)]})
    sim.run_to_end()
    assert sim.states() == {
        "pick": "success",
        "chosen": "skipped",
        "other": "skipped",
        "join": "skipped",
    }
