"""DAG and DagRun objects read into the core's observations: every problem of a DAG
in one line each, a run's dates as asked and as resolved, its states, the slots it
holds and whether it waits on its past (its DAG version's facts resolved once)."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import RunType
from kairflow.core import labels
from kairflow.core.dag_defaults import DagDefaults
from kairflow.core.dag_versions import spec_json, version_name
from kairflow.core.observations import (
    ObservedDag,
    ObservedRun,
    RequestedDates,
    SlotUse,
    SnapshotFacts,
)
from kairflow.core.timetable import restriction_for
from kairflow.k8s.observe import SnapshotMemo, observe_dag, observe_run
from tests.unit.core.observed import DAG, NS, at, interval, spec, wall

Body = dict[str, Any]
TASKS = [{"name": "extract", "bash": "true"}]


def version_of(dag_spec: DAGSpec) -> str:
    return version_name(DAG, spec_json(dag_spec))


def dag_body(**fields: Any) -> Body:
    """A DAG manifest; `spec=None` leaves the spec out."""
    body: Body = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": DAG, "namespace": NS, "generation": 3},
    }
    if fields.get("spec", True) is not None:
        body["spec"] = {"tasks": TASKS, **fields}
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            dag_body(),
            ObservedDag(NS, DAG, spec(), generation=3, version=version_of(spec())),
            id="a valid DAG has no problems and the defaults, and names its version",
        ),
        pytest.param(
            dag_body(paused=True, maxActiveRuns=2),
            ObservedDag(
                NS,
                DAG,
                spec(paused=True, max_active_runs=2),
                generation=3,
                paused=True,
                max_active_runs=2,
                version=version_of(spec(paused=True, max_active_runs=2)),
            ),
            id="a paused DAG with its own maxActiveRuns",
        ),
        pytest.param(
            dag_body(
                tasks=[{"name": "a", "bash": "x"}, {"name": "b", "bash": "x"}],
                flow=["a >> b >> a"],
                timezone="Mars/Olympus",
            ),
            ObservedDag(
                NS,
                DAG,
                spec(
                    tasks=[{"name": "a", "bash": "x"}, {"name": "b", "bash": "x"}],
                    flow=["a >> b >> a"],
                    timezone="Mars/Olympus",
                ),
                problems=(
                    "timezone: unknown time zone 'Mars/Olympus'; use an IANA name like "
                    "'Asia/Seoul' or 'UTC'",
                    "cycle: a -> b -> a",
                ),
                generation=3,
            ),
            id="a manifest that validates but cannot be scheduled keeps its spec and says why",
        ),
        pytest.param(
            dag_body(timezone="America"),
            ObservedDag(
                NS,
                DAG,
                spec(timezone="America"),
                problems=(
                    "timezone: unknown time zone 'America'; use an IANA name like "
                    "'Asia/Seoul' or 'UTC'",
                ),
                generation=3,
            ),
            id="a time zone that names a folder of zones is an unknown time zone",
        ),
        pytest.param(
            dag_body(tasks=[{"name": "a", "retries": "x"}], paused=True, maxActiveRuns=3),
            ObservedDag(
                NS,
                DAG,
                None,
                problems=(
                    "spec.tasks.0.retries: Input should be a valid integer, "
                    "unable to parse string as an integer",
                ),
                generation=3,
                paused=True,
                max_active_runs=3,
            ),
            id="a manifest that does not validate still gives paused and maxActiveRuns",
        ),
        pytest.param(
            dag_body(
                schedule="@daily",
                startDate="2026-01-01",
                params={"rows": {"default": 0, "minimum": 1}},
            ),
            ObservedDag(
                NS,
                DAG,
                spec(
                    schedule="@daily",
                    start_date="2026-01-01",
                    params={"rows": {"default": 0, "minimum": 1}},
                ),
                problems=(
                    "param 'rows': the default must be >= 1, not 0 (minimum 1); a DAG with a "
                    "schedule needs valid defaults (its scheduled runs have no conf)",
                ),
                generation=3,
            ),
            id="a scheduled DAG whose param default fails its schema cannot be scheduled",
        ),
        pytest.param(
            dag_body(maxActiveRuns=0),
            ObservedDag(
                NS,
                DAG,
                None,
                problems=("spec.maxActiveRuns: Input should be greater than or equal to 1",),
                generation=3,
            ),
            id="a maxActiveRuns below one is a problem and counts as the default",
        ),
        pytest.param(
            dag_body(spec=None),
            ObservedDag(NS, DAG, None, problems=("spec: Field required",), generation=3),
            id="a DAG without a spec says so",
        ),
    ],
)
def test_observe_dag(body: Body, expected: ObservedDag) -> None:
    assert observe_dag(body) == expected


@pytest.mark.parametrize(
    ("body", "defaults", "catchup", "paused_upon_creation"),
    [
        pytest.param(dag_body(), DagDefaults(), True, None, id="catchup is on by default"),
        pytest.param(
            dag_body(),
            DagDefaults(catchup=False),
            False,
            None,
            id="a DAG that does not say takes the operator's catchup_by_default",
        ),
        pytest.param(
            dag_body(catchup=True),
            DagDefaults(catchup=False),
            True,
            None,
            id="a DAG's own catchup wins over the operator's default",
        ),
        pytest.param(
            dag_body(isPausedUponCreation=False),
            DagDefaults(paused_at_creation=True),
            True,
            False,
            id="a DAG's isPausedUponCreation is read",
        ),
        pytest.param(
            dag_body(isPausedUponCreation=True, maxActiveRuns=0),
            DagDefaults(),
            None,
            True,
            id="isPausedUponCreation is read even from a manifest that does not validate",
        ),
    ],
)
def test_what_a_dag_does_not_say_comes_from_the_operators_defaults(
    body: Body, defaults: DagDefaults, catchup: bool | None, paused_upon_creation: bool | None
) -> None:
    seen = observe_dag(body, defaults)
    if seen.spec is None:
        assert catchup is None
    else:
        assert restriction_for(seen.spec, seen.catchup_by_default).catchup is catchup
        assert seen.spec.catchup == body["spec"].get("catchup"), "the spec is kept as written"
    assert seen.paused_upon_creation is paused_upon_creation


def run_body(run_spec: Body | None = None, status: Body | None = None, **meta: Any) -> Body:
    """A DagRun of `etl` (uid `uid-1`, created 2026-01-05 10:00 UTC)."""
    metadata = {
        "name": "r",
        "namespace": NS,
        "uid": "uid-1",
        "creationTimestamp": "2026-01-05T10:00:00Z",
        **meta,
    }
    body: Body = {"metadata": metadata, "spec": {"dagName": DAG, **(run_spec or {})}}
    if status is not None:
        body["status"] = status
    return body


def test_a_new_run_is_observed_as_asked() -> None:
    assert observe_run(run_body()) == ObservedRun(
        namespace=NS, name="r", dag_name=DAG, created_at=at("2026-01-05T10:00")
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            run_body({"runType": "backfill"}), {"run_type": RunType.BACKFILL}, id="a backfill run"
        ),
        pytest.param(
            run_body({"runType": "bogus"}),
            {"run_type": RunType.MANUAL},
            id="an unknown run type reads as manual",
        ),
        pytest.param(
            run_body(status={"state": "bogus"}),
            {"state": None},
            id="an unknown state reads as none yet",
        ),
        pytest.param(
            run_body(status={"state": "running"}),
            {"state": DagRunState.RUNNING},
            id="the state comes from the status",
        ),
        pytest.param(
            run_body(
                {
                    "logicalDate": "2026-03-02T09:00:00",
                    "dataIntervalStart": "2026-03-01",
                    "dataIntervalEnd": "2026-03-02T00:00:00+09:00",
                }
            ),
            {
                "requested": RequestedDates(
                    wall("2026-03-02T09:00"), wall("2026-03-01T00:00"), at("2026-03-01T15:00")
                )
            },
            id="requested dates are kept as written: naive ones wait for the DAG's zone",
        ),
        pytest.param(
            run_body({"logicalDate": "yesterday", "dataIntervalStart": 5, "dataIntervalEnd": ""}),
            {"requested": RequestedDates()},
            id="unreadable requested dates are none (the run's own sync reports them)",
        ),
        pytest.param(
            run_body(
                status={
                    "logicalDate": "2026-03-02T00:00:00+00:00",
                    "dataIntervalStart": "2026-03-01T00:00:00+00:00",
                    "dataIntervalEnd": "2026-03-02T00:00:00+00:00",
                    "startDate": "2026-03-02T00:01:00+00:00",
                    "endDate": "2026-03-02T00:09:00+00:00",
                }
            ),
            {
                "logical_date": at("2026-03-02"),
                "data_interval": interval("2026-03-01", "2026-03-02"),
                "start_date": at("2026-03-02T00:01"),
                "end_date": at("2026-03-02T00:09"),
            },
            id="resolved dates come from the status",
        ),
        pytest.param(
            run_body(status={"dataIntervalStart": "2026-03-01T00:00:00+00:00"}),
            {"data_interval": None},
            id="half a resolved interval is none",
        ),
        pytest.param(
            run_body(
                status={
                    "taskInstances": {
                        "a": {"state": "running"},
                        "b": {},
                        "c": {"state": "bogus"},
                        "d[0]": {"state": "up_for_retry"},
                    }
                }
            ),
            {"task_states": {"a": TI.RUNNING, "b": TI.NONE, "c": TI.NONE, "d[0]": TI.UP_FOR_RETRY}},
            id="task states by key; missing or unknown ones read as none",
        ),
        pytest.param(
            run_body(
                annotations={labels.BACKFILL: "a-very-long-backfill-name"},
                labels={labels.BACKFILL: "a-very-lon-hashed"},
            ),
            {"backfill": "a-very-long-backfill-name"},
            id="the Backfill that made it: the annotation's full name wins over the label",
        ),
        pytest.param(
            run_body(labels={labels.BACKFILL: "redo"}),
            {"backfill": "redo"},
            id="the Backfill that made it from its label when it has no annotation",
        ),
        pytest.param(run_body(), {"backfill": None}, id="a run no Backfill made"),
        pytest.param(
            run_body({"clear": {"id": "2"}}, {"handledClear": "1"}),
            {"clear_id": "2", "clear_pending": True},
            id="a clear request not handled yet is pending",
        ),
        pytest.param(
            run_body({"clear": {"id": "2"}}, {"handledClear": "2"}),
            {"clear_id": "2", "clear_pending": False},
            id="a clear request handled already is not pending",
        ),
        pytest.param(
            run_body({"clear": {"id": "1"}}),
            {"clear_id": "1", "clear_pending": True},
            id="a clear request on a run never synced is pending",
        ),
        pytest.param(run_body(), {"clear_id": None, "clear_pending": False}, id="no clear request"),
        pytest.param(
            run_body(status={"handledClear": "1"}),
            {"clear_id": None, "clear_pending": False},
            id="a clear request taken out of the spec after it was handled is not pending",
        ),
        pytest.param(
            {"metadata": {"name": "r", "namespace": NS}, "spec": {}},
            {"dag_name": "", "created_at": None},
            id="a run without a DAG name or creation time",
        ),
    ],
)
def test_observe_run(body: Body, expected: dict[str, Any]) -> None:
    view = observe_run(body)
    assert {field: getattr(view, field) for field in expected} == expected


SNAPSHOT: Body = {
    "defaults": {"pool": "shared"},
    "tasks": [
        {"name": "extract", "bash": "x", "pool": "db", "poolSlots": 2},
        {"name": "load", "bash": "x", "dependsOnPast": True},
        {"name": "fan", "bash": "x", "expand": {"items": [1, 2]}},
    ],
}
INSTANCES: Body = {
    "extract": {"state": "running"},
    "load": {"state": "success"},
    "fan[0]": {"state": "queued"},
    "fan[1]": {"state": "scheduled"},
    "gone": {"state": "running"},
}


def synced(state: str, snapshot: Any = SNAPSHOT, instances: Body = INSTANCES) -> Body:
    return run_body(
        status={"state": state, "dagSpec": snapshot, "dagGeneration": 1, "taskInstances": instances}
    )


@pytest.mark.parametrize(
    ("body", "holding", "waits"),
    [
        pytest.param(
            synced("running"),
            (SlotUse("db", 2), SlotUse("shared", 1), SlotUse("default_pool", 1)),
            True,
            id="a running run holds the pool slots of its queued and running task instances "
            "(mapped ones by their task, unknown ones one default slot)",
        ),
        pytest.param(
            synced("queued"),
            (),
            True,
            id="a queued run holds no slot but knows it waits on its past",
        ),
        pytest.param(
            synced("success"), (), False, id="a finished run holds nothing and waits for nothing"
        ),
        pytest.param(
            run_body(status={"state": "running", "taskInstances": INSTANCES}),
            (),
            False,
            id="a run without a snapshot yet holds nothing",
        ),
        pytest.param(
            synced("running", {"tasks": "nope"}, {"a": {"state": "running"}}),
            (SlotUse("default_pool", 1),),
            False,
            id="a snapshot that does not validate gives one default slot per active instance",
        ),
    ],
)
def test_slots_held_and_waiting_on_the_past(
    body: Body, holding: tuple[SlotUse, ...], waits: bool
) -> None:
    view = observe_run(body)
    assert (tuple(view.holding.values()), view.waits_on_past) == (holding, waits)


WAITS = {"tasks": [{"name": "a", "bash": "x", "dependsOnPast": True}]}
FREE = {"tasks": [{"name": "a", "bash": "x"}]}


def test_a_runs_inline_snapshot_is_resolved_once_per_uid_and_generation() -> None:
    memo = SnapshotMemo()
    first = memo.facts(NS, "u1", inline(1, WAITS))
    assert memo.facts(NS, "u1", inline(1, FREE)) is first
    assert facts_of(memo, "u1", inline(2, FREE)).waits_on_past is False
    assert facts_of(memo, "u2", inline(1, FREE)).waits_on_past is False


def test_a_run_without_uid_is_never_remembered() -> None:
    memo = SnapshotMemo()
    assert facts_of(memo, None, inline(1, WAITS)).waits_on_past is True
    assert facts_of(memo, None, inline(1, FREE)).waits_on_past is False


def test_the_least_recently_used_snapshot_is_forgotten_first() -> None:
    memo = SnapshotMemo(size=2)
    memo.facts(NS, "u1", inline(1, WAITS))
    memo.facts(NS, "u2", inline(1, WAITS))
    memo.facts(NS, "u1", inline(1, FREE))  # u1 used again: u2 is now the oldest
    memo.facts(NS, "u3", inline(1, WAITS))
    assert facts_of(memo, "u1", inline(1, FREE)).waits_on_past is True
    assert facts_of(memo, "u2", inline(1, FREE)).waits_on_past is False


def test_runs_of_one_version_share_its_facts_and_an_unloaded_version_has_none() -> None:
    memo = SnapshotMemo()
    assert memo.facts(NS, "u1", {"dagVersion": "etl-dagv-a"}) is None
    memo.remember((NS, "etl-dagv-a"), DAGSpec.model_validate(WAITS))
    first = facts_of(memo, "u1", {"dagVersion": "etl-dagv-a"})
    assert first.waits_on_past is True
    assert memo.facts(NS, "u2", {"dagVersion": "etl-dagv-a"}) is first


def test_every_pass_of_a_versions_runs_shares_one_resolution_of_its_spec() -> None:
    memo = SnapshotMemo()
    assert memo.resolution((NS, "etl-dagv-a")) is None
    spec = DAGSpec.model_validate(WAITS)
    memo.remember((NS, "etl-dagv-a"), spec)
    resolution = memo.resolution((NS, "etl-dagv-a"))
    assert resolution is not None and resolution.spec is spec
    memo.remember((NS, "etl-dagv-a"), spec)  # the DAG seen again: the same spec
    assert memo.resolution((NS, "etl-dagv-a")) is resolution
    again = DAGSpec.model_validate(WAITS)  # parsed again (e.g. read from its ConfigMap)
    memo.remember((NS, "etl-dagv-a"), again)
    replaced = memo.resolution((NS, "etl-dagv-a"))
    assert (
        replaced is not None and replaced.spec is again and memo.spec((NS, "etl-dagv-a")) is again
    )


def test_the_least_recently_used_spec_is_forgotten_first() -> None:
    memo = SnapshotMemo(specs=2)
    for name in ("a", "b"):
        memo.remember((NS, name), DAGSpec.model_validate(FREE))
    assert memo.spec((NS, "a")) is not None  # a used again: b is now the oldest
    memo.remember((NS, "c"), DAGSpec.model_validate(FREE))
    assert [memo.spec((NS, n)) is not None for n in ("a", "b", "c")] == [True, False, True]


def test_versions_of_the_same_name_in_two_namespaces_are_two_versions() -> None:
    memo = SnapshotMemo()
    memo.remember(("team-a", "etl-dagv-a"), DAGSpec.model_validate(WAITS))
    memo.mark_stored(("team-a", "etl-dagv-a"), "uid-a", at("2026-01-05T10:00"))
    assert memo.spec(("team-b", "etl-dagv-a")) is None
    assert not memo.stored(("team-b", "etl-dagv-a"), "uid-a")
    assert not memo.stored(("team-a", "etl-dagv-a"), "uid-of-a-dag-made-again")


def test_a_run_of_an_unloaded_version_holds_default_slots_until_it_is_loaded() -> None:
    body = run_body(
        status={"state": "running", "dagVersion": "etl-dagv-a", "taskInstances": INSTANCES}
    )
    memo = SnapshotMemo()
    before = observe_run(body, memo)
    assert set(before.holding.values()) == {SlotUse("default_pool", 1)}
    assert before.waits_on_past is False
    memo.remember((NS, "etl-dagv-a"), DAGSpec.model_validate(SNAPSHOT))
    after = observe_run(body, memo)
    assert tuple(after.holding.values()) == (
        SlotUse("db", 2),
        SlotUse("shared", 1),
        SlotUse("default_pool", 1),
    )
    assert after.waits_on_past is True


def inline(generation: int, snapshot: Body) -> Body:
    return {"dagSpec": snapshot, "dagGeneration": generation}


def facts_of(memo: SnapshotMemo, uid: str | None, status: Body) -> SnapshotFacts:
    found = memo.facts(NS, uid, status)
    assert found is not None
    return found


def test_observe_run_uses_the_memo() -> None:
    memo = SnapshotMemo()
    assert observe_run(synced("queued", WAITS), memo).waits_on_past is True
    assert observe_run(synced("queued", FREE), memo).waits_on_past is True
    assert observe_run(synced("queued", FREE)).waits_on_past is False
