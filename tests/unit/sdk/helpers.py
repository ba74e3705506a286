"""Building SDK DAGs in tests, reading their manifests, and running a Python task's
script for real: rendered by the engine's templating, run with `python -c`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kairflow.core.templating import TemplateContext, build_context, render
from kairflow.sdk import DAG, to_manifest

WHEN = datetime(2024, 1, 6, tzinfo=UTC)


def manifest_of(dag: DAG) -> dict[str, Any]:
    return to_manifest(dag)


def tasks_of(dag: DAG) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in to_manifest(dag)["spec"]["tasks"]}


def depends_on(dag: DAG) -> dict[str, list[str]]:
    """Each task's upstream task names, as the manifest says."""
    return {name: t.get("dependsOn", []) for name, t in tasks_of(dag).items()}


@dataclass
class Ran:
    exit_code: int
    xcom: Any
    stdout: str
    stderr: str


def _rendered(
    task: Mapping[str, Any],
    field: str,
    *,
    xcoms: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    conf: Mapping[str, Any] | None = None,
    map_index: int | None = None,
    item: Any = None,
    mapped: frozenset[str] = frozenset(),
) -> str:
    """The task's `field` rendered by the engine's templating, as for a real run."""
    context = TemplateContext(
        dag_name="d",
        run_id="manual__2024-01-06T00:00:00+00:00",
        run_type="manual",
        logical_date=WHEN,
        data_interval_start=WHEN,
        data_interval_end=WHEN,
        task_name=task["name"],
        params=params or {},
        conf=conf or {},
        xcoms=xcoms or {},
        mapped_tasks=mapped,
        map_index=map_index,
        expand_item=item,
    )
    return render(task[field], build_context(context), field)


def _run(command: list[str], tmp_path: Path, name: str) -> Ran:
    xcom_file = tmp_path / f"xcom-{name}"
    xcom_file.unlink(missing_ok=True)
    done = subprocess.run(
        command,
        env={**os.environ, "KAIRFLOW_XCOM_FILE": str(xcom_file)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    xcom = json.loads(xcom_file.read_text()) if xcom_file.exists() else None
    return Ran(done.returncode, xcom, done.stdout, done.stderr)


def run_python_task(task: Mapping[str, Any], tmp_path: Path, **context: Any) -> Ran:
    """Render the task's `python:` field as the engine does (`context`: the keyword
    arguments of `_rendered`), then run it."""
    script = _rendered(task, "python", **context)
    return _run([sys.executable, "-c", script], tmp_path, task["name"])


def run_bash_task(
    task: Mapping[str, Any], tmp_path: Path, *, map_index: int | None = None, item: Any = None
) -> Ran:
    """Render the task's `bash:` field as the engine does, then run it with `bash -c`
    (the task's `env` is left out: these tests render what the command exports)."""
    command = _rendered(task, "bash", map_index=map_index, item=item)
    return _run(["bash", "-c", command], tmp_path, task["name"])


def rendered_args(task: Mapping[str, Any], *, map_index: int, item: Any) -> list[str]:
    """A container task's `args`, each rendered as the engine does."""
    return [
        _rendered({**task, "arg": arg}, "arg", map_index=map_index, item=item)
        for arg in task["args"]
    ]
