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

A big mapped task's sealed blocks (`core.sealed_blocks`) are TaskInstanceSlices of the
run too, with the same label: a run whose records name blocks (in its status, or in
its slices) is read with them, its sealed instances put back where its task's record
was, and a block named but not read is missing as a slice is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kairflow.api.task_instance_slice import TaskInstanceSlice
from kairflow.core import sealed_blocks
from kairflow.core.labels import DAG_RUN
from kairflow.core.naming import label_value
from kairflow.core.task_instance_slices import (
    FIELD,
    Wire,
    assemble,
    layout_of,
    slice_name,
)

PLURAL = TaskInstanceSlice.PLURAL
MISSING = "taskInstanceSlicesMissing"
"""Set in an assembled run's status: the slices (and sealed blocks) it names that were
not read."""
SHOWN = 3
"""Missing slices a note names (a run has up to 4,096)."""
Body = dict[str, Any]
RunKey = tuple[str, str]  # (namespace, run name); namespace "" when not known
BlockKey = tuple[RunKey, str]  # (run, the block's object name)
Blocks = Callable[[BlockKey], Mapping[str, Any] | None]
"""A sealed block's task instances as read (None: not read)."""


def run_key(body: Mapping[str, Any]) -> RunKey:
    meta = body.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def is_sliced(run: Mapping[str, Any]) -> bool:
    """Whether some of a run's task instances are kept outside its status: in its
    slices, or in sealed blocks its own records name. (A sliced run's records are in
    its slices: the blocks they name come in the same listing, by the same label.)"""
    status = run.get("status") or {}
    instances = status.get(FIELD) or {}
    return layout_of(status) > 0 or any(is_sealed_record(ti) for ti in instances.values())


def sealed_of(instances: Mapping[str, Any]) -> dict[str, Any]:
    """The records among `instances` that name sealed blocks (a mapped task's own)."""
    return {key: ti for key, ti in instances.items() if is_sealed_record(ti)}


def is_sealed_record(instance: Any) -> bool:
    return isinstance(instance, dict) and bool(instance.get("mapSealed"))


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


def slice_place(body: Mapping[str, Any]) -> tuple[RunKey, int, int] | None:
    """(run, layout, index) of a slice as listed; None for one not shaped as the
    operator writes them, and for a sealed block (placed by `block_place`)."""
    spec = body.get("spec") or {}
    run, slices, index = spec.get("dagRun"), spec.get("slices"), spec.get("index")
    if spec.get("task") is not None:
        return None
    if not isinstance(run, str) or not isinstance(slices, int) or not isinstance(index, int):
        return None
    return (run_key(body)[0], run), slices, index


def block_place(body: Mapping[str, Any]) -> tuple[BlockKey, str] | None:
    """((run, block name), task) of a sealed block as listed; None for anything else."""
    spec = body.get("spec") or {}
    run, task, block = spec.get("dagRun"), spec.get("task"), spec.get("block")
    if not isinstance(run, str) or not isinstance(task, str) or not isinstance(block, int):
        return None
    namespace, name = run_key(body)
    return ((namespace, run), name), task


@dataclass(frozen=True)
class Whole:
    """A run as shown: its task instances put back, and the slices not read."""

    run: Body
    missing: tuple[str, ...] = ()
    named: int = 0
    """The slices its task instances are read from: its layout's and the sealed blocks
    it names (0: its layout's, as its status says)."""


def whole(run: Body, slices: Iterable[Mapping[str, Any]]) -> Whole:
    """`run` with its task instances from `slices` (any listed slices: those of other
    runs and of other layouts are passed over). A run that is not sliced is returned
    as it is."""
    return wholes([run], slices)[0]


def wholes(runs: Iterable[Body], slices: Iterable[Mapping[str, Any]]) -> list[Whole]:
    """Each run whole, from one listing of slices (grouped once: a LIST across a
    namespace of many big runs is read in one pass)."""
    parts: Parts = defaultdict(dict)
    blocks: dict[BlockKey, Mapping[str, Any]] = {}
    for body in slices:
        instances = (body.get("status") or {}).get(FIELD) or {}
        place, block = slice_place(body), block_place(body)
        if place is not None:
            run, layout, index = place
            parts[(run, layout)][index] = instances
        elif block is not None:
            blocks[block[0]] = instances
    return [_whole(run, parts, blocks.get) for run in runs]


Parts = dict[tuple[RunKey, int], dict[int, Mapping[str, Any]]]
"""(run, layout) -> slice index -> the slice's task instances."""


def _whole(run: Body, parts: Parts, blocks: Blocks) -> Whole:
    if not is_sliced(run):
        return Whole(run)
    status, missing = from_slices(run, parts)
    status, named = with_blocks(run_key(run), status, blocks, missing)
    if missing:
        status[MISSING] = list(missing)
    return Whole({**run, "status": status}, tuple(missing), layout_of(status) + named)


def from_slices(run: Body, parts: Parts) -> tuple[Wire, list[str]]:
    """The run's status with the task instances of its layout's slices put back, and
    the slices not read."""
    status = run.get("status") or {}
    layout = layout_of(status)
    key = run_key(run)
    found = parts.get((key, layout), {})
    read = [found.get(index) for index in range(layout)]
    missing = [slice_name(key[1], layout, i) for i, part in enumerate(read) if part is None]
    return assemble(status, read), missing


def with_blocks(run: RunKey, status: Wire, blocks: Blocks, missing: list[str]) -> tuple[Wire, int]:
    """The status with the sealed instances its records name put back from `blocks`,
    and how many blocks they name (those not read are added to `missing`)."""
    named = sealed_blocks.block_names(run[1], status)
    read = {name: blocks((run, name)) for name in named}
    given = {name: part for name, part in read.items() if part is not None}
    missing.extend(name for name in named if name not in given)
    return dict(sealed_blocks.assemble(run[1], status, given)), len(named)


def missing_note(found: Whole, reason: str | None = None) -> str | None:
    """One line on what a run shows without (None: nothing is missing)."""
    if not found.missing:
        return None
    name = run_key(found.run)[1]
    named = found.named or layout_of(found.run.get("status") or {})
    why = f" ({reason})" if reason else " (not found)"
    told = ", ".join(found.missing[:SHOWN]) + (", ..." if len(found.missing) > SHOWN else "")
    return (
        f"dagrun {name!r}: the task instances of {len(found.missing)} of its {named} "
        f"TaskInstanceSlices are not shown{why}: {told}"
    )
