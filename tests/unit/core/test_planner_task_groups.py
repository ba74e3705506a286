"""A grouped DAG run over time: the group starts when what is before it ends, the task
after it waits for all its leaves, and its tasks take the group's settings."""

from __future__ import annotations

from datetime import timedelta

from kairflow.api.common import TaskInstanceState as TI
from kairflow.core.run_model import Capacity
from tests.unit.core.planner_harness import T0, Outcome, Simulation, fail, make_run, make_spec

SPEC = make_spec(
    [
        {"name": "extract", "bash": "x"},
        {"name": "clean", "group": "transform", "bash": "x"},
        {"name": "join", "group": "transform", "bash": "x"},
        {"name": "profile", "group": "transform.stats", "bash": "x"},
        {"name": "load", "bash": "x"},
    ],
    ["extract >> transform >> load", "transform.clean >> transform.join"],
    groups=[
        {"name": "transform", "defaults": {"retries": 1, "retryDelay": "1m", "pool": "etl"}},
        {"name": "stats", "group": "transform", "defaults": {"retries": 0}},
    ],
)


def test_a_grouped_run_goes_group_by_group_with_the_groups_retries() -> None:
    sim = Simulation(
        make_run(SPEC),
        script={
            "extract": [Outcome(seconds=10)],
            "transform.clean": [fail(), Outcome(seconds=5)],
            "transform.stats.profile": [Outcome(seconds=30)],
        },
        capacity=Capacity(pools={"default_pool": 128, "etl": 4}),
    )
    status = sim.run_to_end()
    assert status.state == "success"
    assert {k: ti.state for k, ti in status.task_instances.items()} == dict.fromkeys(
        ["extract", "transform.clean", "transform.join", "transform.stats.profile", "load"],
        TI.SUCCESS,
    )
    # The group's roots start when extract ends; clean retries after the group's delay.
    assert sim.start_time("transform.clean") == T0 + timedelta(seconds=10)
    assert sim.start_time("transform.stats.profile") == T0 + timedelta(seconds=10)
    assert sim.start_time("transform.clean", 1) == T0 + timedelta(seconds=11 + 60)
    assert status.task_instances["transform.clean"].try_number == 2
    # load waits for every leaf: join (after the retried clean) and profile.
    assert sim.start_time("load") == sim.start_time("transform.join") + timedelta(seconds=1)
    assert status.task_instances["transform.stats.profile"].max_tries == 1


def test_a_failed_leaf_of_a_group_fails_the_task_after_the_group() -> None:
    sim = Simulation(
        make_run(SPEC),
        script={"transform.stats.profile": [fail()]},
        capacity=Capacity(pools={"default_pool": 128, "etl": 4}),
    )
    status = sim.run_to_end()
    assert status.task_instances["transform.stats.profile"].state == TI.FAILED
    assert status.task_instances["load"].state == TI.UPSTREAM_FAILED
    assert status.state == "failed"


def test_the_groups_pool_holds_its_tasks() -> None:
    sim = Simulation(make_run(SPEC), capacity=Capacity(pools={"default_pool": 128, "etl": 1}))
    sim.run_to_end()
    # One slot in the group's pool: profile and clean do not overlap.
    clean, profile = sim.start_time("transform.clean"), sim.start_time("transform.stats.profile")
    assert abs(clean - profile) >= timedelta(seconds=1)
