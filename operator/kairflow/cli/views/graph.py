"""`runs graph RUN`: the DAG with each task's state, as text and as Graphviz DOT.

The text view lays tasks out by layer (the longest path from a root), each with its
state and its direct upstream tasks. Unlike a drawing it stays readable for 200
tasks and wide fan-outs: a layer is a list, a long upstream list is cut. The DOT
form is what Airflow's `dags show` prints, nodes filled with Airflow's state colors
(`kairflow runs graph RUN --dot | dot -Tsvg > run.svg`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from kairflow.api.dagrun import DagRun
from kairflow.cli.views.columns import Fitted, Row, lay_out
from kairflow.cli.views.model import Instance, RunView, read_run, run_header, run_title
from kairflow.cli.views.states import NO_STATUS, state_text, ti_look, worst_state

__all__ = ["run_graph", "run_graph_dot"]

_NAME_CAP = 36
_UPSTREAM_SHOWN = 8  # a join of 50 tasks names the first few and counts the rest


def _state_of(view: RunView, task: str) -> tuple[str, Sequence[Instance]]:
    instances = view.instances.get(task, ())
    states = [str(i.status.state) for i in instances]
    if view.is_mapped(task):
        return worst_state(states), instances
    return (states[0] if states else NO_STATUS), instances


def _state_cell(view: RunView, task: str) -> Text:
    state, instances = _state_of(view, task)
    cell = state_text(state)
    if view.is_mapped(task):
        cell.append(f" ({len(instances)})", style="dim")
    return cell


def _upstream_cell(ups: Sequence[str]) -> Text:
    if not ups:
        return Text("")
    named = ", ".join(ups[:_UPSTREAM_SHOWN])
    more = f" +{len(ups) - _UPSTREAM_SHOWN} more" if len(ups) > _UPSTREAM_SHOWN else ""
    return Text(f"← {named}{more}", style="dim")


def run_graph(run: DagRun) -> RenderableType:
    """The run's tasks by layer, each with its state and its direct upstream tasks."""
    view = read_run(run)
    header = run_header(run)
    flow = view.flow
    if not flow.order:
        return Group(header, Text("no tasks known yet", style="dim"))
    layers: dict[int, list[str]] = {}
    for task in flow.order:
        layers.setdefault(flow.depth[task], []).append(task)
    rows: list[Row] = []
    for depth in sorted(layers):
        tasks = layers[depth]
        heading = Text(f"layer {depth}  ({len(tasks)} task{'s' if len(tasks) > 1 else ''})")
        heading.stylize("bold dim")
        for n, task in enumerate(tasks):
            label = f"{task} [ ]" if view.is_mapped(task) else task
            cells = [
                Text(label),
                _state_cell(view, task),
                _upstream_cell(flow.upstream.get(task, ())),
            ]
            rows.append(Row(cells, lead=Text("    "), before=[heading] if n == 0 else []))
    parts: list[RenderableType] = [header]
    if not flow.has_graph:
        parts.append(Text("no DAG snapshot in this run: dependencies unknown", style="yellow"))
    headers = ("task", "state", "upstream")
    parts.append(Fitted(lambda width: lay_out(headers, rows, width, first_cap=_NAME_CAP)))
    return Group(*parts)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _fontcolor(fill: str) -> str:
    # Airflow's State.color_fg: white text on its two dark fills.
    return "white" if fill in ("green", "red") else "black"


def run_graph_dot(run: DagRun) -> str:
    """The run as a Graphviz digraph (Airflow's `dags show` style), nodes filled by
    state; the same run always gives the same text."""
    view = read_run(run)
    title = run_title(run)
    lines = [
        f"digraph {_quote(run.spec.dag_name)} {{",
        f"  graph [label={_quote(title)}, labelloc=t, rankdir=LR];",
        '  node [shape=rectangle, style="filled,rounded", fontname="Helvetica"];',
    ]
    for task in view.flow.order:
        state, instances = _state_of(view, task)
        label = f"{task}\n{state}"
        if view.is_mapped(task):
            label = f"{task} [{len(instances)}]\n{state}"
        fill = ti_look(state).dot_color
        lines.append(
            f"  {_quote(task)} [label={_quote(label)}, fillcolor={_quote(fill)}, "
            f"fontcolor={_quote(_fontcolor(fill))}];"
        )
    for task in view.flow.order:
        lines.extend(
            f"  {_quote(up)} -> {_quote(task)};" for up in view.flow.upstream.get(task, ())
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
