"""A mapped task's instances are created a window at a time, not all at once.

A task mapped over 100,000 items would otherwise record 100,000 task instances the
moment it expands, and every pass, write and cached copy of the run would carry them
all while a few dozen run. Instead a mapped task has at most `map_window` unfinished
instances (`name[i]`); the rest wait as one record under the task's own name (`name`,
state none) holding the count (`mapLength`, the instances in all) and the first index
not created yet (`mapNext`). Each pass creates the next indexes as earlier ones
finish, in map index order (the order Airflow's scheduler starts equal-priority
instances in), and drops the record once the last index is created.

Everything that reads task instances sees that record as one more unfinished
instance of the task: trigger rules downstream wait for it, the run does not end
before it, a skip or upstream failure that reaches the task finishes it too (and with
it the instances it stands for). Progress counts the instances it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.core.mapping import MappingError, mapped_length, sources
from kairflow.core.naming import pod_name, ti_key
from kairflow.core.sealed_blocks import block_size, sealed_message, summary, weights

if TYPE_CHECKING:
    from kairflow.core.run_state import RunPass


def is_rest(ti: TaskInstanceStatus) -> bool:
    """Whether `ti` is a mapped task's record of its instances not created yet."""
    return ti.map_length is not None


def stands_for(ti: TaskInstanceStatus) -> int:
    """How many task instances a record counts for in the run's progress."""
    if ti.map_length is None or ti.map_next is None:
        return 1
    return max(ti.map_length - ti.map_next, 0)


def order_key(ti: TaskInstanceStatus) -> int:
    """Where a record goes among its task's: by map index, the rest's record last (its
    first index), a task's only record first."""
    if ti.map_index is not None:
        return ti.map_index
    return ti.map_next if ti.map_next is not None else -1


def progress(instances: Iterable[TaskInstanceStatus]) -> tuple[int, int]:
    """(finished, all) task instances, counting those not created yet and those
    sealed (`sealed_blocks`)."""
    finished = total = 0
    for ti in instances:
        for state, weight in weights(ti):
            total += weight
            if state.finished:
                finished += weight
    return finished, total


def first_instances(
    name: str, length: int, window: int, max_tries: int, message: str | None = None
) -> dict[str, TaskInstanceStatus]:
    """A mapped task's records as it expands over `length` items: its first `window`
    instances and, when there are more, the record of the rest."""
    created = min(length, max(window, 1))
    records = {
        ti_key(name, index): TaskInstanceStatus(
            map_index=index, max_tries=max_tries, message=message
        )
        for index in range(created)
    }
    if created < length:
        records[name] = rest_record(length, created, max_tries, block_size(created))
    return records


def rest_record(
    length: int, next_index: int, max_tries: int | None, block: int
) -> TaskInstanceStatus:
    """`block`: the window, the instances per block sealed as they finish."""
    return TaskInstanceStatus(
        map_length=length,
        map_next=next_index,
        map_block=block,
        max_tries=max_tries,
        message=waiting_message(length, next_index),
    )


def waiting_message(length: int, next_index: int) -> str:
    return (
        f"{length - next_index:,} of {length:,} instances not created yet: they are "
        "created as earlier ones finish"
    )


def grow(state: RunPass, name: str) -> bool:
    """An expanded mapped task with fewer instances than items gets a record of the
    rest: its record was lost (a deleted slice), or its source ran
    again after a clear and pushed a longer list, for which Airflow creates the new
    indexes too. (The instances past the end of a shorter list stay as they are.)"""
    tis = state.status.task_instances
    task = state.tasks[name]
    if name in tis or task.expand is None:
        return False  # not expanded, or its record of the rest is there
    if any(tis[source].map_sealed for source in sources(task.expand) if source in tis):
        # A source with sealed blocks has not run again since this task expanded (a
        # clear unseals it): its list is as long as it was; not read back to tell.
        return False
    created = len(state.instances(name))  # 0..created-1: `_restore_lost` fills gaps
    try:
        length = mapped_length(task, state.xcoms(), state.settings.max_map_length)
    except MappingError:
        return False  # as mapped: a list unusable now does not undo the mapping
    if not created or length is None or length <= created:
        return False
    tis[name] = rest_record(
        length, created, state.policies[name].max_tries, block_size(_window(state))
    )
    return True


def adopt_created(state: RunPass) -> bool:
    """Instances a pass created and started, whose status write was then lost (the
    operator killed in between): their first pods exist. Create them again, up to the
    last index with a pod, so their pods are adopted rather than deleted as strays."""
    added: dict[str, dict[str, TaskInstanceStatus]] = {}
    for name, rest in _waiting(state) if state.pods else ():
        length, start = rest.map_length or 0, rest.map_next or 0
        window = range(start, min(length, start + _window(state)))
        started = [i for i in window if pod_name(state.run.name, name, 1, i) in state.pods]
        if started:
            added[name] = _created(name, rest, start, started[-1] + 1)
    return _add(state, added)


def _created(
    name: str, rest: TaskInstanceStatus, start: int, end: int
) -> dict[str, TaskInstanceStatus]:
    """Instances `start`..`end - 1` of mapped task `name`, and its record moved on."""
    rest.map_next = end
    rest.message = waiting_message(rest.map_length or 0, end)
    return {
        ti_key(name, index): TaskInstanceStatus(map_index=index, max_tries=rest.max_tries)
        for index in range(start, end)
    }


def create_more(state: RunPass) -> bool:
    """Create the next instances of every mapped task whose window has room. True when
    any were created (the status' task instances are then a new dict, in DAG order:
    new instances go just before the record of the rest)."""
    tis = state.status.task_instances
    added: dict[str, dict[str, TaskInstanceStatus]] = {}
    for name, rest in _waiting(state):
        length, start = rest.map_length or 0, rest.map_next or 0
        live = sum(1 for key in state.instances(name) if not tis[key].state.finished) - 1
        count = min(_window(state) - live, length - start)
        if count > 0:
            added[name] = _created(name, rest, start, start + count)
    return _add(state, added)


def _window(state: RunPass) -> int:
    return max(state.settings.map_window, 1)  # the operator refuses 0; other callers may not


def _waiting(state: RunPass) -> Iterator[tuple[str, TaskInstanceStatus]]:
    """Mapped tasks (in DAG order) with instances not created yet, and their record."""
    tis = state.status.task_instances
    for name in state.graph.order:
        rest = tis.get(name)
        if rest is not None and is_rest(rest) and not rest.state.finished:
            yield name, rest


def _add(state: RunPass, added: Mapping[str, dict[str, TaskInstanceStatus]]) -> bool:
    if added:
        state.status.task_instances = _with(state.status.task_instances, added)
    return bool(added)


def _with(
    tis: Mapping[str, TaskInstanceStatus], added: Mapping[str, dict[str, TaskInstanceStatus]]
) -> dict[str, TaskInstanceStatus]:
    rebuilt: dict[str, TaskInstanceStatus] = {}
    for key, ti in tis.items():
        new = added.get(key)
        if new is not None:
            rebuilt.update(new)
            if (ti.map_next or 0) >= (ti.map_length or 0):
                if not ti.map_sealed:
                    continue  # every instance exists now: the record of the rest goes
                # It still stands for the sealed instances: in their state now.
                ti.state, ti.message = summary(ti), sealed_message(ti)
        rebuilt[key] = ti
    return rebuilt
