"""dependsOnPast as Airflow 2.10's PrevDagrunDep has it: which run is the previous one
(with catchup, manual runs do not count), every instance of the task in it, and
ignoreFirstDependsOnPast for a task that never ran before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedRun
from kairflow.core.run_history import previous_run
from kairflow.core.run_model import PreviousRun
from tests.unit.core.observed import FAILED, RUNNING, SUCCESS, at, run
from tests.unit.core.planner_harness import Outcome, Simulation, fail, make_run, make_spec

UTC_ZONE = ZoneInfo("UTC")
ME = run("me", state=RUNNING, logical="2026-01-05", run_type=RunType.SCHEDULED)
SCHEDULED, MANUAL, BACKFILL = RunType.SCHEDULED, RunType.MANUAL, RunType.BACKFILL


def sibling(name: str, day: int, run_type: RunType, **fields: Any) -> ObservedRun:
    """A finished run of 2026-01-`day` whose one task is named after it."""
    fields.setdefault("state", SUCCESS)
    return run(
        name, tasks={name: TI.SUCCESS}, logical=f"2026-01-{day:02d}", run_type=run_type, **fields
    )


@pytest.mark.parametrize(
    ("siblings", "catchup", "expected"),
    [
        pytest.param(
            [sibling("sched", 3, SCHEDULED), sibling("manual", 4, MANUAL)],
            True,
            "sched",
            id="with catchup the previous run is the previous scheduled one, past a manual run",
        ),
        pytest.param(
            [sibling("sched", 3, SCHEDULED), sibling("manual", 4, MANUAL)],
            False,
            "manual",
            id="without catchup a manual run in between is the previous run",
        ),
        pytest.param(
            [sibling("sched", 2, SCHEDULED), sibling("backfill", 3, BACKFILL)],
            True,
            "backfill",
            id="with catchup a backfill run counts as a previous run",
        ),
        pytest.param(
            [sibling("manual", 4, MANUAL)],
            True,
            None,
            id="with catchup only manual runs before means there is no previous run",
        ),
    ],
)
def test_which_run_is_the_previous_run(
    siblings: list[ObservedRun], catchup: bool, expected: str | None
) -> None:
    found = previous_run(ME, at("2026-01-05"), [ME, *siblings], UTC_ZONE, catchup=catchup)
    assert (None if found is None else next(iter(found.task_states))) == expected


def test_every_earlier_run_counts_for_what_ran_before_even_a_manual_one() -> None:
    siblings = [sibling("sched", 3, SCHEDULED), sibling("manual", 4, MANUAL)]
    found = previous_run(ME, at("2026-01-05"), [ME, *siblings], UTC_ZONE, catchup=True)
    assert found is not None and found.ran_before == {"sched", "manual"}


MAPPED = {"name": "m", "bash": "echo", "expand": {"items": [1, 2]}}


def past(
    states: dict[str, TI], *, finished: bool = True, ran: set[str] | None = None
) -> PreviousRun:
    return PreviousRun(states, finished, frozenset(ran if ran is not None else states))


@pytest.mark.parametrize(
    ("task", "previous", "waiting"),
    [
        pytest.param(
            {},
            past({"a": TI.SKIPPED}),
            None,
            id="a task skipped in the previous run may run",
        ),
        pytest.param(
            {},
            past({"a": TI.UPSTREAM_FAILED}),
            "a is upstream_failed in the previous run",
            id="a task upstream_failed in the previous run waits",
        ),
        pytest.param(
            {},
            past({}, ran=set()),
            None,
            id="a task new to the DAG runs at once (ignoreFirstDependsOnPast defaults to true)",
        ),
        pytest.param(
            {"ignoreFirstDependsOnPast": False},
            past({}, ran=set()),
            "a did not run in the previous run (ignoreFirstDependsOnPast is false)",
            id="a task new to the DAG waits when ignoreFirstDependsOnPast is false",
        ),
        pytest.param(
            {},
            past({}, ran={"a"}),
            "a did not run in the previous run",
            id="a task that ran in an earlier run but not in the previous one waits",
        ),
        pytest.param(
            {},
            past({}, finished=False, ran=set()),
            "a has not run yet in the previous run",
            id="a task the previous run has not reached yet waits, new or not",
        ),
    ],
)
def test_a_task_with_depends_on_past(
    task: dict[str, Any], previous: PreviousRun, waiting: str | None
) -> None:
    spec = make_spec([{"name": "a", "bash": "echo", "dependsOnPast": True, **task}])
    sim = Simulation(make_run(spec), previous=previous)
    sim.step()
    message = sim.status.task_instances["a"].message or ""
    if waiting is None:
        assert sim.states() == {"a": "queued"}
    else:
        assert sim.states() == {"a": "none"}
        assert message == f"waiting: dependsOnPast, and {waiting}"


def test_a_mapped_instance_waits_for_every_instance_of_the_previous_run() -> None:
    spec = make_spec([{**MAPPED, "dependsOnPast": True}])
    previous = past({"m": TI.SUCCESS, "m[0]": TI.SUCCESS, "m[1]": TI.FAILED})
    sim = Simulation(make_run(spec), previous=previous)
    sim.run_to_end(max_steps=20)
    assert sim.states()["m[0]"] == "none"
    assert "m[1] is failed in the previous run" in (sim.status.task_instances["m[0]"].message or "")


# --- several runs in a row, each seeing the ones before it --------------------------


@dataclass
class History:
    """Runs of one DAG simulated one after the other, each given its previous run as
    the controller finds it among the runs before."""

    spec: DAGSpec
    catchup: bool
    runs: list[ObservedRun] = field(default_factory=list)
    sims: dict[str, Simulation] = field(default_factory=dict)

    def play(self, name: str, day: int, run_type: RunType, **script: list[Outcome]) -> Simulation:
        logical = datetime(2024, 1, day, tzinfo=UTC)
        me = run(name, logical=logical.isoformat(), run_type=run_type, state=RUNNING)
        previous = previous_run(me, logical, [*self.runs, me], UTC_ZONE, catchup=self.catchup)
        context = make_run(
            self.spec,
            name=name,
            run_type=run_type.value,
            run_id=f"{run_type.value}__{logical.isoformat()}",
            logical_date=logical,
            data_interval_start=logical,
            data_interval_end=logical + timedelta(days=1),
        )
        sim = Simulation(context, script=script, previous=previous)
        status = sim.run_to_end(max_steps=50)
        states = {k: ti.state for k, ti in status.task_instances.items()}
        state = DagRunState(status.state) if status.state else RUNNING
        self.runs.append(
            run(name, logical=logical.isoformat(), run_type=run_type, state=state, tasks=states)
        )
        self.sims[name] = sim
        return sim


def waits(sim: Simulation, key: str) -> str | None:
    ti = sim.status.task_instances[key]
    return ti.message if ti.state == TI.NONE else None


def test_with_catchup_the_second_interval_waits_for_the_first_past_a_manual_run() -> None:
    history = History(
        make_spec([{"name": "a", "bash": "echo", "dependsOnPast": True}]), catchup=True
    )
    history.play("first", 1, SCHEDULED, a=[fail()])
    history.play("manual", 2, MANUAL)  # its own previous run failed: it waits too
    second = history.play("second", 3, SCHEDULED)
    assert waits(second, "a") == "waiting: dependsOnPast, and a is failed in the previous run"


def test_with_catchup_a_manual_run_that_failed_holds_back_no_scheduled_run() -> None:
    history = History(
        make_spec([{"name": "a", "bash": "echo", "dependsOnPast": True}]), catchup=True
    )
    history.play("first", 1, SCHEDULED)
    history.play("manual", 2, MANUAL, a=[fail()])
    assert history.play("second", 3, SCHEDULED).status.state == "success"


def test_without_catchup_a_manual_run_that_failed_holds_back_the_next_run() -> None:
    history = History(
        make_spec([{"name": "a", "bash": "echo", "dependsOnPast": True}]), catchup=False
    )
    history.play("first", 1, SCHEDULED)
    history.play("manual", 2, MANUAL, a=[fail()])
    second = history.play("second", 3, SCHEDULED)
    assert waits(second, "a") == "waiting: dependsOnPast, and a is failed in the previous run"


def test_a_task_added_to_the_dag_later_runs_first_unless_ignore_first_is_false() -> None:
    old = make_spec([{"name": "a", "bash": "echo"}])
    history = History(old, catchup=True)
    history.play("first", 1, SCHEDULED)
    history.spec = make_spec(
        [
            {"name": "a", "bash": "echo"},
            {"name": "new", "bash": "echo", "dependsOnPast": True},
            {
                "name": "strict",
                "bash": "echo",
                "dependsOnPast": True,
                "ignoreFirstDependsOnPast": False,
            },
        ]
    )
    second = history.play("second", 2, SCHEDULED)
    assert second.states()["new"] == "success"
    assert waits(second, "strict") == (
        "waiting: dependsOnPast, and strict did not run in the previous run "
        "(ignoreFirstDependsOnPast is false)"
    )
    # The third run sees `new` succeed in the second; `strict` never ran, so it still waits.
    third = history.play("third", 3, SCHEDULED)
    assert third.states()["new"] == "success"
    assert waits(third, "strict") is not None


def test_failed_sibling_state_is_kept_as_failed() -> None:
    """The history helper records a failed run as failed (guards the tests above)."""
    history = History(make_spec([{"name": "a", "bash": "echo"}]), catchup=True)
    history.play("first", 1, SCHEDULED, a=[fail()])
    assert history.runs[0].state == FAILED
