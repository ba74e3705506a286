"""Reading a task's XCom: small values from the termination message, big ones from a
pointer to a frame at the end of the log, with sizes and limits in the user's words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairflow.core.xcom import (
    MAX_STORED_XCOM_BYTES,
    Spilled,
    XComError,
    parse_xcom,
    size_text,
)
from kairflow.core.xcom_frame import frame, load_json, unframe

ITEMS = [{"id": i, "name": f"item-{i:05d}"} for i in range(3000)]
RAW = json.dumps(ITEMS).encode()
POINTER, LOG = frame(RAW)
SPILLED = parse_xcom(POINTER)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        pytest.param(812, "812 bytes", id="under a KiB in bytes"),
        pytest.param(4096, "4 KiB", id="whole KiB without decimals"),
        pytest.param(214_873, "209.8 KiB", id="KiB with one decimal"),
        pytest.param(MAX_STORED_XCOM_BYTES, "1 MiB", id="the limit reads 1 MiB"),
        pytest.param(2_411_724, "2.3 MiB", id="MiB with one decimal"),
    ],
)  # fmt: skip
def test_sizes_read_as_a_user_says_them(size: int, text: str) -> None:
    assert size_text(size) == text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(None, None, id="no termination message is no XCom"),
        pytest.param('{"rows": 3}', {"rows": 3}, id="a small value is the message itself"),
        pytest.param(
            '{"kairflow.io/xcom": {"size": 9000, "sha256": "ab", "lines": 3}}',
            Spilled(9000, "ab", 3),
            id="a pointer says the value is at the end of the log",
        ),
        pytest.param(
            '{"kairflow.io/xcom": {"size": 9000}, "other": 1}',
            {"kairflow.io/xcom": {"size": 9000}, "other": 1},
            id="a dict with more keys is a value, not a pointer",
        ),
    ],
)  # fmt: skip
def test_a_termination_message_is_a_value_or_a_pointer(message: str | None, expected: Any) -> None:
    assert parse_xcom(message) == expected


@pytest.mark.parametrize(
    ("message", "error"),
    [
        pytest.param(
            '{"kairflow.io/xcom": {"size": 2411724}}',
            "XCom is 2.3 MiB; the limit is 1 MiB",
            id="a value over 1 MiB fails naming its size and the limit",
        ),
        pytest.param(
            '"' + "a" * 4094 + "x",
            "XCom is over 4 KiB, the most a container's termination message holds",
            id="a command task's cut termination message says it is over 4 KiB",
        ),
        pytest.param(
            "not json", "XCom is not valid JSON", id="a small message that is not JSON says so"
        ),
        pytest.param(
            '{"kairflow.io/xcom": {"size": 9000}}',
            "XCom pointer is incomplete",
            id="a pointer without its checksum is refused",
        ),
    ],
)  # fmt: skip
def test_unusable_termination_messages_fail_with_their_reason(message: str, error: str) -> None:
    with pytest.raises(XComError, match=error.replace("(", r"\(")):
        parse_xcom(message)


def test_a_frame_read_from_the_end_of_the_log_gives_the_value_back() -> None:
    assert isinstance(SPILLED, Spilled)
    task_output = "".join(f"log line {i}\n" for i in range(100))
    _, raw = unframe(task_output + LOG, SPILLED)
    assert load_json(raw) == ITEMS


@pytest.mark.parametrize(
    ("tail", "error"),
    [
        pytest.param(LOG[: len(LOG) // 2], "not at the end of the task's log", id="a cut log"),
        pytest.param(
            LOG + "a background process wrote this\n",
            "not at the end of the task's log",
            id="a line written after the frame",
        ),
        pytest.param(
            LOG.replace("H4sI", "H4sJ", 1), "damaged|does not match", id="damaged base64 data"
        ),
        pytest.param(
            LOG.replace(SPILLED.sha256 if isinstance(SPILLED, Spilled) else "", "0" * 64, 1),
            "not the one it pointed to",
            id="the frame of another value",
        ),
    ],
)  # fmt: skip
def test_a_frame_that_does_not_match_its_pointer_is_refused(tail: str, error: str) -> None:
    assert isinstance(SPILLED, Spilled)
    with pytest.raises(XComError, match=error):
        unframe(tail, SPILLED)
