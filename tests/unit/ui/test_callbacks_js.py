"""The task instance panel reads a task instance again while one of its callbacks is
still to finish (static/js/views/ti_panel.js), run in Node: a callback ends after its
task's state changed, so nothing in the stream tells the panel."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.ui import node_js
from tests.unit.ui.node_js import module, needs_node

pytestmark = needs_node


def pending(data: Any) -> Any:
    return node_js.run_js(
        f"import {{ callbacksPending }} from {module('views/ti_panel.js')};\n"
        f"process.stdout.write(JSON.stringify(callbacksPending({json.dumps(data)})));\n"
    )


@pytest.mark.parametrize(
    ("data", "reads_again"),
    [
        pytest.param({"callbacks": [{"state": "queued"}]}, True,
                     id="a queued callback is read again"),
        pytest.param({"callbacks": [{"state": "success"}, {"state": "running"}]}, True,
                     id="one running callback among finished ones is read again"),
        pytest.param({"callbacks": [{"state": "success"}, {"state": "failed"}]}, False,
                     id="finished callbacks are not"),
        pytest.param({"callbacks": []}, False, id="a task without callbacks is not"),
        pytest.param(None, False, id="nor details not read yet"),
    ],
)  # fmt: skip
def test_the_panel_reads_again_while_a_callback_is_to_finish(data: Any, reads_again: bool) -> None:
    assert pending(data) is reads_again
