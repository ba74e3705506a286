"""A big run whole from its TaskInstanceSlices, as the CLI and the UI show it."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.core.task_instance_slices import slice_index, slice_name
from kairflow.requests.live_runs import Assembly, Change
from kairflow.requests.sliced_runs import MISSING, missing_note, selector, whole, wholes

NS = "etl"
KEYS = [f"t{i}" for i in range(12)]


def ti(state: str = "success") -> dict[str, Any]:
    return {"state": state, "tryNumber": 1}


def run(name: str = "big", slices: int = 4, namespace: str = NS, **status: Any) -> dict[str, Any]:
    layout = {"taskInstanceSlices": slices} if slices else {}
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"dagName": "etl"},
        "status": {"state": "running", **layout, **status},
    }


def part(slices: int, index: int, keys: list[str] = KEYS, state: str = "success") -> dict[str, Any]:
    return {key: ti(state) for key in keys if slice_index(key, slices) == index}


def slice_body(
    index: int,
    slices: int = 4,
    run_name: str = "big",
    instances: dict[str, Any] | None = None,
    namespace: str = NS,
    state: str = "success",
) -> dict[str, Any]:
    return {
        "metadata": {"name": slice_name(run_name, slices, index), "namespace": namespace},
        "spec": {"dagRun": run_name, "slices": slices, "index": index},
        "status": {
            "taskInstances": part(slices, index, state=state) if instances is None else instances,
        },
    }


def layout_slices(slices: int = 4, run_name: str = "big", **kw: Any) -> list[dict[str, Any]]:
    return [slice_body(i, slices, run_name, **kw) for i in range(slices)]


@pytest.mark.parametrize(
    ("the_run", "listed", "shown", "missing"),
    [
        pytest.param(
            run(slices=0, taskInstances={"a": ti()}),
            [],
            ["a"],
            [],
            id="a small run keeps its task instances in its status and needs no slice",
        ),
        pytest.param(
            run(), layout_slices(), KEYS, [], id="a sliced run gets every task instance back"
        ),
        pytest.param(
            run(),
            layout_slices()[1:],
            sorted(set(KEYS) - set(part(4, 0))),
            [slice_name("big", 4, 0)],
            id="a deleted slice leaves out its task instances and is named",
        ),
        pytest.param(
            run(),
            [],
            [],
            [slice_name("big", 4, i) for i in range(4)],
            id="a reader refused the slices sees the run without task instances",
        ),
        pytest.param(
            run(),
            [*layout_slices(2, state="running"), *layout_slices()],
            KEYS,
            [],
            id="the slices of the smaller layout it left are passed over",
        ),
        pytest.param(
            run(slices=2),
            layout_slices(4),
            [],
            [slice_name("big", 2, 0), slice_name("big", 2, 1)],
            id="the slices of a layout the run does not name yet do not count",
        ),
        pytest.param(
            run(),
            [*layout_slices(), *layout_slices(run_name="bigger")],
            KEYS,
            [],
            id="the slices of another run listed with it are passed over",
        ),
        pytest.param(
            run(),
            [*layout_slices(namespace="other")],
            [],
            [slice_name("big", 4, i) for i in range(4)],
            id="a run of the same name in another namespace lends it nothing",
        ),
    ],
)
def test_a_run_is_put_back_together_from_its_slices(
    the_run: dict[str, Any], listed: list[dict[str, Any]], shown: list[str], missing: list[str]
) -> None:
    found = whole(the_run, listed)
    instances = found.run["status"].get("taskInstances") or {}
    assert sorted(instances) == sorted(shown)
    assert {i["state"] for i in instances.values()} <= {"success"}  # no old layout's copy
    assert list(found.missing) == missing
    assert found.run["status"].get(MISSING, []) == missing


def test_a_stale_copy_in_the_wrong_slice_never_shadows_the_real_one() -> None:
    key = KEYS[0]
    home = slice_index(key, 4)
    stale = slice_body((home + 1) % 4, instances={key: ti("running")})
    listed = [stale if i == (home + 1) % 4 else slice_body(i) for i in range(4)]
    assert whole(run(), listed).run["status"]["taskInstances"][key]["state"] == "success"


def test_many_runs_are_put_back_from_one_listing() -> None:
    listed = [*layout_slices(run_name="a"), *layout_slices(2, run_name="b")]
    found = wholes([run("a"), run("b", slices=2), run("c", slices=0)], listed)
    assert [len(w.run["status"].get("taskInstances") or {}) for w in found] == [12, 12, 0]


def test_the_run_as_read_is_left_as_it_was() -> None:
    the_run = run()
    whole(the_run, layout_slices())
    assert "taskInstances" not in the_run["status"]


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        pytest.param([run(slices=0)], None, id="no sliced run: no slice to list"),
        pytest.param([run("a")], "kairflow.io/dag-run=a", id="one sliced run: its label"),
        pytest.param(
            [run("b"), run("a"), run("c", slices=0), run("a", namespace="x")],
            "kairflow.io/dag-run in (a,b)",
            id="many sliced runs: one set-based selector, each value once",
        ),
    ],
)
def test_one_selector_reads_the_slices_of_every_sliced_run(
    runs: list[dict[str, Any]], expected: str | None
) -> None:
    assert selector(runs) == expected


@pytest.mark.parametrize(
    ("listed", "reason", "note"),
    [
        pytest.param(layout_slices(), None, None, id="nothing missing: nothing to say"),
        pytest.param(
            layout_slices()[:3],
            None,
            "dagrun 'big': the task instances of 1 of its 4 TaskInstanceSlices are not "
            "shown (not found): big-ti4-3",
            id="a deleted slice is named",
        ),
        pytest.param(
            [],
            "forbidden",
            "dagrun 'big': the task instances of 4 of its 4 TaskInstanceSlices are not "
            "shown (forbidden): big-ti4-0, big-ti4-1, big-ti4-2, ...",
            id="a refusal is the reason, and a few names stand for all",
        ),
    ],
)
def test_a_missing_slice_is_said_in_one_line(
    listed: list[dict[str, Any]], reason: str | None, note: str | None
) -> None:
    assert missing_note(whole(run(), listed), reason) == note


def changed_one(index: int, state: str) -> dict[str, Any]:
    """Slice `index` of big's 4 with its first task instance in `state`."""
    instances = part(4, index)
    first = sorted(instances)[0]
    return slice_body(index, instances={**instances, first: ti(state)})


