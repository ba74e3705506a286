"""Indexes over a run's task instances that keep one planner pass linear.

Finding a task's instances by scanning every key, and collecting every task's XCom
again for each task instance started, made a pass quadratic in the number of task
instances (a pass starting 1,600 tasks took 6 s). These indexes live for one pass
and always answer as a fresh scan of the pass's current status would.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.core.sealed_blocks import sealed_wanted

if TYPE_CHECKING:
    from kairflow.core.run_state import RunPass

TI = TaskInstanceState
_ABSENT = object()
MISSING = _ABSENT
"""A big XCom whose ConfigMap the controller could not read: as if not pushed."""


class InstanceIndex:
    """Task name -> keys of its mapped instances (`name[0]`, `name[1]`...) in map
    index order, then `name` when it holds the instances not created yet
    (`core.map_window`); rebuilt whenever the status' key set may have changed: the
    planner adds keys when a run starts and swaps the whole dict when it creates
    mapped instances."""

    def __init__(self) -> None:
        self._indexed: Mapping[str, TaskInstanceStatus] | None = None
        self._size = -1
        self._mapped: dict[str, tuple[str, ...]] = {}

    def instances(self, tis: Mapping[str, TaskInstanceStatus], name: str) -> Sequence[str]:
        """Its mapped instances' keys (and `name` after them, while some are not
        created yet), else `name` itself when it is a key."""
        if tis is not self._indexed or len(tis) != self._size:
            self._rebuild(tis)
        mapped = self._mapped.get(name)
        if mapped is not None:
            return mapped
        return (name,) if name in tis else ()

    def _rebuild(self, tis: Mapping[str, TaskInstanceStatus]) -> None:
        grouped: dict[str, list[str]] = {}
        for key in tis:
            task, bracket, _ = key.partition("[")
            if bracket:  # task names never contain '[' (TASK_NAME_PATTERN)
                grouped.setdefault(task, []).append(key)
        self._mapped = {
            task: (*sorted(keys, key=lambda k: tis[k].map_index or 0), *(task,) * (task in tis))
            for task, keys in grouped.items()
        }
        self._indexed, self._size = tis, len(tis)


MappedXComs = dict[str, tuple[int, Sequence[str], Any]]
"""Mapped task -> (RunPass.state_changes, its instance keys, its list) when last built."""


class PassXComs(Mapping[str, Any]):
    """Task name -> its XCom (a mapped task's: the list of its instances' XComs, once
    all of them finished), read from the pass's status at each lookup, so a template
    sees an upstream task that finished earlier in the same pass. A mapped task's list
    is kept in `kept` (owned by the pass) until the next change of a task instance to
    a finished state (`RunPass.set_state`) or of the key set, so many readers do not
    rebuild it each."""

    def __init__(self, state: RunPass, kept: MappedXComs) -> None:
        self._state = state
        self._lists = kept

    def _lookup(self, name: str) -> Any:
        state = self._state
        if name not in state.tasks:
            return _ABSENT
        tis = state.status.task_instances
        keys = state.instances(name)
        if len(keys) == 1 and tis[keys[0]].map_index is None and tis[keys[0]].map_length is None:
            ti = tis[keys[0]]
            return state.xcom_of(keys[0]) if ti.state == TI.SUCCESS else _ABSENT
        if not keys:
            return _ABSENT
        kept = self._lists.get(name)
        if kept is not None and kept[0] == state.state_changes and kept[1] is keys:
            return kept[2]
        value: Any = _ABSENT
        sealed = None
        if all(tis[k].state.finished for k in keys):
            sealed = sealed_wanted(state, name)
        if sealed is not None:
            # A finished record of instances never created pushed nothing.
            mapped = {tis[k].map_index: k for k in keys if tis[k].map_length is None}
            mapped.update((ti.map_index, k) for k, ti in sealed.items())
            value = [state.xcom_of(mapped[i]) for i in sorted(mapped, key=lambda i: i or 0)]
            if any(item is MISSING for item in value):
                value = _ABSENT
        self._lists[name] = (state.state_changes, keys, value)
        return value

    def __getitem__(self, name: str) -> Any:
        value = self._lookup(name)
        if value is _ABSENT:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._lookup(name) is not _ABSENT

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._state.graph.order if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)
