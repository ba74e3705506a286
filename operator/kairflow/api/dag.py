"""The DAG resource: Airflow's DAG, written as a Kubernetes manifest.

Names: a DAG is named by `metadata.name` (a Kubernetes name, so Airflow's
`sample_dag` is written `sample-dag`). Task names keep Airflow's task ids
(`task_0`, `extract.load`): letters, digits, `_`, `.` and `-`, starting and ending
with a letter or digit, at most 63 characters, so they fit a label value. Pod
names derived from them are sanitized (`_` and `.` become `-`) with a short hash.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, JsonValue, PrivateAttr, model_validator

from kairflow.api.approval import ApprovalSpec
from kairflow.api.asset import ASSET_URI_ITEMS, AssetEventRef, AssetSchedule
from kairflow.api.callbacks import CallbackSpec
from kairflow.api.common import Condition, Resource, StatusModel, WireModel
from kairflow.api.cross_dag import ExternalTaskSpec, TriggerDagRunSpec
from kairflow.api.deadlines import DeadlineSpec
from kairflow.api.env import FREE_FORM, EnvVar
from kairflow.api.task_groups import resolve_group_ids, task_id
from kairflow.api.types import Duration, LenientDateTime, PositiveDuration

TASK_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"
# Airflow's group_id: no dots (they join a nested group's id to its parent's).
GROUP_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$"
POOL_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"
CRD_DEFAULT_KEY = "x-kairflow-crd-default"  # see kairflow.api.crd
# A task has at most one kind; the apiserver enforces it too.
TASK_KINDS = ("bash", "python", "command", "triggerDagRun", "externalTask", "approval")
_TWO_KINDS: list[JsonValue] = [
    {"required": [a, b]} for i, a in enumerate(TASK_KINDS) for b in TASK_KINDS[i + 1 :]
]


class TriggerRule(StrEnum):
    """When a task may run, given its direct upstream tasks' states (Airflow's rules)."""

    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_SKIPPED = "all_skipped"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
    """A teardown's rule: every direct upstream task is done and, when some of them
    are setup tasks, at least one of those succeeded."""


class WeightRule(StrEnum):
    """How a task's effective priority is computed (Airflow's weight_rule)."""

    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"


class SensorMode(StrEnum):
    POKE = "poke"
    RESCHEDULE = "reschedule"


class TimetableKind(StrEnum):
    """`dataInterval`: Airflow 2's default (a run covers the interval before it starts).
    `trigger`: Airflow 3's CronTriggerTimetable (logical date = the cron tick)."""

    DATA_INTERVAL = "dataInterval"
    TRIGGER = "trigger"


class SensorSpec(WireModel):
    """Makes a task a sensor: its command is a poke that exits 0 when the condition is
    met and exits 100 ("not yet") otherwise; any other exit code is a failure."""

    poke_interval: PositiveDuration = Field(
        default=timedelta(seconds=60), description="Time between pokes (default 60s)."
    )
    timeout: PositiveDuration = Field(
        default=timedelta(days=7),
        description="Give up this long after the first poke (default 7d).",
    )
    mode: SensorMode = Field(
        default=SensorMode.POKE,
        description="poke: one pod loops, holding its slot. reschedule: one short pod per "
        "poke, no slot held in between (state up_for_reschedule).",
    )
    soft_fail: bool = Field(default=False, description="On timeout, mark skipped, not failed.")
    exponential_backoff: bool = Field(
        default=False, description="Grow the poke interval exponentially between pokes."
    )
    max_wait: Duration | None = Field(
        default=None, description="Upper bound of the interval with exponentialBackoff."
    )


class ExpandArgument(WireModel):
    """One argument of a cross-product mapping: a literal list or an upstream XCom."""

    name: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="The key of this argument in `item`."
    )
    items: list[Any] | None = Field(
        default=None,
        description="A literal list for this argument.",
        json_schema_extra={"items": {"x-kubernetes-preserve-unknown-fields": True}},
    )
    from_task: str | None = Field(
        default=None,
        pattern=TASK_NAME_PATTERN,
        description="This argument's list is the JSON list an upstream task pushed.",
    )


