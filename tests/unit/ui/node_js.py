"""Run the page's ES modules in Node: the pure parts of the front end, tested
without a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATIC_JS = Path(__file__).resolve().parents[3] / "operator/kairflow/ui/static/js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the page's modules")


def module(relative: str) -> str:
    """A module of static/js (`views/grid_model.js`) as an import specifier."""
    return json.dumps((STATIC_JS / relative).as_uri())


def run_js(script: str) -> Any:
    """Run `script` (an ES module body that writes JSON to stdout); its value."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(done.stdout)
