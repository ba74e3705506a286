"""A task instance's XCom as the CLI shows it: the value in the run's status, or,
for a big one, the value in the ConfigMap its reference names (docs/xcom.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus
from kairflow.cli.errors import EXIT_NOT_FOUND, UserError
from kairflow.cli.task_logs import instance_of
from kairflow.core.graph import DagGraph
from kairflow.core.xcom import XComError
from kairflow.core.xcom_frame import stored_value

BinaryData = Mapping[str, str] | None
"""A ConfigMap's binaryData (base64 values)."""


def xcom_of(
    run: str,
    status: DagRunStatus,
    graph: DagGraph | None,
    instance: str,
    map_index: int | None,
    read_config_map: Callable[[str], BinaryData],
) -> Any:
    """The XCom of `instance` (TASK or TASK[I]) of run `run`; a UserError when it has
    none. `read_config_map(name)` reads a big XCom's ConfigMap."""
    key, ti = instance_of(run, status, graph, instance, map_index)
    if ti.state != TaskInstanceState.SUCCESS:
        raise UserError(f"task instance {key} has no XCom: it is {ti.state.value}", EXIT_NOT_FOUND)
    ref = ti.xcom_ref
    if ref is None:
        return ti.xcom
    try:
        return stored_value(read_config_map(ref.config_map), ref.size, ref.sha256)
    except XComError as exc:
        raise UserError(f"the XCom of {key} (ConfigMap {ref.config_map}): {exc}") from None
