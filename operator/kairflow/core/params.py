"""A DAG's params and the check of a run's conf against them (Airflow's `Param`).

A param is written in one of two forms:

- plain: `greeting: hello`. The default's JSON type is the param's type (a null
  default takes anything), as Kairflow always read params.
- Airflow's Param: `rows: {default: 3, type: integer, maximum: 100, description: ...}`,
  a JSON schema (Draft 2020-12, checked with `jsonschema` and its format checker, as
  Airflow does) with its default.

A mapping is a Param when it has a `default` key and every key is a JSON-schema or
Airflow Param word (`PARAM_WORDS`); any other mapping is a plain object default. So
an object default that happens to look like a Param is written `{default: {...}}`.
The rule needs no marker in the manifest, reads as Airflow's `Param(...)` keywords,
and a mapping with one word outside the list (a real object default) stays plain.

What is checked, as in Airflow 2.10 (`DAG.validate_schedule_and_params`,
`DAG.create_dagrun`): the conf of each run, merged over the defaults, must pass
every param's schema; a DAG with a schedule must have defaults that pass (its
scheduled runs have no conf); a manual-only DAG may keep a default that does not
pass (`{default: null, type: string}`, `{default: "", minLength: 1}`): the param is
then required when a run is triggered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import regex
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from kairflow.core.bounded_patterns import BoundedValidator, PatternTooSlow
from kairflow.core.param_messages import Refusal, first_error, json_type, show

# JSON Schema 2020-12's keywords, and the ones Airflow's Param and trigger form add.
SCHEMA_WORDS = frozenset(
    {
        "$comment", "$defs", "$id", "$ref", "$schema", "additionalProperties", "allOf",
        "anyOf", "const", "contains", "contentEncoding", "contentMediaType", "default",
        "dependentRequired", "dependentSchemas", "deprecated", "description", "else", "enum",
        "examples", "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items",
        "maxContains", "maxItems", "maxLength", "maxProperties", "maximum", "minContains",
        "minItems", "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf",
        "pattern", "patternProperties", "prefixItems", "properties", "propertyNames",
        "readOnly", "required", "then", "title", "type", "unevaluatedItems",
        "unevaluatedProperties", "uniqueItems", "writeOnly",
    }
)  # fmt: skip
AIRFLOW_WORDS = frozenset({"description_md", "section", "values_display", "custom_html_form"})
PARAM_WORDS = SCHEMA_WORDS | AIRFLOW_WORDS


@dataclass(frozen=True)
class Param:
    """One param: its default and the JSON schema its values must pass."""

    default: Any
    schema: Mapping[str, Any]
    plain: bool
    """Written as a bare default: its only rule is the default's JSON type."""


def is_param_form(value: Any) -> bool:
    """Airflow's Param written as a mapping: a `default` and only Param words."""
    return isinstance(value, Mapping) and "default" in value and set(value) <= PARAM_WORDS


def read_param(value: Any) -> Param:
    if is_param_form(value):
        return Param(value["default"], dict(value), plain=False)
    schema = {} if value is None else {"type": json_type(value)}
    return Param(value, schema, plain=True)


def read_params(params: Mapping[str, Any]) -> dict[str, Param]:
    return {name: read_param(value) for name, value in params.items()}


def param_defaults(params: Mapping[str, Any]) -> dict[str, Any]:
    """The params' values without a conf: what `{{ params.x }}` reads."""
    return {name: param.default for name, param in read_params(params).items()}


def written_param(default: Any, schema: Mapping[str, Any] | None = None) -> Any:
    """How the SDK (and `import-airflow`) writes an Airflow `Param(default, **schema)`:
    the Param form, with only Param words (jsonschema ignores any other keyword, so
    none that is dropped changed what passes)."""
    kept = {k: v for k, v in (schema or {}).items() if k in PARAM_WORDS and k != "default"}
    return {"default": default, **kept}


def written_default(value: Any) -> Any:
    """How a plain default is written: as is, unless it would read as a Param."""
    return {"default": value} if is_param_form(value) else value


def _checker(schema: Mapping[str, Any]) -> Draft202012Validator:
    # Patterns are matched with a time limit: the operator runs these checks.
    checker: Draft202012Validator = BoundedValidator(schema, format_checker=FormatChecker())
    return checker


# What checking a value can raise on a schema that is well-formed but cannot be used:
# a `$ref` to nowhere (never fetched: no network), a pattern that does not compile or
# that takes too long to match.
UNUSABLE = (Unresolvable, re.error, regex.error, PatternTooSlow, OverflowError, RecursionError)


def schema_problem(name: str, param: Param) -> str | None:
    """Why the param's schema is no JSON schema, or one that cannot be used (None when
    it is fine)."""
    try:
        Draft202012Validator.check_schema(param.schema)
        first_error(_checker(param.schema), param.default, plain=param.plain)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        return f"param {name!r}: invalid schema: {where + ': ' if where else ''}{exc.message}"
    except UNUSABLE as exc:
        return f"param {name!r}: invalid schema: {str(exc).splitlines()[0]}"
    return None


def value_problem(param: Param, value: Any) -> Refusal | None:
    """Why `value` does not pass the param's schema (None when it passes)."""
    try:
        return first_error(_checker(param.schema), value, plain=param.plain)
    except UNUSABLE as exc:  # a part of the schema the default did not reach
        return Refusal("", f"pass its schema, which cannot be used: {exc}", None)


def _rule(refusal: Refusal, name: str | None = None) -> str:
    if not refusal.rule:
        return ""
    return f" (param {name}: {refusal.rule})" if name else f" ({refusal.rule})"


def params_problems(params: Mapping[str, Any], scheduled: bool) -> list[str]:
    """The DAG's problems with its params: schemas that are no JSON schema, and (for a
    DAG with a schedule: its runs have no conf) defaults their schema refuses."""
    problems = []
    for name, param in read_params(params).items():
        problem = schema_problem(name, param)
        if problem is None and scheduled:
            refused = value_problem(param, param.default)
            if refused is not None:
                problem = (
                    f"param {name!r}: the default{refused.path} must {refused.must}"
                    f"{_rule(refused)}; a DAG with a schedule needs valid "
                    "defaults (its scheduled runs have no conf)"
                )
        if problem is not None:
            problems.append(problem)
    return problems


def conf_problems(params: Mapping[str, Any], conf: Mapping[str, Any]) -> list[str]:
    """Why a run's conf cannot run, one line per param: the conf merged over the
    defaults must pass each param's schema (keys that are no param are allowed, as in
    Airflow)."""
    problems = []
    for name, param in read_params(params).items():
        if schema_problem(name, param) is not None:
            continue  # the DAG is invalid and says why
        given = name in conf
        refused = value_problem(param, conf[name] if given else param.default)
        if refused is None:
            continue
        if given:
            problems.append(
                f"conf {name!r}{refused.path} must {refused.must}{_rule(refused, name)}"
            )
        elif param.default is None:
            problems.append(f"conf {name!r} is required (param {name} has no default)")
        else:
            problems.append(
                f"conf {name!r} is required: the param's default {show(param.default)} "
                f"must {refused.must}{_rule(refused, name)}"
            )
    return problems
