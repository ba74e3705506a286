"""A DAG page's big runs, streamed whole: their task instances come from the
TaskInstanceSlices they own, watched beside the runs and put back on the server.

Why on the server, not in the browser: the grid gets what it gets for any run, a
run's cells and then only the cells that changed (`stream._Sent`), so the page needs
no notion of slices, and a slice event costs what it changed. A slice holds a few
hundred of a 10,000-task run's task instances; what a write of it changed is found
from that slice alone (`Assembly.put_slice`), sent as those cells only, and the cells
the stream last sent are updated in place: nothing looks at the other 9,700. A run's
own event (its state, progress) in the same layout sends no cells at all (the page
keeps the ones it has). The whole run is put back together only when the page first
sees it, when its layout changes (a move to twice the slices) and on a relist.
Measured in-process for a 10,000-task run in 8 slices: the first paint about 2 ms, a
slice write about 1 ms, the run's own event 0.02 ms. What the stream keeps of each
task instance is its grid cell, not the task instance (`Assembly(keep=...)`).

The slices are listed before the runs (`listed`), so a page's first paint has its big
runs whole rather than filled in one slice at a time. A slice the user may not read
(or gone) leaves its cells out and the run says so (`tisMissing`).

A big mapped task's sealed blocks are slices too (`core.sealed_blocks`, with the
DAG's label): their instances are cells of the run whose record names them. A run
whose task instances are in its status and that names blocks is sent, on its own
event, as the cells that event changed (`Assembly.put_run`): a 100,000-instance task
is not sent again for each instance that starts.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from kairflow.core.task_instance_slices import FIELD
from kairflow.requests.live_runs import Assembly, Change
from kairflow.requests.sliced_runs import RunKey, Whole, missing_note, run_key
from kairflow.ui.summaries import instance_cell, run_summary

Item = dict[str, Any]


class Sent(Protocol):
    cells: dict[str, dict[str, Any]]

    def delta(self, item: Item, reset: bool) -> Item: ...


class SlicedRuns:
    """Per stream: the runs a page watches and their slices."""

    def __init__(self, sent: Sent) -> None:
        self._sent = sent
        self._assembly = Assembly(keep=instance_cell)  # cells, not whole task instances
        self._reason: str | None = None
        self.listed = asyncio.Event()
        """Set once the slices were listed (or could not be): the runs' list waits."""

    # Runs ---------------------------------------------------------------------------
    def run_item(self, body: dict[str, Any], reset: bool) -> Item:
        """The page's item for a listed or watched run."""
        key = run_key(body)
        before = self._assembly.layout(key)
        change = self._assembly.put_run(body)
        layout = self._assembly.layout(key)
        shown = not reset and before == layout and key[1] in self._sent.cells
        if layout and shown:
            # Its cells are as last sent: slice events keep them current.
            item = {**run_summary(body, instances=False), "tis": {}, "tisRemoved": []}
            return self._noted({**item, "tisComplete": False}, body)
        if change is not None and shown:
            # Inline, naming sealed blocks: the cells its write changed, not its blocks'.
            return self._changed_item(change)
        return self._whole_item(key, reset)

    def forget_run(self, body: dict[str, Any]) -> None:
        self._assembly.forget_run(body)

    # Slices -------------------------------------------------------------------------
    def slices_listed(self, bodies: list[dict[str, Any]]) -> list[Item]:
        """The slices as listed: the known big runs' items anew (their changed cells)."""
        self._reason = None
        shown = self._assembly.reset_slices(bodies)
        self.listed.set()
        return [self._whole_item(key, reset=False) for key in shown]

    def slices_refused(self, message: str) -> list[Item]:
        """The slices cannot be listed: big runs are shown without them, saying why."""
        self._reason = message
        shown = self._assembly.reset_slices([])
        self.listed.set()
        return [self._whole_item(key, reset=False) for key in shown]

    def slice_changed(self, event_type: str, body: dict[str, Any]) -> Item | None:
        """A watched slice's change, as the item of its run (None: nothing shown)."""
        if event_type == "DELETED":
            change = self._assembly.forget_slice(body)
        else:
            change = self._assembly.put_slice(body)
        return None if change is None else self._changed_item(change)

    # Items --------------------------------------------------------------------------
    def _whole_item(self, key: RunKey, reset: bool) -> Item:
        body = self._assembly.stored(key) or {}  # only known runs are asked for
        if not self._assembly.assembled(key):
            item = run_summary(body, instances=True)
        else:
            whole = self._assembly.whole(key) or Whole(body)
            cells = whole.run["status"].get(FIELD) or {}  # kept as cells already
            item = {**run_summary(body, instances=False), "tis": cells}
        return self._noted(self._sent.delta(item, reset), body)

    def _changed_item(self, change: Change) -> Item:
        body = self._assembly.stored(change.run) or {}  # a change is of a known run
        cells = dict(change.changed)  # kept as cells already
        sent = self._sent.cells.setdefault(change.run[1], {})
        sent.update(cells)
        for key in change.removed:
            sent.pop(key, None)
        item = run_summary(body, instances=False)
        item.update(tis=cells, tisRemoved=change.removed, tisComplete=False)
        return self._noted(item, body)

    def _noted(self, item: Item, body: dict[str, Any]) -> Item:
        key = run_key(body)
        missing = self._assembly.missing(key)
        if missing:
            found = Whole(body, missing, self._assembly.names(key))
            item["tisMissing"] = missing_note(found, self._reason)
        return item
