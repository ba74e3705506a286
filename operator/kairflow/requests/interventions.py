"""Clear and mark requests as they are written: one merge patch of the run's
`spec.clear` or `spec.mark` (what `kubectl patch dagrun RUN --type=merge` does by
hand), by the CLI and by the web UI alike."""

from __future__ import annotations

from typing import Any

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import ClearRequest, MarkRequest
from kairflow.requests.errors import RequestError

MARK_STATES = (TaskInstanceState.SUCCESS.value, TaskInstanceState.FAILED.value)


def parse_mark_state(text: str) -> TaskInstanceState:
    """The state a mark request sets: success or failed (the operator refuses others)."""
    if text not in MARK_STATES:
        raise RequestError(f"the state to mark must be success or failed, not {text!r}")
    return TaskInstanceState(text)


def merge_patch(request: ClearRequest | MarkRequest) -> dict[str, Any]:
    """The patch that asks for `request`. The whole request object is written (every
    field, defaults included): a merge patch merges nested objects, so a field left
    out would keep the previous request's value."""
    field = "clear" if isinstance(request, ClearRequest) else "mark"
    return {"spec": {field: request.model_dump(by_alias=True, mode="json")}}
