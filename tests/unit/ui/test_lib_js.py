"""The page's shared formatting (static/js/lib.js), run in Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[3] / "operator/kairflow/ui/static/js/lib.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the page's module")


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
    assert NODE is not None
    script = (
        f"import {{ duration }} from {json.dumps(LIB.as_uri())};\n"
        f"process.stdout.write(JSON.stringify(duration({json.dumps(seconds)})));\n"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert json.loads(done.stdout) == shown
