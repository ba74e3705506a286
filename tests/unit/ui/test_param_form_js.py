"""The trigger form's pure rules (static/js/views/param_form.js), run in Node: fields
typed by the params' defaults, each field read back or refused next to it, and the
conf checked the way the server checks it (`core.params.conf_problems`), so a form
that passes in the browser is not refused with 422."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.params import conf_problems

MODULE = Path(__file__).resolve().parents[3] / "operator/kairflow/ui/static/js/views/param_form.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the page's module")

PARAMS = {"fruit": "apple", "count": 3, "ripe": True, "sizes": [1, 2], "extra": {}, "any": None}


def js(expression: str) -> Any:
    """`expression`'s value (JSON) with the module's exports in scope."""
    script = (
        f"import * as m from {json.dumps(MODULE.as_uri())};\n"
        f"const fields = m.fieldsFromParams({json.dumps(PARAMS)});\n"
        f"process.stdout.write(JSON.stringify({expression}));\n"
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(done.stdout)


def test_each_param_gets_the_input_its_default_calls_for() -> None:
    assert js("fields.map((f) => [f.name, f.kind])") == [
        ["fruit", "string"],
        ["count", "number"],
        ["ripe", "boolean"],
        ["sizes", "json"],
        ["extra", "json"],
        ["any", "json"],
    ]


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        pytest.param("count", "12.5", {"value": 12.5}, id="a number field reads a number"),
        pytest.param("count", "twelve", {"error": "Enter a number."}, id="words are no number"),
        pytest.param("count", "", {"error": "Enter a number."}, id="an empty number is no number"),
        pytest.param("fruit", "", {"value": ""}, id="an empty string is a string"),
        pytest.param("sizes", "[3]", {"value": [3]}, id="an array field reads a JSON array"),
        pytest.param(
            "sizes",
            '{"a": 1}',
            {"error": "Must be a JSON array, like the param's default."},
            id="an array field refuses an object",
        ),
        pytest.param("any", '"x"', {"value": "x"}, id="a null default takes any JSON"),
    ],
)
def test_a_field_reads_back_or_says_why_not(field: str, text: str, expected: Any) -> None:
    got = js(f"m.readField(fields.find((f) => f.name === {json.dumps(field)}), {json.dumps(text)})")
    assert got == expected


def test_a_json_field_that_does_not_parse_says_so() -> None:
    got = js("m.readField(fields[3], '[1,')")
    assert got["error"].startswith("Not valid JSON")


@pytest.mark.parametrize(
    ("conf", "problems"),
    [
        pytest.param(PARAMS, set(), id="the defaults pass"),
        pytest.param({"count": "3"}, {"count"}, id="a string where a number was is refused"),
        pytest.param({"ripe": 1, "new": [1]}, {"ripe"}, id="keys that are not params are allowed"),
        pytest.param({"any": {"x": 1}}, set(), id="a null default accepts anything"),
    ],
)
def test_the_raw_conf_is_checked_as_the_server_checks_it(
    conf: dict[str, Any], problems: set[str]
) -> None:
    texts = js("m.textsFromConf(fields, m.defaultConf(fields))")
    got = js(f"m.confProblems(fields, {json.dumps(texts)}, {json.dumps(json.dumps(conf))})")
    assert set(got) == problems
    assert bool(conf_problems(PARAMS, conf)) == bool(problems)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("[1]", "The configuration must be a JSON object.", id="a list is no conf"),
        pytest.param("{", "Not valid JSON", id="broken JSON is named"),
    ],
)
def test_the_raw_editor_must_hold_a_json_object(text: str, problem: str) -> None:
    texts = js("m.textsFromConf(fields, m.defaultConf(fields))")
    got = js(f"m.confProblems(fields, {json.dumps(texts)}, {json.dumps(text)})")
    assert got["$conf"].startswith(problem)
