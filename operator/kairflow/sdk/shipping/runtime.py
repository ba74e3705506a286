"""The code shipped at the top of every Python task: it calls the user's callable the
way Airflow's PythonOperator does and pushes the return value as the task's XCom.

This module is copied as source text into the task (see `script`): it imports only
the standard library and defines only `_kf_` names, so it cannot clash with the
user's. `_KF_RENDERED` (JSON text the engine rendered: argument values, the Airflow
context, the upstream XComs) is defined by the script before `_kf_main` is called.
"""

from __future__ import annotations

import datetime as _kf_datetime
import inspect as _kf_inspect
import json as _kf_json
import os as _kf_os
import subprocess as _kf_subprocess
import sys as _kf_sys
from typing import Any

_KF_MAX_XCOM_BYTES = 1024 * 1024  # bigger than 4 KiB leaves through the log (core.xcom_spill)
_KF_NOT_YET = 100  # a sensor's "not yet" exit code
_KF_SKIPPED = 98  # the task skipped itself (see kairflow.sdk.skipping)


class _KfNamespace:
    """dag_run, task, dag: read-only bags of attributes."""

    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)

    def __repr__(self) -> str:
        return f"<{self.__dict__.get('_kind', 'namespace')}>"


class _KfTaskInstance:
    """`ti` / `task_instance`: this try's attributes and xcom_pull over the XComs of
    the upstream tasks, rendered into the task when it started."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.task_id = context["task_id"]
        self.dag_id = context["dag_id"]
        self.run_id = context["run_id"]
        self.try_number = context["try_number"]
        self.map_index = context["map_index"]
        self._xcoms: dict[str, Any] = context.get("xcoms") or {}
        self._mapped: list[str] = context.get("mapped") or []

    def xcom_pull(
        self,
        task_ids: Any = None,
        dag_id: str | None = None,
        key: str = "return_value",
        include_prior_dates: bool = False,
        map_indexes: Any = None,
        default: Any = None,
    ) -> Any:
        if key != "return_value":
            raise RuntimeError(
                f"xcom_pull(key={key!r}) is not supported: a task has one XCom, its "
                "return value (key 'return_value')"
            )
        if dag_id not in (None, self.dag_id) or include_prior_dates:
            raise RuntimeError("xcom_pull from another DAG or an earlier run is not supported")
        if task_ids is None or isinstance(task_ids, str):
            return self._one(self.task_id if task_ids is None else task_ids, map_indexes, default)
        pulled: list[Any] = []
        for task_id in task_ids:
            value = self._one(task_id, map_indexes, None)
            if value is None:
                continue
            if task_id in self._mapped and map_indexes is None:
                pulled.extend(item for item in value if item is not None)
            else:
                pulled.append(value)
        return pulled

    def _one(self, task_id: str, map_indexes: Any, default: Any) -> Any:
        if task_id not in self._xcoms:
            print(
                f"kairflow: xcom_pull({task_id!r}): not an upstream task of this one; "
                "only upstream tasks' XComs are passed to a Python task",
                file=_kf_sys.stderr,
            )
            return default
        value = self._xcoms[task_id]
        if value is None or map_indexes is None:
            return default if value is None else value
        if isinstance(map_indexes, int):
            in_range = task_id in self._mapped and 0 <= map_indexes < len(value)
            return value[map_indexes] if in_range else default
        return [value[i] for i in map_indexes if 0 <= i < len(value)]

    def xcom_push(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "xcom_push is not supported: return the value instead, it becomes the "
            "task's XCom (key 'return_value')"
        )


def _kf_context(rendered: dict[str, Any]) -> dict[str, Any]:
    """Airflow's context, built from what the engine rendered."""
    c = rendered["context"]
    when = _kf_datetime.datetime.fromisoformat
    logical = when(c["ts"])
    ti = _KfTaskInstance(c)
    day = _kf_datetime.timedelta(days=1)
    dag_run = _KfNamespace(
        _kind="dag_run",
        dag_id=c["dag_id"],
        run_id=c["run_id"],
        run_type=c["run_type"],
        conf=c["conf"],
        logical_date=logical,
        execution_date=logical,
        data_interval_start=when(c["data_interval_start"]),
        data_interval_end=when(c["data_interval_end"]),
        external_trigger=c["run_type"] == "manual",
    )
    return {
        "ds": c["ds"],
        "ds_nodash": c["ds"].replace("-", ""),
        "task_instance_key_str": f"{c['dag_id']}__{c['task_id']}__{c['ds'].replace('-', '')}",
        "ts": c["ts"],
        "ts_nodash": logical.strftime("%Y%m%dT%H%M%S"),
        "logical_date": logical,
        "execution_date": logical,
        "data_interval_start": when(c["data_interval_start"]),
        "data_interval_end": when(c["data_interval_end"]),
        "yesterday_ds": (logical - day).strftime("%Y-%m-%d"),
        "tomorrow_ds": (logical + day).strftime("%Y-%m-%d"),
        "params": c["params"],
        "run_id": c["run_id"],
        "dag_run": dag_run,
        "ti": ti,
        "task_instance": ti,
        "task": _KfNamespace(_kind="task", task_id=c["task_id"], dag_id=c["dag_id"]),
        "dag": _KfNamespace(_kind="dag", dag_id=c["dag_id"]),
        "map_index": c["map_index"],
        "test_mode": False,
    }


