"""A task that cannot run on Kairflow, kept in the DAG so that its dependencies and the
rest of the DAG stay whole: it fails with the reason when it runs."""

from __future__ import annotations

import shlex
from typing import Any

from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.shipping.script import raw


class UnconvertibleTask(BaseOperator):
    """A placeholder for an operator Kairflow has no equivalent for (e.g. an Airflow
    provider's operator): `reason` is recorded as a warning and printed when it runs."""

    def __init__(self, *, reason: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reason = reason
        self.dag.warn(f"task {self.task_id!r} cannot run on Kairflow: {reason}", self.location)

    def spec_fields(self) -> dict[str, Any]:
        message = f"kairflow: task {self.task_id} cannot run: {self.reason}"
        return {"bash": raw(f"echo {shlex.quote(message)} >&2\nexit 1")}
