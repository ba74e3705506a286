"""The page's shared formatting (static/js/lib.js), run in Node."""

from __future__ import annotations

import json

import pytest

from tests.unit.ui.node_js import module, needs_node, run_js

pytestmark = needs_node


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(0.34, "0.3s", id="an echo that took a third of a second is not 0s"),
        pytest.param(0, "0.0s", id="nothing at all"),
        pytest.param(4.25, "4.3s", id="a few seconds with tenths"),
        pytest.param(12.4, "12s", id="from ten seconds whole seconds"),
        pytest.param(75, "1m15s", id="minutes and seconds"),
        pytest.param(3 * 3600 + 5 * 60, "3h05m", id="hours and minutes"),
        pytest.param(50 * 3600, "2d02h", id="days and hours past two days"),
        pytest.param(None, "", id="no duration shows nothing"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float | None, shown: str) -> None:
    script = (
        f"import {{ duration }} from {module('lib.js')};\n"
        f"process.stdout.write(JSON.stringify(duration({json.dumps(seconds)})));\n"
    )
    assert run_js(script) == shown
