"""A runaway template (nested loops) fails its task within the render budget, and
the operator's event loop keeps turning meanwhile: runs are planned off the loop."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from kairflow.controller.dagrun_sync import sync_dagrun
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

# Ten billion loop steps: hours of CPU without a budget.
BOMB = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done"
BUDGET = timedelta(seconds=1)


def test_a_runaway_template_fails_its_task_and_never_holds_the_event_loop() -> None:
    h = ControllerHarness(utc("2026-03-04T12:30:00Z"), render_budget=BUDGET)
    try:
        tasks = [{"name": "bomb", "bash": BOMB}, {"name": "fine", "bash": "true"}]
        h.apply("dags", dag(tasks=tasks))
        h.apply("dagruns", run("r1"))
        h.sync_run("r1")  # the first sync takes the snapshot; the next one renders
        h.deliver()

        async def sync_while_the_loop_turns() -> float:
            sync = asyncio.ensure_future(sync_dagrun(h.runtime, (NS, "r1")))
            longest, last = 0.0, time.monotonic()
            while not sync.done():
                await asyncio.sleep(0)  # one turn of the loop: no waiting on a clock
                now = time.monotonic()
                longest, last = max(longest, now - last), now
            await sync
            return longest

        longest_turn = h.run(sync_while_the_loop_turns())
        tis = h.status("dagruns", "r1")["taskInstances"]
        assert tis["bomb"]["state"] == "failed"
        assert tis["bomb"]["message"] == (
            "template error: bash: the template used more than 1s of CPU time (a loop too large?)"
        )
        assert tis["fine"]["state"] == "queued"
        assert h.cluster.names("pods", NS) == ["r1-fine-1"]
        assert "TaskFailed" in h.events.reasons()
        # Rendered on the loop, one turn would have taken the whole budget.
        assert longest_turn < BUDGET.total_seconds() / 2
    finally:
        h.close()
