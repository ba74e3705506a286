"""Deadline alerts over a whole run on the fake clock (the planner harness): a missed
deadline fires its callback once, at the deadline (the planner wakes for it), posts
an Event and sets DeadlineMissed; a met one fires nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.callbacks import CallbackKind
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.naming import callback_pod_name
from kairflow.core.planner import plan
from kairflow.core.run_model import CreatePod
from tests.unit.core.planner_harness import T0, Outcome, Simulation, make_run, make_spec

LATE = {"bash": "echo late"}


def deadline(reference: str, interval: str, **more: Any) -> dict[str, Any]:
    return {"reference": reference, "interval": interval, "callback": LATE, **more}


def simulate(deadlines: list[dict[str, Any]], seconds: float) -> Simulation:
    spec = make_spec([{"name": "work", "bash": "x"}], deadlines=deadlines)
    sim = Simulation(make_run(spec), script={"work": [Outcome(seconds=seconds)]})
    sim.run_to_quiet()
    return sim


def fired(sim: Simulation) -> list[tuple[int, str]]:
    """(deadline index, seconds after T0 its pod was asked for)."""
    return [
        (int(c.index), str(int((t - T0).total_seconds())))
        for c in sim.status.callbacks
        if c.kind == CallbackKind.DEADLINE
        for t, key in sim.started
        if key == f"callback:{c.pod}"
    ]


def missed_condition(status: DagRunStatus) -> str | None:
    found = [c for c in status.conditions if c.type == "DeadlineMissed"]
    return found[0].message if found else None


@pytest.mark.parametrize(
    ("deadlines", "seconds", "expected"),
    [
        pytest.param(
            [deadline("dagrunQueuedAt", "30s")],
            100,
            [(0, "30")],
            id="a run still running at its deadline fires the callback once, at the deadline",
        ),
        pytest.param(
            [deadline("dagrunQueuedAt", "30s")],
            10,
            [],
            id="a run finishing before its deadline fires nothing",
        ),
        pytest.param(
            [deadline("dagrunLogicalDate", "1h")],
            10,
            [(0, "0")],
            id="a deadline already past when the run is queued fires at once",
        ),
        pytest.param(
            [deadline("fixedDatetime", "10s", datetime="2024-01-02T00:00:20Z")],
            100,
            [(0, "30")],
            id="a fixed datetime plus the interval is the deadline",
        ),
        pytest.param(
            [deadline("dagrunQueuedAt", "5m"), deadline("dagrunQueuedAt", "50s")],
            100,
            [(1, "50")],
            id="of two deadlines only the missed one fires",
        ),
    ],
)
def test_deadlines(deadlines: list[dict[str, Any]], seconds: float, expected: list[Any]) -> None:
    sim = simulate(deadlines, seconds)
    assert sim.status.state == "success"  # the run goes on
    assert sorted(fired(sim)) == expected
    missed = [e for e in sim.events if e.reason == "DeadlineMissed"]
    assert len(missed) == len(expected)
    assert all(e.type == "Warning" for e in missed)
    assert (missed_condition(sim.status) is not None) == bool(expected)


def test_the_planner_wakes_at_the_deadline_and_not_after_the_run_met_it() -> None:
    sim = simulate([deadline("dagrunQueuedAt", "30s")], 10)
    assert sim.plans[0].wake_at == T0 + timedelta(seconds=30)
    assert sim.plans[-1].wake_at is None


def test_a_missed_deadline_says_which_in_the_condition_and_the_callback_context() -> None:
    sim = simulate([deadline("dagrunQueuedAt", "30s", name="sla")], 100)
    assert missed_condition(sim.status) == "missed: sla at 2024-01-02T00:00:30+00:00"
    [record] = sim.status.callbacks
    assert (record.kind, record.name, record.state) == ("deadline", "sla", "success")
    pod = sim.pods[str(record.pod)]
    env = {e["name"]: e.get("value") for e in pod.manifest["spec"]["containers"][0]["env"]}
    assert env["KAIRFLOW_CALLBACK"] == "deadline"
    assert env["KAIRFLOW_MESSAGE"] == "missed deadline sla (2024-01-02T00:00:30+00:00)"


def test_an_operator_down_at_the_deadline_fires_it_late_even_after_the_run_ended() -> None:
    without = simulate([], 100)
    spec = make_spec([{"name": "work", "bash": "x"}], deadlines=[deadline("dagrunQueuedAt", "30s")])
    later = plan(make_run(spec), without.status, without.observed(), without.now)
    assert [r.kind for r in later.status.callbacks] == ["deadline"]
    assert [a for a in later.actions if isinstance(a, CreatePod)]


def test_a_restarted_operator_adopts_the_deadline_callback_pod_instead_of_firing_again() -> None:
    spec = make_spec([{"name": "work", "bash": "x"}], deadlines=[deadline("dagrunQueuedAt", "30s")])
    run = make_run(spec)
    sim = Simulation(run, script={"work": [Outcome(seconds=100)]})
    while not sim.status.callbacks:
        before = sim.status
        result = sim.step()
        sim.now = sim.next_change(result.wake_at) or sim.now
    # The pass that fired created the pod; its status write is lost: plan from `before`.
    again = plan(run, before, sim.observed(), T0 + timedelta(seconds=30))
    assert not [a for a in again.actions if isinstance(a, CreatePod)]
    [record] = again.status.callbacks
    assert record.pod == callback_pod_name(run.name, None, CallbackKind.DEADLINE, 1, 0)
    # And a run already recorded as having fired never fires again.
    after = plan(run, again.status, sim.observed(), T0 + timedelta(seconds=60))
    assert len(after.status.callbacks) == 1
    assert not [a for a in after.actions if isinstance(a, CreatePod)]
