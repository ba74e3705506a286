"""Callbacks and notifications (Airflow's on_*_callback and notifiers), run as pods.

A callback is shaped like a task (`bash`, `python`, or `command` + `args` with an
`image`, `env`...), or is a `webhook`: an HTTP POST of a JSON payload sent by a small
pod (Slack-compatible `{"text": ...}` by default). Tasks take `onExecute`,
`onSuccess`, `onFailure` and `onRetry` (also from `defaults` and group defaults, like
Airflow's default_args); a DAG takes `onSuccess` and `onFailure`. Each is a list: every
callback in it runs. A callback never changes the run's outcome; its own state, pod
and message are in the run's status (`callbacks`).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from kairflow.api.common import DagRunState, StatusModel, WireModel
from kairflow.api.env import FREE_FORM, EnvVar
from kairflow.api.types import PositiveDuration

CALLBACK_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"


class CallbackKind(StrEnum):
    """When a callback runs (Airflow's on_execute/success/failure/retry_callback)."""

    ON_EXECUTE = "onExecute"
    ON_SUCCESS = "onSuccess"
    ON_FAILURE = "onFailure"
    ON_RETRY = "onRetry"
    DEADLINE = "deadline"
    """A deadline alert's callback (see `kairflow.api.deadlines`)."""

    @property
    def airflow_name(self) -> str:
        """on_failure_callback's spelling without `_callback`: `on_failure`."""
        return {
            CallbackKind.ON_EXECUTE: "on_execute",
            CallbackKind.ON_SUCCESS: "on_success",
            CallbackKind.ON_FAILURE: "on_failure",
            CallbackKind.ON_RETRY: "on_retry",
            CallbackKind.DEADLINE: "deadline",
        }[self]


CallbackState = DagRunState
"""A callback's states are a run's: queued, running, success, failed."""


class SecretKeyRef(WireModel):
    """One key of a Secret in the run's namespace."""

    name: str = Field(description="Secret name.")
    key: str = Field(description="Key in the Secret.")


class WebhookSpec(WireModel):
    """An HTTP POST of a JSON payload, sent by a pod (Airflow's SlackWebhookNotifier
    and friends). Exactly one of `url` / `urlFrom`; at most one of `text` / `body`."""

    url: str | None = Field(default=None, description="Where to POST.")
    url_from: SecretKeyRef | None = Field(
        default=None, description="The URL from a Secret key (a Slack webhook URL is a secret)."
    )
    headers_from: str | None = Field(
        default=None,
        description="A Secret whose keys are header names and values header values "
        "(e.g. Authorization).",
    )
    text: str | None = Field(
        default=None,
        description='Jinja template of the message; the payload is {"text": <it>} '
        "(Slack-compatible). Default: a one-line summary of what happened.",
    )
    body: str | None = Field(
        default=None,
        description="Jinja template of the whole JSON payload (must render to JSON), "
        "instead of `text`.",
    )
    retries: int = Field(
        default=3, ge=0, le=10, description="Retries on HTTP 5xx, 429 and network errors."
    )

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSpec:
        if (self.url is None) == (self.url_from is None):
            raise ValueError("webhook: set exactly one of url / urlFrom")
        if self.text is not None and self.body is not None:
            raise ValueError("webhook: set at most one of text / body")
        return self


class CallbackSpec(WireModel):
    """One callback: a pod like a task's (`bash`, `python`, `command`), or a `webhook`.
    It receives the context as environment (KAIRFLOW_DAG, KAIRFLOW_RUN_ID,
    KAIRFLOW_TASK, KAIRFLOW_TRY_NUMBER, KAIRFLOW_CALLBACK, KAIRFLOW_STATE,
    KAIRFLOW_MESSAGE...) and in its templates (`ti`, `dag_run`, `exception`, ...)."""

    name: str | None = Field(
        default=None, pattern=CALLBACK_NAME_PATTERN, description="Shown in status and the UI."
    )
    bash: str | None = Field(default=None, description="Run with `bash -c` (templated).")
    python: str | None = Field(default=None, description="Run with `python -c` (templated).")
    command: list[str] | None = Field(default=None, description="Container command (templated).")
    args: list[str] | None = Field(default=None, description="Container args (templated).")
    image: str | None = Field(default=None, description="Image (default: the task image).")
    env: list[EnvVar] | None = Field(default=None, description="More environment (templated).")
    env_from: list[dict[str, Any]] | None = Field(
        default=None,
        description="Kubernetes EnvFromSource list (configMapRef / secretRef).",
        json_schema_extra={"items": FREE_FORM},
    )
    pod_template: dict[str, Any] | None = Field(
        default=None,
        description="A partial Pod manifest merged into the callback's pod, as a task's.",
        json_schema_extra=FREE_FORM,
    )
    execution_timeout: PositiveDuration = Field(
        default=timedelta(minutes=10),
        description="Stop a callback that runs longer (default 10m).",
    )
    webhook: WebhookSpec | None = Field(default=None, description="An HTTP notification.")

    @model_validator(mode="after")
    def _one_kind(self) -> CallbackSpec:
        kinds = [k for k in ("bash", "python", "command", "webhook") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(
                "a callback needs exactly one of bash / python / command / webhook"
                + (f", not {' and '.join(kinds)}" if kinds else "")
            )
        return self

    @property
    def label(self) -> str:
        """What to call it: its name, else its kind."""
        if self.name:
            return self.name
        return next(k for k in ("webhook", "bash", "python", "command") if getattr(self, k))


class CallbackStatus(StatusModel):
    """One callback that became due: for which task instance (none: the DAG), which
    kind, for which try (a DAG callback: the n-th time the run ended so), its pod."""

    task: str | None = Field(default=None, description="Task instance key; unset: the DAG's.")
    kind: CallbackKind = Field(description="onExecute, onSuccess, onFailure or onRetry.")
    try_number: int = Field(
        default=1, description="The task's try it is about (a DAG callback: its occurrence)."
    )
    index: int = Field(default=0, description="Which callback of the list (or which deadline).")
    name: str | None = Field(default=None, description="The callback's name or kind.")
    state: CallbackState = CallbackState.QUEUED
    pod: str | None = Field(default=None, description="Its pod (`kubectl logs` shows its log).")
    message: str | None = Field(default=None, description="Why it failed, or what it is about.")
    exit_code: int | None = None
    queued_at: str | None = None
    start_date: str | None = None
    end_date: str | None = None

    def same_as(self, other: CallbackStatus) -> bool:
        return (self.task, self.kind, self.try_number, self.index) == (
            other.task,
            other.kind,
            other.try_number,
            other.index,
        )
