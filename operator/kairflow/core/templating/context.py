"""What a task instance's templates see: Airflow's names and formats.

The context holds plain data and small purpose-built objects (see `names`); `var`,
`conn` and Airflow's `conf` are not available (Variables and Connections become
ConfigMaps and Secrets through `env` / `envFrom`). Dates are in UTC, as in Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kairflow.core.templating.errors import Refused
from kairflow.core.templating.macros import MACROS
from kairflow.core.templating.names import NamedDict, NamedList, Namespace, wrap
from kairflow.core.times import as_utc, parse_time

__all__ = ["TemplateContext", "build_context"]

_RETURN_VALUE = "return_value"


@dataclass(frozen=True)
class TemplateContext:
    """Everything a task instance's templates may see. Datetimes must be aware."""

    dag_name: str
    run_id: str
    run_type: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    task_name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    """The DAG's params."""
    conf: Mapping[str, Any] = field(default_factory=dict)
    """The run's conf (overrides params, like Airflow's dag_run_conf_overrides_params)."""
    map_index: int | None = None
    try_number: int = 1
    xcoms: Mapping[str, Any] = field(default_factory=dict)
    """Task name -> its XCom; a mapped task's is the list of its instances' values."""
    mapped_tasks: frozenset[str] = frozenset()
    """Which `xcoms` entries belong to mapped tasks (for xcom_pull's map_indexes)."""
    prev_data_interval_start_success: datetime | None = None
    prev_data_interval_end_success: datetime | None = None
    prev_start_date_success: datetime | None = None
    prev_end_date_success: datetime | None = None
    expand_item: Any = None
    """The item of a mapped instance (only used when map_index is not None)."""
    timezone: str = "UTC"
    """The DAG's time zone name."""
    task_state: str | None = None
    """`ti.state`: set for callbacks (the state they fire on), None while a try starts."""
    triggering_asset_events: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    """An asset run's events per URI, in their wire form (`kairflow.api.asset.AssetEvent`)."""


class _TaskInstance(Namespace):
    """`ti` / `task_instance`: attributes of the current try and `xcom_pull`."""

    _ctx: TemplateContext

    def __init__(self, ctx: TemplateContext, logical_date: datetime) -> None:
        super().__init__(
            "ti",
            task_id=ctx.task_name,
            dag_id=ctx.dag_name,
            run_id=ctx.run_id,
            try_number=ctx.try_number,
            map_index=-1 if ctx.map_index is None else ctx.map_index,
            logical_date=logical_date,
            execution_date=logical_date,
            state=ctx.task_state,
        )
        object.__setattr__(self, "_ctx", ctx)

    def xcom_pull(
        self,
        task_ids: str | Sequence[str] | None = None,
        dag_id: str | None = None,
        key: str = _RETURN_VALUE,
        include_prior_dates: bool = False,
        *,
        map_indexes: int | Sequence[int] | None = None,
        default: Any = None,
    ) -> Any:
        """Airflow's xcom_pull over this run's XComs.

        One task id: its value (a mapped task's: the list of its instances' values),
        or `default` when it has none. A list of ids: the values of those that have
        one, in the given order, mapped tasks' instances flattened (as Airflow).
        `task_ids=None` means this task (Airflow 3's reading).
        """
        ctx = self._ctx
        if key != _RETURN_VALUE:
            raise Refused(
                f"xcom_pull(key={key!r}) is not supported: a task has one XCom, "
                "the JSON it writes to $KAIRFLOW_XCOM_FILE (key 'return_value')"
            )
        if dag_id is not None and dag_id != ctx.dag_name:
            raise Refused("xcom_pull from another DAG is not supported")
        if include_prior_dates:
            raise Refused("xcom_pull(include_prior_dates=True) is not supported")
        if task_ids is None or isinstance(task_ids, str):
            task_id = ctx.task_name if task_ids is None else task_ids
            return _pull_one(ctx, task_id, map_indexes, default)
        pulled: list[Any] = []
        for task_id in task_ids:
            value = _pull_one(ctx, str(task_id), map_indexes, None)
            if value is None:
                continue
            if str(task_id) in ctx.mapped_tasks and map_indexes is None:
                pulled.extend(item for item in value if item is not None)
            else:
                pulled.append(value)
        return NamedList(f"ti.xcom_pull({list(task_ids)!r})", pulled)

    def xcom_push(self, *args: Any, **kwargs: Any) -> None:
        raise Refused(
            "xcom_push is not supported in templates; a task pushes its XCom by writing "
            "JSON to $KAIRFLOW_XCOM_FILE"
        )


def _pull_one(
    ctx: TemplateContext, task_id: str, map_indexes: int | Sequence[int] | None, default: Any
) -> Any:
    value = ctx.xcoms.get(task_id)
    if value is None:
        return default
    name = f"ti.xcom_pull({task_id!r})"
    if map_indexes is None:
        return wrap(value, name)
    mapped = task_id in ctx.mapped_tasks and isinstance(value, list)
    if isinstance(map_indexes, int):
        if mapped and 0 <= map_indexes < len(value) and value[map_indexes] is not None:
            return wrap(value[map_indexes], f"{name}[{map_indexes}]")
        return default
    if not mapped:
        return default
    return NamedList(
        name,
        (wrap(value[i], f"{name}[{i}]") for i in map_indexes if 0 <= i < len(value)),
    )


