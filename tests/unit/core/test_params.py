"""A DAG's params (plain defaults, or Airflow's Param as a JSON schema) and the check of
a run's conf, merged over the defaults, against them."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.core.params import (
    conf_problems,
    is_param_form,
    param_defaults,
    params_problems,
)

PARAMS: dict[str, Any] = {
    "greeting": "hello",
    "rows": {"default": 3, "type": "integer", "minimum": 1, "maximum": 100},
    "env": {"default": "dev", "enum": ["dev", "prod"], "description": "Where to load"},
    "table": {"default": None, "type": "string", "pattern": "^[a-z_]+$"},
    "note": {"default": "", "type": "string", "minLength": 1},
    "day": {"default": None, "type": ["null", "string"], "format": "date"},
    "ids": {"default": [1], "type": "array", "items": {"type": "integer"}, "uniqueItems": True},
    "options": {"retries": 1},
    "anything": None,
}
REQUIRED = {"table": "sales", "note": "x"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            {"default": 3, "type": "integer"}, True, id="a default with schema words is a Param"
        ),
        pytest.param({"default": 3}, True, id="a lone default is a Param"),
        pytest.param(
            {"default": None, "values_display": {}}, True, id="Airflow's form words are Param words"
        ),
        pytest.param({"type": "integer"}, False, id="a schema without a default is a plain object"),
        pytest.param(
            {"default": 3, "owner": "me"}, False, id="one other key makes it a plain object"
        ),
        pytest.param("hello", False, id="a string is a plain default"),
    ],
)
def test_which_mappings_are_params(value: Any, expected: bool) -> None:
    assert is_param_form(value) is expected


def test_templates_read_the_defaults_of_both_forms() -> None:
    assert param_defaults({"a": "x", "b": {"default": 2, "type": "integer"}, "c": {"k": 1}}) == {
        "a": "x",
        "b": 2,
        "c": {"k": 1},
    }


def test_an_object_default_that_looks_like_a_param_is_written_inside_default() -> None:
    assert param_defaults({"c": {"default": {"default": 1}}}) == {"c": {"default": 1}}


@pytest.mark.parametrize(
    ("conf", "expected"),
    [
        pytest.param(REQUIRED, [], id="the defaults and the required values pass"),
        pytest.param(
            {**REQUIRED, "rows": 500},
            ["conf 'rows' must be <= 100, not 500 (param rows: maximum 100)"],
            id="a conf above the maximum is refused naming the param",
        ),
        pytest.param(
            {**REQUIRED, "rows": 0},
            ["conf 'rows' must be >= 1, not 0 (param rows: minimum 1)"],
            id="a conf below the minimum is refused",
        ),
        pytest.param(
            {**REQUIRED, "rows": 2.5},
            ["conf 'rows' must be an integer, not a number (param rows: type integer)"],
            id="a fraction is no integer",
        ),
        pytest.param(
            {**REQUIRED, "env": "qa"},
            ["conf 'env' must be one of 'dev', 'prod', not 'qa' (param env: enum)"],
            id="a value outside the enum is refused with the choices",
        ),
        pytest.param(
            {**REQUIRED, "greeting": 3},
            ["conf 'greeting' must be a string like the param's default, not a number"],
            id="a plain param keeps its default's type",
        ),
        pytest.param(
            {**REQUIRED, "options": []},
            ["conf 'options' must be an object like the param's default, not an array"],
            id="a plain object default wants an object",
        ),
        pytest.param(
            {"note": "x"},
            ["conf 'table' is required (param table has no default)"],
            id="a param with a null default must be given",
        ),
        pytest.param(
            {"table": "sales"},
            [
                "conf 'note' is required: the param's default '' must be at least 1 "
                "character long, not '' (param note: minLength 1)"
            ],
            id="a default that does not pass must be replaced by the conf",
        ),
        pytest.param(
            {**REQUIRED, "table": "Sales!"},
            ["conf 'table' must match '^[a-z_]+$', not 'Sales!' (param table: pattern)"],
            id="a pattern is checked",
        ),
        pytest.param(
            {**REQUIRED, "day": "tomorrow"},
            ["conf 'day' must be a date, not 'tomorrow' (param day: format date)"],
            id="a format is checked",
        ),
        pytest.param({**REQUIRED, "day": "2026-03-04"}, [], id="a date in its format passes"),
        pytest.param(
            {**REQUIRED, "ids": [1, "2"]},
            ["conf 'ids'[1] must be an integer, not a string (param ids: type integer)"],
            id="an item of an array is named by its index",
        ),
        pytest.param(
            {**REQUIRED, "ids": [1, 1]},
            ["conf 'ids' must have no item twice (param ids: uniqueItems)"],
            id="repeated items are refused",
        ),
        pytest.param(
            {**REQUIRED, "anything": {"x": 1}, "unknown": 5},
            [],
            id="a null plain default and keys that are no params take anything",
        ),
        pytest.param(
            {**REQUIRED, "rows": "many", "env": "qa"},
            [
                "conf 'rows' must be an integer, not a string (param rows: type integer)",
                "conf 'env' must be one of 'dev', 'prod', not 'qa' (param env: enum)",
            ],
            id="every param refused has its line",
        ),
    ],
)
def test_a_conf_merged_over_the_defaults_must_pass_every_param(
    conf: dict[str, Any], expected: list[str]
) -> None:
    assert conf_problems(PARAMS, conf) == expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("2026-03-04T05:06:07+00:00", True, id="an RFC 3339 date-time passes"),
        pytest.param("2026-03-04T05:06:07", True, id="a naive ISO date-time passes as in Airflow"),
        pytest.param("next tuesday", False, id="words are no date-time"),
    ],
)
def test_date_times_are_read_as_airflow_reads_them(value: str, ok: bool) -> None:
    params = {"when": {"default": None, "type": "string", "format": "date-time"}}
    assert (conf_problems(params, {"when": value}) == []) is ok


@pytest.mark.parametrize(
    ("params", "scheduled", "expected"),
    [
        pytest.param(PARAMS, False, [], id="a manual DAG may have params required at trigger"),
        pytest.param(
            {"rows": {"default": 500, "type": "integer", "maximum": 100}},
            True,
            [
                "param 'rows': the default must be <= 100, not 500 (maximum 100); a DAG with "
                "a schedule needs valid defaults (its scheduled runs have no conf)"
            ],
            id="a scheduled DAG whose default fails its schema is invalid",
        ),
        pytest.param(
            {"table": {"default": None, "type": "string"}},
            True,
            [
                "param 'table': the default must be a string, not null (type string); a DAG "
                "with a schedule needs valid defaults (its scheduled runs have no conf)"
            ],
            id="a scheduled DAG cannot have a required param",
        ),
        pytest.param(
            {"rows": {"default": 3, "type": "integr"}},
            False,
            [
                "param 'rows': invalid schema: type: 'integr' is not valid under any of the "
                "given schemas"
            ],
            id="a schema that is no JSON schema makes any DAG invalid",
        ),
        pytest.param(
            {"rows": {"default": 3, "minimum": "one"}},
            False,
            ["param 'rows': invalid schema: minimum: 'one' is not of type 'number'"],
            id="a bound that is no number is an invalid schema",
        ),
        pytest.param(
            {"a": 1, "b": {"default": 2, "type": "integer"}}, True, [], id="valid defaults pass"
        ),
    ],
)
def test_a_dags_params_are_checked_when_it_is_read(
    params: dict[str, Any], scheduled: bool, expected: list[str]
) -> None:
    assert params_problems(params, scheduled) == expected


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        pytest.param(
            {"$ref": "#/$defs/nope"},
            "param 'rows': invalid schema: PointerToNowhere: '/$defs/nope' does not exist",
            id="a reference to nowhere",
        ),
        pytest.param(
            {"$ref": "https://example.com/rows.json"},
            "param 'rows': invalid schema: Unresolvable: https://example.com/rows.json",
            id="a remote reference is never fetched",
        ),
        pytest.param(
            {"type": "string", "pattern": "a{99999999999}"},
            "param 'rows': invalid schema: the repetition number is too large",
            id="a pattern Python cannot run",
        ),
    ],
)
def test_a_schema_that_cannot_be_used_makes_the_dag_invalid_never_crashes(
    schema: dict[str, Any], problem: str
) -> None:
    params = {"rows": {"default": "x", **schema}}
    (found,) = params_problems(params, scheduled=False)
    assert found.startswith(problem)
    assert conf_problems(params, {"rows": "y"}) == []


def test_a_part_of_a_schema_the_default_does_not_reach_refuses_the_conf_never_crashes() -> None:
    params = {"n": {"default": 1, "anyOf": [{"type": "integer"}, {"$ref": "#/$defs/nope"}]}}
    assert params_problems(params, scheduled=True) == []
    (problem,) = conf_problems(params, {"n": "x"})
    assert problem.startswith("conf 'n' must pass its schema, which cannot be used:")


def test_a_run_of_a_dag_with_an_invalid_schema_is_left_to_the_dags_own_problem() -> None:
    assert conf_problems({"rows": {"default": 3, "type": "integr"}}, {"rows": 4}) == []


CATASTROPHIC = "^(a|aa)+$"  # with Python's `re`: minutes on 30 a's and a "!"


def test_a_pattern_that_backtracks_forever_makes_the_dag_invalid_instead_of_holding_it() -> None:
    params = {"code": {"default": "a" * 30 + "!", "type": "string", "pattern": CATASTROPHIC}}
    (problem,) = params_problems(params, scheduled=True)
    assert problem.startswith("param 'code': invalid schema: the pattern '^(a|aa)+$' took over")
    assert "simplify it" in problem


def test_a_conf_that_makes_a_pattern_backtrack_forever_is_refused_with_the_pattern_named() -> None:
    params = {"code": {"default": "aa", "type": "string", "pattern": CATASTROPHIC}}
    assert params_problems(params, scheduled=True) == []
    (problem,) = conf_problems(params, {"code": "a" * 30 + "!"})
    assert problem.startswith("conf 'code' must pass its schema, which cannot be used: the pattern")


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        pytest.param({"pattern": "^s3://"}, "s3://bucket", id="a matching pattern passes"),
        pytest.param({"pattern": "^s3://"}, "gs://bucket", id="a pattern that does not match"),
        pytest.param(
            {"type": "object", "patternProperties": {"^x_": {"type": "integer"}}},
            {"x_a": "one", "y": 2},
            id="a pattern property's value is checked",
        ),
        pytest.param(
            {"type": "object", "patternProperties": {"^x_": {}}, "additionalProperties": False},
            {"x_a": 1, "y": 2},
            id="keys that match no pattern are extra",
        ),
        pytest.param(
            {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
            {"a": 1, "b": 2, "c": 3},
            id="extra keys are listed",
        ),
        pytest.param(
            {"type": "object", "additionalProperties": {"type": "string"}},
            {"a": 1},
            id="extra keys follow the additional schema",
        ),
    ],
)
def test_bounded_patterns_judge_as_jsonschema_does(schema: dict[str, Any], value: Any) -> None:
    from jsonschema import Draft202012Validator

    from kairflow.core.bounded_patterns import BoundedValidator

    ours = [e.message for e in BoundedValidator(schema).iter_errors(value)]
    theirs = [e.message for e in Draft202012Validator(schema).iter_errors(value)]
    assert ours == theirs
