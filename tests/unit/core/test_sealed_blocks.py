"""A big mapped task's finished blocks of instances are sealed (`core.sealed_blocks`):
they leave the run's status for blocks of their own, the task's record keeps their
states run-length encoded, and everything that reads the run still sees them all."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.core import sealed_blocks
from kairflow.core.run_model import Capacity, Plan, ReadSealed
from kairflow.core.sealed_blocks import (
    block_name,
    decode,
    encode,
    recorded_state,
    runs_of,
    summary,
    weights,
)
from tests.unit.core import planner_harness
from tests.unit.core.mapped_runs import echo_index, literal, run_watching, settings
from tests.unit.core.planner_harness import Outcome, Simulation, fail, make_run, make_spec

S, F, K, U, N = TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.NONE


@pytest.mark.parametrize(
    ("states", "text"),
    [
        pytest.param([S] * 3, "success:3", id="a block that all succeeded is one run"),
        pytest.param(
            [S, S, F, S], "success:2,failed:1,success:1", id="a failure in the middle splits it"
        ),
        pytest.param([K, S, F], "skipped:1,success:1,failed:1", id="every state changes"),
        pytest.param([U] * 1000, "upstream_failed:1000", id="a thousand alike in one run"),
        pytest.param([], "", id="no instances: nothing"),
    ],
)
def test_states_are_run_length_encoded_in_map_index_order(states: list[TI], text: str) -> None:
    assert encode(states) == text
    assert decode(text) == states
    assert sum(count for _, count in runs_of(text)) == len(states)
    assert encode(decode(text)) == text


def sealed(*blocks: str, waiting: int = 0, state: TI = N) -> TaskInstanceStatus:
    """A mapped task's record with these sealed blocks, `waiting` instances not created."""
    length = 100 + waiting
    return TaskInstanceStatus(
        state=state,
        map_length=length,
        map_next=length - waiting,
        map_block=10,
        map_sealed={str(i): text for i, text in enumerate(blocks)} or None,
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(sealed("success:10", "success:4"), S, id="all succeeded: success"),
        pytest.param(sealed("success:10", "success:3,failed:1"), F, id="one failed: failed"),
        pytest.param(sealed("success:2,skipped:8", "skipped:4"), S, id="some skipped: success"),
        pytest.param(sealed("skipped:10", "skipped:4"), K, id="all skipped: skipped"),
        pytest.param(
            sealed("upstream_failed:1,success:9", "failed:1"), F, id="failed is worse than all"
        ),
        pytest.param(sealed("upstream_failed:1,success:9"), U, id="upstream failed: so is it"),
        pytest.param(sealed(), S, id="nothing sealed: success"),
    ],
)
def test_a_records_summary_is_the_worst_state_sealed(
    record: TaskInstanceStatus, expected: TI
) -> None:
    assert summary(record) == expected


@pytest.mark.parametrize(
    ("own", "blocks", "expected"),
    [
        pytest.param(F, ["success:2,failed:1"], F, id="a run that ended: its summary"),
        pytest.param(K, ["failed:1,success:2"], F, id="timed out, a failure sealed: failed"),
        pytest.param(K, ["success:3"], K, id="timed out, nothing failed: skipped, its own"),
        pytest.param(N, ["success:3", "skipped:3"], N, id="instances waiting: none, its own"),
        pytest.param(N, ["upstream_failed:3"], U, id="waiting, an upstream failure sealed"),
    ],
)
def test_a_record_tells_a_later_run_of_its_sealed_failures(
    own: TI, blocks: list[str], expected: TI
) -> None:
    assert recorded_state(own, {str(i): text for i, text in enumerate(blocks)}) == expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            TaskInstanceStatus(state=TI.RUNNING), [(TI.RUNNING, 1)], id="an instance: one"
        ),
        pytest.param(sealed(waiting=7), [(N, 7)], id="a record before any block is sealed"),
        pytest.param(
            sealed("success:10", "success:4,failed:1", waiting=7),
            [(N, 7), (S, 14), (F, 1)],
            id="a record of instances waiting and sealed",
        ),
        pytest.param(
            sealed("success:10", "skipped:5", state=S), [(S, 10), (K, 5)], id="all sealed"
        ),
    ],
)
def test_a_record_weighs_the_instances_it_stands_for(
    record: TaskInstanceStatus, expected: list[tuple[TI, int]]
) -> None:
    assert weights(record) == expected


