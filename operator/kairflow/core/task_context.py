"""The template context of one task instance in a planner pass (what its pod's
command, or a deferred task's templated fields, are rendered with)."""

from __future__ import annotations

from datetime import UTC

from kairflow.core.params import param_defaults
from kairflow.core.run_state import RunPass
from kairflow.core.templating import TemplateContext


def template_context(state: RunPass, key: str) -> TemplateContext:
    """The template context of task instance `key` in this pass."""
    name = state.task_of(key)
    task = state.tasks[name]
    ti = state.status.task_instances[key]
    xcoms = state.xcoms()
    item = None
    if task.expand is not None and ti.map_index is not None:
        items = state.mapped_items(name) or []
        item = items[ti.map_index] if ti.map_index < len(items) else None
    success = state.previous_success
    run = state.run
    return TemplateContext(
        dag_name=run.dag_name,
        run_id=run.run_id,
        run_type=run.run_type,
        logical_date=run.logical_date.astimezone(UTC),
        data_interval_start=run.data_interval_start.astimezone(UTC),
        data_interval_end=run.data_interval_end.astimezone(UTC),
        params=param_defaults(run.spec.params),
        conf=dict(run.conf),
        task_name=name,
        map_index=ti.map_index,
        try_number=ti.try_number,
        xcoms=xcoms,
        prev_data_interval_start_success=success.data_interval_start if success else None,
        prev_data_interval_end_success=success.data_interval_end if success else None,
        prev_start_date_success=success.start_date if success else None,
        expand_item=item,
        timezone=run.spec.timezone,
        mapped_tasks=state.mapped_tasks,
        triggering_asset_events=run.triggering_asset_events,
    )
