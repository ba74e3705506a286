"""A task instance whose templates run out of their CPU budget fails; the run goes on."""

from __future__ import annotations

from datetime import timedelta

from kairflow.core.run_model import PlannerSettings
from tests.unit.core.planner_harness import Simulation, make_run, make_spec

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
OUT_OF_BUDGET = "bash: the template used more than 0.1s of CPU time (a loop too large?)"


def test_a_template_out_of_budget_fails_its_task_instance_and_its_siblings_start() -> None:
    spec = make_spec(
        [
            {"name": "spin", "bash": NESTED_LOOPS},
            {"name": "a", "bash": "echo {{ ds }}"},
            {"name": "b", "bash": "echo b"},
        ]
    )
    sim = Simulation(make_run(spec), settings=PlannerSettings(render_budget=timedelta(seconds=0.1)))
    sim.step()
    assert sim.states() == {"spin": "failed", "a": "queued", "b": "queued"}
    assert sim.status.task_instances["spin"].message == f"template error: {OUT_OF_BUDGET}"
    assert [(e.reason, e.message) for e in sim.events if e.type == "Warning"] == [
        ("TaskFailed", f"spin try 1: {OUT_OF_BUDGET}")
    ]
    assert sorted(pod.key for pod in sim.pods.values()) == ["a", "b"]
