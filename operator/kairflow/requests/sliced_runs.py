"""A big run whole, for the CLI and the web UI: its task instances read back from the
TaskInstanceSlices it owns.

A run past the slice budget keeps no task instances in its status
(`core.task_instance_slices`): every reader outside the operator lists the run's
slices (by the `kairflow.io/dag-run` label, one LIST for any number of runs) and puts
the run back together here. Only the slices of the layout the run names count, each
for the task instances that layout places in it, so a slice left from a smaller layout
(deleted once the run names the bigger one) never shows an old state.

A slice of the layout that was not read (deleted by hand, or the reader may not list
slices) leaves its task instances out: the run is shown with what was read, its
status names the missing slices (`MISSING`) and `missing_note` says so in one line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kairflow.api.task_instance_slice import TaskInstanceSlice
from kairflow.core.labels import DAG_RUN
from kairflow.core.naming import label_value
from kairflow.core.task_instance_slices import (
    FIELD,
    Wire,
    assemble,
    layout_of,
    slice_index,
    slice_name,
)

PLURAL = TaskInstanceSlice.PLURAL
MISSING = "taskInstanceSlicesMissing"
"""Set in an assembled run's status: the slices it names that were not read."""
SHOWN = 3
"""Missing slices a note names (a run has up to 4,096)."""
Body = dict[str, Any]
RunKey = tuple[str, str]  # (namespace, run name); namespace "" when not known


def run_key(body: Mapping[str, Any]) -> RunKey:
    meta = body.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def is_sliced(run: Mapping[str, Any]) -> bool:
    return layout_of(run.get("status") or {}) > 0


def selector(runs: Iterable[Mapping[str, Any]]) -> str | None:
    """One label selector for the slices of every sliced run among `runs` (None: no
    run is sliced, nothing to read). A label value can stand for more than one run
    (long names are cut and hashed): `whole` keeps only each run's own slices."""
    values = sorted({label_value(run_key(run)[1]) for run in runs if is_sliced(run)})
    if not values:
        return None
    if len(values) == 1:
        return f"{DAG_RUN}={values[0]}"
    return f"{DAG_RUN} in ({','.join(values)})"


def _slice_place(body: Mapping[str, Any]) -> tuple[RunKey, int, int] | None:
    """(run, layout, index) of a slice as listed; None for one not shaped as the
    operator writes them."""
    spec = body.get("spec") or {}
    run, slices, index = spec.get("dagRun"), spec.get("slices"), spec.get("index")
    if not isinstance(run, str) or not isinstance(slices, int) or not isinstance(index, int):
        return None
    return (run_key(body)[0], run), slices, index


@dataclass(frozen=True)
class Whole:
    """A run as shown: its task instances put back, and the slices not read."""

    run: Body
    missing: tuple[str, ...] = ()


def whole(run: Body, slices: Iterable[Mapping[str, Any]]) -> Whole:
    """`run` with its task instances from `slices` (any listed slices: those of other
    runs and of other layouts are passed over). A run that is not sliced is returned
    as it is."""
    return wholes([run], slices)[0]


def wholes(runs: Iterable[Body], slices: Iterable[Mapping[str, Any]]) -> list[Whole]:
    """Each run whole, from one listing of slices (grouped once: a LIST across a
    namespace of many big runs is read in one pass)."""
    parts: Parts = defaultdict(dict)
    for body in slices:
        place = _slice_place(body)
        if place is not None:
            run, layout, index = place
            parts[(run, layout)][index] = (body.get("status") or {}).get(FIELD) or {}
    return [_whole(run, parts) for run in runs]


Parts = dict[tuple[RunKey, int], dict[int, Mapping[str, Any]]]
"""(run, layout) -> slice index -> the slice's task instances."""


def _whole(run: Body, parts: Parts) -> Whole:
    status = run.get("status") or {}
    layout = layout_of(status)
    if not layout:
        return Whole(run)
    namespace, name = run_key(run)
    found = parts.get(((namespace, name), layout), {})
    read = [found.get(index) for index in range(layout)]
    missing = tuple(slice_name(name, layout, i) for i, part in enumerate(read) if part is None)
    assembled = assemble(status, read)
    if missing:
        assembled[MISSING] = list(missing)
    return Whole({**run, "status": assembled}, missing)


