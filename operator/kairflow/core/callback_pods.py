"""A callback's pod: its context (environment and templates) and its process.

A callback is shaped like a task, so it is built as one (`pod_builder.container_pod`)
with its own name, labels and environment. A webhook is a pod running the
stdlib-only notifier (`kairflow.notify`, shipped as `python -c <its source>`) with the
payload rendered here, so the operator never sends anything itself.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from kairflow import notify
from kairflow.api.callbacks import CallbackKind, CallbackSpec, WebhookSpec
from kairflow.api.dag import TaskSpec
from kairflow.api.env import EnvVar
from kairflow.core import labels as keys
from kairflow.core.naming import label_value
from kairflow.core.pod_builder import container_pod, task_process
from kairflow.core.run_model import Transition
from kairflow.core.run_state import RunPass
from kairflow.core.scheduling import whole_seconds
from kairflow.core.task_context import template_context
from kairflow.core.templating import (
    RenderedTask,
    TemplateError,
    build_context,
    render,
    render_task,
)
from kairflow.core.templating.names import Namespace
from kairflow.core.times import iso

__all__ = ["CallbackPodError", "callback_pod", "summary"]


class CallbackPodError(Exception):
    """The callback cannot get a pod: a template error, a payload that is not JSON."""


@dataclass(frozen=True)
class Identity:
    """Which callback a pod runs."""

    pod: str
    transition: Transition
    spec: CallbackSpec
    occurrence: int


@lru_cache(maxsize=1)
def notifier_source() -> str:
    return Path(notify.__file__).read_text(encoding="utf-8")


def summary(state: RunPass, change: Transition) -> str:
    """One line saying what happened: the default text of a webhook."""
    run = state.run
    where = f"DAG {run.dag_name}, run {run.run_id}"
    why = f": {change.message}" if change.message else ""
    if change.kind == CallbackKind.DEADLINE:
        return f"DAG {run.dag_name}: run {run.run_id} {change.message or 'missed a deadline'}"
    if change.key is None:
        verb = "succeeded" if change.kind == CallbackKind.ON_SUCCESS else "failed"
        return f"DAG {run.dag_name}: run {run.run_id} {verb}" + (
            why if change.kind == CallbackKind.ON_FAILURE else ""
        )
    task = f"Task {change.key}"
    if change.kind == CallbackKind.ON_EXECUTE:
        return f"{task} started try {change.try_number} ({where})"
    if change.kind == CallbackKind.ON_SUCCESS:
        return f"{task} succeeded ({where})"
    if change.kind == CallbackKind.ON_RETRY:
        return f"{task} try {change.try_number} failed, it will be retried ({where}){why}"
    return f"{task} failed on try {change.try_number} ({where}){why}"


def _subject(state: RunPass, change: Transition) -> str:
    """The task instance whose context a callback gets: its own, or for a DAG's
    callback (as Airflow's last task instance) the first failed one, else the last."""
    if change.key is not None:
        return change.key
    tis = state.status.task_instances
    failed = [k for k, ti in tis.items() if ti.state.value in ("failed", "upstream_failed")]
    return failed[0] if failed else list(tis)[-1]


def _template_variables(state: RunPass, change: Transition) -> dict[str, Any]:
    """The task's template context (`core.templating`), plus what a callback is about:
    `exception` (the failure message, Airflow's), `reason` (a DAG callback's: the
    run's message) and `callback` (kind, state, message, summary)."""
    subject = _subject(state, change)
    base = template_context(state, subject)
    if change.key is not None:
        base = replace(base, try_number=change.try_number, task_state=change.state)
    else:
        base = replace(base, task_state=state.status.task_instances[subject].state.value)
    context = build_context(base)
    failure = change.kind in (CallbackKind.ON_FAILURE, CallbackKind.ON_RETRY)
    context["exception"] = change.message if failure else None
    context["reason"] = change.message if change.key is None else None
    context["callback"] = Namespace(
        "callback",
        kind=change.kind.airflow_name,
        task=change.key,
        state=change.state,
        message=change.message,
        summary=summary(state, change),
    )
    return context


def _kube_env_value(text: str) -> str:
    """`text` safe from the kubelet's `$(VAR)` expansion (`$$` stands for `$`)."""
    return text.replace("$", "$$") if "$(" in text or "$$" in text else text


def _context_env(state: RunPass, change: Transition) -> list[dict[str, Any]]:
    run = state.run
    logical = iso(run.logical_date)
    env = [
        {"name": "KAIRFLOW_DAG", "value": run.dag_name},
        {"name": "KAIRFLOW_DAG_RUN", "value": run.name},
        {"name": "KAIRFLOW_RUN_ID", "value": run.run_id},
        {"name": "KAIRFLOW_LOGICAL_DATE", "value": logical},
        {"name": "KAIRFLOW_CALLBACK", "value": change.kind.airflow_name},
        {"name": "KAIRFLOW_STATE", "value": change.state},
        {"name": "KAIRFLOW_MESSAGE", "value": _kube_env_value(change.message or "")},
        {"name": "AIRFLOW_CTX_DAG_ID", "value": run.dag_name},
        {"name": "AIRFLOW_CTX_DAG_RUN_ID", "value": run.run_id},
        {"name": "AIRFLOW_CTX_EXECUTION_DATE", "value": logical},
    ]
    if change.key is not None:
        ti = state.status.task_instances[change.key]
        task = state.task_of(change.key)
        env += [
            {"name": "KAIRFLOW_TASK", "value": task},
            {"name": "KAIRFLOW_TRY_NUMBER", "value": str(change.try_number)},
            {"name": "AIRFLOW_CTX_TASK_ID", "value": task},
            {"name": "AIRFLOW_CTX_TRY_NUMBER", "value": str(change.try_number)},
        ]
        if ti.map_index is not None:
            env.append({"name": "KAIRFLOW_MAP_INDEX", "value": str(ti.map_index)})
    return env


def _payload(hook: WebhookSpec, variables: dict[str, Any], state: RunPass) -> bytes:
    budget = state.settings.render_budget
    if hook.body is not None:
        text = render(hook.body, variables, "webhook.body", budget)
        try:
            json.loads(text)
        except ValueError as exc:
            raise CallbackPodError(f"webhook.body did not render to JSON: {exc}") from None
        return text.encode("utf-8")
    message = (
        variables["callback"].summary
        if hook.text is None
        else render(hook.text, variables, "webhook.text", budget)
    )
    return json.dumps({"text": message}).encode("utf-8")


def _webhook_env(hook: WebhookSpec, payload: bytes) -> list[EnvVar]:
    url = (
        EnvVar(name="KAIRFLOW_WEBHOOK_URL", value=hook.url)
        if hook.url is not None
        else EnvVar(
            name="KAIRFLOW_WEBHOOK_URL",
            value_from={"secretKeyRef": hook.url_from.model_dump()} if hook.url_from else None,
        )
    )
    return [
        url,
        EnvVar(name="KAIRFLOW_WEBHOOK_PAYLOAD", value=base64.b64encode(payload).decode("ascii")),
        EnvVar(name="KAIRFLOW_WEBHOOK_RETRIES", value=str(hook.retries)),
    ]


def _as_task(spec: CallbackSpec) -> TaskSpec:
    """The callback as a task, for the pod builder (no XCom: nobody reads one)."""
    return TaskSpec(
        name="callback",
        bash=spec.bash,
        python=spec.python,
        command=spec.command,
        args=spec.args,
        image=spec.image,
        env=spec.env,
        env_from=spec.env_from,
        pod_template=spec.pod_template,
        do_xcom_push=False,
    )


def _process(
    state: RunPass, spec: CallbackSpec, variables: dict[str, Any]
) -> tuple[TaskSpec, RenderedTask]:
    hook = spec.webhook
    if hook is None:
        task = _as_task(spec)
        return task, render_task(task, variables, budget=state.settings.render_budget)
    headers = [{"secretRef": {"name": hook.headers_from}, "prefix": notify.HEADER_PREFIX}]
    webhook_env = _webhook_env(hook, _payload(hook, variables, state))
    own = render_task(
        TaskSpec(name="callback", env=spec.env), variables, state.settings.render_budget
    )
    task = _as_task(spec).model_copy(
        update={
            "python": notifier_source(),
            "env": [*(own.env or []), *webhook_env],
            "env_from": [*(spec.env_from or []), *(headers if hook.headers_from else [])],
        }
    )
    # The payload is rendered already; the notifier's source is no template.
    return task, RenderedTask(python=task.python, env=task.env)


def callback_pod(state: RunPass, who: Identity) -> dict[str, Any]:
    """The pod manifest of one callback. Raises CallbackPodError when it cannot have
    one (its templates fail, its payload is no JSON, its podTemplate cannot merge)."""
    change = who.transition
    try:
        variables = _template_variables(state, change)
        task, rendered = _process(state, who.spec, variables)
        command, args = task_process(task, rendered)
    except TemplateError as exc:
        raise CallbackPodError(f"template error: {exc}") from None
    run = state.run
    labels = {
        keys.MANAGED_BY: "kairflow",
        keys.DAG: label_value(run.dag_name),
        keys.DAG_RUN: label_value(run.name),
        keys.CALLBACK: change.kind.value,
    }
    annotations = {
        keys.DAG: run.dag_name,
        keys.DAG_RUN: run.name,
        keys.RUN_ID: run.run_id,
        keys.CALLBACK: change.kind.value,
        keys.CALLBACK_FOR: change.key or "",
        keys.TRY_NUMBER: str(who.occurrence),
        keys.DEFAULT_CONTAINER: "base",
    }
    try:
        return container_pod(
            task=task,
            rendered=rendered,
            command=command,
            args=args,
            metadata={
                "name": who.pod,
                "namespace": run.namespace,
                "labels": labels,
                "annotations": annotations,
            },
            owner=(run.name, run.uid),
            ours_env=_context_env(state, change),
            default_image=state.settings.default_image,
            execution_timeout_seconds=whole_seconds(who.spec.execution_timeout),
        )
    except ValueError as exc:
        raise CallbackPodError(f"invalid pod: {exc}") from None
