"""A task instance's Pod manifest, built from plain data (no API calls).

`build_pod` returns camelCase Kubernetes JSON as a dict. The same inputs always give
an identical dict, and the pod's name is deterministic (`naming.pod_name`), so a pod
found already existing is the one this call describes.

The pod has one container named `base` (Airflow's KubernetesExecutor convention),
so `kubectl logs <pod>` needs no `-c`; with template sidecars, `base` is listed
first and named by the `kubectl.kubernetes.io/default-container` annotation.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kairflow.api.common import API_VERSION
from kairflow.api.dag import TaskSpec
from kairflow.api.env import EnvVar
from kairflow.core import labels as keys
from kairflow.core.bash_xcom import bash_command
from kairflow.core.naming import label_value, pod_name
from kairflow.core.pod_merge import merge_pod_taking
from kairflow.core.templating import RenderedTask
from kairflow.core.times import iso
from kairflow.core.xcom import size_text
from kairflow.core.xcom_spill import python_command

__all__ = [
    "BASE_CONTAINER",
    "TERMINATION_MESSAGE_PATH",
    "build_pod",
    "container_pod",
    "task_process",
]

BASE_CONTAINER = "base"
TERMINATION_MESSAGE_PATH = "/dev/termination-log"
"""Where a task writes its XCom ($KAIRFLOW_XCOM_FILE); the kubelet keeps the
container's termination message from it (at most 4 KiB)."""


def task_process(task: TaskSpec, rendered: RenderedTask) -> tuple[list[str], list[str] | None]:
    """The base container's command and args for the task's kind."""
    if task.bash is not None:
        if rendered.bash is None:
            raise ValueError(f"task {task.name!r}: bash task rendered without bash")
        # A sensor's poke pushes nothing (Airflow's BashSensor); others their last line.
        push = task.do_xcom_push is not False and task.sensor is None
        return bash_command(rendered.bash, push), rendered.args
    if task.python is not None:
        if rendered.python is None:
            raise ValueError(f"task {task.name!r}: python task rendered without python")
        if task.do_xcom_push is False:
            return ["python", "-c", rendered.python], rendered.args
        return python_command(rendered.python), rendered.args
    if task.command is not None:
        if rendered.command is None:
            raise ValueError(f"task {task.name!r}: command task rendered without command")
        return list(rendered.command), rendered.args
    raise ValueError(f"task {task.name!r} is an empty task: it runs no pod")


MAX_ARGUMENT_BYTES = 128 * 1024 - 1
"""Linux's limit on one argument of a process (MAX_ARG_STRLEN, with its NUL)."""


def _check_argument_sizes(task: TaskSpec, argv: list[str]) -> None:
    """A process cannot start with an argument over 128 KiB (execve fails with "Argument
    list too long"): say so before asking for a pod, naming what grew (usually a big
    XCom rendered into the script)."""
    for argument in argv:
        size = len(argument.encode())
        if size > MAX_ARGUMENT_BYTES:
            kind = "bash" if task.bash is not None else "python" if task.python else "command"
            raise ValueError(
                f"the rendered {kind} is {size_text(size)}; one argument of a process is at "
                "most 128 KiB (Linux): render or pass less of a big XCom into it "
                "(see docs/xcom.md)"
            )


def _env_var(var: EnvVar) -> dict[str, Any]:
    out: dict[str, Any] = {"name": var.name}
    if var.value is not None:
        out["value"] = var.value
    if var.value_from is not None:
        out["valueFrom"] = copy.deepcopy(var.value_from)
    return out


def _template_part(template: Mapping[str, Any] | None, part: str) -> dict[str, Any]:
    value = (template or {}).get(part)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"podTemplate.{part} must be a mapping, got {type(value).__name__}")
    return dict(value)


