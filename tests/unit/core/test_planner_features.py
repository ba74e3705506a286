"""Branching, short-circuit, sensors and dynamic task mapping through the planner."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState as TI
from tests.unit.core.planner_harness import (
    T0,
    Outcome,
    Simulation,
    big_xcom,
    fail,
    make_run,
    make_spec,
    xcom,
)

NOT_YET = Outcome(exit_code=100)


def t(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "bash": "true", **kw}


BRANCH_DAG = make_spec(
    [
        t("pick", branch=True),
        t("left"),
        t("right"),
        t("after_right"),
        t("join", triggerRule="none_failed_min_one_success"),
    ],
    ["pick >> [left, right]", "right >> after_right", "[left, after_right] >> join"],
)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        pytest.param(
            '"left"',
            {"left": "success", "right": "skipped", "after_right": "skipped", "join": "success"},
            id="branch follows left and the join still runs",
        ),
        pytest.param(
            '["right"]',
            {"left": "skipped", "right": "success", "after_right": "success", "join": "success"},
            id="branch given as a list",
        ),
        pytest.param(
            '["left", "right"]',
            {"left": "success", "right": "success", "after_right": "success", "join": "success"},
            id="branch follows both",
        ),
        pytest.param(
            "null",
            {"left": "skipped", "right": "skipped", "after_right": "skipped", "join": "skipped"},
            id="branch follows nothing",
        ),
    ],
)
def test_branching(choice: str, expected: dict[str, str]) -> None:
    sim = Simulation(make_run(BRANCH_DAG), script={"pick": [xcom(choice)]})
    status = sim.run_to_end()
    assert {k: v for k, v in sim.states().items() if k != "pick"} == expected
    assert status.state == "success"


def test_branch_to_a_task_that_is_not_direct_downstream_fails_the_branch() -> None:
    sim = Simulation(make_run(BRANCH_DAG), script={"pick": [xcom('"join"')]})
    status = sim.run_to_end()
    assert status.task_instances["pick"].state == TI.FAILED
    assert "not direct downstream tasks of 'pick'" in (status.task_instances["pick"].message or "")
    assert status.state == "failed"


def test_join_after_branch_with_all_success_is_skipped() -> None:
    spec = make_spec(
        [t("pick", branch=True), t("a"), t("b"), t("join")], ["pick >> [a, b] >> join"]
    )
    sim = Simulation(make_run(spec), script={"pick": [xcom('"a"')]})
    sim.run_to_end()
    assert sim.states()["join"] == "skipped"


SHORT = make_spec(
    [
        t("check", shortCircuit=True),
        t("next"),
        t("later"),
        t("always_runs", triggerRule="all_done"),
    ],
    ["check >> next >> later", "next >> always_runs"],
)


@pytest.mark.parametrize(
    ("value", "ignore_rules", "expected"),
    [
        pytest.param(
            "true",
            True,
            {"next": "success", "later": "success", "always_runs": "success"},
            id="truthy lets everything run",
        ),
        pytest.param(
            "false",
            True,
            {"next": "skipped", "later": "skipped", "always_runs": "skipped"},
            id="falsy skips every downstream task",
        ),
        pytest.param(
            "0",
            False,
            {"next": "skipped", "later": "skipped", "always_runs": "success"},
            id="falsy with trigger rules respected skips only direct downstream",
        ),
        pytest.param(
            None,
            True,
            {"next": "skipped", "later": "skipped", "always_runs": "skipped"},
            id="no output counts as falsy",
        ),
    ],
)
def test_short_circuit(value: str | None, ignore_rules: bool, expected: dict[str, str]) -> None:
    spec = SHORT.model_copy(deep=True)
    spec.tasks[0].ignore_downstream_trigger_rules = ignore_rules
    sim = Simulation(make_run(spec), script={"check": [Outcome(xcom=value)]})
    assert sim.run_to_end().state == "success"
    assert {k: v for k, v in sim.states().items() if k != "check"} == expected


def sensor(mode: str, retries: int = 0, **kw: Any) -> dict[str, Any]:
    settings = {"mode": mode, "pokeInterval": "30s", "timeout": "5m", **kw}
    return t("wait", sensor=settings, retries=retries)


def test_reschedule_sensor_pokes_until_ready_without_holding_a_slot() -> None:
    spec = make_spec(
        [sensor("reschedule"), t("other"), t("after")], ["wait >> after"], maxActiveTasks=1
    )
    sim = Simulation(
        make_run(spec),
        script={"wait": [NOT_YET, NOT_YET, Outcome()], "other": [Outcome(seconds=5)]},
    )
    sim.step()
    sim.now = T0 + timedelta(seconds=1)
    sim.step()
    ti = sim.status.task_instances["wait"]
    assert ti.state == TI.UP_FOR_RESCHEDULE
    assert ti.next_try_at == (T0 + timedelta(seconds=31)).isoformat()
    # The freed slot went to `other` while the sensor waits.
    assert [k for _, k in sim.started] == ["wait", "other"]
    status = sim.run_to_end()
    assert status.state == "success"
    wait = status.task_instances["wait"]
    assert (wait.try_number, wait.pokes) == (1, 3)
    names = [p.name for p in sim.pods.values() if p.key == "wait"]
    assert len(set(names)) == 3  # each poke is its own pod


def test_poke_mode_sensor_holds_its_slot_between_pokes() -> None:
    spec = make_spec([sensor("poke"), t("other")], maxActiveTasks=1)
    sim = Simulation(make_run(spec), script={"wait": [NOT_YET, Outcome()]})
    sim.step()
    sim.now = T0 + timedelta(seconds=1)
    sim.step()
    assert sim.states() == {"wait": "running", "other": "scheduled"}
    sim.run_to_end()
    assert sim.start_time("other") > sim.start_time("wait", 1)


@pytest.mark.parametrize(
    ("soft_fail", "state"),
    [
        pytest.param(False, "failed", id="a sensor that times out fails without retry"),
        pytest.param(True, "skipped", id="a soft-fail sensor that times out is skipped"),
    ],
)
def test_sensor_timeout(soft_fail: bool, state: str) -> None:
    spec = make_spec([sensor("reschedule", softFail=soft_fail, retries=3)])
    sim = Simulation(make_run(spec), script={"wait": [NOT_YET]})
    status = sim.run_to_end()
    ti = status.task_instances["wait"]
    assert ti.state.value == state and ti.try_number == 1
    assert "sensor timed out after 5m" in (ti.message or "")
    assert sim.now - T0 >= timedelta(minutes=5)


def test_a_sensor_poke_that_errors_is_a_failure() -> None:
    sim = Simulation(make_run(make_spec([sensor("reschedule")])), script={"wait": [fail(2)]})
    assert sim.run_to_end().task_instances["wait"].state == TI.FAILED


def test_mapping_over_a_literal_list() -> None:
    spec = make_spec(
        [t("m", bash="echo {{ item }}", expand={"items": ["a", "b", "c"]}), t("after")],
        ["m >> after"],
    )
    sim = Simulation(make_run(spec))
    status = sim.run_to_end()
    assert sim.states() == {
        "m[0]": "success",
        "m[1]": "success",
        "m[2]": "success",
        "after": "success",
    }
    commands = sorted(
        p.manifest["spec"]["containers"][0]["command"][-1]
        for p in sim.pods.values()
        if p.key.startswith("m[")
    )
    assert commands == ["echo a", "echo b", "echo c"]
    assert status.progress == "4/4"


def test_mapping_over_an_upstream_xcom_and_waiting_for_all_instances() -> None:
    spec = make_spec(
        [t("src"), t("m", expand={"fromTask": "src"}), t("after")], ["src >> m >> after"]
    )
    slow_second = {"m[1]": [Outcome(seconds=10)]}
    sim = Simulation(make_run(spec), script={"src": [xcom("[1, 2]")], **slow_second})
    sim.run_to_end()
    assert sim.states() == {
        "src": "success",
        "m[0]": "success",
        "m[1]": "success",
        "after": "success",
    }
    assert sim.start_time("after") >= sim.start_time("m[1]") + timedelta(seconds=10)


@pytest.mark.parametrize(
    ("pushed", "state", "message"),
    [
        pytest.param("[]", "skipped", "mapped over an empty list", id="an empty list skips"),
        pytest.param('{"a": 1}', "failed", "expected a JSON list, got dict", id="not a list"),
        pytest.param(
            "[" + ",".join(["1"] * 1025) + "]",
            "failed",
            "the limit is 1024",
            id="more than 1024 items",
        ),
    ],
)
def test_mapping_edge_cases(pushed: str, state: str, message: str) -> None:
    spec = make_spec([t("src"), t("m", expand={"fromTask": "src"})], ["src >> m"])
    sim = Simulation(make_run(spec), script={"src": [xcom(pushed)]})
    sim.run_to_end()
    assert sim.states()["m"] == state
    assert message in (sim.status.task_instances["m"].message or "")


@pytest.mark.parametrize(
    ("story", "items", "limit", "state"),
    [
        ("an operator allowing 5,000 runs a 3,000-item mapping", 3_000, 5_000, "success"),
        ("an operator allowing 2,000 fails a 3,000-item mapping", 3_000, 2_000, "failed"),
    ],
)
def test_the_mapping_limit_is_the_operators_setting(
    story: str, items: int, limit: int, state: str
) -> None:
    spec = make_spec([t("src"), t("m", expand={"fromTask": "src"})], ["src >> m"])
    # A big XCom: kept in a ConfigMap, as a list this long would be.
    sim = Simulation(make_run(spec), script={"src": [big_xcom(list(range(items)))]})
    sim.settings = replace(sim.settings, max_map_length=limit)
    assert sim.run_to_end(max_steps=5_000).state == state, story
    if state == "success":
        assert sum(key.startswith("m[") for key in sim.states()) == items, story
    else:
        message = sim.status.task_instances["m"].message or ""
        assert f"{items} items, the limit is {limit}" in message, story


def test_mapped_downstream_of_a_failed_source_is_upstream_failed() -> None:
    spec = make_spec([t("src"), t("m", expand={"fromTask": "src"})], ["src >> m"])
    sim = Simulation(make_run(spec), script={"src": [fail()]})
    assert sim.run_to_end().state == "failed"
    assert sim.states() == {"src": "failed", "m": "upstream_failed"}


def test_xcom_of_a_mapped_task_is_the_list_of_its_instances() -> None:
    spec = make_spec(
        [t("m", expand={"items": [1, 2]}), t("sum", bash="echo {{ ti.xcom_pull('m') }}")],
        ["m >> sum"],
    )
    sim = Simulation(make_run(spec), script={"m": lambda pod: xcom(pod.key[2])})
    sim.run_to_end()
    pod = next(p for p in sim.pods.values() if p.key == "sum")
    assert pod.manifest["spec"]["containers"][0]["command"][-1] == "echo [0, 1]"
