"""JSON-schema regexes matched with a time limit.

A param's `pattern` (and `patternProperties`) is a DAG author's regex that the operator
runs: on every new DAG version (its defaults) and on every run's conf. Python's `re` can
take minutes on a catastrophic pattern (`^(a|aa)+$` against thirty a's and a `!`), and
a thread does not help: `re` holds the GIL while it matches, so the operator's event
loop would stop for every DAG. The `regex` module matches with a timeout and lets the
GIL go meanwhile (`concurrent=True`); a pattern that runs out of time fails the check
with a message naming it, and the DAG author rewrites it.

`BoundedValidator` is jsonschema's Draft 2020-12 validator with the three keywords that
match regexes against values replaced (`pattern`, `patternProperties`, and
`additionalProperties`, which matches keys against `patternProperties`). The schema's
own check (`format: regex` compiles a pattern, it never matches one) is unchanged.
`unevaluatedProperties` next to `patternProperties` still matches with `re`: Airflow's
trigger form never writes it, and no param in Airflow's examples does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import regex
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

MATCH_SECONDS = 0.1
"""Per match; `regex` checks its clock coarsely, so a slow match ends within ~0.5 s."""


class PatternTooSlow(ValueError):
    """A regex took longer than MATCH_SECONDS on one value."""

    def __init__(self, pattern: str) -> None:
        super().__init__(
            f"the pattern {pattern!r} took over {MATCH_SECONDS:g} s to match one value "
            "(catastrophic backtracking, e.g. a repeated group of repeats); simplify it"
        )


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text`, as `re.search` would."""
    try:
        return regex.search(pattern, text, timeout=MATCH_SECONDS, concurrent=True) is not None
    except TimeoutError:
        raise PatternTooSlow(pattern) from None


Errors = Iterator[ValidationError]


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Errors:
    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Errors:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Errors:
    if not validator.is_type(instance, "object"):
        return
    named, patterns = schema.get("properties", {}), list(schema.get("patternProperties", {}))
    extras = sorted(
        (key for key in instance if key not in named and not any(search(p, key) for p in patterns)),
        key=str,
    )
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        listed = ", ".join(repr(extra) for extra in extras)
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            regexes = ", ".join(repr(p) for p in sorted(patterns))
            yield ValidationError(f"{listed} {verb} not match any of the regexes: {regexes}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(
                f"Additional properties are not allowed ({listed} {verb} unexpected)"
            )


BoundedValidator: Any = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)
