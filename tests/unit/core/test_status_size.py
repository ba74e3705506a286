"""A run never starts what its status could not record: over the size limit, a
pass starts nothing, still records the tries that end, and the run says why once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kairflow.core.conditions import condition
from kairflow.core.run_model import PlannerSettings
from kairflow.core.status_size import TOO_LARGE, status_bytes
from tests.unit.core.planner_harness import Outcome, Simulation, make_run, make_spec

FAN = [{"name": f"t{i:03d}", "bash": "true", "dependsOn": ["first"]} for i in range(60)]
TASKS = [{"name": "first", "bash": "true"}, *FAN]


def simulation(limit: int | None) -> Simulation:
    return Simulation(
        make_run(make_spec(TASKS)),
        script={"first": [Outcome(seconds=10)]},
        settings=PlannerSettings(max_status_bytes=limit),
    )


def size_after_first() -> int:
    """The status's size once `first` runs (one instance recorded)."""
    sim = simulation(None)
    sim.step()
    return status_bytes(sim.status)


def test_a_status_within_the_limit_changes_nothing() -> None:
    bounded, free = simulation(10_000_000), simulation(None)
    assert bounded.run_to_end() == free.run_to_end()


def test_a_fan_out_that_would_pass_the_limit_starts_nothing_and_says_why_once() -> None:
    sim = simulation(size_after_first() + 2_000)  # `first`, but never all 60 after it
    sim.step()
    assert [key for _, key in sim.started] == ["first"]
    sim.now += timedelta(seconds=10)  # `first` ends: recorded, though over the limit
    sim.step()
    sim.step()
    assert sim.states()["first"] == "success"
    assert [key for _, key in sim.started] == ["first"]  # nothing of the fan-out started
    found = condition(sim.status.conditions, TOO_LARGE)
    assert found is not None and found.status == "True" and found.reason == "StatusOverLimit"
    assert "no task instance starts while it does not fit" in found.message
    assert [(e.reason, e.type) for e in sim.events if e.reason == "RunTooLarge"] == [
        ("RunTooLarge", "Warning")
    ]
    # Their readiness is still recorded (as `scheduled`, small): the limit's headroom
    # below etcd's takes that.
    assert {sim.states()[t["name"]] for t in FAN} == {"scheduled"}


def test_the_condition_clears_and_the_run_goes_on_once_the_status_fits() -> None:
    sim = simulation(size_after_first() + 2_000)
    sim.step()
    sim.now += timedelta(seconds=10)
    sim.step()
    sim.settings = replace(
        sim.settings, max_status_bytes=10_000_000
    )  # the operator's setting raised
    assert sim.run_to_end().state == "success"
    found = condition(sim.status.conditions, TOO_LARGE)
    assert found is not None and (found.status, found.reason) == ("False", "Fits")
    assert len(sim.started) == 61


def test_a_dag_too_big_for_even_its_first_pass_starts_nothing_and_only_says_why() -> None:
    sim = simulation(1_000)  # less than recording every instance once
    sim.step()
    sim.step()
    assert sim.started == [] and sim.status.task_instances == {}
    found = condition(sim.status.conditions, TOO_LARGE)
    assert found is not None and found.status == "True"
    assert "over the limit of 1 KiB" in found.message
    assert [e.reason for e in sim.events] == ["RunTooLarge"]
