"""Assets: conditions (Airflow's AssetAll / AssetAny), the events a consumer DAG has
not consumed, the run it gets, and the events a producing task records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.api.asset import MAX_EVENTS, AssetEvent, AssetEventRef, AssetSchedule, AssetStatus
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core.asset_conditions import (
    ConditionError,
    asset_uris,
    describe,
    holds,
    parse_condition,
)
from kairflow.core.assets import (
    asset_name,
    consumed_by,
    outlet_events,
    plan_asset_run,
    unconsumed,
    with_event,
)
from kairflow.core.naming import is_resource_name
from kairflow.core.validation import validate_dag

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = T0 - timedelta(days=1)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def ev(event_id: str, minutes: int = 0) -> AssetEvent:
    return AssetEvent(id=event_id, timestamp=at(minutes))


@pytest.mark.parametrize(
    ("expression", "updated", "expected"),
    [
        pytest.param("s3://a", {"s3://a"}, True, id="a DAG on one asset runs when it is updated"),
        pytest.param("s3://a", set(), False, id="a DAG on one asset waits for it"),
        pytest.param("s3://a & s3://b", {"s3://a"}, False, id="a & b waits for b"),
        pytest.param("s3://a & s3://b", {"s3://a", "s3://b"}, True, id="a & b runs on both"),
        pytest.param("s3://a | s3://b", {"s3://b"}, True, id="a | b runs on b alone"),
        pytest.param(
            "(s3://a | s3://b) & s3://c",
            {"s3://a", "s3://c"},
            True,
            id="a DAG on (a | b) & c runs when a and c have new events",
        ),
        pytest.param(
            "(s3://a | s3://b) & s3://c",
            {"s3://a", "s3://b"},
            False,
            id="a DAG on (a | b) & c waits for c even when a and b are new",
        ),
        pytest.param(
            "s3://a | s3://b & s3://c",
            {"s3://a"},
            True,
            id="& binds tighter than | as in Python: a | (b & c) runs on a",
        ),
        pytest.param(
            "s3://a | s3://b & s3://c",
            {"s3://b"},
            False,
            id="a | b & c does not run on b alone",
        ),
    ],
)
def test_condition_holds(expression: str, updated: set[str], expected: bool) -> None:
    assert holds(parse_condition(expression), updated) is expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("(s3://a | s3://b", "not closed", id="an open parenthesis is refused"),
        pytest.param("s3://a &", "ends too early", id="a dangling & is refused"),
        pytest.param("s3://a s3://b", "unexpected", id="two URIs without an operator"),
        pytest.param("& s3://a", "expected an asset URI", id="an operator first"),
    ],
)
def test_bad_expressions(expression: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        parse_condition(expression)


def test_expression_reads_back_and_names_its_assets() -> None:
    condition = parse_condition("(s3://a|s3://b)&s3://c")
    assert describe(condition) == "(s3://a | s3://b) & s3://c"
    assert asset_uris(condition) == ["s3://a", "s3://b", "s3://c"]


def test_a_bad_expression_is_a_dag_problem() -> None:
    spec = DAGSpec.model_validate(
        {"assets": {"expression": "(s3://a"}, "tasks": [{"name": "t", "bash": "true"}]}
    )
    assert any("assets.expression" in p and "not closed" in p for p in validate_dag(spec))


def test_asset_schedule_takes_one_form() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        AssetSchedule.model_validate({"all": ["s3://a"], "any": ["s3://b"]})


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("s3://bucket/Key.csv", id="an S3 URI"),
        pytest.param("file:///tmp/" + "x" * 400, id="a URI longer than a name"),
        pytest.param("::", id="a URI of punctuation only"),
    ],
)
def test_asset_name_is_a_stable_resource_name(uri: str) -> None:
    name = asset_name(uri)
    assert is_resource_name(name) and len(name) <= 63
    assert name == asset_name(uri)
    assert name != asset_name(uri + "2")


def test_asset_names_keep_case_apart() -> None:
    assert asset_name("s3://b/Key") != asset_name("s3://b/key")


@pytest.mark.parametrize(
    ("events", "bookmark", "by_runs", "expected"),
    [
        pytest.param(
            [ev("e1", 1), ev("e2", 2)],
            None,
            set(),
            ["e1", "e2"],
            id="a DAG that never consumed takes the events since it was created",
        ),
        pytest.param(
            [AssetEvent(id="old", timestamp=(CREATED - timedelta(1)).isoformat()), ev("e1", 1)],
            None,
            set(),
            ["e1"],
            id="events from before the DAG existed are not queued for it",
        ),
        pytest.param(
            [ev("e1", 1), ev("e2", 2), ev("e3", 3)],
            AssetEventRef(id="e2", timestamp=at(2)),
            set(),
            ["e3"],
            id="the events after the bookmark are new",
        ),
        pytest.param(
            [ev("e1", 1), ev("e2", 2), ev("e3", 3)],
            AssetEventRef(id="e1", timestamp=at(1)),
            {"e2"},
            ["e3"],
            id="an event a run consumed counts as consumed though the bookmark is older",
        ),
        pytest.param(
            [ev("e2", 5), ev("e3", 4)],
            AssetEventRef(id="e2", timestamp=at(5)),
            set(),
            ["e3"],
            id="order in the list decides, not clocks: a later event with an earlier time is new",
        ),
        pytest.param(
            [ev("e7", 7), ev("e8", 8)],
            AssetEventRef(id="e1", timestamp=at(1)),
            set(),
            ["e7", "e8"],
            id="a bookmark that left the list: the events newer than its time",
        ),
    ],
)
def test_unconsumed(
    events: list[AssetEvent], bookmark: AssetEventRef | None, by_runs: set[str], expected: list[str]
) -> None:
    assert [e.id for e in unconsumed(events, bookmark, by_runs, CREATED)] == expected


AC = AssetSchedule.model_validate({"expression": "(s3://a | s3://b) & s3://c"})


def test_condition_met_makes_one_run_consuming_every_queued_event() -> None:
    events = {
        "s3://a": [ev("a1", 1), ev("a2", 2)],
        "s3://b": [ev("b1", 3)],
        "s3://c": [ev("c1", 4)],
    }
    plan = plan_asset_run("consumer", AC, events, {}, {}, CREATED, paused=False)
    assert plan.create is not None
    assert {uri: [e.id for e in es] for uri, es in plan.create.events.items()} == {
        "s3://a": ["a1", "a2"],
        "s3://b": ["b1"],
        "s3://c": ["c1"],
    }
    assert plan.create.logical_date.isoformat() == at(4)
    assert plan.create.data_interval_start.isoformat() == at(1)
    assert plan.create.name.startswith("consumer-asset-triggered-")
    assert {uri: ref.id for uri, ref in plan.consumed.items()} == {
        "s3://a": "a2",
        "s3://b": "b1",
        "s3://c": "c1",
    }
    assert plan.queued == {"s3://a": 0, "s3://b": 0, "s3://c": 0}


def test_condition_not_met_waits_and_says_on_what() -> None:
    events = {"s3://a": [ev("a1", 1)]}
    plan = plan_asset_run("consumer", AC, events, {}, {}, CREATED, paused=False)
    assert plan.create is None
    assert plan.consumed == {}
    assert plan.queued == {"s3://a": 1, "s3://b": 0, "s3://c": 0}


def test_the_same_events_give_the_same_run_and_new_ones_another() -> None:
    events = {"s3://a": [ev("a1", 1)], "s3://c": [ev("c1", 2)]}
    first = plan_asset_run("consumer", AC, events, {}, {}, CREATED, paused=False)
    again = plan_asset_run("consumer", AC, events, {}, {}, CREATED, paused=False)
    assert first.create is not None and again.create is not None
    assert first.create.name == again.create.name
    more = {"s3://a": [ev("a1", 1)], "s3://b": [ev("b1", 2)], "s3://c": [ev("c1", 2)]}
    other = plan_asset_run("consumer", AC, more, {}, {}, CREATED, paused=False)
    assert other.create is not None and other.create.name != first.create.name


def test_a_crash_before_the_bookmark_makes_no_second_run() -> None:
    """The run exists (it carries its events) but the DAG's bookmark was never written."""
    events = {"s3://a": [ev("a1", 1)], "s3://c": [ev("c1", 2)]}
    runs = consumed_by(
        [
            {
                "runType": "asset_triggered",
                "triggeringAssetEvents": {
                    "s3://a": [{"id": "a1", "timestamp": at(1)}],
                    "s3://c": [{"id": "c1", "timestamp": at(2)}],
                },
            },
            {"runType": "manual", "triggeringAssetEvents": {"s3://a": [{"id": "zz"}]}},
        ]
    )
    assert runs == {"s3://a": {"a1"}, "s3://c": {"c1"}}
    plan = plan_asset_run("consumer", AC, events, {}, runs, CREATED, paused=False)
    assert plan.create is None
    assert {uri: ref.id for uri, ref in plan.consumed.items()} == {"s3://a": "a1", "s3://c": "c1"}


