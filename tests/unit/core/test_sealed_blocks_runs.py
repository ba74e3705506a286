"""Sealed blocks (`core.sealed_blocks`) through what happens to a run besides its
instances ending: records lost, a later run that depends on this one, a timeout, a
clear."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.dagrun import ClearRequest, TaskInstanceStatus
from kairflow.core.graph import build_graph
from kairflow.core.interventions import apply_clear
from kairflow.core.run_model import PreviousRun, SealBlock
from kairflow.core.sealed_blocks import forget_blocks, sealed_block_names, unseal
from kairflow.k8s.observe import observe_run
from tests.unit.core.mapped_runs import literal, run_watching, settings
from tests.unit.core.planner_harness import Outcome, Simulation, fail, make_run, make_spec

SLOW = Outcome(seconds=2)


def run_for(sim: Simulation, seconds: float) -> None:
    """Pass after pass until `seconds` of the run have gone by, the last one then."""
    end = sim.now + timedelta(seconds=seconds)
    while True:
        result = sim.step()
        if sim.now >= end:
            return
        sim.now = min(max(sim.next_change(result.wake_at) or end, sim.now), end)


def mapped(sim: Simulation) -> list[str]:
    return [key for key in sim.status.task_instances if key.startswith("m[")]


def sealed_indexes(sim: Simulation) -> list[int]:
    """Every map index in the blocks written, once each time it is in one."""
    return sorted(r["mapIndex"] for records in sim.blocks.values() for r in records.values())


def started(sim: Simulation) -> list[str]:
    return [key for _, key in sim.started if key.startswith("m[")]


def started_again(sim: Simulation) -> list[str]:
    """The instances of `m` that started more than once, in map index order."""
    counts = Counter(started(sim))
    return sorted((key for key, n in counts.items() if n > 1), key=lambda k: int(k[2:-1]))


def forget_pods(sim: Simulation, keys: list[str]) -> None:
    """Their pods are gone too (deleted, or garbage collected)."""
    for name in [name for name, pod in sim.pods.items() if pod.key in keys]:
        del sim.pods[name]


ONE, WINDOW = ["m[7]"], ["m[6]", "m[7]", "m[8]"]


@pytest.mark.parametrize(
    ("items", "lost", "pods_too", "resealed"),
    [
        pytest.param(12, ONE, True, [], id="an instance: it comes back to its pod"),
        pytest.param(12, ONE, False, [], id="an instance and its pod: it runs again"),
        pytest.param(12, WINDOW, False, [], id="every instance not sealed: they run again"),
        pytest.param(9, WINDOW, False, [], id="the same once all exist: the run waits"),
        pytest.param(
            12, ["m", *ONE], True, [0, 1], id="the record too: its sealed ones read from pods"
        ),
    ],
)
def test_lost_records_come_back_and_no_sealed_instance_runs_again(
    items: int, lost: list[str], pods_too: bool, resealed: list[int]
) -> None:
    sim = Simulation(
        make_run(make_spec([literal(items)])), script={"m": [SLOW]}, settings=settings(3)
    )
    run_for(sim, 4)  # blocks 0 and 1 sealed, m[6..8] running
    assert mapped(sim) == ["m[6]", "m[7]", "m[8]"]
    assert sorted(sim.status.task_instances["m"].map_sealed or {}) == ["0", "1"]
    for key in lost:
        del sim.status.task_instances[key]
    if not pods_too:
        forget_pods(sim, lost)
    kept = mapped(sim)
    result = sim.step()
    back = sorted(set(mapped(sim)) - set(kept), key=lambda k: int(k[2:-1]))
    assert back == [key for key in lost if key != "m"]  # lost, not sealed: back
    assert [a.block for a in result.actions if isinstance(a, SealBlock)] == resealed
    run_watching(sim)
    assert sim.status.state == "success"
    assert started_again(sim) == ([] if pods_too else lost)  # no sealed instance ran again
    assert sim.status.progress == f"{items}/{items}"
    assert set(sealed_indexes(sim)) == set(range(items))
    assert sim.states() == {f"m[{i}]": "success" for i in range(items)}


def stored_states(sim: Simulation) -> PreviousRun:
    """The run as the controller reads it as the previous run (its stored status)."""
    body = {
        "metadata": {"name": sim.run.name, "namespace": "ns"},
        "spec": {"dagName": "d"},
        "status": sim.status.to_wire(),
    }
    observed = observe_run(body)
    return PreviousRun(dict(observed.task_states), observed.finished)


@pytest.mark.parametrize(
    ("script", "timeout", "held"),
    [
        pytest.param({}, None, None, id="every item succeeded: the next run goes"),
        pytest.param({"m[4]": [fail()]}, None, "failed", id="a sealed item failed: held back"),
        pytest.param(
            {"m[1]": [fail()], "m": [SLOW]},
            "5s",
            "failed",
            id="a sealed item failed and the run timed out with items waiting: held back",
        ),
        pytest.param(
            {"m": [SLOW]}, "5s", None, id="the run timed out, nothing failed: the next run goes"
        ),
    ],
)
def test_depends_on_past_reads_the_sealed_states_of_the_previous_run(
    script: dict[str, Any], timeout: str | None, held: str | None
) -> None:
    extra = {"dagrunTimeout": timeout} if timeout else {}
    spec = make_spec([literal(20, dependsOnPast=True)], **extra)
    first = Simulation(make_run(spec), script=script, settings=settings(3))
    run_watching(first)
    assert first.status.task_instances["m"].map_sealed
    second = Simulation(
        make_run(spec, name="d-2", run_id="r2"), settings=settings(3), previous=stored_states(first)
    )
    second.step()
    messages = {key: second.status.task_instances[key].message for key in mapped(second)}
    if held:
        assert started(second) == []
        assert set(messages.values()) == {
            f"waiting: dependsOnPast, and m is {held} in the previous run"
        }
    else:
        assert started(second) == ["m[0]", "m[1]", "m[2]"]


def test_a_run_timing_out_keeps_its_sealed_blocks_and_skips_the_instances_waiting() -> None:
    after = {"name": "after", "bash": "true"}
    spec = make_spec([literal(20), after], ["m >> after"], dagrunTimeout="5s")
    sim = Simulation(make_run(spec), script={"m": [SLOW]}, settings=settings(3))
    run_watching(sim)
    assert (sim.status.state, sim.status.message) == (
        "failed",
        "timed out after 5s (dagrunTimeout)",
    )
    assert sim.status.progress == "21/21"
    states = sim.states()
    assert [states[f"m[{i}]"] for i in range(9)] == ["success"] * 6 + ["skipped"] * 3
    assert (states["m"], states["after"]) == ("skipped", "skipped")  # m: the 11 never created
    record = sim.status.task_instances["m"]
    assert (record.map_next, record.map_length) == (9, 20)
    assert sorted(sim.deleted) == sorted(f"{sim.run.name}-m-{i}-1" for i in (6, 7, 8))
    assert sealed_indexes(sim) == list(range(9))


def read_back(sim: Simulation) -> dict[str, TaskInstanceStatus]:
    """What the controller reads of the task's blocks before it clears it."""
    record = sim.status.task_instances["m"]
    names = sealed_block_names(sim.run.name, "m", record)
    return {
        k: TaskInstanceStatus.model_validate(r) for n in names for k, r in sim.blocks[n].items()
    }