class ExpandSpec(WireModel):
    """Dynamic task mapping: one task instance per item, `name[i]` (at most 1024, or
    the operator's KAIRFLOW_MAX_MAP_LENGTH). Exactly one of `items`, `fromTask` or
    `product`."""

    items: list[Any] | None = Field(
        default=None,
        description="A literal list to map over.",
        json_schema_extra={"items": {"x-kubernetes-preserve-unknown-fields": True}},
    )
    from_task: str | None = Field(
        default=None,
        pattern=TASK_NAME_PATTERN,
        description="Map over the JSON list an upstream task pushed as its XCom.",
    )
    product: list[ExpandArgument] | None = Field(
        default=None,
        min_length=1,
        description="Map over the cross product of several lists (Airflow's "
        "`.expand(a=[...], b=[...])`): each instance's `item` is {name: value}; the "
        "last argument varies fastest, so map index i is Airflow's.",
    )


class TaskSettings(WireModel):
    """Settings a task may take from the DAG's `defaults` (Airflow's default_args)."""

    owner: str | None = Field(default=None, description="Who owns the task (informational).")
    image: str | None = Field(default=None, description="Container image of the task's pod.")
    retries: int | None = Field(default=None, ge=0, le=100, description="Retries after a failure.")
    retry_delay: Duration | None = Field(
        default=None, description="Wait between tries (default 5m)."
    )
    retry_exponential_backoff: bool | None = Field(
        default=None, description="Double the wait for each try (Airflow's formula)."
    )
    max_retry_delay: Duration | None = Field(
        default=None, description="Cap of the exponential wait (never more than 24h)."
    )
    retry_on_exit_codes: list[int] | None = Field(
        default=None,
        description="Retry only when the container exits with one of these codes.",
    )
    skip_on_exit_code: list[int] | None = Field(
        default=None,
        description="If the task exits with one of these exit codes, leave it in skipped "
        "state (not failed, and not retried); downstream tasks then follow their trigger "
        "rules. Airflow's BashOperator skip_on_exit_code (Airflow's default 99 is the "
        "SDK's; a manifest skips on no exit code unless it says so). Never 0, nor 100 "
        "on a sensor.",
    )
    execution_timeout: PositiveDuration | None = Field(
        default=None,
        description="Fail a try that runs longer (becomes the pod's activeDeadlineSeconds).",
    )
    depends_on_past: bool | None = Field(
        default=None,
        description="Run only if this task succeeded or was skipped in the previous run "
        "(with catchup, the previous scheduled or backfill run: manual runs do not count, "
        "as in Airflow).",
    )
    ignore_first_depends_on_past: bool | None = Field(
        default=None,
        description="With dependsOnPast: a task that never ran in an earlier run (one "
        "newly added to the DAG) runs without waiting (default true). False makes it "
        "wait for an earlier run that ran it (Airflow's ignore_first_depends_on_past).",
    )
    wait_for_downstream: bool | None = Field(
        default=None,
        description="Also wait for the previous run's direct downstream tasks to finish.",
    )
    pool: str | None = Field(
        default=None, pattern=POOL_NAME_PATTERN, description="Pool the task takes slots from."
    )
    pool_slots: int | None = Field(default=None, ge=1, description="Slots taken (default 1).")
    priority_weight: int | None = Field(
        default=None, description="Priority among ready tasks (default 1)."
    )
    weight_rule: WeightRule | None = Field(
        default=None, description="downstream (default), upstream or absolute."
    )
    trigger_rule: TriggerRule | None = Field(
        default=None,
        description="When the task may run (default all_success; a teardown's is always "
        "all_done_setup_success).",
    )
    do_xcom_push: bool | None = Field(
        default=None,
        description="Record the task's XCom (default true). A bash task's XCom is, unless it "
        "writes $KAIRFLOW_XCOM_FILE itself, the last line of its stdout (Airflow's "
        "BashOperator); false records none.",
    )
    env: list[EnvVar] | None = Field(default=None, description="Container environment.")
    env_from: list[dict[str, Any]] | None = Field(
        default=None,
        description="Kubernetes EnvFromSource list (configMapRef / secretRef): Airflow's "
        "Variables and Connections.",
        json_schema_extra={"items": FREE_FORM},
    )
    pod_template: dict[str, Any] | None = Field(
        default=None,
        description="A partial Pod manifest ({metadata, spec}) merged into the task's pod: "
        "resources, nodeSelector, tolerations, serviceAccountName, volumes...",
        json_schema_extra=FREE_FORM,
    )
    on_execute: list[CallbackSpec] | None = Field(
        default=None, description="Callbacks run as each try starts (on_execute_callback)."
    )
    on_success: list[CallbackSpec] | None = Field(
        default=None, description="Callbacks run when the task succeeds (on_success_callback)."
    )
    on_failure: list[CallbackSpec] | None = Field(
        default=None,
        description="Callbacks run when the task fails for good (on_failure_callback).",
    )
    on_retry: list[CallbackSpec] | None = Field(
        default=None, description="Callbacks run when a try fails and a retry follows."
    )


