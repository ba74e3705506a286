"""Where a run's task instances are kept, as a user with a big run would put it."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.core.naming import DNS_SUBDOMAIN_MAX
from kairflow.core.task_instance_slices import (
    MAX_SLICES,
    assemble,
    entry_bytes,
    layout,
    layout_of,
    slice_index,
    slice_name,
    stored_status,
)


def instances(count: int, state: str = "success") -> dict[str, Any]:
    return {
        f"task_{i}": {"state": state, "tryNumber": 1, "pod": f"run-task-{i}-1"}
        for i in range(count)
    }


BUDGET = 2_000


@pytest.mark.parametrize(
    ("story", "count", "current", "expected"),
    [
        ("a small run keeps its task instances in its status", 10, 0, 0),
        ("a run past the budget moves them to slices", 40, 0, 2),
        ("a run twice as big takes twice the slices", 80, 0, 4),
        ("a run of a thousand takes as many slices as its size needs", 1000, 0, 64),
        ("a sliced run stays sliced when it would fit again", 5, 4, 4),
        ("a layout big enough already is kept", 40, 8, 8),
    ],
)
def test_layout(story: str, count: int, current: int, expected: int) -> None:
    placed = layout(instances(count), current, BUDGET)
    assert placed.slices == expected, story
    assert placed.largest <= BUDGET, story
    kept = [key for part in placed.parts for key in part]
    assert sorted(kept) == sorted(instances(count)), "every task instance is kept once"


def test_each_task_instance_is_in_the_slice_the_layout_names() -> None:
    placed = layout(instances(200), 0, BUDGET)
    for index, part in enumerate(placed.parts):
        assert all(slice_index(key, placed.slices) == index for key in part)


def test_the_budget_counts_each_task_instances_json() -> None:
    one = instances(1)
    (key, instance) = next(iter(one.items()))
    assert layout(one, 0, entry_bytes(key, instance)).slices == 0
    assert layout(one, 0, entry_bytes(key, instance) - 1).slices == 2


def test_a_task_instance_too_big_alone_does_not_multiply_slices() -> None:
    huge = {"big": {"state": "success", "message": "x" * 5_000}, **instances(3)}
    placed = layout(huge, 0, BUDGET)
    assert [list(part) for part in placed.parts if "big" in part] == [["big"]]
    assert placed.slices < MAX_SLICES  # it stops once the big one stands alone
    assert placed.largest > BUDGET  # the writer still writes it: far under etcd's limit


def test_a_stored_big_run_names_its_slices_and_holds_no_task_instance() -> None:
    status = {"state": "running", "taskInstances": instances(3), "progress": "0/3"}
    assert stored_status(status, 4) == {
        "state": "running",
        "progress": "0/3",
        "taskInstanceSlices": 4,
    }
    assert stored_status(status, 0) == status
    assert layout_of(stored_status(status, 4)) == 4
    assert layout_of(status) == 0


def test_a_run_put_back_together_has_every_task_instance() -> None:
    everything = instances(50)
    placed = layout(everything, 0, BUDGET)
    stored = stored_status({"state": "success", "taskInstances": everything}, placed.slices)
    assert assemble(stored, placed.parts)["taskInstances"] == everything


def test_a_stale_copy_in_another_slice_never_shadows_the_real_one() -> None:
    everything = instances(50)
    placed = layout(everything, 0, BUDGET)
    key = "task_7"
    home = slice_index(key, placed.slices)
    other = (home + 1) % placed.slices
    parts = [dict(part) for part in placed.parts]
    parts[other][key] = {"state": "running"}  # left over by an older layout
    stored = {"taskInstanceSlices": placed.slices}
    assert assemble(stored, parts)["taskInstances"][key]["state"] == "success"


def test_a_missing_slice_loses_only_its_own_task_instances() -> None:
    everything = instances(50)
    placed = layout(everything, 0, BUDGET)
    parts: list[dict[str, Any] | None] = list(placed.parts)
    parts[0] = None
    put_back = assemble({"taskInstanceSlices": placed.slices}, parts)["taskInstances"]
    assert set(put_back) == set(everything) - set(placed.parts[0])


def test_slice_names_are_valid_and_distinct_for_long_run_names() -> None:
    long_a, long_b = "a" * 250, "a" * 249 + "b"
    names = {slice_name(long_a, 8, 3), slice_name(long_b, 8, 3)}
    assert len(names) == 2
    assert all(len(name) <= DNS_SUBDOMAIN_MAX for name in names)
    assert slice_name("etl-manual-1", 8, 3) == "etl-manual-1-ti8-3"


def test_a_run_kept_inline_is_whole_already() -> None:
    status = {"state": "running", "taskInstances": instances(3)}
    assert assemble(status, []) == status
