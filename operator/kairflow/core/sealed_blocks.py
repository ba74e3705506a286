"""A big mapped task's finished instances leave the run in sealed blocks.

The window (`map_window`) bounds a mapped task's instances not started; the finished
ones would still pile up in the run: 100,000 records in its slices, in the
operator's cache, in every pass and write of the run. So a mapped task with more
instances than the window splits its map indexes into blocks of `mapBlock` (the
window when it expanded); once every instance of a block has finished, the planner
seals it: the block's records go to a TaskInstanceSlice of their own (`block_name`,
written by the controller before the run's status that drops them, so nothing is
ever recorded nowhere), and the task's own record keeps only their states, one
run-length encoded string per block (`mapSealed`: "success:1020,failed:1,...").

Everything the core decides from finished instances reads those states: trigger
rules and progress count them (`weights`), the run's end and dependsOnPast read the
record's state once nothing waits (`summary`: the worst state sealed), a lost record
never brings back a sealed index. What needs the records themselves reads the blocks
back: the XComs a downstream task pulls (the planner asks with `ReadSealed`), a clear
or mark of the task (`unseal`), and every reader that shows instances (`assemble`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core import run_model  # a module: it imports map_window, which imports this
from kairflow.core.naming import bounded_name
from kairflow.core.task_instance_slices import layout, slice_index

if TYPE_CHECKING:
    from kairflow.core.run_state import RunPass

TI = TaskInstanceState
Wire = dict[str, Any]
MAX_BLOCK = 128
"""Instances per block at most. A block is sealed once all of its instances have
finished, so the run keeps up to a block per instance still running (a slow one in
each): with blocks of the whole window that could be the window squared."""
_WORST_FIRST = (TI.FAILED, TI.UPSTREAM_FAILED, TI.REMOVED)


def encode(states: Iterable[TI]) -> str:
    """States in map index order, run-length encoded: 'success:1020,failed:1'."""
    runs: list[list[Any]] = []
    for state in states:
        if runs and runs[-1][0] == state:
            runs[-1][1] += 1
        else:
            runs.append([state, 1])
    return ",".join(f"{state.value}:{count}" for state, count in runs)


def runs_of(text: str) -> Iterator[tuple[TI, int]]:
    for run in filter(None, text.split(",")):
        state, _, count = run.rpartition(":")
        yield TI(state), int(count)


def decode(text: str) -> list[TI]:
    return [state for state, count in runs_of(text) for _ in range(count)]


def sealed_counts(record: TaskInstanceStatus) -> Counter[TI]:
    """States of a mapped task's sealed instances, counted."""
    return _counted(record.map_sealed or {})


def _counted(map_sealed: Mapping[str, str]) -> Counter[TI]:
    counts: Counter[TI] = Counter()
    for text in map_sealed.values():
        for state, count in runs_of(text):
            counts[state] += count
    return counts


def waiting(record: TaskInstanceStatus) -> int:
    """Instances a mapped task's record stands for that are not created yet."""
    if record.map_length is None or record.map_next is None:
        return 0
    return max(record.map_length - record.map_next, 0)


def weights(ti: TaskInstanceStatus) -> list[tuple[TI, int]]:
    """(state, how many instances) a record counts for: an instance for itself; a
    mapped task's record for its instances not created yet (in its own state) and
    its sealed ones (in theirs)."""
    if ti.map_length is None:
        return [(ti.state, 1)]
    counted = [(ti.state, waiting(ti))] if waiting(ti) else []
    return counted + list(sealed_counts(ti).items())


def summary(record: TaskInstanceStatus) -> TI:
    """A record's state once all its instances exist: the worst state sealed, as
    Airflow's run and dependsOnPast read a task's instances (all must be fine)."""
    counts = sealed_counts(record)
    for state in _WORST_FIRST:
        if counts[state]:
            return state
    if counts[TI.SUCCESS] or not counts:
        return TI.SUCCESS
    return TI.SKIPPED


def recorded_state(state: TI, map_sealed: Mapping[str, str]) -> TI:
    """What a mapped task's record says of the task to a later run (dependsOnPast reads
    every instance of it): its own state, or the worst one sealed when that is a
    failure (a run timed out keeps its record's own state, skipped, for the instances
    never created)."""
    counts = _counted(map_sealed)
    counts[state] += 1
    return next((worst for worst in _WORST_FIRST if counts[worst]), state)