def test_a_run_known_before_its_slices_is_whole_once_they_are_listed() -> None:
    assembly = Assembly()
    assembly.put_run(run())
    assert assembly.missing((NS, "big")) == tuple(slice_name("big", 4, i) for i in range(4))
    assert assembly.reset_slices(layout_slices()) == [(NS, "big")]
    found = assembly.whole((NS, "big"))
    assert found is not None and sorted(found.run["status"]["taskInstances"]) == sorted(KEYS)


def test_a_run_seen_after_its_slices_is_whole_but_for_the_slice_not_seen() -> None:
    assembly = Assembly()
    assembly.reset_slices(layout_slices()[1:])
    assembly.put_run(run())
    assert assembly.missing((NS, "big")) == (slice_name("big", 4, 0),)
    found = assembly.whole((NS, "big"))
    assert found is not None and found.missing == (slice_name("big", 4, 0),)


def first_key(index: int) -> str:
    return sorted(part(4, index))[0]


@pytest.mark.parametrize(
    ("the_run", "event", "change"),
    [
        pytest.param(
            run(),
            ("put", changed_one(1, "failed")),
            Change((NS, "big"), {first_key(1): ti("failed")}, []),
            id="a slice write shows only the task instance it changed",
        ),
        pytest.param(
            run(),
            ("put", slice_body(1)),
            Change((NS, "big"), {}, []),
            id="a slice written as it was changes nothing",
        ),
        pytest.param(
            run(),
            ("forget", slice_body(2)),
            Change((NS, "big"), {}, sorted(part(4, 2))),
            id="a deleted slice takes its task instances away",
        ),
        pytest.param(
            run(slices=2),
            ("put", changed_one(1, "failed")),
            None,
            id="a slice of a layout the run does not name changes nothing shown",
        ),
        pytest.param(
            run("other"),
            ("put", changed_one(1, "failed")),
            None,
            id="a slice of a run not shown changes nothing shown",
        ),
        pytest.param(
            run(),
            ("put", {"metadata": {"name": "odd"}, "spec": {}}),
            None,
            id="an object not shaped as a slice is passed over",
        ),
    ],
)
def test_a_slice_event_says_what_it_changed(
    the_run: dict[str, Any], event: tuple[str, dict[str, Any]], change: Change | None
) -> None:
    assembly = Assembly()
    assembly.reset_slices(layout_slices())
    assembly.put_run(the_run)
    verb, body = event
    found = assembly.put_slice(body) if verb == "put" else assembly.forget_slice(body)
    if found is not None:
        found = Change(found.run, found.changed, sorted(found.removed))
    assert found == change


def test_a_forgotten_run_takes_its_slices_with_it() -> None:
    assembly = Assembly()
    assembly.reset_slices(layout_slices())
    assembly.put_run(run())
    assembly.forget_run(run())
    assert assembly.whole((NS, "big")) is None
    assembly.put_run(run())
    assert assembly.missing((NS, "big")) == tuple(slice_name("big", 4, i) for i in range(4))


def test_a_reader_keeps_only_what_it_shows_of_each_task_instance() -> None:
    assembly = Assembly(keep=lambda instance: instance["state"])
    assembly.reset_slices(layout_slices())
    assembly.put_run(run())
    found = assembly.whole((NS, "big"))
    assert found is not None and set(found.run["status"]["taskInstances"].values()) == {"success"}
    change = assembly.put_slice(changed_one(3, "failed"))
    assert change == Change((NS, "big"), {first_key(3): "failed"}, [])