def test_a_paused_dag_passes_over_new_events() -> None:
    events = {"s3://a": [ev("a1", 1)], "s3://c": [ev("c1", 2)]}
    plan = plan_asset_run("consumer", AC, events, {}, {}, CREATED, paused=True)
    assert plan.create is None
    assert {uri: ref.id for uri, ref in plan.consumed.items()} == {"s3://a": "a1", "s3://c": "c1"}


def _status(**states: TaskInstanceState) -> DagRunStatus:
    return DagRunStatus(
        task_instances={
            key: TaskInstanceStatus(
                state=state, try_number=1, map_index=int(key[-2]) if "[" in key else None
            )
            for key, state in states.items()
        }
    )


SPEC = DAGSpec.model_validate(
    {
        "tasks": [
            {"name": "produce", "bash": "true", "outlets": ["s3://a", "s3://b"]},
            {"name": "each", "bash": "true", "outlets": ["s3://m"]},
            {"name": "plain", "bash": "true"},
        ]
    }
)
S, R = TaskInstanceState.SUCCESS, TaskInstanceState.RUNNING


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            _status(produce=R),
            _status(produce=S),
            [("s3://a", "produce", -1), ("s3://b", "produce", -1)],
            id="a producing task that succeeds records an event on each outlet",
        ),
        pytest.param(
            _status(produce=S),
            _status(produce=S),
            [],
            id="a task that had succeeded already records nothing again",
        ),
        pytest.param(
            _status(plain=R), _status(plain=S), [], id="a task without outlets records none"
        ),
        pytest.param(
            _status(**{"each[0]": R, "each[1]": R}),
            _status(**{"each[0]": S, "each[1]": R}),
            [("s3://m", "each", 0)],
            id="each mapped instance that succeeds records its own event",
        ),
    ],
)
def test_outlet_events(
    before: DagRunStatus, after: DagRunStatus, expected: list[tuple[str, str, int]]
) -> None:
    out = outlet_events("producer", "manual__x", SPEC, before, after, T0)
    assert [(uri, e.source_task_id, e.source_map_index) for uri, e in out] == expected
    assert all(e.source_dag_id == "producer" and e.timestamp == T0.isoformat() for _, e in out)