def _kf_call(
    function: Any, args: list[Any], kwargs: dict[str, Any], context: dict[str, Any]
) -> Any:
    """Airflow's PythonOperator call: op_kwargs over the context; a function with
    **kwargs gets everything, others only the names they declare."""
    signature = _kf_inspect.signature(function)
    merged = {**context, **kwargs}
    for name in list(signature.parameters)[: len(args)]:
        if name in merged:
            raise ValueError(
                f"The key {name!r} in args is a part of kwargs and therefore reserved."
            )
    kinds = [p.kind for p in signature.parameters.values()]
    if _kf_inspect.Parameter.VAR_KEYWORD in kinds:
        return function(*args, **merged)
    return function(*args, **{n: merged[n] for n in signature.parameters if n in merged})


def _kf_run_bash(command: str) -> int:
    """Run a @task.bash command; the last line of its stdout is the XCom, as Airflow's
    (unless the command wrote $KAIRFLOW_XCOM_FILE itself). Its exit code is returned."""
    process = _kf_subprocess.Popen(["bash", "-c", command], stdout=_kf_subprocess.PIPE)
    last = b""
    assert process.stdout is not None
    for line in process.stdout:
        _kf_sys.stdout.buffer.write(line)
        _kf_sys.stdout.buffer.flush()
        last = line
    code = process.wait()
    path = _kf_os.environ.get("KAIRFLOW_XCOM_FILE")
    written = path and _kf_os.path.exists(path) and _kf_os.path.getsize(path)  # noqa: PTH110, PTH202
    if code == 0 and path and not written:
        text = last.decode(errors="replace").rstrip()
        if len(_kf_json.dumps(text).encode()) > _KF_MAX_XCOM_BYTES:
            print("kairflow: the last line of stdout is over 1 MiB as JSON: not pushed")
        else:
            _kf_push(text)
    return code


def _kf_push(value: Any) -> None:
    """The return value becomes the XCom: JSON, at most 1 MiB (None pushes nothing)."""
    if value is None:
        return
    try:
        text = _kf_json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        _kf_sys.exit(f"kairflow: the return value cannot be an XCom, it is not JSON ({exc})")
    size = len(text.encode())
    if size > _KF_MAX_XCOM_BYTES:
        _kf_sys.exit(
            f"kairflow: the return value is {size} bytes as JSON; an XCom is at most "
            f"{_KF_MAX_XCOM_BYTES} bytes (1 MiB)"
        )
    path = _kf_os.environ.get("KAIRFLOW_XCOM_FILE")
    if not path:
        print(
            "kairflow: $KAIRFLOW_XCOM_FILE is not set; the XCom is not pushed", file=_kf_sys.stderr
        )
        return
    with open(path, "w") as out:  # noqa: PTH123 (kept plain: shipped code)
        out.write(text)


def _kf_main(function: Any, args: list[Any], kwargs: dict[str, Any], mode: str) -> None:
    """Run the callable as `mode`: python, branch, short_circuit, sensor or bash."""
    # A mapped instance's item is the whole op_args / op_kwargs: check it, as Airflow's
    # call would fail on it anyway, with a message that says which.
    if not isinstance(args, (list, tuple)):
        _kf_sys.exit(f"kairflow: op_args must be a list, not {type(args).__name__}: {args!r}")
    if not isinstance(kwargs, dict):
        _kf_sys.exit(f"kairflow: op_kwargs must be a dict, not {type(kwargs).__name__}: {kwargs!r}")
    context = _kf_context(_KF_RENDERED)  # type: ignore[name-defined]  # noqa: F821
    context["templates_dict"] = _KF_RENDERED.get("templates_dict")  # type: ignore[name-defined]  # noqa: F821
    try:
        result = _kf_call(function, args, kwargs, context)
    except Exception as exc:
        if not getattr(exc, "_kf_skips_task", False):
            raise
        # Airflow's AirflowSkipException: the task ends skipped (its skipOnExitCode).
        print(f"kairflow: {type(exc).__name__}: {exc}; the task skips itself")
        _kf_sys.stdout.flush()
        _kf_sys.exit(_KF_SKIPPED)
    if mode == "sensor":
        done = getattr(result, "is_done", result)
        if not done:
            print("kairflow: sensor condition not met yet")
            _kf_sys.exit(_KF_NOT_YET)
        _kf_push(getattr(result, "xcom_value", None))
    elif mode == "bash":
        if not isinstance(result, str) or not result.strip():
            _kf_sys.exit("kairflow: a @task.bash function must return a non-empty command")
        _kf_sys.stdout.flush()
        _kf_sys.exit(_kf_run_bash(result))
    else:
        _kf_push(result)


class PokeReturnValue:
    """Airflow's PokeReturnValue, for sensors that also push an XCom."""

    def __init__(self, is_done: bool, xcom_value: Any = None) -> None:
        self.is_done = is_done
        self.xcom_value = xcom_value
