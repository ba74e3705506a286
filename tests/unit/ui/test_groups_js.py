"""The grid's and the graph's task groups (static/js/views/grid_model.js and
graph_layout.js), fed the structure the server computes, run in Node."""

from __future__ import annotations

import json
from typing import Any

from kairflow.ui.structure import structure
from tests.unit.ui import node_js
from tests.unit.ui.node_js import module, needs_node

pytestmark = needs_node

# A group that does not prefix (its task ids have no dot) inside one that does, and a
# task whose own name has a dot outside every group.
SPEC: dict[str, Any] = {
    "groups": [
        {"name": "etl", "tooltip": "extract and load"},
        {"name": "plain", "group": "etl", "prefixGroupId": False},
    ],
    "tasks": [
        {"name": "v1.start"},
        {"name": "extract", "group": "etl"},
        {"name": "load", "group": "etl.plain"},
    ],
    "flow": ["v1.start >> etl"],
}


def run_js(body: str) -> Any:
    return node_js.run_js(
        f"import * as grid from {module('views/grid_model.js')};\n"
        f"import * as graph from {module('views/graph_layout.js')};\n"
        f"const structure = {json.dumps(structure(SPEC))};\n"
        f"process.stdout.write(JSON.stringify((() => {{ {body} }})()));\n"
    )


def test_the_grid_nests_rows_by_the_specs_groups_not_by_dots_in_names() -> None:
    rows = run_js(
        "const shape = grid.shapeOf(structure.tasks, structure.groups);"
        "return grid.buildRows(shape, new Set(), new Set(), new Map(), [])"
        ".map((r) => [r.kind, r.key, r.label, r.depth, r.tooltip || null]);"
    )
    assert rows == [
        ["task", "v1.start", "v1.start", 0, None],
        ["group", "etl", "etl", 0, "extract and load"],
        ["task", "etl.extract", "extract", 1, None],
        ["group", "etl.plain", "plain", 1, None],
        ["task", "load", "load", 2, None],
    ]


def test_a_collapsed_group_hides_its_tasks_and_nested_groups_in_the_grid() -> None:
    rows = run_js(
        "const shape = grid.shapeOf(structure.tasks, structure.groups);"
        "return grid.buildRows(shape, new Set(['etl']), new Set(), new Map(), [])"
        ".map((r) => r.key);"
    )
    assert rows == ["v1.start", "etl"]


def test_the_graph_draws_a_collapsed_group_as_one_node_for_all_its_tasks() -> None:
    found = run_js(
        "const tasks = graph.withGroups(structure);"
        "const groups = graph.groupsOf(tasks);"
        "return {"
        "  groups: [...groups.values()].map((g) => [g.name, g.label, g.parent, g.tasks]),"
        "  nodes: tasks.map((t) => graph.nodeIdOf(t, new Set(['etl.plain']))),"
        "};"
    )
    assert found == {
        "groups": [
            ["etl", "etl", None, ["etl.extract", "load"]],
            ["etl.plain", "plain", "etl", ["load"]],
        ],
        "nodes": ["task:v1.start", "task:etl.extract", "group:etl.plain"],
    }
