"""A CPU-time budget for rendering, so that no template runs unbounded.

Jinja caps each `range` at 100 000 items, but loops nest and macros recurse:
`{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}`
renders nothing (the size guards never fire) and would hold the operator for hours.

How. While a render runs (`watching`), a trace function (`sys.settrace`, the
current thread only) is told of every Python call, and follows the code Jinja
compiled the template to (its file name is `TEMPLATE_FILENAME`; macros, call
blocks and recursive loops are in that code too) line by line. At each call into
and each line of the template's code it compares the thread's own CPU time
(`time.thread_time`, so other threads' load does not count) with the deadline and,
past it, raises `BudgetExceeded` there. Reading the CPU clock is a system call, so
the wall clock is read first: CPU time cannot grow faster than wall time, so the
CPU clock is read only when the wall clock says the deadline might have passed.

Why only there. Once a trace function raises, CPython turns tracing off, and in some
places it drops the exception: an "exception" event for the StopIteration that ends
a loop over a Python iterator, or a call made by a finalizer (a generator closed
when dropped, a weakref callback). A raise dropped there would leave the rest of the
render unwatched. The template's own code has no try/except and runs only when
called by the template or by Jinja, so a raise there always ends the render.

Python code that loops on the template's behalf between two of its lines calls
`tick` instead (the sandbox's lazy filters do, per item: chained with `map`, one
`|sum` would otherwise run for minutes).

Limits. Other work one line of the template starts runs to its end before the next
check: a C function (a sort, a join, `str.replace`) bounded by the size guards of
`sandbox`, or a Python filter bounded by the size of its input (`filters` caps the
slow ones: `wordwrap(1)` of its largest input, 100 000 characters, takes about
0.25 s). Comparing lists nested in themselves by sharing is one C call whose time
doubles with each level, and is not bounded. Any earlier trace function (a debugger,
coverage) is suspended during the render and restored afterwards.

Cost. Tracing makes a render about 2.5 to 3 times slower (`bench/render_budget.py`:
some 20 to 100 microseconds more for an ordinary task).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import Any

__all__ = ["TEMPLATE_FILENAME", "BudgetExceeded", "CpuDeadline", "tick", "watching"]

TEMPLATE_FILENAME = "<template>"
"""The file name of the Python code a template compiles to (Jinja's, for
`from_string`)."""

_Tracer = Callable[[FrameType, str, Any], Any]


class BudgetExceeded(BaseException):
    """The render used up its CPU budget (the message says which). A BaseException,
    so that no `except Exception` in code the template calls can swallow it; the
    renderer turns it into a TemplateError."""


@dataclass(frozen=True)
class CpuDeadline:
    """The CPU time of the rendering thread at which a budget is used up."""

    budget: timedelta
    at: float
    """In `time.thread_time()` seconds."""

    @classmethod
    def starting_now(cls, budget: timedelta) -> CpuDeadline:
        return cls(budget, time.thread_time() + budget.total_seconds())

    def message(self) -> str:
        seconds = f"{self.budget.total_seconds():g}s"
        return f"the template used more than {seconds} of CPU time (a loop too large?)"


class _Watch:
    """The deadline of the render running in this thread, and when to look again."""

    __slots__ = ("deadline", "next_look")

    def __init__(self, deadline: CpuDeadline) -> None:
        self.deadline = deadline
        self.next_look = time.perf_counter() + (deadline.at - time.thread_time())

    def check(self) -> None:
        """Raise BudgetExceeded past the deadline; call when the wall clock has
        reached `next_look`."""
        left = self.deadline.at - time.thread_time()
        if left < 0:
            raise BudgetExceeded(self.deadline.message())
        self.next_look = time.perf_counter() + left


_current = threading.local()


def tick() -> None:
    """Raise BudgetExceeded if the render running in this thread (if any) is past
    its deadline. For Python code that loops on a template's behalf."""
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None and time.perf_counter() >= watch.next_look:
        watch.check()


@contextmanager
def watching(deadline: CpuDeadline | None) -> Iterator[None]:
    """Within the block, the template's code in this thread raises BudgetExceeded
    once the thread's CPU time passes `deadline` (None: nothing is watched)."""
    if deadline is None:
        yield
        return
    watch = _Watch(deadline)
    outer: _Watch | None = getattr(_current, "watch", None)
    previous = sys.gettrace()
    _current.watch = watch
    sys.settrace(_tracer(watch))
    try:
        yield
    finally:
        sys.settrace(previous)
        _current.watch = outer


def _tracer(watch: _Watch) -> _Tracer:
    perf_counter = time.perf_counter

    def in_template(frame: FrameType, event: str, arg: Any) -> _Tracer:
        if event == "line" and perf_counter() >= watch.next_look:
            watch.check()
        return in_template

    def on_call(frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        if frame.f_code.co_filename != TEMPLATE_FILENAME:
            return None
        if perf_counter() >= watch.next_look:
            watch.check()
        return in_template

    return on_call
