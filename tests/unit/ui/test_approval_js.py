"""The task instance panel shows Approve / Reject only on an approval task waiting for
an answer (static/js/views/ti_panel.js), run in Node."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.ui import node_js
from tests.unit.ui.node_js import module, needs_node

pytestmark = needs_node


def waits(state: str, instance: Any) -> Any:
    return node_js.run_js(
        f"import {{ waitsForApproval }} from {module('views/ti_panel.js')};\n"
        f"import {{ STATE }} from {module('views/grid_model.js')};\n"
        f"const cell = []; cell[STATE] = {json.dumps(state)};\n"
        f"process.stdout.write(JSON.stringify(waitsForApproval(cell, {json.dumps(instance)})));\n"
    )


@pytest.mark.parametrize(
    ("state", "instance", "shown"),
    [
        pytest.param("deferred", {"message": "awaiting approval: ship?"}, True,
                     id="an approval waiting for an answer shows the buttons"),
        pytest.param("deferred", {"message": "waiting for a run of other"}, False,
                     id="a sensor waiting for another DAG does not"),
        pytest.param("success", {"message": "approved by alice"}, False,
                     id="an answered approval does not"),
        pytest.param("deferred", None, False, id="nor one whose details are not read yet"),
    ],
)  # fmt: skip
def test_the_buttons_show_on_a_waiting_approval(state: str, instance: Any, shown: bool) -> None:
    assert waits(state, instance) is shown
