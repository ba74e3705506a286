"""Where a run's task instances are kept: in the run's status while they fit, in
TaskInstanceSlices the run owns past that.

etcd refuses an object past 1.5 MiB, and the API server keeps managedFields about
half as big again as the status they track, so one object cannot hold a 10,000-task
run (about 3 MB of task instances). A run's task instances stay in its status while
their JSON fits `budget` bytes; past it they move to `n` slices, `n` a power of two,
task instance `key` in slice `crc32(key) % n`, each slice within `budget` too.

The placement is a function of the run's status alone (`taskInstanceSlices: n`), so
every reader (the operator, the CLI, the UI) finds each task instance in exactly one
place and puts the run back together the same way (`assemble`). `n` only grows during
a run: a run never moves back and forth across a threshold, and a layout's slices are
named with their `n`, so a move to `2n` writes new slices before the run names them
and deletes the old ones only after (a crash in between leaves the old layout whole).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kairflow.core.naming import bounded_name

Wire = dict[str, Any]

DEFAULT_BUDGET = 192 * 1024
"""Bytes of task instance JSON per object. With the managedFields the API server adds
(about 55% of a status, measured) and the object's metadata, every object stays well
under 512 KiB."""
MAX_SLICES = 4096
"""A run past 4,096 slices of `budget` (768 MiB at the default) is refused as too big
(`core.status_size`): etcd's whole default quota is 2 GiB."""
FIELD = "taskInstances"
LAYOUT = "taskInstanceSlices"


def slice_index(key: str, slices: int) -> int:
    """The slice holding task instance `key` when a run has `slices` of them."""
    return zlib.crc32(key.encode()) % slices


def slice_name(run: str, slices: int, index: int) -> str:
    """Slice `index` of a layout of `slices`, e.g. `etl-manual-x-ti8-3`."""
    return bounded_name(run, f"-ti{slices}-{index}")


def slice_names(run: str, slices: int) -> list[str]:
    return [slice_name(run, slices, index) for index in range(slices)]


def entry_bytes(key: str, instance: Any) -> int:
    """What one task instance adds to a JSON object (`"key":{...},`)."""
    return len(key) + 4 + len(json.dumps(instance, separators=(",", ":"), default=str))


@dataclass(frozen=True)
class Layout:
    """How a run's task instances are kept: `slices == 0` in its status."""

    slices: int
    parts: tuple[Wire, ...]
    """The task instances of each slice (one part, the status's own, when inline)."""
    largest: int
    """Bytes of the largest part's task instances."""


def _split(sizes: Mapping[str, int], instances: Mapping[str, Any], slices: int) -> Layout:
    parts: list[Wire] = [{} for _ in range(max(slices, 1))]
    totals = [0] * len(parts)
    for key, instance in instances.items():
        index = slice_index(key, slices) if slices else 0
        parts[index][key] = instance
        totals[index] += sizes[key]
    return Layout(slices, tuple(parts), max(totals))


def layout(instances: Mapping[str, Any], current: int, budget: int) -> Layout:
    """Where `instances` (wire form) go, given the run's layout so far (0: inline):
    the same layout while every part fits `budget`, else the smallest power of two
    above it whose every slice does (MAX_SLICES at most, and no more once a task
    instance too big for `budget` alone is what is left over it: see `largest`)."""
    sizes = {key: entry_bytes(key, instance) for key, instance in instances.items()}
    if current == 0 and sum(sizes.values()) <= budget:
        return Layout(0, (dict(instances),), sum(sizes.values()))
    slices = max(current, 2)
    while True:
        placed = _split(sizes, instances, slices)
        if placed.largest <= budget or slices >= MAX_SLICES or _alone(placed, sizes, budget):
            return placed
        slices *= 2


def _alone(placed: Layout, sizes: Mapping[str, int], budget: int) -> bool:
    """Whether every part over `budget` holds a single task instance (more slices
    would not make it fit)."""
    return all(len(part) == 1 for part in placed.parts if sum(sizes[k] for k in part) > budget)


def layout_of(status: Mapping[str, Any]) -> int:
    """A run's layout from its (wire) status: 0 when its task instances are inline."""
    slices = status.get(LAYOUT)
    return slices if isinstance(slices, int) and slices > 0 else 0


def stored_status(status: Wire, slices: int) -> Wire:
    """The run's own status as written: its task instances left out when sliced."""
    out = {key: value for key, value in status.items() if key != FIELD}
    if slices:
        out[LAYOUT] = slices
    else:
        out.pop(LAYOUT, None)
        if status.get(FIELD):
            out[FIELD] = status[FIELD]
    return out


def assemble(status: Mapping[str, Any], parts: Iterable[Mapping[str, Any] | None]) -> Wire:
    """A run's status with its task instances put back (when sliced), from its slices' task
    instances (`None` for a slice not found: its task instances are missing). Each
    slice contributes only the keys the layout places in it, so a stale copy left in
    another slice never shadows the real one."""
    slices = layout_of(status)
    if not slices:
        return dict(status)  # kept inline: the status is whole already
    instances: Wire = {}
    for index, part in enumerate(parts):
        for key, instance in (part or {}).items():
            if slice_index(key, slices) == index:
                instances[key] = instance
    return {**status, FIELD: instances}