def _utc_or_none(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else as_utc(value, what)


def build_context(ctx: TemplateContext) -> dict[str, Any]:
    """The template context of one task instance, with Airflow's names and formats.

    Dates are UTC `datetime`s (Airflow's are UTC pendulum DateTimes); `ds`, `ts` and
    friends are derived from the logical date in UTC. `params` is the DAG's params
    updated with the run's conf (Airflow's `dag_run_conf_overrides_params`, a shallow
    update). `map_index` and `ti.map_index` are -1 for an unmapped instance, as in
    Airflow; `item` exists only for mapped instances.
    """
    logical = as_utc(ctx.logical_date, "logical_date")
    interval_start = as_utc(ctx.data_interval_start, "data_interval_start")
    interval_end = as_utc(ctx.data_interval_end, "data_interval_end")
    ds = logical.strftime("%Y-%m-%d")
    ds_nodash = ds.replace("-", "")
    ts = logical.isoformat()
    yesterday = (logical - timedelta(days=1)).strftime("%Y-%m-%d")
    tomorrow = (logical + timedelta(days=1)).strftime("%Y-%m-%d")
    map_index = -1 if ctx.map_index is None else ctx.map_index

    params = wrap({**ctx.params, **ctx.conf}, "params")
    dag_run = Namespace(
        "dag_run",
        dag_id=ctx.dag_name,
        run_id=ctx.run_id,
        run_type=ctx.run_type,
        conf=wrap(ctx.conf, "dag_run.conf"),
        logical_date=logical,
        execution_date=logical,
        data_interval_start=interval_start,
        data_interval_end=interval_end,
        external_trigger=ctx.run_type == "manual",
    )
    dag = Namespace(
        "dag", dag_id=ctx.dag_name, timezone=ctx.timezone, params=wrap(ctx.params, "dag.params")
    )
    task = Namespace("task", task_id=ctx.task_name, dag_id=ctx.dag_name)
    ti = _TaskInstance(ctx, logical)
    context: dict[str, Any] = {
        "dag": dag,
        "dag_run": dag_run,
        "run_id": ctx.run_id,
        "task": task,
        "task_instance": ti,
        "ti": ti,
        "task_instance_key_str": f"{ctx.dag_name}__{ctx.task_name}__{ds_nodash}",
        "params": params,
        "macros": MACROS,
        "logical_date": logical,
        "execution_date": logical,
        "data_interval_start": interval_start,
        "data_interval_end": interval_end,
        "ds": ds,
        "ds_nodash": ds_nodash,
        "ts": ts,
        "ts_nodash": logical.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
        "yesterday_ds": yesterday,
        "yesterday_ds_nodash": yesterday.replace("-", ""),
        "tomorrow_ds": tomorrow,
        "tomorrow_ds_nodash": tomorrow.replace("-", ""),
        "prev_data_interval_start_success": _utc_or_none(
            ctx.prev_data_interval_start_success, "prev_data_interval_start_success"
        ),
        "prev_data_interval_end_success": _utc_or_none(
            ctx.prev_data_interval_end_success, "prev_data_interval_end_success"
        ),
        "prev_start_date_success": _utc_or_none(
            ctx.prev_start_date_success, "prev_start_date_success"
        ),
        "prev_end_date_success": _utc_or_none(ctx.prev_end_date_success, "prev_end_date_success"),
        "map_index": map_index,
        "test_mode": False,
    }
    # Airflow 3's name and Airflow 2's (datasets), the same mapping.
    context["triggering_asset_events"] = _asset_events(ctx.triggering_asset_events)
    context["triggering_dataset_events"] = context["triggering_asset_events"]
    if ctx.map_index is not None:
        context["item"] = wrap(ctx.expand_item, "item")
    return context


def _asset_events(
    events: Mapping[str, Sequence[Mapping[str, Any]]],
) -> Mapping[str, Any]:
    """uri -> list of events with Airflow's AssetEvent attributes (`extra`,
    `timestamp`, `source_dag_id`, `source_task_id`, `source_run_id`, `source_map_index`)."""
    name = "triggering_asset_events"
    out: dict[str, Any] = {}
    for uri, listed in events.items():
        where = f"{name}[{uri!r}]"
        out[uri] = NamedList(
            where,
            (
                Namespace(
                    f"{where}[{i}]",
                    uri=uri,
                    id=event.get("id"),
                    extra=wrap(event.get("extra") or {}, f"{where}[{i}].extra"),
                    timestamp=parse_time(event.get("timestamp")),
                    source_dag_id=event.get("sourceDagId"),
                    source_task_id=event.get("sourceTaskId"),
                    source_run_id=event.get("sourceRunId"),
                    source_map_index=event.get("sourceMapIndex", -1),
                )
                for i, event in enumerate(listed)
            ),
        )
    return NamedDict(name, out.items())
