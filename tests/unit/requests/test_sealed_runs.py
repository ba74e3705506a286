"""A big mapped task's sealed instances shown as task instances: read back from their
blocks (TaskInstanceSlices named by the task's record) when a run is read whole, and
followed live as blocks arrive and change."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.core.sealed_blocks import block_name, holder, part_names
from kairflow.core.task_instance_slices import slice_index, slice_name
from kairflow.requests.live_runs import Assembly, Change
from kairflow.requests.sliced_runs import MISSING, missing_note, selector, whole
from tests.unit.sealed_fixtures import SIZE, instances, m, mi, record
from tests.unit.sealed_fixtures import block as sealed_block

NS = "etl"
RUN = "big"
KEY = (NS, RUN)


def own(*blocks: int, **kw: Any) -> dict[str, Any]:
    """A run's task instances: `a`, m's record, and m's instances not sealed."""
    left = [i for i in range(kw.get("created", 8)) if i // SIZE not in blocks]
    return {"a": {"state": "success", "tryNumber": 1}, "m": record(*blocks, **kw)} | {
        m(i): mi(i) for i in left
    }


def inline(tis: dict[str, Any], name: str = RUN) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NS},
        "status": {"state": "running", "taskInstances": tis},
    }


def sliced(slices: int = 4) -> dict[str, Any]:
    return {
        "metadata": {"name": RUN, "namespace": NS},
        "status": {"state": "running", "taskInstanceSlices": slices},
    }


def slices_of(tis: dict[str, Any], slices: int = 4) -> list[dict[str, Any]]:
    return [
        {
            "metadata": {"name": slice_name(RUN, slices, index), "namespace": NS},
            "spec": {"dagRun": RUN, "slices": slices, "index": index},
            "status": {
                "taskInstances": {k: v for k, v in tis.items() if slice_index(k, slices) == index}
            },
        }
        for index in range(slices)
    ]


def block(number: int, state: str = "success", run: str = RUN, **kw: Any) -> dict[str, Any]:
    return sealed_block(run, number, NS, state, **kw)


EVERY = ["a", *(m(i) for i in range(8))]


@pytest.mark.parametrize(
    ("the_run", "listed", "shown", "missing"),
    [
        pytest.param(
            inline(own(0)),
            [block(0)],
            EVERY,
            [],
            id="an inline run gets its sealed instances back from their block, its record gone",
        ),
        pytest.param(
            sliced(),
            [*slices_of(own(0)), block(0)],
            EVERY,
            [],
            id="a sliced run whose record is in a slice gets them back from the same listing",
        ),
        pytest.param(
            sliced(),
            [*slices_of(own(0, 1)), block(0), block(1)],
            EVERY,
            [],
            id="a run whose every instance is sealed shows them all",
        ),
        pytest.param(
            inline(own(0)),
            [],
            ["a", *(m(i) for i in range(4, 8))],
            [block_name(RUN, "m", 0)],
            id="a block not listed leaves out its instances and is named as missing",
        ),
        pytest.param(
            inline(own(0)),
            [block(0), block(1, "failed")],
            EVERY,
            [],
            id="a stale block the record does not name is passed over",
        ),
        pytest.param(
            inline(own(0)),
            [block(0, run="other")],
            ["a", *(m(i) for i in range(4, 8))],
            [block_name(RUN, "m", 0)],
            id="the block of another run lends nothing",
        ),
        pytest.param(
            inline(own(0, length=12)),
            [block(0)],
            [*EVERY, "m"],
            [],
            id="a record whose instances still wait stays, without its blocks",
        ),
    ],
)
def test_a_run_shows_its_sealed_instances_as_task_instances(
    the_run: dict[str, Any], listed: list[dict[str, Any]], shown: list[str], missing: list[str]
) -> None:
    found = whole(the_run, listed)
    tis = found.run["status"]["taskInstances"]
    assert sorted(tis) == sorted(shown)
    assert {ti["state"] for ti in tis.values()} == {"success"}  # no stale block's copy
    assert all("mapSealed" not in ti for ti in tis.values())
    assert list(found.missing) == missing
    assert found.run["status"].get(MISSING, []) == missing


def test_sealed_instances_come_back_in_map_index_order() -> None:
    tis = whole(inline(own(0)), [block(0)]).run["status"]["taskInstances"]
    assert [k for k in tis if k.startswith("m[")] == [m(i) for i in range(8)]


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        pytest.param([inline(own(0))], "kairflow.io/dag-run=big", id="an inline run naming blocks"),
        pytest.param([inline(own())], None, id="an inline run naming none reads no slice"),
    ],
)
def test_an_inline_run_naming_sealed_blocks_has_them_listed(
    runs: list[dict[str, Any]], expected: str | None
) -> None:
    assert selector(runs) == expected


def test_a_missing_block_is_counted_among_the_runs_slices() -> None:
    found = whole(sliced(), [*slices_of(own(0, 1)), block(0)])
    assert missing_note(found) == (
        "dagrun 'big': the task instances of 1 of its 6 TaskInstanceSlices are not shown "
        f"(not found): {block_name(RUN, 'm', 1)}"
    )


