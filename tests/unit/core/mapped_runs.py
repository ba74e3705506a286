"""Runs of a big mapped task `m` for table rows (`test_map_window`,
`test_sealed_blocks*`): its literal list, the window, and a loop that steps the
simulation to the run's end watching what each pass recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kairflow.core.run_model import PlannerSettings
from tests.unit.core.planner_harness import Outcome, Pod, Simulation, xcom


def settings(window: int) -> PlannerSettings:
    return PlannerSettings(max_map_length=100_000, map_window=window)


def literal(count: int, **task: Any) -> dict[str, Any]:
    return {"name": "m", "bash": "echo {{ item }}", "expand": {"items": list(range(count))}, **task}


def echo_index(pod: Pod) -> Outcome:
    return xcom(pod.key.split("[")[1].rstrip("]"))


@dataclass
class Watched:
    """A simulation run to its end, with what each pass recorded."""

    sim: Simulation
    most_unfinished: int = 0
    """The most instances of `m` unfinished in one pass' status."""
    most_records: int = 0
    """The most instances of `m` in one pass' status, finished ones included."""
    progress: list[str] = field(default_factory=list)


def run_watching(sim: Simulation, max_steps: int = 2000) -> Watched:
    watched = Watched(sim)
    for _ in range(max_steps):
        result = sim.step()
        tis = result.status.task_instances
        mapped = [ti for key, ti in tis.items() if key.startswith("m[")]
        unfinished = sum(1 for ti in mapped if not ti.state.finished)
        watched.most_unfinished = max(watched.most_unfinished, unfinished)
        watched.most_records = max(watched.most_records, len(mapped))
        watched.progress.append(result.status.progress or "")
        if result.status.state in ("success", "failed"):
            return watched
        nxt = sim.next_change(result.wake_at)
        assert nxt is not None, "the run stopped moving"
        sim.now = max(nxt, sim.now)
    raise AssertionError("run did not finish")


def started_indexes(sim: Simulation) -> list[int]:
    return [int(key[2:-1]) for _, key in sim.started if key.startswith("m[")]
