"""The frame a big XCom travels in at the end of a task's log, and reading it back.

The wrapper (`core.xcom_spill`) prints, after the task's own output::

    (a newline)
    kairflow xcom: 214873 bytes of JSON, sha256 9f2c..., gzip+base64 on the next 13 lines
    H4sIAAAAAAAA...        (base64 of the gzip, LINE_WIDTH characters a line)
    ...

and writes `{"kairflow.io/xcom": {"size": 214873, "sha256": "9f2c...", "lines": 14}}`
to the termination message, so the operator asks the log for exactly its last 14
lines. Lines stay well under the container runtime's 16 KiB split of long lines.
Reading back checks the size and the SHA-256: a log cut by rotation, or a line some
other process wrote after the frame, fails the try with a message, never a wrong value.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from typing import Any

from kairflow.core.xcom import POINTER_KEY, Spilled, XComError, size_text

LINE_WIDTH = 4000
HEADER = "kairflow xcom: "


def frame(value_json: bytes) -> tuple[str, str]:
    """(termination message, log text) for a value's JSON: what the wrapper writes."""
    digest = hashlib.sha256(value_json).hexdigest()
    packed = base64.b64encode(gzip.compress(value_json, mtime=0)).decode()
    body = [packed[i : i + LINE_WIDTH] for i in range(0, len(packed), LINE_WIDTH)] or [""]
    header = (
        f"{HEADER}{len(value_json)} bytes of JSON, sha256 {digest}, "
        f"gzip+base64 on the next {len(body)} lines"
    )
    pointer = {POINTER_KEY: {"size": len(value_json), "sha256": digest, "lines": len(body) + 1}}
    return json.dumps(pointer), "\n" + "\n".join([header, *body]) + "\n"


def log_limit(spilled: Spilled) -> int:
    """Bytes enough for the frame's lines (a guard on the log read, with room)."""
    return spilled.lines * (LINE_WIDTH + 1) + 4096


def unframe(tail: str, spilled: Spilled) -> tuple[bytes, bytes]:
    """(gzip, JSON) of the value whose frame ends `tail` (the log's last lines),
    checked against the pointer; XComError says what is wrong."""
    lines = tail.rstrip("\n").split("\n")[-spilled.lines :]
    if len(lines) < spilled.lines or not lines[0].startswith(HEADER):
        raise XComError(
            f"the XCom ({size_text(spilled.size)}) is not at the end of the task's log: "
            "was the log rotated, or did a background process write after the task?"
        )
    if spilled.sha256 not in lines[0]:
        raise XComError("the XCom at the end of the task's log is not the one it pointed to")
    try:
        packed = base64.b64decode("".join(line.strip() for line in lines[1:]), validate=True)
        # Bounded: never inflate more than the pointer promised (a gzip bomb stops here).
        inflater = zlib.decompressobj(wbits=31)
        value = inflater.decompress(packed, spilled.size + 1)
    except (binascii.Error, zlib.error) as exc:
        raise XComError(f"the XCom in the task's log is damaged: {exc}") from None
    if len(value) != spilled.size or hashlib.sha256(value).hexdigest() != spilled.sha256:
        raise XComError(
            f"the XCom in the task's log does not match its checksum "
            f"({len(value)} bytes read, {spilled.size} expected)"
        )
    return packed, value


def load_json(value: bytes) -> Any:
    try:
        return json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        snippet = value[:60].decode(errors="replace")
        raise XComError(f"XCom is not valid JSON ({exc}): {snippet!r}") from None


def inflate(packed: bytes, size: int) -> bytes:
    """A stored XCom's JSON from its gzip (as kept in its ConfigMap), never more than
    `size` + 1 bytes of it."""
    try:
        return zlib.decompressobj(wbits=31).decompress(packed, size + 1)
    except zlib.error as exc:
        raise XComError(f"the stored XCom is damaged: {exc}") from None


STORED_KEY = "value.json.gz"
"""The key of a big XCom's ConfigMap (binaryData): the gzip of its JSON."""


def stored_value(binary_data: Mapping[str, str] | None, size: int, sha256: str) -> Any:
    """The value a ConfigMap's binaryData holds, checked against its reference."""
    try:
        packed = base64.b64decode((binary_data or {})[STORED_KEY], validate=True)
    except (KeyError, binascii.Error):
        raise XComError("the ConfigMap holds no XCom") from None
    raw = inflate(packed, size)
    if len(raw) != size or hashlib.sha256(raw).hexdigest() != sha256:
        raise XComError("the ConfigMap's XCom does not match its checksum")
    return load_json(raw)
