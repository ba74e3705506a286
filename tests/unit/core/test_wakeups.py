"""Who must look again when a run changes, when a DAG changes, and which runs wait
for a free slot."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.wakeups import Wakeups, after_dag_change, after_run_change, waits_for_slots
from tests.unit.core.observed import FAILED, QUEUED, RUNNING, SUCCESS, dag, run

DAG = dag()
NO_CATCHUP = dag(catchup=False)
SCHEDULED, MANUAL = RunType.SCHEDULED, RunType.MANUAL


def me(state: Any, **tasks: TI) -> ObservedRun:
    """The run that changes, a scheduled one (logical date 2026-01-05), with its task
    states."""
    return run("me", state=state, logical="2026-01-05", tasks=tasks, run_type=SCHEDULED)


def past(name: str, logical: str, waits: bool = True, **fields: Any) -> ObservedRun:
    """A running scheduled sibling that waits on its past (dependsOnPast) unless told
    otherwise."""
    fields.setdefault("state", RUNNING)
    fields.setdefault("run_type", SCHEDULED)
    return run(name, logical=logical, waits_on_past=waits, **fields)


ADMISSION = [
    run("q1", state=QUEUED, logical="2026-01-06"),
    run("q2", created="2026-01-07"),
    run("r", state=RUNNING, logical="2026-01-04"),
    run("s", state=SUCCESS, logical="2026-01-03"),
]


@pytest.mark.parametrize(
    ("before", "after", "siblings", "the_dag", "expected"),
    [
        pytest.param(None, None, ADMISSION, DAG, Wakeups(), id="nothing at all wakes nobody"),
        pytest.param(
            me(QUEUED),
            None,
            [past("next", "2026-01-06", state=RUNNING)],
            DAG,
            Wakeups(runs=frozenset({"next"}), dag=True),
            id="a previous run deleted before it ran wakes the next run that waits on its past",
        ),
        pytest.param(
            None,
            me(None),
            [past("next", "2026-01-06", state=RUNNING)],
            DAG,
            Wakeups(runs=frozenset({"next"}), dag=True),
            id="a new run just before one that waits on its past becomes its previous: it wakes",
        ),
        pytest.param(
            me(RUNNING, a=TI.SUCCESS),
            me(SUCCESS, a=TI.SUCCESS),
            ADMISSION,
            DAG,
            Wakeups(runs=frozenset({"q1", "q2"}), dag=True),
            id="a run that finishes wakes the queued runs of its DAG (synced or not) and its DAG",
        ),
        pytest.param(
            me(QUEUED),
            None,
            ADMISSION,
            DAG,
            Wakeups(runs=frozenset({"q1", "q2"}), dag=True),
            id="a queued run that is deleted wakes the queued runs of its DAG",
        ),
        pytest.param(
            me(SUCCESS),
            None,
            ADMISSION,
            DAG,
            Wakeups(dag=True),
            id="a finished run that is deleted wakes only its DAG",
        ),
        pytest.param(
            run("me", created="2026-01-05"),
            None,
            ADMISSION,
            DAG,
            Wakeups(runs=frozenset({"q1", "q2"}), dag=True),
            id="a run deleted before its first sync wakes the queued runs of its DAG",
        ),
        pytest.param(
            None,
            run("me", created="2026-01-05"),
            ADMISSION,
            DAG,
            Wakeups(dag=True),
            id="a new run wakes only its DAG",
        ),
        pytest.param(
            me(QUEUED),
            me(RUNNING),
            ADMISSION,
            DAG,
            Wakeups(dag=True),
            id="a queued run that starts keeps its place: only its DAG wakes",
        ),
        pytest.param(
            me(FAILED),
            me(QUEUED),
            ADMISSION,
            DAG,
            Wakeups(dag=True),
            id="a finished run cleared back to queued takes a place again: only its DAG wakes",
        ),
        pytest.param(
            run("me", state=RUNNING, logical="2026-01-05", backfill="redo"),
            run("me", state=SUCCESS, logical="2026-01-05", backfill="redo"),
            [],
            DAG,
            Wakeups(dag=True, backfill="redo"),
            id="a run of a Backfill wakes its Backfill when its state changes",
        ),
        pytest.param(
            run("me", state=RUNNING, logical="2026-01-05", backfill="redo"),
            run("me", state=RUNNING, logical="2026-01-05", backfill="redo", tasks={"a": TI.NONE}),
            [],
            DAG,
            Wakeups(),
            id="task states alone wake neither the DAG nor the Backfill",
        ),
        pytest.param(
            me(RUNNING),
            me(RUNNING, a=TI.SCHEDULED),
            [
                past("before", "2026-01-04"),
                past("next", "2026-01-06"),
                past("after-next", "2026-01-07"),
            ],
            DAG,
            Wakeups(runs=frozenset({"next"})),
            id="a task state change wakes only the next run, and only if it waits on its past",
        ),
        pytest.param(
            me(RUNNING),
            me(RUNNING, a=TI.SCHEDULED),
            [past("next", "2026-01-06", waits=False), past("after-next", "2026-01-07")],
            DAG,
            Wakeups(),
            id="a task state change wakes nobody when the next run does not wait on its past",
        ),
        pytest.param(
            me(RUNNING),
            me(RUNNING, a=TI.SCHEDULED),
            [past("a-later", "2026-01-07"), past("z-next", "2026-01-06")],
            DAG,
            Wakeups(runs=frozenset({"z-next"})),
            id="the next run is the next by logical date, not by name",
        ),
        pytest.param(
            me(RUNNING),
            me(RUNNING, a=TI.SCHEDULED),
            [past("x", "2026-01-06"), past("y", "2026-01-06")],
            DAG,
            Wakeups(runs=frozenset({"x", "y"})),
            id="every run on the next logical date wakes: each has this one as its previous run",
        ),
        pytest.param(
            me(RUNNING),
            me(RUNNING, a=TI.SCHEDULED),
            [past("tie", "2026-01-05"), past("next", "2026-01-06")],
            DAG,
            Wakeups(runs=frozenset({"next"})),
            id="a run on the same logical date is not the next run (this one is not its previous)",
        ),
        pytest.param(
            me(QUEUED),
            me(RUNNING),
            [past("next", "2026-01-06")],
            DAG,
            Wakeups(dag=True),
            id="a change that leaves the task states alone wakes no next run",
        ),
        pytest.param(
            me(RUNNING),
            me(RUNNING, a=TI.SCHEDULED),
            [past("next", "2026-01-06")],
            None,
            Wakeups(),
            id="a task state change wakes no run when the DAG is gone",
        ),
        pytest.param(
            me(RUNNING, a=TI.RUNNING),
            me(RUNNING, a=TI.SUCCESS),
            [],
            DAG,
            Wakeups(slots_freed=True),
            id="a task instance that finishes gives its slot back",
        ),
        pytest.param(
            me(RUNNING, a=TI.RUNNING),
            me(RUNNING, a=TI.RUNNING, b=TI.SCHEDULED),
            [],
            DAG,
            Wakeups(),
            id="a task instance still running keeps its slot",
        ),
        pytest.param(
            me(RUNNING, a=TI.QUEUED),
            None,
            [],
            DAG,
            Wakeups(dag=True, slots_freed=True),
            id="a running run that is deleted gives its slots back",
        ),
        pytest.param(
            me(RUNNING, a=TI.RUNNING),
            me(FAILED, a=TI.RUNNING),
            [],
            DAG,
            Wakeups(dag=True, slots_freed=True),
            id="a run that finishes gives back the slots its task instances held",
        ),
        pytest.param(
            me(RUNNING, a=TI.SCHEDULED),
            me(RUNNING, a=TI.QUEUED),
            [],
            DAG,
            Wakeups(),
            id="a task instance that starts takes a slot and frees none",
        ),
        pytest.param(
            me(RUNNING, a=TI.UP_FOR_RETRY),
            me(RUNNING, a=TI.NONE),
            [],
            DAG,
            Wakeups(),
            id="a task instance waiting for its retry holds no slot",
        ),
    ],
)
def test_after_run_change(
    before: ObservedRun | None,
    after: ObservedRun | None,
    siblings: list[ObservedRun],
    the_dag: ObservedDag | None,
    expected: Wakeups,
) -> None:
    mine = [run for run in (before, after) if run is not None][-1:]
    assert after_run_change(before, after, [*siblings, *mine], the_dag) == expected


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        pytest.param([], set(), id="a DAG without runs wakes none"),
        pytest.param(
            ADMISSION,
            {"q1", "q2"},
            id="a DAG that changes wakes its runs that have not started (synced or not)",
        ),
    ],
)
def test_after_dag_change(runs: list[ObservedRun], expected: set[str]) -> None:
    assert after_dag_change(runs) == frozenset(expected)


@pytest.mark.parametrize(
    ("the_run", "waits"),
    [
        pytest.param(me(RUNNING, a=TI.SCHEDULED, b=TI.RUNNING), True, id="a ready task waits"),
        pytest.param(me(RUNNING, a=TI.RUNNING), False, id="a run whose tasks all run waits not"),
        pytest.param(me(RUNNING), False, id="a run without task instances waits not"),
        pytest.param(
            me(RUNNING, a=TI.SUCCESS, b=TI.NONE, c=TI.UP_FOR_RETRY),
            False,
            id="task instances done, not ready or waiting for a retry wait for no slot",
        ),
        pytest.param(
            me(QUEUED, a=TI.SCHEDULED), False, id="a queued run waits for its turn, not for slots"
        ),
        pytest.param(me(SUCCESS, a=TI.SCHEDULED), False, id="a finished run waits for nothing"),
    ],
)
def test_waits_for_slots(the_run: ObservedRun, waits: bool) -> None:
    assert waits_for_slots(the_run) is waits


def manual_me(state: Any, **tasks: TI) -> ObservedRun:
    return run("me", state=state, logical="2026-01-05", tasks=tasks, run_type=MANUAL)


@pytest.mark.parametrize(
    ("before", "after", "siblings", "the_dag", "woken"),
    [
        pytest.param(
            manual_me(RUNNING),
            manual_me(FAILED, a=TI.FAILED),
            [past("next", "2026-01-06", run_type=SCHEDULED)],
            DAG,
            set(),
            id="with catchup a manual run is nobody's previous run: its change wakes none",
        ),
        pytest.param(
            manual_me(RUNNING),
            manual_me(FAILED, a=TI.FAILED),
            [past("next", "2026-01-06", run_type=SCHEDULED)],
            NO_CATCHUP,
            {"next"},
            id="without catchup a manual run's change wakes the next run",
        ),
        pytest.param(
            me(RUNNING),
            me(SUCCESS, a=TI.SUCCESS),
            [
                past("manual", "2026-01-06", run_type=MANUAL),
                past("next", "2026-01-07", run_type=SCHEDULED),
                past("after", "2026-01-08", run_type=SCHEDULED),
            ],
            DAG,
            {"manual", "next"},
            id="with catchup a scheduled run's change wakes the runs up to the next scheduled "
            "one, past a manual run",
        ),
        pytest.param(
            me(RUNNING),
            me(SUCCESS, a=TI.SUCCESS),
            [past("m1", "2026-01-06", run_type=MANUAL), past("m2", "2026-01-07", run_type=MANUAL)],
            DAG,
            {"m1", "m2"},
            id="with catchup and only manual runs after, each has this one as its previous run",
        ),
    ],
)
def test_after_run_change_with_catchup(
    before: ObservedRun,
    after: ObservedRun,
    siblings: list[ObservedRun],
    the_dag: ObservedDag,
    woken: set[str],
) -> None:
    assert after_run_change(before, after, [*siblings, after], the_dag).runs == woken
