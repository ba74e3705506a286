"""A mapped task's instances are created a window at a time (`core.map_window`): the
rest wait as a count on the task's own record, so a task mapped over 100,000 items
records what its window holds, not every item, while it runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.dag import TaskSpec
from kairflow.api.dagrun import ClearRequest
from kairflow.core.graph import build_graph
from kairflow.core.interventions import apply_clear
from kairflow.core.mapping import map_items, mapped_length
from kairflow.core.run_model import Capacity
from tests.unit.core.mapped_runs import (
    echo_index,
    literal,
    run_watching,
    settings,
    started_indexes,
)
from tests.unit.core.planner_harness import Pod, Simulation, fail, make_run, make_spec, xcom


@pytest.mark.parametrize(
    ("items", "window", "slots"),
    [
        pytest.param(10, 3, 100, id="ten items, a window of three, slots for all"),
        pytest.param(25, 4, 2, id="25 items, a window of four, two slots"),
        pytest.param(7, 7, 100, id="as many items as the window: created at once"),
        pytest.param(8, 1, 100, id="a window of one: one instance at a time"),
    ],
)
def test_every_item_runs_once_in_index_order_and_never_more_than_the_window_is_unfinished(
    items: int, window: int, slots: int
) -> None:
    spec = make_spec([literal(items), {"name": "after", "bash": "true"}], ["m >> after"])
    sim = Simulation(make_run(spec), settings=settings(window), capacity=Capacity(slots=slots))
    watched = run_watching(sim)
    assert sim.status.state == "success"
    assert started_indexes(sim) == list(range(items))
    assert watched.most_unfinished <= window
    assert "m" not in sim.states()  # no record of the rest once all exist
    assert sim.status.progress == f"{items + 1}/{items + 1}"


def test_progress_counts_the_instances_not_created_yet() -> None:
    sim = Simulation(make_run(make_spec([literal(10)])), settings=settings(3))
    sim.step()
    rest = sim.status.task_instances["m"]
    assert (rest.map_length, rest.map_next, rest.state) == (10, 3, "none")
    assert (
        rest.message == "7 of 10 instances not created yet: they are created as earlier ones finish"
    )
    assert sim.status.progress == "0/10"
    assert list(sim.status.task_instances) == ["m[0]", "m[1]", "m[2]", "m"]


def test_a_downstream_task_waits_for_every_item_and_pulls_all_their_values_in_order() -> None:
    spec = make_spec(
        [literal(9), {"name": "reduce", "bash": "echo {{ ti.xcom_pull('m') | join(',') }}"}],
        ["m >> reduce"],
    )
    sim = Simulation(make_run(spec), script={"m": echo_index}, settings=settings(2))
    assert run_watching(sim).sim.status.state == "success"
    reduce_pod = next(p for p in sim.pods.values() if p.key == "reduce")
    assert reduce_pod.manifest["spec"]["containers"][0]["command"][-1] == "echo 0,1,2,3,4,5,6,7,8"
    last_item = max(t for t, key in sim.started if key.startswith("m["))
    assert sim.start_time("reduce") > last_item


def test_a_mapping_over_an_upstream_xcom_is_created_a_window_at_a_time() -> None:
    spec = make_spec(
        [
            {"name": "src", "bash": "true"},
            {"name": "m", "bash": "echo {{ item }}", "expand": {"fromTask": "src"}},
        ],
        ["src >> m"],
    )
    sim = Simulation(
        make_run(spec), script={"src": [xcom(str(list(range(12))))]}, settings=settings(5)
    )
    watched = run_watching(sim)
    assert sim.status.state == "success"
    assert started_indexes(sim) == list(range(12))
    assert watched.most_unfinished <= 5
    assert sim.status.progress == "13/13"


def test_one_failed_item_fails_the_run_but_every_other_item_still_runs() -> None:
    spec = make_spec([literal(10), {"name": "after", "bash": "true"}], ["m >> after"])
    sim = Simulation(make_run(spec), script={"m[4]": [fail()]}, settings=settings(3))
    run_watching(sim)
    states = sim.states()
    assert sim.status.state == "failed"
    assert sorted(started_indexes(sim)) == list(range(10))
    assert states["m[4]"] == "failed" and states["after"] == "upstream_failed"
    assert sim.status.progress == "11/11"


def test_a_branch_that_skips_the_mapped_task_skips_the_instances_never_created() -> None:
    spec = make_spec(
        [
            {"name": "pick", "bash": "true", "branch": True},
            literal(10),
            {"name": "other", "bash": "true"},
        ],
        ["pick >> [m, other]"],
    )
    sim = Simulation(make_run(spec), script={"pick": [xcom('"other"')]}, settings=settings(3))
    run_watching(sim)
    states = sim.states()
    assert sim.status.state == "success"
    assert started_indexes(sim) == []
    assert {states[k] for k in ("m[0]", "m[1]", "m[2]", "m")} == {"skipped"}
    assert sim.status.progress == "12/12"  # pick, other and the ten items


def test_a_lost_record_of_the_rest_comes_back_with_its_count() -> None:
    sim = Simulation(make_run(make_spec([literal(10)])), settings=settings(3))
    sim.step()
    del sim.status.task_instances["m"]
    del sim.status.task_instances["m[1]"]
    sim.step()
    tis = sim.status.task_instances
    assert tis["m"].map_length == 10 and tis["m"].map_next == 3
    assert "m[1]" in tis
    run_watching(sim)
    assert sim.status.state == "success"
    assert sorted(set(started_indexes(sim))) == list(range(10))


def test_lost_instances_beside_sealed_blocks_come_back_and_sealed_ones_do_not() -> None:
    sim = Simulation(make_run(make_spec([literal(10)])), settings=settings(3))
    while not (sim.status.task_instances.get("m") and sim.status.task_instances["m"].map_sealed):
        sim.step()
        sim.now = sim.next_change(None) or sim.now
    blocks = {int(b) for b in sim.status.task_instances["m"].map_sealed or {}}
    # The slice holding the instances not sealed is deleted; the record's is not.
    lost = [k for k in sim.status.task_instances if k.startswith("m[")]
    assert lost
    for key in lost:
        del sim.status.task_instances[key]
    sim.step()
    assert set(lost) <= set(sim.states())  # restored (their pods adopted), maybe sealed
    assert {int(b) for b in sim.status.task_instances["m"].map_sealed or {}} >= blocks
    run_watching(sim)
    assert sim.status.state == "success"
    assert sorted(started_indexes(sim)) == list(range(10))  # each exactly once


def test_clearing_the_mapped_task_keeps_the_count_of_the_instances_not_created() -> None:
    spec = make_spec([literal(10)])
    sim = Simulation(make_run(spec), settings=settings(3))
    sim.step()
    apply_clear(sim.status, build_graph(spec), ClearRequest(id="1", tasks=["m"]), {"m": 0})
    rest = sim.status.task_instances["m"]
    assert (rest.map_length, rest.map_next) == (10, 3)
    run_watching(sim)
    assert sim.status.state == "success"


@pytest.mark.parametrize(
    "expand",
    [
        pytest.param({"items": [1, 2, 3]}, id="a literal list"),
        pytest.param({"fromTask": "src"}, id="an upstream XCom"),
        pytest.param(
            {"product": [{"name": "a", "items": [1, 2, 3]}, {"name": "b", "fromTask": "src"}]},
            id="a product",
        ),
        pytest.param(
            {"product": [{"name": "a", "items": []}, {"name": "b", "items": [1]}]},
            id="an empty product",
        ),
    ],
)
def test_the_length_of_a_mapping_is_its_number_of_items(expand: dict[str, Any]) -> None:
    task = TaskSpec.model_validate({"name": "m", "bash": "true", "expand": expand})
    xcoms = {"src": ["x", "y"]}
    assert mapped_length(task, xcoms) == len(map_items(task, xcoms) or [])
    assert mapped_length(task, {}) == (
        None if "src" in str(expand) else len(map_items(task, {}) or [])
    )


@pytest.mark.parametrize("window", [1, 3, 1024])
def test_an_empty_mapped_task_finishes_whatever_the_window(window: int) -> None:
    """Its instances end without pods, in the pass that creates them: the window
    refills in the same pass (nothing else would wake the run)."""
    spec = make_spec(
        [{"name": "a", "bash": "true"}, literal(10, bash=None), {"name": "z", "bash": "true"}],
        ["a >> m >> z"],
    )
    sim = Simulation(make_run(spec), settings=settings(window))
    run_watching(sim)
    assert sim.status.state == "success", sim.status.message
    assert sim.status.progress == "12/12"


def test_instances_started_by_a_pass_whose_write_was_lost_keep_their_pods() -> None:
    """The operator killed after creating pods but before its status write: the
    next pass, with no free slot left, adopts them instead of deleting strays."""
    sim = Simulation(make_run(make_spec([literal(6)])), settings=settings(2))
    sim.step()  # m[0], m[1] start
    sim.now += timedelta(seconds=1.5)  # both ended
    before = sim.status.fresh_copy()
    sim.step()  # m[2], m[3] created and started...
    assert {"m-2-1", "m-3-1"} <= {pod_key(p) for p in sim.pods.values()}
    sim.status = before  # ...and that status never written
    sim.capacity = Capacity(slots=0)
    sim.step()
    states = sim.states()
    assert sim.deleted == []
    assert (states["m[2]"], states["m[3]"]) == ("running", "running")  # adopted
    assert sim.status.task_instances["m"].map_next == 4


def test_a_source_that_pushes_a_longer_list_after_a_clear_maps_the_new_items_too() -> None:
    """Airflow creates the new indexes when a cleared source pushes more items; the
    task downstream waits for them."""
    spec = make_spec(
        [
            {"name": "u", "bash": "true"},
            {"name": "m", "bash": "true", "expand": {"fromTask": "u"}},
            {"name": "d", "bash": "true"},
        ],
        ["u >> m >> d"],
    )
    sim = Simulation(make_run(spec), script={"u": [xcom("[1, 2, 3]"), xcom("[1, 2, 3, 4, 5]")]})
    assert sim.run_to_end().state == "success"
    graph = build_graph(spec)
    apply_clear(sim.status, graph, ClearRequest(id="1", tasks=["u"], downstream=True), {})
    sim.status.state = DagRunState.RUNNING
    sim.run_to_end()
    assert sim.status.state == "success"
    assert sorted(k for k in sim.status.task_instances if k.startswith("m[")) == [
        f"m[{i}]" for i in range(5)
    ]
    last_item = max(t for t, key in sim.started if key.startswith("m["))
    assert sim.start_time("d", 1) > last_item


def pod_key(pod: Pod) -> str:
    labels = pod.manifest["metadata"]["labels"]
    return f"m-{labels['kairflow.io/map-index']}-{labels['kairflow.io/try']}"
