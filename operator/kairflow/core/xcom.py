"""XCom: a task's small JSON result, read from its container's termination message.

A task writes JSON to the file named by $KAIRFLOW_XCOM_FILE (the pod's
terminationMessagePath); Kubernetes keeps at most 4 KiB of it in the terminated
container's status, which is where the operator reads it from.
"""

from __future__ import annotations

import json
from typing import Any

MAX_XCOM_BYTES = 4096


class XComError(ValueError):
    """The task's output is not a valid XCom; the task fails with this message."""


def parse_xcom(message: str | None) -> Any:
    """The XCom value of a termination message; None when the task wrote nothing."""
    if message is None or not message.strip():
        return None
    size = len(message.encode())
    if size > MAX_XCOM_BYTES:
        raise XComError(f"XCom is {size} bytes; the limit is {MAX_XCOM_BYTES} (4 KiB)")
    try:
        return json.loads(message)
    except json.JSONDecodeError as exc:
        snippet = message.strip()[:60]
        raise XComError(
            f"XCom is not valid JSON ({exc.msg} at char {exc.pos}): {snippet!r}"
        ) from None
