"""A value a param's schema refuses, said in one line a user can act on.

jsonschema's own messages ("500 is greater than the maximum of 100") name neither
the param nor the rule; these say what the value must be and which keyword asks
for it, e.g. "must be <= 100, not 500 (param rows: maximum 100)".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_MANY = 8


def json_type(value: Any) -> str:
    """The JSON type of a value ("number" for ints and floats, as JSON has one)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def show(value: Any, limit: int = 60) -> str:
    """A value as a user wrote it: strings in single quotes, the rest as JSON, cut when
    long (the web UI's form words values the same way: param_form.js `show`)."""
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"


def _type_words(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_article(str(t)) if t != "null" else "null" for t in names)


def _got_type(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    kind = json_type(value)
    return kind if kind == "null" else _article(kind)


def _values(values: Any) -> str:
    items = [show(v, 30) for v in values]
    if len(items) > _MANY:
        return ", ".join(items[:_MANY]) + f", … ({len(items)} values)"
    return ", ".join(items)


@dataclass(frozen=True)
class Refusal:
    """Why a value does not pass: where in it, what it must do, and the rule."""

    path: str
    """Where inside the value, e.g. "[0]['name']" ("" for the value itself)."""
    must: str
    """e.g. "be <= 100, not 500"."""
    rule: str | None
    """The keyword that refused it, e.g. "maximum 100" (None for a plain param)."""


def _phrase(err: ValidationError) -> tuple[str, str]:
    """(what the value must be, the rule) for one jsonschema error."""
    keyword = str(err.validator)
    want: Any = err.validator_value
    got: Any = err.instance
    if keyword == "type":
        rule = f"type {want}" if isinstance(want, str) else f"type {' or '.join(want)}"
        return f"be {_type_words(want)}, not {_got_type(got)}", rule
    if keyword == "enum":
        return f"be one of {_values(want)}, not {show(got)}", "enum"
    if keyword == "const":
        return f"be {show(want)}, not {show(got)}", "const"
    if keyword in _BOUNDS:
        return f"be {_BOUNDS[keyword]} {show(want)}, not {show(got)}", f"{keyword} {show(want)}"
    if keyword == "multipleOf":
        return f"be a multiple of {show(want)}, not {show(got)}", f"multipleOf {show(want)}"
    if keyword in ("minLength", "maxLength"):
        bound = "at least" if keyword == "minLength" else "at most"
        unit = "character" if want == 1 else "characters"
        return f"be {bound} {want} {unit} long, not {show(got)}", f"{keyword} {want}"
    if keyword in ("minItems", "maxItems"):
        bound = "at least" if keyword == "minItems" else "at most"
        unit = "item" if want == 1 else "items"
        return f"have {bound} {want} {unit}, not {len(got)}", f"{keyword} {want}"
    if keyword == "uniqueItems":
        return "have no item twice", "uniqueItems"
    if keyword == "pattern":
        return f"match {show(want)}, not {show(got)}", "pattern"
    if keyword == "format":
        return f"be a {want}, not {show(got)}", f"format {want}"
    if keyword == "required" and isinstance(got, dict):
        missing = [str(k) for k in want if k not in got]
        return f"have the key{'s' if len(missing) > 1 else ''} {_values(missing)}", "required"
    return f"pass its schema: {err.message}", keyword


def _path(err: ValidationError) -> str:
    return "".join(f"[{p!r}]" for p in err.absolute_path)


def _iso_datetime(value: Any) -> bool:
    """Airflow still accepts an ISO 8601 date-time that is no RFC 3339 one (deprecated)."""
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _counts(err: ValidationError) -> bool:
    lenient = err.validator == "format" and err.validator_value == "date-time"
    return not (lenient and _iso_datetime(err.instance))


def first_error(checker: Draft202012Validator, value: Any, plain: bool) -> Refusal | None:
    """The most telling refusal of `value` (jsonschema's `best_match`), or None."""
    err = best_match(e for e in checker.iter_errors(value) if _counts(e))
    if err is None:
        return None
    if plain and err.validator == "type":
        kind, got = str(err.validator_value), json_type(value)
        return Refusal(
            "", f"be {_article(kind)} like the param's default, not {_article(got)}", None
        )
    must, rule = _phrase(err)
    return Refusal(_path(err), must, rule)