# Followed live ----------------------------------------------------------------------


def shown(assembly: Assembly) -> dict[str, Any]:
    found = assembly.whole(KEY)
    assert found is not None
    return dict(found.run["status"]["taskInstances"])


def test_a_block_arriving_after_the_run_shows_its_instances() -> None:
    assembly = Assembly()
    assembly.reset_slices([])
    assembly.put_run(inline(own(0)))
    assert assembly.missing(KEY) == (block_name(RUN, "m", 0),)
    assert assembly.put_slice(block(0)) == Change(KEY, instances(range(4)), [])
    assert sorted(shown(assembly)) == sorted(EVERY)
    assert assembly.missing(KEY) == ()


@pytest.mark.parametrize(
    ("event", "change"),
    [
        pytest.param(
            ("put", block(0, held={**instances(range(4)), m(1): mi(1, "failed")})),
            Change(KEY, {m(1): mi(1, "failed")}, []),
            id="a block's write shows only the instance it changed",
        ),
        pytest.param(
            ("forget", block(0)),
            Change(KEY, {}, [m(i) for i in range(4)]),
            id="a deleted block takes its instances away",
        ),
        pytest.param(
            ("put", block(1, "failed")), None, id="a block the run does not name changes nothing"
        ),
        pytest.param(
            ("put", block(0, run="other")), None, id="a block of a run not known changes nothing"
        ),
    ],
)
def test_a_block_event_says_what_it_changed(
    event: tuple[str, dict[str, Any]], change: Change | None
) -> None:
    assembly = Assembly()
    assembly.reset_slices([block(0)])
    assembly.put_run(inline(own(0)))
    verb, body = event
    found = assembly.put_slice(body) if verb == "put" else assembly.forget_slice(body)
    assert found == change


def test_an_inline_run_that_seals_a_block_changes_nothing_shown() -> None:
    assembly = Assembly()
    assembly.put_run(inline({k: v for k, v in own().items() if k != "m"}))  # all in the window
    assert assembly.put_slice(block(0)) is None  # written before the run names it
    assert assembly.put_run(inline(own(0))) == Change(KEY, {}, [])
    assert sorted(shown(assembly)) == sorted(EVERY)


def test_slice_writes_that_seal_instances_into_a_block_never_take_them_away() -> None:
    assembly = Assembly()
    assembly.reset_slices([*slices_of(own(0)), block(0)])
    assembly.put_run(sliced())
    assert assembly.put_slice(block(1)) is None
    changes = [assembly.put_slice(body) for body in slices_of(own(0, 1))]
    assert all(c is not None and not c.removed for c in changes)
    assert sorted(shown(assembly)) == sorted(EVERY)


def test_a_stream_keeps_what_it_shows_of_sealed_instances() -> None:
    assembly = Assembly(keep=lambda ti: ti["state"])
    assembly.reset_slices([block(0)])
    assembly.put_run(inline(own(0, length=12)))
    assert shown(assembly) == dict.fromkeys([*EVERY, "m"], "success")
    change = assembly.put_slice(block(0, held={**instances(range(4)), m(2): mi(2, "failed")}))
    assert change == Change(KEY, {m(2): "failed"}, [])


@pytest.mark.parametrize("record_first", [True, False], ids=["record first", "record last"])
@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(own(0), own(0, 1), id="a seal moves instances from slices into a block"),
        pytest.param(own(0), own(), id="a clear puts a block's instances back in slices"),
    ],
)
def test_a_page_following_slice_writes_shows_the_run_whole(
    before: dict[str, Any], after: dict[str, Any], record_first: bool
) -> None:
    assembly = Assembly()
    assembly.reset_slices([*slices_of(before), block(0), block(1)])
    assembly.put_run(sliced())
    page = shown(assembly)
    writes = sorted(slices_of(after), key=lambda s: "m" in s["status"]["taskInstances"])
    for body in reversed(writes) if record_first else writes:
        change = assembly.put_slice(body)
        assert change is not None
        page.update(change.changed)
        for key in change.removed:
            del page[key]
    assert page == shown(assembly)


def test_a_block_written_in_parts_is_read_back_from_every_part() -> None:
    """A block too big for one object is written in parts, each key in the part its
    checksum places it in (`sealed_blocks.part_names`, `mapParts` on the record)."""
    tis = own(0)
    tis["m"]["mapParts"] = {"0": 2}
    held = instances(range(SIZE))
    names = part_names(RUN, "m", 0, 2)
    parts = []
    for index, name in enumerate(names):
        part = block(0, held={k: v for k, v in held.items() if slice_index(k, 2) == index})
        part["metadata"]["name"] = name
        parts.append(part)
    found = whole(inline(tis), parts)
    assert [k for k in found.run["status"]["taskInstances"] if k.startswith("m[")] == [
        m(i) for i in range(8)
    ]
    assert found.missing == ()
    assert holder(RUN, "m", tis["m"], m(1), 1) == names[slice_index(m(1), 2)]
    lost = whole(inline(tis), parts[:1]).missing
    assert lost == (names[1],)