def after(**task: Any) -> dict[str, Any]:
    return {"name": "after", "bash": "true", **task}


def blocks_of(sim: Simulation, task: str = "m") -> dict[int, dict[str, Any]]:
    """The sealed blocks written for `task`: block number -> its instances (wire)."""
    names = {block_name(sim.run.name, task, b): b for b in range(1000)}
    return {names[name]: records for name, records in sim.blocks.items() if name in names}


def sealed_indexes(sim: Simulation, task: str = "m") -> list[int]:
    return sorted(
        r["mapIndex"] for records in blocks_of(sim, task).values() for r in records.values()
    )


@pytest.mark.parametrize(
    ("items", "window", "slots"),
    [
        pytest.param(10, 3, 100, id="ten items, a window of three, slots for all"),
        pytest.param(25, 4, 2, id="25 items, a window of four, two slots"),
        pytest.param(100, 7, 100, id="a hundred items, a window of seven"),
        pytest.param(8, 1, 100, id="a window of one: each instance is a block"),
        pytest.param(4, 3, 100, id="one item more than the window"),
    ],
)
def test_a_big_mapped_task_keeps_a_window_of_records_and_seals_every_item_once(
    items: int, window: int, slots: int
) -> None:
    spec = make_spec([literal(items), after()], ["m >> after"])
    sim = Simulation(make_run(spec), settings=settings(window), capacity=Capacity(slots=slots))
    watched = run_watching(sim)
    assert sim.status.state == "success"
    assert [int(k[2:-1]) for _, k in sim.started if k.startswith("m[")] == list(range(items))
    assert watched.most_records <= 2 * window  # bounded by the window, not the items
    assert sim.status.progress == f"{items + 1}/{items + 1}"
    assert list(sim.status.task_instances) == ["m", "after"]  # in DAG order
    record = sim.status.task_instances["m"]
    assert (record.state, record.message) == (S, f"{items} instances sealed ({items} success)")
    assert sealed_indexes(sim) == list(range(items))
    for block, records in blocks_of(sim).items():
        assert {r["mapIndex"] // window for r in records.values()} == {block}
    assert sim.states() == {**{f"m[{i}]": "success" for i in range(items)}, "after": "success"}
    assert list(sim.states()) == [*(f"m[{i}]" for i in range(items)), "after"]


@pytest.mark.parametrize(
    ("rule", "downstream", "run"),
    [
        pytest.param("all_success", "upstream_failed", "failed", id="all_success: upstream failed"),
        pytest.param("all_done", "success", "success", id="all_done: it still runs"),
        pytest.param("one_failed", "success", "success", id="one_failed: it runs"),
        pytest.param("none_failed", "upstream_failed", "failed", id="none_failed: upstream failed"),
    ],
)
def test_one_failed_item_sealed_counts_for_the_run_and_the_task_downstream(
    rule: str, downstream: str, run: str
) -> None:
    spec = make_spec([literal(10), after(triggerRule=rule)], ["m >> after"])
    sim = Simulation(make_run(spec), script={"m[4]": [fail()]}, settings=settings(3))
    run_watching(sim)
    assert sim.status.state == run
    states = sim.states()
    assert (states["m[4]"], states["after"]) == ("failed", downstream)
    assert sum(state == "success" for state in states.values()) == 9 + (downstream == "success")
    record = sim.status.task_instances["m"]
    assert (record.state, record.message) == (F, "10 instances sealed (9 success, 1 failed)")
    assert blocks_of(sim)[1]["m[4]"]["state"] == "failed"
    assert sim.status.progress == "11/11"
    if run == "failed":
        assert "m" in (sim.status.message or "").removeprefix("failed tasks: ").split(", ")


def spy_read_sealed(monkeypatch: pytest.MonkeyPatch) -> list[ReadSealed]:
    """Every `ReadSealed` the planner asks for (the harness then plans again)."""
    asked: list[ReadSealed] = []
    real_plan = planner_harness.plan

    def planning(*args: Any, **kwargs: Any) -> Plan:
        result = real_plan(*args, **kwargs)
        asked.extend(a for a in result.actions if isinstance(a, ReadSealed))
        return result

    monkeypatch.setattr(planner_harness, "plan", planning)
    return asked


@pytest.mark.parametrize(
    ("wait", "read"),
    [
        pytest.param(0, range(4), id="as the last item ends: the blocks before it read back"),
        pytest.param(30, range(5), id="long after the last item: every block read back"),
    ],
)
def test_a_task_downstream_pulls_every_sealed_xcom_in_map_index_order(
    monkeypatch: pytest.MonkeyPatch, wait: int, read: range
) -> None:
    reduce = {"name": "reduce", "bash": "echo {{ ti.xcom_pull('m') | join(',') }}"}
    spec = make_spec(
        [literal(9), {"name": "slow", "bash": "true"}, reduce], ["[m, slow] >> reduce"]
    )
    script = {"m": echo_index, "slow": [Outcome(seconds=wait)]}
    sim = Simulation(make_run(spec), script=script, settings=settings(2))
    asked = spy_read_sealed(monkeypatch)
    run_watching(sim)  # the harness fails should a pass ask again for what it read
    assert sim.status.state == "success"
    command = next(p for p in sim.pods.values() if p.key == "reduce").manifest["spec"]
    assert command["containers"][0]["command"][-1] == "echo 0,1,2,3,4,5,6,7,8"
    assert [a.task for a in asked] == ["m"]
    assert asked[0].names == tuple(block_name(sim.run.name, "m", b) for b in read)


def test_a_task_mapped_over_a_sealed_tasks_output_gets_every_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = make_spec(
        [literal(10), {"name": "n", "bash": "echo {{ item }}", "expand": {"fromTask": "m"}}],
        ["m >> n"],
    )
    sim = Simulation(make_run(spec), script={"m": echo_index}, settings=settings(3))
    asked = spy_read_sealed(monkeypatch)
    watched = run_watching(sim)
    assert sim.status.state == "success"
    assert watched.most_records <= 6
    commands = {
        p.key: p.manifest["spec"]["containers"][0]["command"][-1]
        for p in sim.pods.values()
        if p.key.startswith("n[")
    }
    assert commands == {f"n[{i}]": f"echo {i}" for i in range(10)}
    assert sealed_indexes(sim, "n") == list(range(10))  # sealed in its turn
    assert {a.task for a in asked} == {"m"}
    assert sim.status.progress == "20/20"
    assert set(sim.states().values()) == {"success"} and len(sim.states()) == 20


def test_an_index_is_sealed_when_its_block_is() -> None:
    record = sealed(waiting=10)
    record.map_sealed = {"2": "success:10"}
    assert [i for i in range(40) if sealed_blocks.is_sealed(record, i)] == list(range(20, 30))
    assert not sealed_blocks.is_sealed(None, 0)


def test_a_task_mapped_over_one_sealed_task_pulling_another_waits_for_both_reads() -> None:
    """Its expansion asks for the first task's blocks; its templates then ask for the
    second's: no instance starts with a value not read yet (it would render None)."""
    spec = make_spec(
        [
            literal(7, name="s1"),
            literal(7, name="s2"),
            {
                "name": "x",
                "bash": "echo {{ item }}:{{ ti.xcom_pull('s2') | join(',') }}",
                "expand": {"fromTask": "s1"},
            },
        ],
        ["s1 >> x", "s2 >> x"],
    )
    script = {"s1": echo_index, "s2": echo_index}
    sim = Simulation(make_run(spec), script=script, settings=settings(3))
    assert run_watching(sim).sim.status.state == "success"
    commands = sorted(
        p.manifest["spec"]["containers"][0]["command"][-1]
        for p in sim.pods.values()
        if p.key.startswith("x[")
    )
    assert commands == [f"echo {i}:0,1,2,3,4,5,6" for i in range(7)]
