"""A task's effective settings: its own, else its task groups', else the DAG's
`defaults`, else Airflow's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kairflow.api.dag import DAGSpec, TaskSettings, TaskSpec, TriggerRule, WeightRule

DEFAULT_RETRY_DELAY = timedelta(minutes=5)  # Airflow's [core] default_task_retry_delay
DEFAULT_POOL = "default_pool"
MAX_RETRY_DELAY = timedelta(hours=24)  # Airflow's [core] max_task_retry_delay


def effective_task(spec: DAGSpec, task: TaskSpec) -> TaskSpec:
    """`task` with every setting it leaves unset taken from its task groups' `defaults`
    (the innermost group first), then from the DAG's defaults.

    Like Airflow's default_args, a default replaces nothing the task sets itself
    (lists such as `env` are not merged).
    """
    layers = [*_group_defaults(spec, task.group), spec.defaults]
    updates: dict[str, object] = {}
    for name in TaskSettings.model_fields:
        if getattr(task, name) is not None:
            continue
        for layer in layers:
            if (value := getattr(layer, name)) is not None:
                updates[name] = value
                break
    return task.model_copy(update=updates) if updates else task


def _group_defaults(spec: DAGSpec, group_id: str | None) -> list[TaskSettings]:
    """The defaults of the task's groups, innermost first."""
    found: list[TaskSettings] = []
    groups = spec.group_ids
    while group_id is not None and (group := groups.get(group_id)) is not None:
        if len(found) > len(groups):
            break  # groups nested in a cycle are reported by validation
        found.append(group.defaults)
        group_id = group.group
    return found


@dataclass(frozen=True, slots=True)
class TaskPolicy:
    """The resolved numbers and rules the planner needs for one task."""

    retries: int
    retry_delay: timedelta
    retry_exponential_backoff: bool
    max_retry_delay: timedelta | None
    retry_on_exit_codes: frozenset[int] | None
    skip_on_exit_code: frozenset[int]
    execution_timeout: timedelta | None
    depends_on_past: bool
    ignore_first_depends_on_past: bool
    wait_for_downstream: bool
    pool: str
    pool_slots: int
    priority_weight: int
    weight_rule: WeightRule
    trigger_rule: TriggerRule

    @property
    def max_tries(self) -> int:
        """A new task instance's tries: the first and its retries (Airflow's max_tries)."""
        return 1 + self.retries

    @classmethod
    def of(cls, task: TaskSpec) -> TaskPolicy:
        """Resolve an effective task (see `effective_task`)."""
        codes = task.retry_on_exit_codes
        return cls(
            retries=task.retries or 0,
            retry_delay=task.retry_delay if task.retry_delay is not None else DEFAULT_RETRY_DELAY,
            retry_exponential_backoff=bool(task.retry_exponential_backoff),
            max_retry_delay=task.max_retry_delay,
            retry_on_exit_codes=frozenset(codes) if codes is not None else None,
            skip_on_exit_code=frozenset(task.skip_on_exit_code or ()),
            execution_timeout=task.execution_timeout,
            # Airflow: wait_for_downstream implies depends_on_past.
            depends_on_past=bool(task.depends_on_past or task.wait_for_downstream),
            # Airflow's [scheduler] ignore_first_depends_on_past_by_default: true.
            ignore_first_depends_on_past=task.ignore_first_depends_on_past is not False,
            wait_for_downstream=bool(task.wait_for_downstream),
            pool=task.pool or DEFAULT_POOL,
            pool_slots=task.pool_slots or 1,
            priority_weight=task.priority_weight if task.priority_weight is not None else 1,
            weight_rule=task.weight_rule or WeightRule.DOWNSTREAM,
            # Airflow's as_teardown() sets the rule, over default_args too.
            trigger_rule=TriggerRule.ALL_DONE_SETUP_SUCCESS
            if task.teardown
            else task.trigger_rule or TriggerRule.ALL_SUCCESS,
        )

    def skips_on(self, exit_code: int | None) -> bool:
        """A try that exits with one of `skipOnExitCode` skips the task (Airflow's
        AirflowSkipException): a kill or timeout, without exit code, never does."""
        return exit_code is not None and exit_code in self.skip_on_exit_code
