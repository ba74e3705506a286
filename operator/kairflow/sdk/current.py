"""What a DAG file is building right now: the DAG and task group being entered, and
every DAG created while `load_file` runs (Airflow's DagContext and auto-register)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kairflow.sdk.dag import DAG
    from kairflow.sdk.taskgroup import TaskGroup

_dags: list[DAG] = []
_groups: list[TaskGroup] = []
_created: list[DAG] = []


def push_dag(dag: DAG) -> None:
    _dags.append(dag)


def pop_dag() -> None:
    _dags.pop()


def dag() -> DAG | None:
    return _dags[-1] if _dags else None


def push_group(group: TaskGroup) -> None:
    _groups.append(group)


def pop_group() -> None:
    _groups.pop()


def group() -> TaskGroup | None:
    return _groups[-1] if _groups else None


def created(new: DAG) -> None:
    _created.append(new)


def take_created() -> list[DAG]:
    """The DAGs created since the last call (and forget them)."""
    out = list(_created)
    _created.clear()
    return out


def reset() -> None:
    """Forget everything (a file that raised may leave a `with` half-entered)."""
    _dags.clear()
    _groups.clear()
    _created.clear()
