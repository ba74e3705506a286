"""A big XCom (over 4 KiB) is kept outside the run: the task instance records a small
reference, and every reader (templates, mapping, branches) follows it to the value."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from kairflow.core.run_model import PodPhase
from tests.unit.core.planner_harness import (
    Outcome,
    Simulation,
    big_xcom,
    make_run,
    make_spec,
)

ITEMS = [{"id": i, "name": f"item-{i:05d}"} for i in range(3000)]
NAMES = [f"n{i}" for i in range(600)]


def t(name: str, bash: str = "true", **kw: Any) -> dict[str, Any]:
    return {"name": name, "bash": bash, **kw}


def command_of(sim: Simulation, key: str) -> str:
    pod = next(p for p in sim.pods.values() if p.key == key)
    return str(pod.manifest["spec"]["containers"][0]["command"][-1])


def test_the_run_records_a_reference_and_not_the_value() -> None:
    sim = Simulation(make_run(make_spec([t("make")])), {"make": [big_xcom(ITEMS)]})
    status = sim.run_to_end()
    ti = status.task_instances["make"]
    assert ti.state == "success" and ti.xcom is None
    assert ti.xcom_ref is not None and ti.xcom_ref.size == len(json.dumps(ITEMS))
    assert len(json.dumps(status.to_wire())) < 4096


@pytest.mark.parametrize(
    ("tasks", "flow", "key", "rendered"),
    [
        pytest.param(
            [t("make"), t("count", "echo {{ ti.xcom_pull('make') | length }}")],
            ["make >> count"],
            "count",
            "echo 3000",
            id="a template pulls the big value",
        ),
        pytest.param(
            [t("make"), t("last", "echo {{ task_instance.xcom_pull(task_ids='make')[-1].name }}")],
            ["make >> last"],
            "last",
            "echo item-02999",
            id="task_instance.xcom_pull with task_ids follows the reference too",
        ),
    ],
)  # fmt: skip
def test_templates_read_through_the_reference(
    tasks: list[dict[str, Any]], flow: list[str], key: str, rendered: str
) -> None:
    sim = Simulation(make_run(make_spec(tasks, flow)), {"make": [big_xcom(ITEMS)]})
    assert sim.run_to_end().state == "success"
    assert command_of(sim, key) == rendered


def test_a_task_maps_over_a_big_list() -> None:
    tasks = [t("names"), t("greet", "echo {{ item }}", expand={"fromTask": "names"})]
    sim = Simulation(make_run(make_spec(tasks, ["names >> greet"])), {"names": [big_xcom(NAMES)]})
    status = sim.run_to_end()
    assert status.state == "success"
    greets = [k for k in status.task_instances if k.startswith("greet[")]
    assert len(greets) == len(NAMES)
    assert command_of(sim, "greet[599]") == "echo n599"


def test_a_branch_follows_a_big_xcom() -> None:
    many = ["b"] * 2000  # 8 KiB of JSON naming one task
    tasks = [t("pick", branch=True), t("a"), t("b")]
    sim = Simulation(make_run(make_spec(tasks, ["pick >> [a, b]"])), {"pick": [big_xcom(many)]})
    assert sim.run_to_end().state == "success"
    assert sim.states() == {"pick": "success", "a": "skipped", "b": "success"}


@pytest.mark.parametrize(
    ("outcome", "state", "message"),
    [
        pytest.param(
            big_xcom(ITEMS, store_error="the XCom in the task's log is damaged: bad"),
            "failed",
            "the XCom in the task's log is damaged: bad",
            id="a value the operator cannot store fails the try with why",
        ),
        pytest.param(
            Outcome(xcom='{"kairflow.io/xcom": {"size": 2411724}}'),
            "failed",
            "XCom is 2.3 MiB; the limit is 1 MiB (see docs/xcom.md)",
            id="a value over 1 MiB fails the try naming its size and the limit",
        ),
    ],
)  # fmt: skip
def test_big_xcoms_that_cannot_be_kept_fail_the_try(
    outcome: Outcome, state: str, message: str
) -> None:
    sim = Simulation(make_run(make_spec([t("make")])), {"make": [outcome]})
    status = sim.run_to_end()
    assert status.task_instances["make"].state == state
    assert status.task_instances["make"].message == message


def test_the_try_waits_until_its_big_xcom_is_stored() -> None:
    pending = big_xcom(ITEMS)
    sim = Simulation(make_run(make_spec([t("make")])), {"make": [pending]})
    sim.step()
    pod = next(iter(sim.pods.values()))
    pod.outcome = Outcome(xcom=pending.xcom, stored=None)  # the pod ended; not stored yet
    sim.now = sim.now.replace(minute=1)
    waiting = sim.step()
    assert waiting.wake_at == sim.now + timedelta(seconds=1)  # look again shortly
    assert not sim.status.task_instances["make"].state.finished
    assert [o.phase for o in sim.observed()] == [PodPhase.SUCCEEDED]
    assert len(sim.pods) == 1  # no second try either
    pod.outcome = pending  # the controller stored it
    sim.step()
    assert sim.status.task_instances["make"].state == "success"
