"""`runs get` and `dags show`: a DAG's tasks as a tree, in DAG order.

A DAG is not a tree: each task is drawn once, under its first upstream task in
topological order, and a task with more upstream tasks says so ("also after: x, y").
Mapped instances (`task[i]`) hang under their task. Deep chains would push names off
an 80-column screen, so indentation stops growing after `_MAX_LEVELS` levels (a `┄`
marks the cut).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text

from kairflow.api.callbacks import CallbackStatus
from kairflow.api.dag import DAGSpec, TaskSpec, TriggerRule
from kairflow.api.dagrun import DagRun, TaskInstanceStatus
from kairflow.cli.views.columns import Fitted, Row, lay_out
from kairflow.cli.views.fmt import clock, cut, short_duration
from kairflow.cli.views.model import (
    Flow,
    Instance,
    RunView,
    flow_of,
    moment,
    read_run,
    run_header,
)
from kairflow.cli.views.states import state_text, worst_state
from kairflow.core.task_settings import effective_task

__all__ = ["TreeLine", "dag_flow_tree", "run_tree", "tree_lines"]

_MAX_LEVELS = 8
_NAME_WIDTH = 32
_MESSAGE_WIDTH = 300  # even `wide` cuts a message here: a whole log has no place in a table
_BRANCH, _LAST, _PIPE, _BLANK = "├╴", "└╴", "│ ", "  "


@dataclass(frozen=True)
class TreeLine:
    """One task of the tree: its guides and what hangs under it."""

    name: str
    guides: tuple[str, ...]  # one per level, ending with this task's own connector
    under: tuple[str, ...]  # guides of the levels of whatever hangs under this task
    has_children: bool
    also_after: tuple[str, ...]

    def prefix(self) -> str:
        return _join(self.guides)

    def child_prefix(self, last: bool) -> str:
        return _join((*self.under, _LAST if last else _BRANCH))

    def note_prefix(self, more_below: bool) -> str:
        return _join((*self.under, _PIPE if more_below else _BLANK))


def _join(guides: Sequence[str]) -> str:
    if len(guides) > _MAX_LEVELS:
        return "┄" + "".join(guides[-_MAX_LEVELS:])
    return "".join(guides)


def tree_lines(flow: Flow) -> list[TreeLine]:
    """The flow's spanning tree in depth-first order; linear in tasks and edges."""
    children: dict[str, list[str]] = {name: [] for name in flow.order}
    roots: list[str] = []
    for name in flow.order:
        ups = flow.upstream.get(name, ())
        (children[ups[0]] if ups else roots).append(name)
    lines: list[TreeLine] = []
    # (name, guides, guides under it), pushed in reverse so the first child pops first
    stack: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
        (name, (), ()) for name in reversed(roots)
    ]
    while stack:
        name, guides, under = stack.pop()
        kids = children[name]
        lines.append(TreeLine(name, guides, under, bool(kids), flow.upstream.get(name, ())[1:]))
        for index in range(len(kids) - 1, -1, -1):
            last = index == len(kids) - 1
            stack.append(
                (
                    kids[index],
                    (*under, _LAST if last else _BRANCH),
                    (*under, _BLANK if last else _PIPE),
                )
            )
    return lines


def _name_cell(line: TreeLine, label: str) -> Text:
    cell = Text(line.prefix(), style="dim")
    cell.append(label)
    return cell


def _notes(line: TreeLine, more_below: bool) -> list[Text]:
    """The "also after" line under a task with more than one upstream task."""
    if not line.also_after:
        return []
    note = Text(line.note_prefix(more_below), style="dim")
    note.append("also after: " + ", ".join(line.also_after), style="dim italic")
    return [note]


def _lead(line: TreeLine, more_below: bool) -> Text:
    """How a message under a task's row is indented: past the guides, one step in."""
    return Text(line.note_prefix(more_below) + "  ", style="dim")


# ---------------------------------------------------------------- runs get


def _tries(ti: TaskInstanceStatus) -> str:
    if ti.try_number == 0 and not ti.max_tries:
        return ""
    return f"{ti.try_number}/{ti.max_tries}" if ti.max_tries else str(ti.try_number)


def _duration(ti: TaskInstanceStatus) -> str:
    start, end = moment(ti.start_date), moment(ti.end_date)
    return short_duration(end - start) if start and end else (ti.duration or "")


def _instance_cells(ti: TaskInstanceStatus, with_date: bool) -> list[Text]:
    start = moment(ti.start_date)
    message = ti.message or ""
    if ti.exit_code not in (None, 0) and "exit" not in message:
        message = f"exit {ti.exit_code}" + (f": {message}" if message else "")
    return [
        state_text(ti.state),
        Text(_tries(ti)),
        Text(clock(start, with_date=with_date) if start else ""),
        Text(_duration(ti)),
        Text(cut(message.replace("\n", " "), _MESSAGE_WIDTH)),
    ]


def _mapped_cells(instances: Sequence[Instance], with_date: bool) -> list[Text]:
    counts: Counter[str] = Counter()
    for i in instances:
        counts[str(i.status.state)] += i.count
    starts = [m for i in instances if (m := moment(i.status.start_date))]
    summary = ", ".join(f"{n:,} {state}" for state, n in counts.most_common())
    total = sum(counts.values())
    return [
        state_text(worst_state(counts)),
        Text(),
        Text(clock(min(starts), with_date=with_date) if starts else ""),
        Text(),
        Text(f"{total:,} mapped: {summary}" if instances else "not expanded yet"),
    ]


