"""Python's cycle collector, held off its full collections while a pass plans or
creates pods in bulk.

The operator keeps a large long-lived heap (its caches) and a pass starting many
tasks allocates in a burst. CPython then runs a full collection whenever the objects
awaiting one pass a quarter of the heap: each walks every object with the GIL held,
stopping the event loop that sends the creates. In a fan-out of 1,000 pods one such
pause of 170 ms fell among the ~2 s of creates, in one of 5,000 two of 150-260 ms,
and none of them freed anything (bench/fanout.py, timing each collection with
`gc.callbacks`). Raising the young threshold for good instead (700 -> 50,000) did not
shorten the 5,000-pod fan-out, and the one 10,000-task run measured with it took more
CPU (76 s vs 66.5).

So while pods are being created in bulk, and while a big run's pass builds them
(`planning.extent`: the first pass of a 5,000-task fan-out spent 0.27 s of its 0.8 s
in the collector; 0.16 s with full collections held), full collections wait (young
and middle ones go on); the threshold is put back when the last hold ends, and the
next middle collection then runs the full one that is due. A create is bounded by
the API client's timeouts and a plan by its run's size (each render by its CPU
budget), so the hold is too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BULK", "FullCollections"]

BULK = 100
"""Pods created at once from which full collections wait."""
_HELD = 1_000_000
"""The full collection's threshold while held: never reached by one bulk create."""


class FullCollections:
    """Holds of full collections, counted: overlapping bulk creates (several runs'
    passes) restore the threshold once, when the last one ends. Used from the event
    loop's thread only."""

    def __init__(self, bulk: int = BULK) -> None:
        self.bulk = bulk
        self.holders = 0
        self._threshold = 0

    @contextmanager
    def held_for(self, creates: int) -> Iterator[None]:
        """Within the block, no full collection starts if `creates` is a bulk."""
        if creates < self.bulk:
            yield
            return
        if self.holders == 0:
            young, middle, self._threshold = gc.get_threshold()
            gc.set_threshold(young, middle, _HELD)
        self.holders += 1
        try:
            yield
        finally:
            self.holders -= 1
            if self.holders == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, self._threshold)
