"""The trigger form's pure rules (static/js/views/param_form.js), run in Node: fields
generated from the params' JSON schemas as the server reads them (`paramSpecs` of the
DAG summary), each field read back or refused next to it, and the conf checked the
way the server checks it (`core.params.conf_problems`, jsonschema) in the same words,
so a form that passes in the browser is not refused with 422 and one the server would
refuse says why before it is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairflow.core.params import conf_problems
from kairflow.ui.summaries import param_specs
from tests.unit.ui.node_js import module, needs_node, run_js

pytestmark = needs_node

PARAMS: dict[str, Any] = {
    "fruit": "apple",
    "count": 3,
    "ripe": True,
    "sizes": [1, 2],
    "extra": {},
    "any": None,
    "rows": {"default": 3, "type": "integer", "minimum": 1, "maximum": 100, "title": "Rows",
             "description": "Rows to load"},
    "env": {"default": "dev", "enum": ["dev", "prod"], "values_display": {"prod": "Production"}},
    "table": {"default": None, "type": "string", "pattern": "^[a-z_]+$"},
    "note": {"default": None, "type": ["null", "string"], "maxLength": 5},
    "ratio": {"default": 0.5, "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "day": {"default": "2026-03-04", "type": "string", "format": "date"},
    "ids": {"default": [1], "type": "array", "items": {"type": "integer"}, "uniqueItems": True,
            "minItems": 1},
    "step": {"default": 10, "type": "integer", "multipleOf": 5},
    "code": {"default": "ab", "type": "string", "minLength": 2, "const": "ab"},
}  # fmt: skip
SPECS = param_specs(PARAMS)
REQUIRED = {"table": "sales"}


def js(expression: str) -> Any:
    """`expression`'s value (JSON) with the module's exports in scope."""
    script = (
        f"import * as m from {module('views/param_form.js')};\n"
        f"const fields = m.fieldsFromParams({json.dumps(SPECS)});\n"
        "const field = (name) => fields.find((f) => f.name === name);\n"
        f"process.stdout.write(JSON.stringify({expression}));\n"
    )
    return run_js(script)


def test_each_param_gets_the_input_its_schema_calls_for() -> None:
    assert dict(js("fields.map((f) => [f.name, f.kind])")) == {
        "fruit": "string",
        "count": "number",
        "ripe": "boolean",
        "sizes": "json",
        "extra": "json",
        "any": "json",
        "rows": "number",
        "env": "select",
        "table": "string",
        "note": "string",
        "ratio": "number",
        "day": "string",
        "ids": "json",
        "step": "number",
        "code": "string",
    }


def test_a_number_field_has_its_bounds_and_a_hint_and_an_enum_its_labels() -> None:
    rows = js("field('rows')")
    assert (rows["min"], rows["max"], rows["step"]) == (1, 100, 1)
    assert (rows["title"], rows["description"], rows["required"]) == ("Rows", "Rows to load", False)
    assert js("field('ratio').step") == "any"
    assert js("field('env').options") == [
        {"value": "dev", "label": "dev"},
        {"value": "prod", "label": "Production"},
    ]


def test_a_label_says_what_values_a_field_takes() -> None:
    assert dict(js("fields.map((f) => [f.name, m.typeWords(f)])")) == {
        "fruit": "string",
        "count": "number",
        "ripe": "boolean",
        "sizes": "array",
        "extra": "object",
        "any": "any JSON",
        "rows": "integer, 1 to 100",
        "env": "one of the choices",
        "table": "string, required",
        "note": "string, optional",
        "ratio": "number, 0 to 1",
        "day": "date",
        "ids": "array",
        "step": "integer",
        "code": "string",
    }


def test_a_param_whose_default_does_not_pass_is_required() -> None:
    required = js("fields.filter((f) => f.required).map((f) => f.name)")
    assert required == ["table"]
    assert conf_problems(PARAMS, {}) == ["conf 'table' is required (param table has no default)"], (
        "the server agrees"
    )


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        pytest.param("count", "12.5", {"value": 12.5}, id="a number field reads a number"),
        pytest.param("count", "twelve", {"error": "Enter a number."}, id="words are no number"),
        pytest.param("count", "", {"error": "Enter a number."}, id="an empty number is no number"),
        pytest.param("fruit", "", {"value": ""}, id="an empty string is a string"),
        pytest.param("note", "", {"value": None}, id="an empty nullable string is null"),
        pytest.param("sizes", "[3]", {"value": [3]}, id="an array field reads a JSON array"),
        pytest.param("any", '"x"', {"value": "x"}, id="a null default takes any JSON"),
        pytest.param("env", "1", {"value": "prod"}, id="a select reads the chosen value"),
        pytest.param("env", "", {"error": "Choose a value."}, id="a select with no choice"),
    ],
)
def test_a_field_reads_back_or_says_why_not(field: str, text: str, expected: Any) -> None:
    assert js(f"m.readField(field({json.dumps(field)}), {json.dumps(text)})") == expected


def test_a_pattern_javascript_cannot_read_is_left_to_the_server() -> None:
    specs = json.dumps(param_specs({"code": {"default": "a", "pattern": "(?P<x>a)"}}))
    assert js(f"m.paramMessage(m.fieldsFromParams({specs})[0], {{code: 'b'}})") is None


def test_a_json_field_that_does_not_parse_says_so() -> None:
    assert js("m.readField(field('sizes'), '[1,')")["error"].startswith("Not valid JSON")


CONFS = [
    pytest.param(REQUIRED, id="the defaults and the required value pass"),
    pytest.param({}, id="a required param not given"),
    pytest.param({**REQUIRED, "count": "3"}, id="a string where a number was"),
    pytest.param({**REQUIRED, "ripe": 1, "new": [1]}, id="keys that are no params are allowed"),
    pytest.param({**REQUIRED, "any": {"x": 1}}, id="a null default accepts anything"),
    pytest.param({**REQUIRED, "rows": 500}, id="above the maximum"),
    pytest.param({**REQUIRED, "rows": 0}, id="below the minimum"),
    pytest.param({**REQUIRED, "rows": 2.5}, id="a fraction where an integer is asked"),
    pytest.param({**REQUIRED, "env": "qa"}, id="outside the enum"),
    pytest.param({**REQUIRED, "table": "Sales!"}, id="not matching the pattern"),
    pytest.param({**REQUIRED, "note": "too long"}, id="longer than maxLength"),
    pytest.param({**REQUIRED, "note": None}, id="null where null is allowed"),
    pytest.param({**REQUIRED, "ratio": 1}, id="at an exclusive maximum"),
    pytest.param({**REQUIRED, "ratio": 0.25}, id="inside exclusive bounds"),
    pytest.param({**REQUIRED, "day": "2026-02-30"}, id="a date that is none"),
    pytest.param({**REQUIRED, "day": "03/04/2026"}, id="a date in another format"),
    pytest.param({**REQUIRED, "ids": [1, 1]}, id="repeated items"),
    pytest.param({**REQUIRED, "ids": []}, id="fewer items than minItems"),
    pytest.param({**REQUIRED, "ids": [1, "2"]}, id="an item of the wrong type"),
    pytest.param({**REQUIRED, "step": 7}, id="not a multiple"),
    pytest.param({**REQUIRED, "code": "abc"}, id="not the const"),
    pytest.param({**REQUIRED, "rows": "many", "env": "qa"}, id="two params refused"),
]


@pytest.mark.parametrize("conf", CONFS)
def test_the_form_refuses_what_the_server_refuses_in_its_words(conf: dict[str, Any]) -> None:
    texts = js("m.textsFromConf(fields, m.defaultConf(fields))")
    got = js(f"m.confProblems(fields, {json.dumps(texts)}, {json.dumps(json.dumps(conf))})")
    assert sorted(got.values()) == sorted(conf_problems(PARAMS, conf))


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