def test_the_same_success_gives_the_same_event_id() -> None:
    one = outlet_events("producer", "r", SPEC, _status(produce=R), _status(produce=S), T0)
    two = outlet_events("producer", "r", SPEC, _status(), _status(produce=S), T0 + timedelta(1))
    assert [e.id for _, e in one] == [e.id for _, e in two]


def test_recording_is_idempotent_and_bounded() -> None:
    status = AssetStatus()
    for i in range(MAX_EVENTS + 5):
        recorded = with_event(status, ev(f"e{i}", i))
        assert recorded is not None
        status = recorded
    assert len(status.events) == MAX_EVENTS
    assert status.events[0].id == "e5" and status.event_count == MAX_EVENTS + 5
    assert status.last_event_time == at(MAX_EVENTS + 4)
    assert with_event(status, ev(f"e{MAX_EVENTS + 4}", 0)) is None


def test_instances_sealed_as_they_succeed_record_their_events_and_the_record_none() -> None:
    """A pass that seals a block it just finished (`sealed_blocks`): its instances are
    out of the status, in the SealBlock; the task's own record turns success too."""
    before = _status(**{"each[0]": R, "each[1]": S})
    after = DagRunStatus(
        task_instances={"each": TaskInstanceStatus(state=S, map_length=2, map_next=2)}
    )
    sealed = {
        "each[0]": TaskInstanceStatus(state=S, try_number=1, map_index=0),
        "each[1]": TaskInstanceStatus(state=S, try_number=1, map_index=1),
    }
    out = outlet_events("producer", "r", SPEC, before, after, T0, sealed)
    assert [(uri, e.source_task_id, e.source_map_index) for uri, e in out] == [
        ("s3://m", "each", 0)
    ]
