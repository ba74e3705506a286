"""A setup or teardown task as a context manager (Airflow's SetupTeardownContext):

    with delete_cluster(create_cluster()):      # a teardown (its setups: upstream)
        run_query() >> report()

The work created inside is wired between them: its roots (tasks without upstream)
after the setups, its leaves (tasks without downstream) before the teardowns. With
a setup, `with create_cluster():`, the teardowns are the setup's direct downstream
ones. As in Airflow, setups and teardowns created inside are not work. Kairflow
looks for the other side among direct neighbours only (Airflow also searches
further along the graph), and a list of tasks is not a context manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kairflow.sdk.errors import SdkError

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator


def enter(task: BaseOperator) -> int:
    """Start of the block: how many tasks the DAG had (the work comes after them)."""
    if not task.is_setup and not task.is_teardown:
        raise SdkError(
            f"task {task.task_id!r}: only setup and teardown tasks can be used as context managers",
            task.location,
        )
    return len(task.dag.tasks_by_id)


def leave(task: BaseOperator, start: int) -> None:
    """End of the block: wire the work created since `start` around the task."""
    work = [
        t for t in list(task.dag.tasks_by_id.values())[start:] if not (t.is_setup or t.is_teardown)
    ]
    if not work:
        return
    roots = [t for t in work if not t.upstream] or work[:1]
    leaves = [t for t in work if not t.downstream] or work[-1:]
    if task.is_setup:
        setups = [task]
        teardowns = [t for t in task.downstream.values() if t.is_teardown]
    else:
        setups = [t for t in task.upstream.values() if t.is_setup]
        teardowns = [task]
    for setup in setups:
        for root in roots:
            root.add_upstream(setup)
    for teardown in teardowns:
        for leaf in leaves:
            teardown.add_upstream(leaf)
