"""Big runs followed live (`kairflow runs wait`, a DAG page's stream): runs and their
TaskInstanceSlices as watches report them, each run whole on demand, and what one
slice event changed in it, found from that slice alone (a few hundred task instances,
not the run's ten thousand).

A sealed block (`core.sealed_blocks`) is a slice too. Its event changes the run whose
record names it; a block written before the run names it (the operator writes it
first) changes nothing shown until the run's write that names it, which then shows
its instances in place of those that left the run. A write of the slice (or of the
inline run) holding the record costs the blocks it names anew or no longer, not
every block it names: those keep what they showed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kairflow.core import sealed_blocks
from kairflow.core.task_instance_slices import FIELD, Wire, layout_of, slice_index, slice_name
from kairflow.requests.sliced_runs import (
    MISSING,
    BlockKey,
    Body,
    Parts,
    RunKey,
    Whole,
    block_place,
    from_slices,
    is_sealed_record,
    is_sliced,
    run_key,
    sealed_of,
    slice_place,
    with_blocks,
)

Block = dict[str, tuple[int, Any]]
"""A sealed block as kept: task instance key -> (its map index, what is kept of it)."""


@dataclass(frozen=True)
class Change:
    """What one slice event changed in a run as shown: its task instances that are
    new or changed, and those gone (a slice deleted)."""

    run: RunKey
    changed: Wire
    removed: list[str]


class _Kept(dict[str, Any]):
    """A sealed instance as `sealed_blocks.assemble` reads it (by its map index),
    carrying what a reader keeps of it: a stream keeps cells, which have no index."""

    __slots__ = ("kept",)

    def __init__(self, index: int, kept: Any) -> None:
        super().__init__(mapIndex=index)
        self.kept = kept


class Assembly:
    """Runs, their slices and their sealed blocks as listed and watched."""

    def __init__(self, keep: Callable[[Any], Any] | None = None) -> None:
        """`keep`: what is kept of each task instance (all of it by default; a page's
        stream keeps its grid cell, a fifth of its size, for every big run it shows).
        A record naming sealed blocks is kept whole: the blocks are read from it."""
        self._runs: dict[RunKey, Body] = {}
        self._parts: Parts = defaultdict(dict)
        self._sealed: Parts = defaultdict(dict)  # each slice's records naming blocks
        self._blocks: dict[BlockKey, Block] = {}
        self._keep = keep

    # Runs ---------------------------------------------------------------------------
    def put_run(self, body: Body) -> Change | None:
        """Store a run as listed or watched (as stored: not put back together here, a
        reader whose layout did not change has its cells already). For a run known
        before that keeps its task instances in its status and names sealed blocks
        (before or now), what this write changed as shown; else None (a sliced run's
        task instances change in its slices' events)."""
        key = run_key(body)
        before = self._runs.get(key)
        self._runs[key] = body
        if before is None or layout_of(_status(before)) or layout_of(_status(body)):
            return None
        if not (is_sliced(before) or is_sliced(body)):
            return None
        return self._part_change(key, self._inline(before), self._inline(body))

    def forget_run(self, body: Mapping[str, Any]) -> None:
        key = run_key(body)
        self._runs.pop(key, None)
        for parts in (self._parts, self._sealed):
            for place in [p for p in parts if p[0] == key]:
                del parts[place]
        for block in [b for b in self._blocks if b[0] == key]:
            del self._blocks[block]

    def layout(self, key: RunKey) -> int | None:
        """The layout a known run names (0: not sliced); None for a run not known."""
        body = self._runs.get(key)
        return None if body is None else layout_of(_status(body))

    def assembled(self, key: RunKey) -> bool:
        """Whether a known run is shown from more than its own status (`whole`): it is
        sliced, or its records name sealed blocks."""
        body = self._runs.get(key)
        return body is not None and is_sliced(body)

    def stored(self, key: RunKey) -> Body | None:
        """A known run as stored (its task instances not put back)."""
        return self._runs.get(key)

    def whole(self, key: RunKey) -> Whole | None:
        """A known run whole, its task instances as kept; one read from nothing but
        its status as it is."""
        body = self._runs.get(key)
        if body is None or not is_sliced(body):
            return None if body is None else Whole(body)
        if not layout_of(_status(body)):
            body = {**body, "status": {**_status(body), FIELD: self._inline(body)}}
        status, missing = from_slices(body, self._parts)
        sealed = sealed_of(status.get(FIELD) or {})
        status, named = with_blocks(key, status, self._given, missing)
        status[FIELD] = self._unwrapped(status.get(FIELD) or {}, sealed)
        if missing:
            status[MISSING] = list(missing)
        return Whole({**body, "status": status}, tuple(missing), layout_of(status) + named)

    def missing(self, key: RunKey) -> tuple[str, ...]:
        """The slices a known run's layout names, and the sealed blocks its records
        name, that are not stored (cheap: of its task instances, only its records
        naming blocks are looked at, and an inline run's own)."""
        layout = self.layout(key) or 0
        found = self._parts.get((key, layout), {})
        slices = [slice_name(key[1], layout, i) for i in range(layout) if i not in found]
        blocks = [name for name in self._named(key) if (key, name) not in self._blocks]
        return (*slices, *blocks)

    def names(self, key: RunKey) -> int:
        """How many slices a known run's task instances are read from: its layout's and
        the sealed blocks its records name (for `missing_note`)."""
        return (self.layout(key) or 0) + len(self._named(key))

    # Slices -------------------------------------------------------------------------
    def reset_slices(self, bodies: Iterable[Mapping[str, Any]]) -> list[RunKey]:
        """Every slice anew (a list); returns the known runs read from slices (to show
        again): the sliced ones and those naming sealed blocks."""
        self._parts.clear()
        self._sealed.clear()
        self._blocks.clear()
        for body in bodies:
            self.put_slice(body)
        return sorted(key for key in self._runs if self.assembled(key))

    def put_slice(self, body: Mapping[str, Any]) -> Change | None:
        """Store a slice as listed or watched; the change it makes to a known run
        whose layout it belongs to, or whose record names it (None otherwise: nothing
        shown changes)."""
        instances = (body.get("status") or {}).get(FIELD) or {}
        block = block_place(body)
        if block is not None:
            kept = {
                key: (ti["mapIndex"], self._kept(ti))
                for key, ti in instances.items()
                if isinstance(ti, dict) and isinstance(ti.get("mapIndex"), int)
            }
            before = self._blocks.get(block[0]) or {}
            self._blocks[block[0]] = kept
            return self._block_change(block, before, kept)
        place = slice_place(body)
        if place is None:
            return None
        run, layout, index = place
        placed = {k: self._kept(v) for k, v in instances.items() if slice_index(k, layout) == index}
        was = self._parts[(run, layout)].get(index) or {}
        self._parts[(run, layout)][index] = placed
        self._sealed[(run, layout)][index] = sealed_of(placed)
        return self._change(run, layout, was, placed)

    def forget_slice(self, body: Mapping[str, Any]) -> Change | None:
        block = block_place(body)
        if block is not None:
            return self._block_change(block, self._blocks.pop(block[0], {}), {})
        place = slice_place(body)
        if place is None:
            return None
        run, layout, index = place
        before = self._parts.get((run, layout), {}).pop(index, None) or {}
        self._sealed.get((run, layout), {}).pop(index, None)
        return self._change(run, layout, before, {})

    def _change(
        self, run: RunKey, layout: int, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> Change | None:
        if self.layout(run) != layout:
            return None
        return self._part_change(run, before, after)

    # Sealed blocks ------------------------------------------------------------------
    def _kept(self, instance: Any) -> Any:
        if self._keep is None or is_sealed_record(instance):
            return instance
        return self._keep(instance)

    def _inline(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A run's own task instances (in its status) as kept."""
        return {key: self._kept(ti) for key, ti in (_status(body).get(FIELD) or {}).items()}

    def _records(self, key: RunKey) -> dict[str, Any]:
        """A known run's records naming sealed blocks: in its status, or its slices."""
        body = self._runs.get(key) or {}
        layout = layout_of(_status(body))
        if not layout:
            return sealed_of(_status(body).get(FIELD) or {})
        records: dict[str, Any] = {}
        for part in self._sealed.get((key, layout), {}).values():
            records.update(part)
        return records

    def _named(self, key: RunKey) -> list[str]:
        return sealed_blocks.block_names(key[1], {FIELD: self._records(key)})

    def _given(self, block: BlockKey) -> dict[str, _Kept] | None:
        kept = self._blocks.get(block)
        return None if kept is None else _wrapped(kept)

    def _unwrapped(self, instances: Mapping[str, Any], sealed: Mapping[str, Any]) -> Wire:
        """Assembled task instances as kept: a sealed one as its block's was, a record
        that named blocks (left while instances wait) as any task instance."""
        return {
            key: ti.kept if isinstance(ti, _Kept) else self._kept(ti) if key in sealed else ti
            for key, ti in instances.items()
        }

    def _put_back(
        self, run: RunKey, sealed: Mapping[str, Any], blocks: Mapping[str, Mapping[str, Any]]
    ) -> Wire:
        """What records naming sealed blocks show with `blocks` (by name) read."""
        back = sealed_blocks.assemble(run[1], {FIELD: dict(sealed)}, blocks)
        return self._unwrapped(back.get(FIELD) or {}, sealed)

    def _shown(
        self, run: RunKey, part: Mapping[str, Any], sealed: Mapping[str, Any], skip: set[str]
    ) -> Mapping[str, Any]:
        """What a part (a slice's task instances, or an inline run's) shows: its
        records naming sealed blocks show their instances (but the blocks' in `skip`)
        and themselves only while instances wait."""
        if not sealed:
            return part
        shown = {key: ti for key, ti in part.items() if key not in sealed}
        names = sealed_blocks.block_names(run[1], {FIELD: sealed})
        read = {name: self._given((run, name)) or {} for name in names if name not in skip}
        return {**shown, **self._put_back(run, sealed, read)}

    def _part_change(
        self, run: RunKey, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> Change:
        old, new = sealed_of(before), sealed_of(after)
        # A block named before and after shows what it did: only its own event
        # changes its instances.
        same = [
            t for t in old.keys() & new.keys() if old[t].get("mapBlock") == new[t].get("mapBlock")
        ]
        skip = set(sealed_blocks.block_names(run[1], {FIELD: {t: old[t] for t in same}}))
        skip &= set(sealed_blocks.block_names(run[1], {FIELD: {t: new[t] for t in same}}))
        return self._diff(
            run, self._shown(run, before, old, skip), self._shown(run, after, new, skip)
        )

    def _block_change(
        self, block: tuple[BlockKey, str], before: Block, after: Block
    ) -> Change | None:
        (run, name), task = block
        record = self._records(run).get(task)
        sealed = {task: record} if record is not None else {}
        if name not in sealed_blocks.block_names(run[1], {FIELD: sealed}):
            return None  # not named (yet, or any more): nothing shown changes
        old = self._put_back(run, sealed, {name: _wrapped(before)})
        new = self._put_back(run, sealed, {name: _wrapped(after)})
        return self._diff(run, old, new)

    def _diff(self, run: RunKey, before: Mapping[str, Any], after: Mapping[str, Any]) -> Change:
        """What changed in what one part showed. A task instance it no longer shows
        may be shown by another now (a slice's instance sealed into a block the run
        names, a block's put back in a slice): then it is not gone."""
        changed = {key: value for key, value in after.items() if before.get(key) != value}
        removed: list[str] = []
        records = self._records(run)
        for key, value in before.items():
            if key in after:
                continue
            now = self._current(run, key, records)
            if now is _GONE:
                removed.append(key)
            elif now != value:
                changed[key] = now
        return Change(run, changed, removed)

    def _current(self, run: RunKey, key: str, records: Mapping[str, Any]) -> Any:
        """Task instance `key` of a known run as shown now (`_GONE`: not shown), given
        the run's records naming sealed blocks."""
        task, _, rest = key.partition("[")
        record = records.get(task) if rest[:-1].isdigit() and rest.endswith("]") else None
        index = int(rest[:-1]) if record is not None else 0
        name = sealed_blocks.holder(run[1], task, record, key, index) if record else None
        if name is not None:
            held = (self._blocks.get((run, name)) or {}).get(key)
            return held[1] if held is not None and held[0] == index else _GONE
        layout = self.layout(run) or 0
        if layout:
            part = self._parts.get((run, layout), {}).get(slice_index(key, layout)) or {}
            value = part.get(key, _GONE)
        else:
            inline = _status(self._runs.get(run) or {}).get(FIELD) or {}
            value = self._kept(inline[key]) if key in inline else _GONE
        if is_sealed_record(value):  # shown (stripped) only while instances wait
            return self._put_back(run, {key: value}, {}).get(key, _GONE)
        return value


_GONE = object()


def _wrapped(block: Block) -> dict[str, _Kept]:
    return {key: _Kept(index, kept) for key, (index, kept) in block.items()}


def _status(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return body.get("status") or {}
