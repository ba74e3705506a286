"""Callbacks and notifiers for `on_failure_callback=` and friends.

A Kairflow callback runs as a pod, not as a Python function in the scheduler, so
what a DAG passes is a description of that pod: `Callback(bash=...)` (or `python=`,
`command=`), or a notifier: `WebhookNotifier(url=...)`, `SlackWebhookNotifier(...)`
(Airflow's, from `airflow.providers.slack.notifications.slack_webhook` too). A plain
Python function cannot become a pod: it is left out with a warning saying what to use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.values import duration, kubernetes_name

TASK_CALLBACKS = {
    "on_execute_callback": "on_execute",
    "on_success_callback": "on_success",
    "on_failure_callback": "on_failure",
    "on_retry_callback": "on_retry",
}
"""Airflow's BaseOperator argument -> the TaskSettings field."""

DAG_CALLBACKS = {"on_success_callback": "on_success", "on_failure_callback": "on_failure"}


@dataclass
class Callback:
    """A callback pod, shaped like a task: exactly one of `bash`, `python`, `command`.
    It gets the context as environment (KAIRFLOW_TASK, KAIRFLOW_TRY_NUMBER,
    KAIRFLOW_MESSAGE...) and as templates (`{{ ti.task_id }}`, `{{ exception }}`)."""

    bash: str | None = None
    python: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    image: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    env_from: list[dict[str, Any]] | None = None
    pod_template: dict[str, Any] | None = None
    execution_timeout: timedelta | None = None
    name: str | None = None

    def spec(self) -> dict[str, Any]:
        """The CallbackSpec fields (snake_case, validated with the DAG)."""
        fields: dict[str, Any] = {
            "name": self.name,
            "bash": self.bash,
            "python": self.python,
            "command": self.command,
            "args": self.args,
            "image": self.image,
            "env": [{"name": k, "value": v} for k, v in self.env.items()] or None,
            "env_from": self.env_from,
            "pod_template": self.pod_template,
            "execution_timeout": duration(self.execution_timeout, "execution_timeout"),
        }
        return {k: v for k, v in fields.items() if v is not None}


@dataclass
class WebhookNotifier(Callback):
    """An HTTP POST of a JSON payload, sent by a pod: `{"text": <text>}` (Slack's
    shape; default: one line saying what happened) or the whole `body` template.
    `url_secret=(secret, key)` reads the URL from a Secret; `headers_secret` names a
    Secret whose keys are headers."""

    url: str | None = None
    url_secret: tuple[str, str] | None = None
    headers_secret: str | None = None
    text: str | None = None
    body: str | None = None
    retries: int = 3

    def spec(self) -> dict[str, Any]:
        hook: dict[str, Any] = {
            "url": self.url,
            "url_from": (
                {"name": self.url_secret[0], "key": self.url_secret[1]} if self.url_secret else None
            ),
            "headers_from": self.headers_secret,
            "text": self.text,
            "body": self.body,
            "retries": self.retries,
        }
        fields = {k: v for k, v in super().spec().items() if k in ("name", "image", "env")}
        return {**fields, "webhook": {k: v for k, v in hook.items() if v is not None}}


class SlackWebhookNotifier(WebhookNotifier):
    """Airflow's SlackWebhookNotifier: the connection `slack_webhook_conn_id` is a
    Secret of the same name (as a Kubernetes name: `slack_default` -> `slack-default`)
    whose key `url` holds the webhook URL. `text` is templated; `blocks` and
    `attachments` are not supported (give a whole `body` to WebhookNotifier)."""

    def __init__(
        self,
        *,
        slack_webhook_conn_id: str = "slack_default",
        text: str = "",
        blocks: Any = None,
        attachments: Any = None,
        **ignored: Any,
    ) -> None:
        if blocks or attachments:
            raise SdkError(
                "SlackWebhookNotifier: blocks and attachments are not supported; use "
                "kairflow.sdk.WebhookNotifier(body=...) with the whole JSON payload"
            )
        secret = kubernetes_name(slack_webhook_conn_id)
        super().__init__(url_secret=(secret, "url"), text=text or None, name="slack")


def convert(value: Any, what: str) -> tuple[list[dict[str, Any]], str | None]:
    """(CallbackSpec fields of each callback in `value`, a warning about what is left
    out). `value` is one callback or a list of them, as Airflow takes."""
    items: Sequence[Any] = value if isinstance(value, list | tuple) else [value]
    specs = [item.spec() for item in items if isinstance(item, Callback)]
    functions = [item for item in items if not isinstance(item, Callback)]
    if not functions:
        return specs, None
    names = ", ".join(getattr(f, "__name__", type(f).__name__) for f in functions)
    return specs, (
        f"{what}: {names} cannot run as a callback (callbacks are pods, not Python "
        "functions), ignored; use kairflow.sdk.Callback(python=...) or a notifier such as "
        "SlackWebhookNotifier"
    )
