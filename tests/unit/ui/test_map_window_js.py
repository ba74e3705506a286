"""A mapped task whose instances are created a window at a time (`core.map_window`):
the grid counts the instances not created yet, as the server's cells say, run in Node."""

from __future__ import annotations

import json
from typing import Any

from kairflow.ui.structure import structure
from kairflow.ui.summaries import instance_cell
from tests.unit.ui import node_js
from tests.unit.ui.node_js import module, needs_node

pytestmark = needs_node

SPEC: dict[str, Any] = {
    "tasks": [
        {"name": "m", "bash": "true", "expand": {"items": list(range(10))}},
        {"name": "after", "bash": "true"},
    ],
    "flow": ["m >> after"],
}

# Three instances created (two succeeded, one runs), seven not created yet.
TASK_INSTANCES: dict[str, Any] = {
    "m[0]": {"state": "success", "mapIndex": 0, "tryNumber": 1},
    "m[1]": {"state": "success", "mapIndex": 1, "tryNumber": 1},
    "m[2]": {"state": "running", "mapIndex": 2, "tryNumber": 1},
    "m": {"state": "none", "mapLength": 10, "mapNext": 3},
    "after": {"state": "none"},
}


def run_js(body: str) -> Any:
    cells = {key: instance_cell(ti) for key, ti in TASK_INSTANCES.items()}
    return node_js.run_js(
        f"import * as grid from {module('views/grid_model.js')};\n"
        f"const structure = {json.dumps(structure(SPEC))};\n"
        f"const tis = {json.dumps(cells)};\n"
        f"process.stdout.write(JSON.stringify((() => {{ {body} }})()));\n"
    )


def test_the_mapped_cell_counts_every_instance_and_the_summary_state_sees_those_waiting() -> None:
    cell = run_js(
        "const indexer = grid.makeIndexer(grid.shapeOf(structure.tasks, structure.groups));"
        "return indexer.mappedCell(tis, 'm');"
    )
    assert cell == {"state": "running", "count": 10}


def test_the_runs_state_counts_weigh_the_instances_not_created_yet() -> None:
    counts = run_js("return Object.fromEntries(grid.stateCounts(tis));")
    assert counts == {"success": 2, "running": 1, "none": 8}  # seven of m, and after


def test_the_server_sends_the_count_only_for_the_record_of_the_rest() -> None:
    assert instance_cell(TASK_INSTANCES["m"])[5] == 7
    assert len(instance_cell(TASK_INSTANCES["m[0]"])) == 5