def is_sealed(record: TaskInstanceStatus | None, index: int) -> bool:
    block = record.map_block if record is not None else None
    return bool(block) and str(index // block) in (record.map_sealed or {})  # type: ignore[union-attr,operator]


def block_size(window: int) -> int:
    """Instances per sealed block for a mapped task created `window` at a time."""
    return max(min(window, MAX_BLOCK), 1)


def block_name(run: str, task: str, block: int) -> str:
    """The TaskInstanceSlice of a sealed block, e.g. `etl-x-m1a2b3c4d-b7` (the task by
    its checksum: task names may hold what object names may not)."""
    return bounded_name(run, f"-m{zlib.crc32(task.encode()):08x}-b{block}")


def part_names(run: str, task: str, block: int, parts: int) -> list[str]:
    """The objects a sealed block is written in: one, or `parts` of them when its
    records pass the budget of one (placed as a big run's slices are, by checksum)."""
    if parts <= 1:
        return [block_name(run, task, block)]
    return [block_name(run, task, block) + f"-{parts}-{index}" for index in range(parts)]


def holder(run: str, task: str, record: Mapping[str, Any], key: str, index: int) -> str | None:
    """The object holding sealed instance `key` (map index `index`) of `task`, given
    the task's (wire) record; None when that index is not sealed."""
    block = sealed_block_of(record, index)
    if block is None:
        return None
    names = part_names(run, task, int(block), _parts_of(record, block))
    return names[slice_index(key, len(names))] if len(names) > 1 else names[0]


def sealed_block_of(record: Mapping[str, Any], index: int) -> str | None:
    """The sealed block holding map index `index`, from a mapped task's (wire)
    record; None when that index is not sealed."""
    size = record.get("mapBlock")
    if not isinstance(size, int) or size <= 0:
        return None
    block = str(index // size)
    return block if block in (record.get("mapSealed") or {}) else None


def _parts_of(record: Mapping[str, Any], block: str) -> int:
    parts = (record.get("mapParts") or {}).get(block)
    return parts if isinstance(parts, int) else 1


def seal(state: RunPass) -> None:
    """Seal every block of a big mapped task whose instances have all finished: a
    `SealBlock` action with their records, which leave the status (what compares a
    pass' input and output, like the asset events of a success, reads them there)."""
    budget = state.settings.block_bytes
    if budget is None:
        return  # nowhere to keep blocks: every record stays in the run
    tis = state.status.task_instances
    window = max(state.settings.map_window, 1)
    gone: set[str] = set()
    new: dict[str, TaskInstanceStatus] = {}  # records made again: after their instances
    for name in state.graph.order:
        if name not in state.mapped_tasks:
            continue
        keys = [k for k in state.instances(name) if tis[k].map_index is not None]
        record = tis.get(name)
        length = record.map_length if record is not None else len(keys)
        if record is None and len(keys) <= window:
            continue  # all its instances fit the window: nothing to bound
        if record is not None and record.map_length is None:
            continue  # not expanded yet
        size = (record.map_block if record is not None else None) or block_size(window)
        created = (record.map_next if record is not None else None) or length or 0
        blocks: dict[int, list[str]] = {}
        for key in keys:
            blocks.setdefault((tis[key].map_index or 0) // size, []).append(key)
        for block, members in sorted(blocks.items()):
            first, end = block * size, min((block + 1) * size, length or 0)
            if end > created or len(members) != end - first:
                continue  # not every instance of it exists yet (or some were lost)
            if not all(tis[k].state.finished for k in members):
                continue
            if record is None:
                record = new[name] = TaskInstanceStatus(
                    map_length=length,
                    map_next=length,
                    max_tries=tis[members[0]].max_tries,
                )
            record.map_block = size
            _seal_block(state, name, record, block, members, budget)
            gone.update(members)
        if record is not None and not waiting(record):
            if record.map_sealed:
                record.state = summary(record)
                record.message = sealed_message(record)
            else:
                gone.add(name)  # blocks lost, their instances restored: no record left
    if gone:
        last = {state.task_of(key): key for key in tis}
        kept: dict[str, TaskInstanceStatus] = {}
        for key, ti in tis.items():
            if key not in gone:
                kept[key] = ti
            name = state.task_of(key)
            if name in new and last[name] == key:
                kept[name] = new[name]
        state.status.task_instances = kept


def _seal_block(
    state: RunPass,
    name: str,
    record: TaskInstanceStatus,
    block: int,
    members: list[str],
    budget: int,
) -> None:
    """Block `block` of mapped task `name` (its instances `members`) sealed: its states
    on the task's record, its records in a `SealBlock` (in parts past `budget`)."""
    tis = state.status.task_instances
    record.map_sealed = {
        **(record.map_sealed or {}),
        str(block): encode(tis[k].state for k in members),
    }
    placed = layout({k: tis[k].to_wire() for k in members}, 0, budget)
    if placed.slices:
        record.map_parts = {**(record.map_parts or {}), str(block): placed.slices}
    names = part_names(state.run.name, name, block, placed.slices)
    state.actions.append(
        run_model.SealBlock(name, block, dict(zip(names, placed.parts, strict=True)))
    )


def sealed_message(record: TaskInstanceStatus) -> str:
    counts = sealed_counts(record)
    told = ", ".join(f"{n:,} {s.value}" for s, n in sorted(counts.items(), key=lambda i: -i[1]))
    return f"{sum(counts.values()):,} instances sealed ({told})"


def sealed_wanted(state: RunPass, name: str) -> dict[str, TaskInstanceStatus] | None:
    """The records of mapped task `name`'s sealed instances, when the controller read
    them for this pass; else None, and the pass asks for them (`ReadSealed`)."""
    record = state.status.task_instances.get(name)
    if record is None or not record.map_sealed:
        return {}
    found = {
        key: ti
        for key, ti in state.sealed_records.items()
        if ti.map_index is not None and state.task_of(key) == name
    }
    if len(found) == sum(sealed_counts(record).values()):
        return found
    if not any(isinstance(a, run_model.ReadSealed) and a.task == name for a in state.actions):
        names = tuple(sealed_block_names(state.run.name, name, record))
        state.actions.append(run_model.ReadSealed(name, names))
        state.sealed_asks += 1
    return None


def sealed_block_names(run: str, task: str, record: TaskInstanceStatus) -> list[str]:
    """The objects holding a mapped task's sealed blocks."""
    return block_names(run, {"taskInstances": {task: record.to_wire()}})


def forget_blocks(status: DagRunStatus, run: str, task: str, lost: Iterable[str]) -> None:
    """Blocks of `task` that are gone (deleted by hand): the run no longer counts them
    sealed, so its next pass restores their instances as lost ones and runs them
    again (the record stays while it says how many instances there are)."""
    record = status.task_instances.get(task)
    gone = set(lost)
    if record is None or not record.map_sealed or not gone:
        return
    wire = record.to_wire()
    sealed = {
        block: text
        for block, text in record.map_sealed.items()
        if not gone & set(part_names(run, task, int(block), _parts_of(wire, block)))
    }
    record.map_sealed = sealed or None
    record.map_parts = {b: n for b, n in (record.map_parts or {}).items() if b in sealed} or None


def unseal(status: DagRunStatus, task: str, records: Mapping[str, TaskInstanceStatus]) -> None:
    """Put a mapped task's sealed instances back into the run (a clear or mark of the
    task reads and changes them): its record forgets its blocks."""
    record = status.task_instances.get(task)
    if record is None or not record.map_sealed:
        return
    size = record.map_block or 1
    sealed = {int(b) for b in record.map_sealed}
    back = {
        key: ti
        for key, ti in records.items()
        if ti.map_index is not None and ti.map_index // size in sealed
    }
    record.map_sealed = record.map_parts = None
    rebuilt: dict[str, TaskInstanceStatus] = {}
    for key, ti in status.task_instances.items():
        if key == task:
            rebuilt.update(sorted(back.items(), key=lambda item: item[1].map_index or 0))
            record.map_block = record.message = None
            # Kept even when every instance exists: it says how many there are, so a
            # lost one (a block deleted by hand) comes back (`_restore_lost`); the
            # pass drops it then (`seal`). Its state is its own while instances wait.
            rebuilt[key] = record
            continue
        rebuilt[key] = ti
    status.task_instances = rebuilt


def block_names(run: str, status: Mapping[str, Any]) -> list[str]:
    """The sealed blocks a run's (wire) status names, for readers to fetch."""
    names: list[str] = []
    for key, ti in (status.get("taskInstances") or {}).items():
        for block in (ti.get("mapSealed") or {}) if isinstance(ti, dict) else ():
            names += part_names(run, key, int(block), _parts_of(ti, block))
    return names


def assemble(run: str, status: Wire, blocks: Mapping[str, Mapping[str, Any] | None]) -> Wire:
    """A run's (wire) status with its sealed instances put back from their blocks'
    task instances (block name -> them; missing or None: a block not found, its
    instances are left out), for readers that show instances: the CLI, the UI."""
    instances = status.get("taskInstances")
    if not isinstance(instances, dict) or not any(
        isinstance(ti, dict) and ti.get("mapSealed") for ti in instances.values()
    ):
        return status
    rebuilt: Wire = {}
    for key, ti in instances.items():
        sealed = ti.get("mapSealed") if isinstance(ti, dict) else None
        if not sealed:
            rebuilt[key] = ti
            continue
        size = int(ti.get("mapBlock") or 1)
        back: list[tuple[int, str, Any]] = []
        for block in sealed:
            part = {
                name: record
                for part_name in part_names(run, key, int(block), _parts_of(ti, block))
                for name, record in (blocks.get(part_name) or {}).items()
            }
            back += [
                (int(record["mapIndex"]), name, record)
                for name, record in part.items()
                if isinstance(record, dict)
                and isinstance(record.get("mapIndex"), int)
                and record["mapIndex"] // size == int(block)
            ]
        rebuilt.update((name, record) for _, name, record in sorted(back))
        if int(ti.get("mapLength") or 0) > int(ti.get("mapNext") or 0):
            rebuilt[key] = {
                k: v for k, v in ti.items() if k not in ("mapSealed", "mapBlock", "mapParts")
            }
    return {**status, "taskInstances": dict(_in_order(rebuilt))}


def _in_order(instances: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Instances of one task together, in map index order (a task's sealed ones were
    put where its record was; those not sealed came before it), its record last."""
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for key, ti in instances.items():
        grouped.setdefault(key.partition("[")[0], []).append((key, ti))
    for items in grouped.values():
        yield from sorted(items, key=_map_index)


def _map_index(item: tuple[str, Any]) -> int:
    index = item[1].get("mapIndex") if isinstance(item[1], dict) else None
    return index if isinstance(index, int) else 1 << 62
