"""XCom: a task's JSON result, read from its container's termination message.

A task writes JSON to the file named by $KAIRFLOW_XCOM_FILE (the pod's
terminationMessagePath); Kubernetes keeps at most 4 KiB of it in the terminated
container's status, which is where the operator reads it from.

A bigger value (bash and python tasks, up to 1 MiB: see docs/xcom.md) leaves the pod
through its log: the task's wrapper (`core.xcom_spill`) prints it framed at the end
of the log and writes a small pointer to the termination message instead; the
operator reads the log's tail, checks the value against the pointer's SHA-256 and
keeps it in a ConfigMap owned by the run (`core.xcom_frame`, `controller.xcom_store`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_XCOM_BYTES = 4096
"""What a termination message holds (Kubernetes keeps its last 4 KiB)."""
MAX_STORED_XCOM_BYTES = 1024 * 1024
"""A big XCom's limit, as JSON: a ConfigMap's (1 MiB), whatever the compression."""
POINTER_KEY = "kairflow.io/xcom"
"""The termination message `{"kairflow.io/xcom": {...}}` points at a value in the log."""


class XComError(ValueError):
    """The task's output is not a valid XCom; the task fails with this message."""


@dataclass(frozen=True)
class Spilled:
    """A termination message that points at a value printed at the end of the log:
    `lines` lines (a header, then base64 of its gzip) whose JSON has `size` bytes."""

    size: int
    sha256: str
    lines: int


def size_text(size: int) -> str:
    """Bytes as a user reads them: 812 bytes, 4.0 KiB, 2.3 MiB."""
    if size < 1024:
        return f"{size} bytes"
    unit, scale = ("KiB", 1024) if size < 1024 * 1024 else ("MiB", 1024 * 1024)
    return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"


def too_big(size: int) -> str:
    return (
        f"XCom is {size_text(size)}; the limit is {size_text(MAX_STORED_XCOM_BYTES)} "
        "(see docs/xcom.md)"
    )


def parse_xcom(message: str | None) -> Any:
    """The XCom value of a termination message (a `Spilled` pointer when the value is
    in the log); None when the task wrote nothing."""
    if message is None or not message.strip():
        return None
    size = len(message.encode())
    if size > MAX_XCOM_BYTES:
        raise XComError(f"XCom is {size} bytes; the limit is {MAX_XCOM_BYTES} (4 KiB)")
    try:
        value = json.loads(message)
    except json.JSONDecodeError as exc:
        if size >= MAX_XCOM_BYTES:
            # The kubelet kept the last 4 KiB of a bigger file: a `command` task
            # (whose process the operator does not wrap) wrote more than it can carry.
            raise XComError(
                "XCom is over 4 KiB, the most a container's termination message holds "
                "(Kubernetes kept only its last 4 KiB); a bash or python task can push "
                f"up to {size_text(MAX_STORED_XCOM_BYTES)} (see docs/xcom.md)"
            ) from None
        snippet = message.strip()[:60]
        raise XComError(
            f"XCom is not valid JSON ({exc.msg} at char {exc.pos}): {snippet!r}"
        ) from None
    return _pointer(value)


def _pointer(value: Any) -> Any:
    if not (isinstance(value, dict) and len(value) == 1 and POINTER_KEY in value):
        return value
    fields = value[POINTER_KEY]
    size = fields.get("size") if isinstance(fields, dict) else None
    if not isinstance(size, int) or size < 0:
        raise XComError(f"XCom pointer without a size: {json.dumps(value)[:120]}")
    if size > MAX_STORED_XCOM_BYTES:
        raise XComError(too_big(size))
    if isinstance(fields.get("error"), str):
        raise XComError(f"XCom is {size_text(size)}; {fields['error']}")
    sha256, lines = fields.get("sha256"), fields.get("lines")
    if not isinstance(sha256, str) or not isinstance(lines, int) or lines < 1:
        raise XComError(f"XCom pointer is incomplete: {json.dumps(value)[:120]}")
    return Spilled(size=size, sha256=sha256, lines=lines)


def config_map_name(pod_name: str) -> str:
    """The ConfigMap of a try's big XCom: named after its pod (run, task, map index,
    try), so storing it twice finds the first one."""
    return f"{pod_name}-xcom"


def preview(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
