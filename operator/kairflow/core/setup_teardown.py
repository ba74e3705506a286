"""Setup and teardown tasks (Airflow 2.7+): which setups a task depends on, which
tasks a clear pulls in with it, and which tasks decide the run's final state.

Words, as in Airflow: a teardown's *setups* are its direct upstream setup tasks; the
*work* of a setup is what lies between it and its teardowns. A setup is *relevant*
to a task downstream of it when the setup has no teardown, or has one downstream of
that task (the task is inside the setup's scope). Every function mirrors one of
Airflow 2.10's (`get_upstreams_only_setups_and_teardowns`,
`get_upstreams_follow_setups`, `DagRun._tis_for_dagrun_state`,
`DAG.validate_setup_teardown`), named in its docstring.
"""

from __future__ import annotations

from collections.abc import Mapping

from kairflow.api.dag import DAGSpec, TriggerRule
from kairflow.core.graph import DagGraph


def has_setups_or_teardowns(graph: DagGraph) -> bool:
    return any(t.setup or t.teardown for t in graph.tasks.values())


def teardowns_of(graph: DagGraph, name: str) -> frozenset[str]:
    """The direct downstream teardowns of a task (a setup's teardowns)."""
    return frozenset(d for d in graph.downstream[name] if graph.tasks[d].teardown)


def relevant_setups_and_teardowns(graph: DagGraph, name: str) -> frozenset[str]:
    """Airflow's `get_upstreams_only_setups_and_teardowns`: the relevant upstream
    setups of the task and their teardowns (the task itself excluded)."""
    downstream_teardowns = {d for d in graph.descendants(name) if graph.tasks[d].teardown}
    found: set[str] = set()
    for up in graph.ancestors(name):
        if not graph.tasks[up].setup:
            continue
        teardowns = teardowns_of(graph, up)
        if not teardowns or teardowns & downstream_teardowns:
            found.add(up)
            found |= teardowns - {name}
    return frozenset(found)


def relevant_setups(graph: DagGraph, name: str) -> frozenset[str]:
    """Airflow's `get_upstreams_only_setups`: the setups the task must wait for."""
    return frozenset(t for t in relevant_setups_and_teardowns(graph, name) if graph.tasks[t].setup)


def indirect_setups(graph: DagGraph) -> Mapping[str, frozenset[str]]:
    """Task -> its relevant setups that are not direct upstream tasks (only tasks that
    have some). They must all succeed before the task runs, whatever its trigger
    rule: a failed one makes it upstream_failed, a skipped one skips it (Airflow's
    setup constraint). A teardown has none.

    Found setup by setup, not task by task (each task's `relevant_setups` walks the
    whole graph twice: quadratic, minutes for a 10,000-task DAG): a setup is relevant
    to the tasks downstream of it that are upstream of one of its teardowns (its
    scope), or to all its downstream tasks when it has no teardown."""
    found: dict[str, set[str]] = {}
    for setup in graph.order:
        if not graph.tasks[setup].setup:
            continue
        scope = set(graph.descendants(setup))
        teardowns = teardowns_of(graph, setup)
        if teardowns:
            scope &= _reach_all(graph, teardowns)
        for name in scope:
            if not graph.tasks[name].teardown and setup not in graph.upstream[name]:
                found.setdefault(name, set()).add(setup)
    return {name: frozenset(setups) for name, setups in found.items()}


def _reach_all(graph: DagGraph, teardowns: frozenset[str]) -> set[str]:
    """Every task upstream of one of `teardowns`."""
    found: set[str] = set()
    for teardown in teardowns:
        found |= graph.ancestors(teardown)
    return found


def upstreams_follow_setups(graph: DagGraph, name: str) -> frozenset[str]:
    """Airflow's `get_upstreams_follow_setups`: every upstream task and, for each
    upstream setup, its teardowns (the task itself excluded)."""
    found = set(graph.ancestors(name))
    for up in list(found):
        if graph.tasks[up].setup:
            found |= teardowns_of(graph, up) - {name}
    return frozenset(found)


def clear_closure(graph: DagGraph, matched: set[str], downstream: bool, upstream: bool) -> set[str]:
    """The tasks a clear resets, Airflow's `DAG.partial_subset` for a clear: the
    matched tasks, their downstream / upstream tasks when asked, and the setups and
    teardowns a cleared work task needs (its setups run again, then its teardowns)."""
    found = set(matched)
    for name in matched:
        task = graph.tasks[name]
        if downstream:
            for down in graph.descendants(name):
                found.add(down)
                rel = graph.tasks[down]
                if down not in matched and not rel.setup and not rel.teardown:
                    found |= relevant_setups_and_teardowns(graph, down)
        if upstream:
            found |= upstreams_follow_setups(graph, name)
        elif not task.setup and not task.teardown:
            found |= relevant_setups_and_teardowns(graph, name)
        if task.setup and not downstream:
            found |= teardowns_of(graph, name)
    return found


def run_state_tasks(graph: DagGraph) -> frozenset[str]:
    """Airflow's `DagRun._tis_for_dagrun_state`: the tasks whose states decide the
    run's final state. The leaves, computed as if teardowns were not there (so the
    work before a teardown counts), unless a teardown has onFailureFailDagrun; a DAG
    of teardowns only falls back to its real leaves."""

    def ignorable(name: str) -> bool:
        task = graph.tasks[name]
        return task.teardown and not task.on_failure_fail_dagrun

    leaves = frozenset(
        name
        for name in graph.order
        if not ignorable(name) and all(ignorable(d) for d in graph.downstream[name])
    )
    return leaves or graph.leaves


def setup_teardown_problems(spec: DAGSpec, graph: DagGraph) -> list[str]:
    """What Airflow refuses when a DAG is built (its messages, in Kairflow's words)."""
    problems = []
    for task in spec.tasks:
        where = f"task {task.name!r}"
        if task.setup and task.teardown:
            problems.append(f"{where}: cannot be both a setup and a teardown")
        if task.on_failure_fail_dagrun and not task.teardown:
            problems.append(f"{where}: onFailureFailDagrun is only for a teardown task")
        rule = task.trigger_rule
        if task.teardown and rule is not None and rule != TriggerRule.ALL_DONE_SETUP_SUCCESS:
            problems.append(
                f"{where}: a teardown's trigger rule is always all_done_setup_success "
                f"(not {rule.value})"
            )
        if task.setup:
            for down in sorted(graph.downstream.get(task.name, ())):
                follower = graph.tasks[down]
                follower_rule = follower.trigger_rule or spec.defaults.trigger_rule
                if follower.teardown or follower_rule in (None, TriggerRule.ALL_SUCCESS):
                    continue
                problems.append(
                    f"task {down!r}: a task right after setup {task.name!r} must have trigger "
                    f"rule all_success (not {follower_rule.value}), or be a teardown"
                )
    return problems