def _spans_days(view: RunView) -> bool:
    days = {
        m.date()
        for group in view.instances.values()
        for i in group
        if (m := moment(i.status.start_date))
    }
    return len(days) > 1


def run_tree(run: DagRun, *, wide: bool = False) -> RenderableType:
    """A run's task instances as a tree in DAG order: state, try, start, duration,
    message (cut to fit unless `wide`). Times are UTC."""
    view = read_run(run)
    status = run.status
    header = run_header(run, f"  {status.progress}" if status.progress else "")
    parts: list[RenderableType] = [header]
    if status.message:
        parts.append(Text(status.message, style="dim", no_wrap=True, overflow="ellipsis"))
    if not view.flow.order:
        parts.append(Text("no task instances yet", style="dim"))
        return Group(*parts)
    with_date = wide or _spans_days(view)
    rows: list[Row] = []
    for line in tree_lines(view.flow):
        instances = view.instances.get(line.name, ())
        if view.is_mapped(line.name):
            more_below = line.has_children or bool(instances)
            cells = _mapped_cells(instances, with_date)
            name = _name_cell(line, f"{line.name} [ ]")
            rows.append(Row([name, *cells], _notes(line, more_below), _lead(line, more_below)))
            for n, instance in enumerate(instances):
                last = n == len(instances) - 1 and not line.has_children
                name = Text(line.child_prefix(last), style="dim")
                name.append(instance.label)
                lead = Text(_join((*line.under, _BLANK if last else _PIPE)) + "  ", style="dim")
                rows.append(Row([name, *_instance_cells(instance.status, with_date)], (), lead))
        else:
            ti = instances[0].status if instances else TaskInstanceStatus()
            cells = _instance_cells(ti, with_date)
            more_below = line.has_children
            name = _name_cell(line, line.name)
            rows.append(Row([name, *cells], _notes(line, more_below), _lead(line, more_below)))
    headers = ("task", "state", "try", "start", "duration", "message")
    cap = None if wide else _NAME_WIDTH
    parts.append(Fitted(lambda width: lay_out(headers, rows, width, first_cap=cap, wrap=wide)))
    parts.extend(_callback_lines(status.callbacks))
    return Group(*parts)


def _callback_lines(callbacks: Sequence[CallbackStatus]) -> list[RenderableType]:
    """The run's callbacks under its tree: whom for, kind, try, state, pod, message."""
    if not callbacks:
        return []
    lines: list[RenderableType] = [Text("callbacks", style="bold")]
    for cb in callbacks:
        line = Text("  ")
        line.append_text(state_text(cb.state.value, run=True))
        line.append(f"  {cb.task or 'DAG'} {cb.kind.value} #{cb.try_number} {cb.name or ''}")
        if cb.pod:
            line.append(f"  pod {cb.pod}", style="dim")
        if cb.message:
            line.append(f"  {cut(cb.message, _MESSAGE_WIDTH)}")
        lines.append(line)
    return lines


# ---------------------------------------------------------------- dags show


def _kind(task: TaskSpec) -> str:
    if task.bash is not None:
        return "bash"
    if task.python is not None:
        return "python"
    return "command" if task.command is not None else "empty"


def _markers(task: TaskSpec) -> str:
    """What is special about an effective task (its groups' and the DAG's defaults
    applied)."""
    marks = []
    if task.group is not None and not task.name.startswith(f"{task.group}."):
        marks.append(f"group {task.group}")  # a group that does not prefix its ids
    if task.setup:
        marks.append("setup")
    if task.teardown:
        marks.append("teardown" + (" (fails the run)" if task.on_failure_fail_dagrun else ""))
    if task.latest_only:
        marks.append("latest only")
    if task.branch:
        marks.append("branch")
    if task.short_circuit:
        marks.append("short-circuit")
    if task.sensor is not None:
        marks.append(f"sensor ({task.sensor.mode.value})")
    if task.expand is not None and task.expand.product:
        names = ", ".join(argument.name for argument in task.expand.product)
        marks.append(f"mapped over the product of {names}")
    elif task.expand is not None:
        source = task.expand.from_task
        marks.append(f"mapped over {source}" if source else "mapped")
    rule = task.trigger_rule
    if rule is not None and rule != TriggerRule.ALL_SUCCESS and not task.teardown:
        marks.append(f"trigger: {rule.value}")
    return ", ".join(marks)


def dag_flow_tree(spec: DAGSpec, *, wide: bool = False) -> RenderableType:
    """The DAG's flow as a tree: each task with its kind (bash, python, command,
    empty) and what is special about it (branch, sensor, mapped, trigger rule)."""
    flow = flow_of(spec, (t.name for t in spec.tasks))
    tasks = {t.name: t for t in spec.tasks}
    rows = [
        Row(
            [
                _name_cell(line, line.name),
                Text(_kind(tasks[line.name])),
                Text(_markers(effective_task(spec, tasks[line.name]))),
            ],
            _notes(line, line.has_children),
        )
        for line in tree_lines(flow)
    ]
    cap = None if wide else _NAME_WIDTH
    table = Fitted(lambda width: lay_out(("task", "kind", "notes"), rows, width, first_cap=cap))
    if flow.has_graph:
        return table
    # Without a graph every task looks like a root: say why instead of misleading.
    return Group(
        Text("the DAG's dependencies are invalid; tasks in declared order", "yellow"), table
    )