class TaskDefaults(TaskSettings):
    """Defaults for every task of the DAG (Airflow's default_args)."""


class TaskGroupSpec(WireModel):
    """A task group (Airflow's TaskGroup): tasks shown and addressed together, with
    settings of their own. Its id is `parent.name` inside a parent group that prefixes,
    else `name`; `flow` and `dependsOn` may name a group where a task goes."""

    name: str = Field(pattern=GROUP_NAME_PATTERN, description="Group name (no dots).")
    group: str | None = Field(
        default=None,
        pattern=TASK_NAME_PATTERN,
        description="Id of the parent group (nested groups: 'outer.inner').",
    )
    prefix_group_id: bool = Field(
        default=True,
        description="Prefix the ids of the group's tasks and groups with the group's id "
        "('group.task'), as Airflow's prefix_group_id.",
    )
    tooltip: str | None = Field(default=None, description="Shown on the group in the UI.")
    defaults: TaskSettings = Field(
        default_factory=TaskSettings,
        description="Settings for the group's tasks (Airflow's TaskGroup default_args): a "
        "task's own setting wins, then the innermost group's, then the DAG's defaults.",
    )


class TaskSpec(TaskSettings):
    """One task. Its kind is given by which of `bash`, `python`, `command` is set
    (at most one); with none of them it is an empty task (no pod, like EmptyOperator)
    or, with `latestOnly`, a LatestOnlyOperator. `setup` / `teardown` mark any kind."""

    model_config = ConfigDict(json_schema_extra={"not": {"anyOf": _TWO_KINDS}})

    name: str = Field(
        pattern=TASK_NAME_PATTERN,
        description="Task id, unique in the DAG; in a group that prefixes, the id is 'group.name'.",
    )
    group: str | None = Field(
        default=None, pattern=TASK_NAME_PATTERN, description="Id of the task's task group."
    )
    bash: str | None = Field(default=None, description="Run with `bash -c` (templated).")
    python: str | None = Field(default=None, description="Run with `python -c` (templated).")
    command: list[str] | None = Field(
        default=None, description="Container command (templated); use with `image`."
    )
    args: list[str] | None = Field(default=None, description="Container args (templated).")
    depends_on: list[str] = Field(
        default_factory=list,
        description="Upstream task names (same as `a >> this` in `flow`).",
        json_schema_extra={"items": {"type": "string", "pattern": TASK_NAME_PATTERN}},
    )
    branch: bool = Field(
        default=False,
        description="A branch task: its XCom names the direct downstream task(s) to follow.",
    )
    short_circuit: bool = Field(
        default=False, description="A falsy XCom skips downstream tasks (ShortCircuitOperator)."
    )
    ignore_downstream_trigger_rules: bool = Field(
        default=True,
        description="With shortCircuit: skip every downstream task (true) or only the "
        "direct ones, letting trigger rules decide further down (false).",
    )
    sensor: SensorSpec | None = Field(default=None, description="Make this task a sensor.")
    expand: ExpandSpec | None = Field(default=None, description="Dynamic task mapping.")
    setup: bool = Field(
        default=False,
        description="A setup task (Airflow 2.7+): creates what its work needs; the work "
        "runs only if it succeeds, and clearing the work clears it too.",
    )
    teardown: bool = Field(
        default=False,
        description="A teardown task: runs when its upstream tasks are done and at least one "
        "of its setups (its direct upstream setup tasks) succeeded, even if the work failed. "
        "Its own failure does not fail the run unless onFailureFailDagrun.",
    )
    on_failure_fail_dagrun: bool = Field(
        default=False, description="With teardown: a failure of this teardown fails the run."
    )
    outlets: list[str] = Field(
        default_factory=list,
        description="Assets (URIs) this task updates: each success records an asset event "
        "on them (Airflow's outlets).",
        json_schema_extra=ASSET_URI_ITEMS,
    )
    latest_only: bool = Field(
        default=False,
        description="Airflow's LatestOnlyOperator (runs no pod): skips its direct downstream "
        "tasks unless the run is the latest scheduled one (now is within the interval after "
        "the run's data interval). Manual runs are never skipped.",
    )
    trigger_dag_run: TriggerDagRunSpec | None = Field(
        default=None,
        description="Trigger a run of another DAG (TriggerDagRunOperator); no pod.",
    )
    external_task: ExternalTaskSpec | None = Field(
        default=None,
        description="Wait for another DAG's task or run (ExternalTaskSensor); no pod.",
    )
    approval: ApprovalSpec | None = Field(
        default=None, description="Wait for a user's approval (HITL ApprovalOperator); no pod."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> TaskSpec:
        kinds = [k for k in TASK_KINDS if getattr(self, _SNAKE[k]) is not None]
        if len(kinds) > 1:
            raise ValueError(f"task {self.name!r}: set only one of {' / '.join(kinds)}")
        return self

    @property
    def deferred_kind(self) -> str | None:
        """The kind of a task the operator decides itself (no pod), or None."""
        for kind in ("triggerDagRun", "externalTask", "approval"):
            if getattr(self, _SNAKE[kind]) is not None:
                return kind
        return None

    @property
    def is_empty(self) -> bool:
        """No command at all: an EmptyOperator (or a latestOnly task), finished
        without a pod."""
        return (
            self.bash is None
            and self.python is None
            and self.command is None
            and self.deferred_kind is None
        )


_SNAKE = {
    "bash": "bash",
    "python": "python",
    "command": "command",
    "triggerDagRun": "trigger_dag_run",
    "externalTask": "external_task",
    "approval": "approval",
}


class DAGSpec(WireModel):
    """An Airflow DAG."""

    description: str | None = Field(default=None, description="What the DAG does.")
    schedule: str | None = Field(
        default=None,
        description="Cron (5 fields), @once, @continuous, @hourly, @daily, @weekly, "
        "@monthly, @quarterly, @yearly/@annually, or a duration like '30m'. "
        "Omitted: manual runs only.",
    )
    assets: AssetSchedule | None = Field(
        default=None,
        description="Also run when these assets are updated (Airflow's asset schedule; "
        "with a `schedule` too, either one makes a run: AssetOrTimeSchedule).",
    )
    timezone: str = Field(default="UTC", description="IANA time zone of the schedule.")
    timetable: TimetableKind = Field(
        default=TimetableKind.DATA_INTERVAL,
        description="dataInterval (Airflow 2 default) or trigger (Airflow 3 "
        "CronTriggerTimetable: logical date = the cron tick).",
    )
    trigger_interval: Duration | None = Field(
        default=None,
        description="With timetable: trigger, the length of the data interval before each "
        "tick (default zero).",
    )
    start_date: LenientDateTime | None = Field(
        default=None, description="First interval starts at or after this (ISO-8601)."
    )
    end_date: LenientDateTime | None = Field(
        default=None, description="No interval is scheduled past this (ISO-8601)."
    )
    catchup: bool | None = Field(
        default=None,
        description="Create every missed interval since startDate (Airflow 2). Unset: the "
        "operator's default (KAIRFLOW_CATCHUP_BY_DEFAULT, Airflow's catchup_by_default; true).",
    )
    paused: bool = Field(
        default=False,
        description="A paused DAG creates no runs.",
        json_schema_extra={CRD_DEFAULT_KEY: False},
    )
    is_paused_upon_creation: bool | None = Field(
        default=None,
        description="Pause the DAG when the operator first sees it (Airflow's "
        "is_paused_upon_creation); never again after. Unset: the operator's setting "
        "(KAIRFLOW_DAGS_ARE_PAUSED_AT_CREATION, Airflow's dags_are_paused_at_creation).",
    )
    max_active_runs: int = Field(default=16, ge=1, description="Runs in flight at once.")
    max_active_tasks: int = Field(
        default=16, ge=1, description="Task instances running at once in this DAG."
    )
    dagrun_timeout: PositiveDuration | None = Field(
        default=None, description="Fail a run that takes longer; unfinished tasks are skipped."
    )
    tags: list[str] = Field(default_factory=list, description="Free-form tags.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Params for templates; a run's conf overrides them. A plain default "
        "(its JSON type is the param's type) or Airflow's Param as a mapping: {default: 3, "
        "type: integer, maximum: 100, description: ...}, a JSON schema each conf must pass.",
        json_schema_extra=FREE_FORM,
    )
    defaults: TaskDefaults = Field(
        default_factory=TaskDefaults, description="Defaults for every task (default_args)."
    )
    groups: list[TaskGroupSpec] = Field(
        default_factory=list, description="Task groups (Airflow's TaskGroup)."
    )
    tasks: list[TaskSpec] = Field(min_length=1, description="The tasks.")
    on_success: list[CallbackSpec] = Field(
        default_factory=list, description="Callbacks run when a run succeeds (on_success_callback)."
    )
    on_failure: list[CallbackSpec] = Field(
        default_factory=list, description="Callbacks run when a run fails (on_failure_callback)."
    )
    deadlines: list[DeadlineSpec] = Field(
        default_factory=list,
        description="Deadline alerts (Airflow 3.1): a run unfinished at a reference time + "
        "interval fires the deadline's callback once and gets the condition DeadlineMissed.",
    )
    flow: list[str] = Field(
        default_factory=list,
        description="Dependency chains like 'a >> b >> [c, d] >> e' (Airflow's >>); a "
        "group stands for its last tasks upstream and its first tasks downstream.",
    )
    _group_ids: dict[str, TaskGroupSpec] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _prefix_task_ids(self) -> DAGSpec:
        """Tasks in groups get their Airflow ids here, once, so every reader of the spec
        (graph, status keys, pods, templates) sees the same ids."""
        if not self.groups:
            return self
        self._group_ids, _ = resolve_group_ids(self.groups)
        self.tasks = [
            task
            if (tid := task_id(task.name, task.group, self._group_ids)) == task.name
            else task.model_copy(update={"name": tid})
            for task in self.tasks
        ]
        return self

    @property
    def group_ids(self) -> dict[str, TaskGroupSpec]:
        """{group id: group} of the groups whose ids resolve (see `kairflow.api.task_groups`)."""
        return self._group_ids


class RunSummary(StatusModel):
    name: str | None = Field(default=None, description="DagRun name.")
    logical_date: str | None = Field(default=None, description="Logical date (ISO-8601).")
    state: str | None = Field(default=None, description="Run state.")


class NextRun(StatusModel):
    logical_date: str | None = Field(default=None, description="Logical date (ISO-8601).")
    data_interval_start: str | None = None
    data_interval_end: str | None = None
    run_after: str | None = Field(default=None, description="Earliest time it may be created.")


class DAGStatus(StatusModel):
    observed_generation: int | None = None
    conditions: list[Condition] = Field(default_factory=list)
    schedule_description: str | None = Field(
        default=None, description="The schedule in words, with its time zone."
    )
    last_run: RunSummary | None = Field(default=None, description="The newest run.")
    next_run: NextRun | None = Field(default=None, description="The next automated run.")
    active_runs: int | None = Field(default=None, description="Runs queued or running.")
    paused_at_creation: bool | None = Field(
        default=None,
        description="True when the operator paused the DAG as it first saw it "
        "(isPausedUponCreation, or the operator's dags-are-paused-at-creation setting).",
    )
    last_automated_run: NextRun | None = Field(
        default=None,
        description="Data interval of the newest scheduled run created (the scheduler's "
        "bookmark, kept when old runs are deleted).",
    )
    consumed_asset_events: dict[str, AssetEventRef] = Field(
        default_factory=dict,
        description="Per asset URI of the asset schedule: the last event an asset run consumed.",
    )
    queued_asset_events: dict[str, int] = Field(
        default_factory=dict,
        description="Per asset URI of the asset schedule: events not consumed yet (0: the "
        "DAG waits on it).",
    )


class DAG(Resource):
    KIND: ClassVar[str] = "DAG"
    PLURAL: ClassVar[str] = "dags"

    kind: str = "DAG"
    spec: DAGSpec
    status: DAGStatus = Field(default_factory=DAGStatus)
