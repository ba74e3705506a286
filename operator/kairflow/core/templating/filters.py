"""Jinja's filters with guards: on the size of what one call produces, on the size
of the input of the slow ones, and on the CPU budget of the lazy ones. See `sizes`
for why a single call needs a guard of its own."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2.environment import Environment
from jinja2.filters import (
    do_center,
    do_format,
    do_indent,
    do_join,
    do_pprint,
    do_replace,
    do_sum,
    do_tojson,
    do_urlize,
    do_wordwrap,
    make_attrgetter,
)
from jinja2.nodes import EvalContext
from jinja2.utils import _PassArg, pass_environment, pass_eval_context

from kairflow.core.templating.budget import tick
from kairflow.core.templating.errors import Refused
from kairflow.core.templating.sizes import (
    MAX_SIZE,
    check_percent_args,
    check_percent_format,
    check_replace,
    refuse_size,
    refuse_text,
    text_size,
)

__all__ = ["guarded_filters"]

MAX_SLOW_INPUT = 100_000
"""Largest input of a filter whose cost grows faster than its input (`wordwrap(1)`
of 100 000 characters takes about 0.25 s, of 1 000 000 about 16 s) or is large per
character (`urlize`, `pprint`)."""
_MAX_LINK_ATTRIBUTE = 100  # urlize's target / rel, repeated in every link

_LAZY_FILTERS = ("map", "select", "reject", "selectattr", "rejectattr", "unique", "batch", "slice")
# Filters that turn their input into text first (str(), escape()): a list nested in
# itself by sharing is small, its text is not.
_TEXT_FILTERS = (
    "string", "e", "escape", "forceescape", "safe", "upper", "lower", "capitalize", "title",
    "trim", "striptags", "truncate", "wordcount", "urlencode", "xmlattr", "center", "indent",
    "replace", "format",
)  # fmt: skip


def _refuse_slow_input(size: int, what: str) -> None:
    if size > MAX_SLOW_INPUT:
        raise Refused(f"{what} input is too large ({size} > {MAX_SLOW_INPUT} characters)")


def _center_filter(value: str, width: int = 80) -> str:
    refuse_size(int(width), "center")
    return do_center(value, width)


def _indent_filter(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    pad = width if isinstance(width, str) else " " * min(int(width), MAX_SIZE + 1)
    refuse_size(len(str(s)) + (str(s).count("\n") + 1) * len(pad), "indent")
    return do_indent(s, width, first, blank)


def _format_filter(value: str, *args: Any, **kwargs: Any) -> str:
    check_percent_format(str(value))
    check_percent_args(str(value), kwargs or args, "format")
    return do_format(value, *args, **kwargs)


@pass_eval_context
def _replace_filter(
    eval_ctx: EvalContext, s: str, old: str, new: str, count: int | None = None
) -> str:
    check_replace(str(s), str(old), str(new), count)
    return do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _join_filter(
    eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: str | int | None = None
) -> str:
    items = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
    refuse_text([len(str(d)) * max(len(items) - 1, 0), *map(text_size, items)], "join")
    return str(do_join(eval_ctx, items, d))


@pass_environment
def _sum_filter(
    environment: Environment,
    iterable: Iterable[Any],
    attribute: str | int | None = None,
    start: Any = 0,
) -> Any:
    """Python's sum of lists copies the total so far at each step (quadratic);
    this one checks the size and chains them."""
    if not isinstance(start, list | tuple):
        return do_sum(environment, iterable, attribute, start)
    items = list(iterable)
    if attribute is not None:
        items = list(map(make_attrgetter(environment, attribute), items))
    kind = list if isinstance(start, list) else tuple
    for item in items:
        if not isinstance(item, kind):
            name = kind.__name__
            raise TypeError(f'can only concatenate {name} (not "{type(item).__name__}") to {name}')
    refuse_size(len(start) + sum(map(len, items)), "sum")
    return kind(itertools.chain(start, *items))


@pass_eval_context
def _tojson_filter(eval_ctx: EvalContext, value: Any, indent: int | None = None) -> Any:
    refuse_text([text_size(value, quoted=True, indent=int(indent or 0))], "tojson")
    return do_tojson(eval_ctx, value, indent)


def _pprint_filter(value: Any) -> str:
    _refuse_slow_input(text_size(value, quoted=True, indent=1), "pprint")
    return do_pprint(value)


@pass_environment
def _wordwrap_filter(environment: Environment, s: str, *args: Any, **kwargs: Any) -> str:
    text = str(s)
    _refuse_slow_input(len(text), "wordwrap")
    wrapstring = kwargs.get("wrapstring", args[2] if len(args) > 2 else None)
    refuse_size(len(text) + (len(text) + 1) * len(str(wrapstring or "\n")), "wordwrap")
    return do_wordwrap(environment, text, *args, **kwargs)


@pass_eval_context
def _urlize_filter(eval_ctx: EvalContext, value: str, *args: Any, **kwargs: Any) -> str:
    text = str(value)
    _refuse_slow_input(len(text), "urlize")
    for name, position in (("target", 2), ("rel", 3)):
        given = kwargs.get(name, args[position] if len(args) > position else None)
        if given is not None and len(str(given)) > _MAX_LINK_ATTRIBUTE:
            raise Refused(f"urlize {name} is too long (over {_MAX_LINK_ATTRIBUTE} characters)")
    return do_urlize(eval_ctx, text, *args, **kwargs)


def _text_input(name: str, text_filter: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose input, turned into text, may not be too large."""
    skip = 1 if _PassArg.from_obj(text_filter) else 0  # the context / environment

    @functools.wraps(text_filter)  # keeps jinja_pass_arg (pass_context...)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        value = args[skip] if len(args) > skip else None
        if not isinstance(value, str):
            refuse_text([text_size(value)], name)
        return text_filter(*args, **kwargs)

    return guarded


def _ticking(lazy_filter: Callable[..., Any]) -> Callable[..., Any]:
    """A lazy filter whose items count against the render's CPU budget: chained, a
    few hundred `map`s over a long list run for minutes inside one `|sum`, where no
    line of the template runs (see `budget`)."""

    @functools.wraps(lazy_filter)  # keeps jinja_pass_arg (pass_context...)
    def ticking(*args: Any, **kwargs: Any) -> Iterator[Any]:
        return _each_ticking(lazy_filter(*args, **kwargs))

    return ticking


def _each_ticking(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        tick()
        yield item


def guarded_filters(builtin: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's `builtin` filters, with the guarded ones replaced."""
    filters: dict[str, Callable[..., Any]] = {
        **builtin,
        "center": _center_filter,
        "indent": _indent_filter,
        "format": _format_filter,
        "replace": _replace_filter,
        "join": _join_filter,
        "sum": _sum_filter,
        "tojson": _tojson_filter,
        "pprint": _pprint_filter,
        "wordwrap": _wordwrap_filter,
        "urlize": _urlize_filter,
        **{name: _ticking(builtin[name]) for name in _LAZY_FILTERS},
    }
    return {**filters, **{name: _text_input(name, filters[name]) for name in _TEXT_FILTERS}}