def build_pod(
    *,
    namespace: str,
    dag_name: str,
    dagrun_name: str,
    dagrun_uid: str | None,
    run_id: str,
    logical_date: datetime,
    task: TaskSpec,
    rendered: RenderedTask,
    try_number: int,
    map_index: int | None,
    default_image: str,
    execution_timeout_seconds: int | None,
    poke: int | None = None,
    extra_labels: Mapping[str, str] | None = None,
    extra_annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Pod of one try (and, for a reschedule-mode sensor, one poke) of a task
    instance.

    `task` is the effective task (the DAG's defaults already applied) and `rendered`
    its rendered templates. Kind: bash -> `bash -c <bash>` (wrapped, unless
    doXcomPush is false or it is a sensor, so its last stdout line becomes the XCom:
    see core.bash_xcom), python ->
    `python -c <python>` (wrapped, so an XCom over 4 KiB leaves through the log: see
    core.xcom_spill), command -> the image's `command`; rendered `args` become
    the container's args in every kind. An empty task raises ValueError.

    Image: `task.image`, else the podTemplate's `base` container image, else
    `default_image`.

    Environment, in order: KAIRFLOW_DAG, KAIRFLOW_DAG_RUN, KAIRFLOW_RUN_ID,
    KAIRFLOW_TASK, KAIRFLOW_TRY_NUMBER, KAIRFLOW_LOGICAL_DATE, KAIRFLOW_MAP_INDEX
    (mapped only), KAIRFLOW_XCOM_FILE, then Airflow's AIRFLOW_CTX_DAG_ID,
    AIRFLOW_CTX_TASK_ID, AIRFLOW_CTX_EXECUTION_DATE, AIRFLOW_CTX_TRY_NUMBER,
    AIRFLOW_CTX_DAG_RUN_ID and AIRFLOW_CTX_DAG_OWNER (when the task has an owner),
    then the task's rendered env. These names are the operator's: a task env entry
    with one of them is dropped (a wrong KAIRFLOW_XCOM_FILE would lose the XCom).
    `envFrom` is passed through. `executionTimeout` -> `activeDeadlineSeconds`.

    podTemplate ({metadata, spec}, a partial Pod) merge rules:

    - metadata: only `labels` and `annotations` are taken; ours win on our keys.
    - spec: merged with `merge_pod` (containers by name, env by name, volumes by
      name, volumeMounts by mountPath...). The template's `base` container gives
      resources, volumeMounts, securityContext, workingDir, probes...; its env
      comes after ours, the task's env replacing its entries of the same name; its
      command and args are dropped (the task's kind decides the process). Sidecars
      and initContainers are kept, `base` first.
    - ours win: pod name, namespace, ownerReferences, restartPolicy (Never), the
      base container's name, command, args, terminationMessagePath and -Policy,
      and activeDeadlineSeconds when `execution_timeout_seconds` is set. Everything
      else (nodeSelector, tolerations, affinity, serviceAccountName, volumes,
      securityContext, imagePullSecrets, priorityClassName, schedulerName...)
      comes from the template untouched.
    """
    command, args = task_process(task, rendered)
    _check_argument_sizes(task, [*command, *(args or [])])
    name = pod_name(dagrun_name, task.name, try_number, map_index, poke)
    logical_iso = iso(logical_date)

    labels: dict[str, str] = {
        **(extra_labels or {}),
        keys.MANAGED_BY: "kairflow",
        keys.DAG: label_value(dag_name),
        keys.DAG_RUN: label_value(dagrun_name),
        keys.TASK: label_value(task.name),
        keys.TRY: str(try_number),
    }
    annotations: dict[str, str] = {
        **(extra_annotations or {}),
        keys.DAG: dag_name,
        keys.DAG_RUN: dagrun_name,
        keys.TASK: task.name,
        keys.RUN_ID: run_id,
        keys.LOGICAL_DATE: logical_iso,
        keys.TRY_NUMBER: str(try_number),
        keys.DEFAULT_CONTAINER: BASE_CONTAINER,
    }
    if map_index is not None:
        labels[keys.MAP_INDEX] = str(map_index)
        annotations[keys.MAP_INDEX] = str(map_index)
    if poke is not None:
        labels[keys.POKE] = str(poke)
        annotations[keys.POKE] = str(poke)

    ours_env: list[dict[str, Any]] = [
        {"name": "KAIRFLOW_DAG", "value": dag_name},
        {"name": "KAIRFLOW_DAG_RUN", "value": dagrun_name},
        {"name": "KAIRFLOW_RUN_ID", "value": run_id},
        {"name": "KAIRFLOW_TASK", "value": task.name},
        {"name": "KAIRFLOW_TRY_NUMBER", "value": str(try_number)},
        {"name": "KAIRFLOW_LOGICAL_DATE", "value": logical_iso},
    ]
    if map_index is not None:
        ours_env.append({"name": "KAIRFLOW_MAP_INDEX", "value": str(map_index)})
    ours_env += [
        {"name": "KAIRFLOW_XCOM_FILE", "value": TERMINATION_MESSAGE_PATH},
        # Airflow's context_to_airflow_vars (2.6), for code that reads them.
        {"name": "AIRFLOW_CTX_DAG_ID", "value": dag_name},
        {"name": "AIRFLOW_CTX_TASK_ID", "value": task.name},
        {"name": "AIRFLOW_CTX_EXECUTION_DATE", "value": logical_iso},
        {"name": "AIRFLOW_CTX_TRY_NUMBER", "value": str(try_number)},
        {"name": "AIRFLOW_CTX_DAG_RUN_ID", "value": run_id},
    ]
    if task.owner:
        ours_env.append({"name": "AIRFLOW_CTX_DAG_OWNER", "value": task.owner})
    return container_pod(
        task=task,
        rendered=rendered,
        command=command,
        args=args,
        metadata={
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        owner=(dagrun_name, dagrun_uid),
        ours_env=ours_env,
        default_image=default_image,
        execution_timeout_seconds=execution_timeout_seconds,
    )


def container_pod(
    *,
    task: TaskSpec,
    rendered: RenderedTask,
    command: list[str],
    args: list[str] | None,
    metadata: dict[str, Any],
    owner: tuple[str, str | None],
    ours_env: list[dict[str, Any]],
    default_image: str,
    execution_timeout_seconds: int | None,
) -> dict[str, Any]:
    """The pod of one process of a run (a task's try, or a callback): `metadata` holds
    its name, namespace, labels and annotations, `owner` the DagRun (name, uid; no
    owner reference without a uid), `ours_env` the variables the operator sets;
    `metadata`, `ours_env` and `command` become the pod's (built for it: not copied).
    The podTemplate merge rules are `build_pod`'s."""
    dagrun_name, dagrun_uid = owner
    template_meta = _template_part(task.pod_template, "metadata")
    template_spec = _template_part(task.pod_template, "spec")
    template_base = _template_base(template_spec)
    env = _environment(ours_env, template_base.get("env"), rendered.env)
    image = task.image or template_base.get("image") or default_image
    container: dict[str, Any] = {
        "name": BASE_CONTAINER,
        "image": image,
        "command": list(command),
        "env": env,
        "terminationMessagePath": TERMINATION_MESSAGE_PATH,
        "terminationMessagePolicy": "File",
    }
    if args is not None:
        container["args"] = list(args)
    if task.env_from:
        container["envFrom"] = [
            *copy.deepcopy(template_base.get("envFrom") or []),
            *copy.deepcopy(task.env_from),
        ]

    metadata = dict(metadata)
    if dagrun_uid is not None:
        metadata["ownerReferences"] = [
            {
                "apiVersion": API_VERSION,
                "kind": "DagRun",
                "name": dagrun_name,
                "uid": dagrun_uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if execution_timeout_seconds is not None:
        spec["activeDeadlineSeconds"] = execution_timeout_seconds

    if template_base:
        # The env list is built whole above (ours first), and the task's kind decides
        # the process (no args: none, whatever the template says).
        template_spec["containers"] = [
            {k: v for k, v in c.items() if k not in _OURS} if c.get("name") == BASE_CONTAINER else c
            for c in template_spec["containers"]
        ]
    base: dict[str, Any] = {
        "metadata": {
            key: template_meta[key] for key in ("labels", "annotations") if key in template_meta
        },
        "spec": template_spec,
    }
    # The overlay is built above for this pod alone: merged in, not copied.
    pod = merge_pod_taking(base, {"metadata": metadata, "spec": spec})
    pod["spec"]["containers"] = _base_first(pod["spec"]["containers"])
    return {"apiVersion": "v1", "kind": "Pod", **pod}


_OURS = frozenset({"env", "command", "args"})
"""The template's base container keys the task's own replace whole."""


def _environment(
    ours: list[dict[str, Any]], template: Any, task: list[EnvVar] | None
) -> list[dict[str, Any]]:
    """Ours first (later entries may refer to them as `$(KAIRFLOW_RUN_ID)`), then the
    template's, then the task's; the task's replace the template's of the same name
    in place, and names we set are never overridden."""
    if template is not None and not (
        isinstance(template, list) and all(isinstance(v, Mapping) for v in template)
    ):
        raise ValueError("podTemplate: the base container's env must be a list of EnvVar")
    reserved = {var["name"] for var in ours}
    task_vars = {var.name: _env_var(var) for var in task or [] if var.name not in reserved}
    merged: list[dict[str, Any]] = []
    for var in template or []:
        name = var.get("name")
        if name in reserved:
            continue
        merged.append(task_vars.pop(name) if name in task_vars else copy.deepcopy(dict(var)))
    return [*ours, *merged, *task_vars.values()]


def _template_base(spec: Mapping[str, Any]) -> dict[str, Any]:
    containers = spec.get("containers")
    if containers is None:
        return {}
    if not isinstance(containers, list) or not all(isinstance(c, Mapping) for c in containers):
        raise ValueError("podTemplate.spec.containers must be a list of containers")
    for item in containers:
        if item.get("name") == BASE_CONTAINER:
            return dict(item)
    return {}


def _base_first(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`base` first: older kubectl picks the first container for `kubectl logs`."""
    base = [c for c in containers if c.get("name") == BASE_CONTAINER]
    return base + [c for c in containers if c.get("name") != BASE_CONTAINER]