def missing_note(found: Whole, reason: str | None = None) -> str | None:
    """One line on what a run shows without (None: nothing is missing)."""
    if not found.missing:
        return None
    name = run_key(found.run)[1]
    layout = layout_of(found.run.get("status") or {})
    why = f" ({reason})" if reason else " (not found)"
    named = ", ".join(found.missing[:SHOWN]) + (", ..." if len(found.missing) > SHOWN else "")
    return (
        f"dagrun {name!r}: the task instances of {len(found.missing)} of its {layout} "
        f"TaskInstanceSlices are not shown{why}: {named}"
    )


@dataclass(frozen=True)
class Change:
    """What one slice event changed in a run as shown: its task instances that are
    new or changed, and those gone (a slice deleted)."""

    run: RunKey
    changed: Wire
    removed: list[str]


class Assembly:
    """Runs and their slices as watches report them (one list, then each change), for
    a reader that follows runs live: each run whole on demand, and what a slice event
    changed in it, found from that slice alone (a few hundred task instances, not the
    run's ten thousand)."""

    def __init__(self, keep: Callable[[Any], Any] | None = None) -> None:
        """`keep`: what is kept of each task instance (all of it by default; a page's
        stream keeps its grid cell, a fifth of its size, for every big run it shows)."""
        self._runs: dict[RunKey, Body] = {}
        self._parts: Parts = defaultdict(dict)
        self._keep = keep

    def put_run(self, body: Body) -> None:
        """Store a run as listed or watched (as stored: not put back together here, a
        reader whose layout did not change has its cells already)."""
        self._runs[run_key(body)] = body

    def forget_run(self, body: Mapping[str, Any]) -> None:
        key = run_key(body)
        self._runs.pop(key, None)
        for part in [p for p in self._parts if p[0] == key]:
            del self._parts[part]

    def layout(self, key: RunKey) -> int | None:
        """The layout a known run names (0: not sliced); None for a run not known."""
        body = self._runs.get(key)
        return None if body is None else layout_of(body.get("status") or {})

    def stored(self, key: RunKey) -> Body | None:
        """A known run as stored (its task instances not put back)."""
        return self._runs.get(key)

    def whole(self, key: RunKey) -> Whole | None:
        body = self._runs.get(key)
        return None if body is None else _whole(body, self._parts)

    def missing(self, key: RunKey) -> tuple[str, ...]:
        """The slices a known run's layout names that are not stored (cheap: no task
        instance is looked at)."""
        layout = self.layout(key) or 0
        found = self._parts.get((key, layout), {})
        return tuple(slice_name(key[1], layout, i) for i in range(layout) if i not in found)

    def reset_slices(self, bodies: Iterable[Mapping[str, Any]]) -> list[RunKey]:
        """Every slice anew (a list); returns the known sliced runs (to show again)."""
        self._parts.clear()
        for body in bodies:
            self.put_slice(body)
        return sorted(key for key in self._runs if self.layout(key))

    def put_slice(self, body: Mapping[str, Any]) -> Change | None:
        """Store a slice as listed or watched; the change it makes to a known run
        whose layout it belongs to (None otherwise: nothing shown changes)."""
        place = _slice_place(body)
        if place is None:
            return None
        run, layout, index = place
        instances = (body.get("status") or {}).get(FIELD) or {}
        keep = self._keep or (lambda instance: instance)
        placed = {k: keep(v) for k, v in instances.items() if slice_index(k, layout) == index}
        before = self._parts[(run, layout)].get(index) or {}
        self._parts[(run, layout)][index] = placed
        return self._change(run, layout, before, placed)

    def forget_slice(self, body: Mapping[str, Any]) -> Change | None:
        place = _slice_place(body)
        if place is None:
            return None
        run, layout, index = place
        before = self._parts.get((run, layout), {}).pop(index, None) or {}
        return self._change(run, layout, before, {})

    def _change(
        self, run: RunKey, layout: int, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> Change | None:
        if self.layout(run) != layout:
            return None
        changed = {key: value for key, value in after.items() if before.get(key) != value}
        removed = [key for key in before if key not in after]
        return Change(run, changed, removed)
