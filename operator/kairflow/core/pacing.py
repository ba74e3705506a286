"""How soon a big run is planned again after a pass.

A pass over a run rereads and rewrites its whole record: for a run kept in
TaskInstanceSlices (`task_instance_slices`: its task instances pass 192 KiB) that is
every slice a change falls in, and task instances are spread over the slices by
hash, so any pass that ends or starts a few dozen of them rewrites them all (a
10,000-task run: 16 slices of ~180 KiB, about 3 MB a pass, that the API server
decodes, stores in etcd and sends to every watcher). Planned again as soon as the
last pass ended, such a run took in fewer changes the faster its passes got: on the
10,000-task bench, 34-39 passes and 544-608 slice writes per run.

So a run kept in slices waits after each pass as long as the pass took (at most
`MAX_WAIT`) before the next starts, and whatever changed meanwhile is taken in by
that one pass: its passes take at most about half the operator's time, the other
half is left to the API server and to other runs. The same bench, paced: 10 passes,
160 slice writes, the run done in 100-104 s instead of 147-177 and with half the
operator's CPU (23 s instead of 46-55). This is the Kubernetes Job controller's
batching of pod updates (a fixed second there), made to scale with the run: a run
kept in its own status (the common case, and every run the hand-off latency is
measured on) is planned again at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["MAX_WAIT", "next_pass_from"]

MAX_WAIT = timedelta(seconds=5)
"""The longest a run waits between passes for its record's sake: a pass that took
longer (an overloaded API server) does not keep slots idle longer than this."""


def next_pass_from(started: datetime, ended: datetime, slices: int) -> datetime | None:
    """When a run may next be planned, after a pass from `started` to `ended` that
    left it kept in `slices` TaskInstanceSlices (0: in its own status); None: at once."""
    if slices == 0:
        return None
    took = max(ended - started, timedelta())
    return ended + min(took, MAX_WAIT)
