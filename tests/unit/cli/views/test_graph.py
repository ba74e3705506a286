"""`runs graph`: tasks by layer with state and upstream tasks; DOT for Graphviz."""

from __future__ import annotations

import re

import pytest

from kairflow.api.dagrun import DagRun
from kairflow.cli.views.graph import run_graph, run_graph_dot
from tests.unit.cli.views.builders import lines_of, render, run, spec, ti

DIAMOND = spec("start", "left", "right", "end", flow=["start >> [left, right] >> end"])
DIAMOND_RUN = run(
    {"start": ti(), "left": ti("failed"), "right": ti("skipped"), "end": ti("upstream_failed")},
    snapshot=DIAMOND,
    state="failed",
)


def test_tasks_are_laid_out_by_layer_with_state_and_upstream() -> None:
    lines = [" ".join(line.split()) for line in lines_of(render(run_graph(DIAMOND_RUN)))]
    assert lines[1:] == [
        "task state upstream",
        "layer 0 (1 task)",
        "start ✓ success",
        "layer 1 (2 tasks)",
        "left ✗ failed ← start",
        "right » skipped ← start",
        "layer 2 (1 task)",
        "end ↑ upstream_failed ← left, right",
    ]


def test_a_layer_is_the_longest_path_from_a_root() -> None:
    snapshot = spec("a", "b", "c", flow=["a >> b >> c", "a >> c"])
    text = render(run_graph(run({}, snapshot=snapshot)))
    assert text.index("layer 2") < text.index("c ") and "layer 3" not in text


def test_a_wide_fan_in_names_a_few_upstream_tasks_and_counts_the_rest() -> None:
    names = [f"extract_table_{i:03d}" for i in range(200)]
    snapshot = spec("begin", *names, "join", flow=[f"begin >> [{', '.join(names)}] >> join"])
    text = render(run_graph(run({n: ti() for n in names}, snapshot=snapshot)))
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "layer 1  (200 tasks)" in text
    join = next(line for line in lines_of(text) if line.startswith("join"))
    assert "← extract_table_000" in join and join.endswith("…")
    wide = render(run_graph(run({}, snapshot=snapshot)), width=400)
    assert "+192 more" in wide


@pytest.mark.parametrize(
    ("the_run", "expected"),
    [
        pytest.param(run(pending=True), "no tasks known yet", id="a pending run"),
        pytest.param(run({"a": ti()}), "dependencies unknown", id="a run without a snapshot"),
        pytest.param(
            run({"a": ti("awaiting")}, snapshot=spec("a")), "? awaiting", id="an unknown state"
        ),
    ],
)
def test_runs_with_little_to_show(the_run: DagRun, expected: str) -> None:
    assert expected in render(run_graph(the_run))


NODE = re.compile(r'^  "[^"]+" \[label="[^"]*", fillcolor="\w+", fontcolor="\w+"\];$')
EDGE = re.compile(r'^  "[^"]+" -> "[^"]+";$')


def test_dot_has_one_node_per_task_filled_by_state_and_one_edge_per_dependency() -> None:
    dot = run_graph_dot(DIAMOND_RUN)
    lines = dot.splitlines()
    assert lines[0] == 'digraph "etl" {' and lines[-1] == "}"
    nodes = [line for line in lines if NODE.match(line)]
    edges = [line for line in lines if EDGE.match(line)]
    assert len(nodes) == 4 and len(edges) == 4
    assert len(lines) == 3 + 4 + 4 + 1
    assert '"left" [label="left\\nfailed", fillcolor="red", fontcolor="white"];' in dot
    assert '"end" [label="end\\nupstream_failed", fillcolor="orange"' in dot
    assert '  "right" -> "end";' in dot


def test_dot_is_the_same_for_the_same_run_whatever_the_status_order() -> None:
    shuffled = run(
        dict(reversed(DIAMOND_RUN.status.task_instances.items())), snapshot=DIAMOND, state="failed"
    )
    assert run_graph_dot(shuffled) == run_graph_dot(DIAMOND_RUN)


def test_dot_quotes_what_it_writes() -> None:
    dot = run_graph_dot(run({"a": ti()}, name='my "dag"'))
    assert dot.startswith('digraph "my \\"dag\\"" {')


def test_dot_labels_a_mapped_task_with_its_count() -> None:
    snapshot = spec({"name": "fan", "bash": "x", "expand": {"items": [1, 2]}})
    dot = run_graph_dot(run({"fan[0]": ti(), "fan[1]": ti("running")}, snapshot=snapshot))
    assert '"fan" [label="fan [2]\\nrunning", fillcolor="lime"' in dot