def ran_to_end(sim: Simulation) -> None:
    run_watching(sim)


def ran_a_while(sim: Simulation) -> None:
    run_for(sim, 4)
    assert mapped(sim) == ["m[6]", "m[7]", "m[8]"]  # blocks 0 and 1 sealed


@pytest.mark.parametrize(
    ("before", "only_failed", "again"),
    [
        pytest.param(ran_to_end, False, list(range(10)), id="the run ended: every item again"),
        pytest.param(ran_a_while, False, list(range(9)), id="while it runs: every item again"),
        pytest.param(ran_to_end, True, [4], id="only the failed ones: the failed item again"),
    ],
)
def test_a_cleared_sealed_task_runs_again_and_is_sealed_again(
    before: Callable[[Simulation], None], only_failed: bool, again: list[int]
) -> None:
    spec = make_spec([literal(10), {"name": "after", "bash": "true"}], ["m >> after"])
    script = {"m[4]": [fail(), SLOW], "m": [SLOW]}
    sim = Simulation(make_run(spec), script=script, settings=settings(3))
    before(sim)
    first_blocks = dict(sim.blocks)
    unseal(sim.status, "m", read_back(sim))
    assert not sim.status.task_instances.get("m", TaskInstanceStatus()).map_sealed
    request = ClearRequest(id="1", tasks=["m"], downstream=True, only_failed=only_failed)
    apply_clear(sim.status, build_graph(spec), request, {"m": 0})
    sim.blocks.clear()
    run_watching(sim)
    assert sim.status.state == "success"
    assert started_again(sim) == [f"m[{i}]" for i in again]
    assert sorted(sealed_indexes(sim)) == list(range(10))  # every block written again
    assert set(first_blocks) <= set(sim.blocks)  # each written again, under its name
    tries = {r["mapIndex"]: r["tryNumber"] for b in sim.blocks.values() for r in b.values()}
    assert {i for i, n in tries.items() if n == 2} == set(again)
    assert sim.states() == {**{f"m[{i}]": "success" for i in range(10)}, "after": "success"}


def test_a_clear_after_a_block_was_deleted_by_hand_runs_its_items_too() -> None:
    """The controller forgets a block it cannot read back (`forget_blocks`) and puts
    the others back: the record stays, so the lost block's items come back too (as
    lost instances do: from their pods, which are still there)."""
    spec = make_spec([literal(9)])
    sim = Simulation(make_run(spec), settings=settings(3))
    run_watching(sim)
    names = sealed_block_names(sim.run.name, "m", sim.status.task_instances["m"])
    last = names[-1]  # indexes 6 to 8, deleted by hand
    records = {k: v for k, v in read_back(sim).items() if (v.map_index or 0) < 6}
    forget_blocks(sim.status, sim.run.name, "m", [last])
    unseal(sim.status, "m", records)
    apply_clear(sim.status, build_graph(spec), ClearRequest(id="1", tasks=["m"]), {"m": 0})
    sim.blocks.clear()
    run_watching(sim)
    assert sim.status.state == "success"
    assert sorted(sealed_indexes(sim)) == list(range(9))
    assert Counter(started(sim)) == {f"m[{i}]": 2 if i < 6 else 1 for i in range(9)}
    assert sim.states() == {f"m[{i}]": "success" for i in range(9)}
