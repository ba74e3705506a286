"""Jinja2's sandboxed environment, plus guards on the size of what one operation may
produce: `*`, `**`, `+` and `%` on big operands, `str.format` / `%` widths, `center`
/ `indent` / `replace` (a template could otherwise ask for gigabytes in a few
characters). See the package docstring for the whole safety model.

Known gaps: each is one C call per step, so the CPU budget cannot stop it in time
either, and a few steps ask for gigabytes of memory.

- Doubling a string other than with `+` or `*`: `s ~ s`, `[s, s] | join`,
  `''.join([s, s])`, `'%s%s' % (s, s)`, `'{}{}'.format(s, s)` (each is unguarded).
- Doubling a list in place: `l.extend(l)` (list methods are unguarded).
- A list nested in itself by sharing (`{% set ns.a = [ns.a, ns.a] %}` in a loop)
  is small in memory, but its text (`{{ ns.a }}`, `| string`, `| tojson`) doubles
  with each level.

Only a render in a separate process with resource limits would bound them all.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import Template, Undefined
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_replace
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_eval_context

from kairflow.core.templating.budget import tick
from kairflow.core.templating.errors import Refused
from kairflow.core.templating.macros import DATE_FILTERS
from kairflow.core.templating.names import template_name
from kairflow.core.templating.undefined import KairflowUndefined

__all__ = ["compile_template"]

_MAX_SIZE = 1_000_000  # characters or items one operation may produce
_MAX_INT_BITS = 100_000
# %-format conversion specs: width and precision may not be huge or `*`.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _refuse_size(size: int, what: str) -> None:
    if size > _MAX_SIZE:
        raise Refused(f"{what} would be too large ({size} > {_MAX_SIZE})")


def _check_percent_format(fmt: str) -> None:
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > _MAX_SIZE):
                raise Refused(f"%-format width {number!r} is not allowed")


def _check_brace_format(fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error, with its own message
    for _, _, spec, _ in parsed:
        if spec and ("{" in spec or any(int(n) > _MAX_SIZE for n in re.findall(r"\d+", spec))):
            raise Refused(f"format spec {spec!r} is not allowed")


def _check_replace(text: str, old: str, new: str, count: int | None) -> None:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    _refuse_size(len(text) + hits * max(len(new) - len(old), 0), "replace")


def _center_filter(value: str, width: int = 80) -> str:
    _refuse_size(int(width), "center")
    return do_center(value, width)


def _indent_filter(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    pad = width if isinstance(width, str) else " " * min(int(width), _MAX_SIZE + 1)
    _refuse_size(len(str(s)) + (str(s).count("\n") + 1) * len(pad), "indent")
    return do_indent(s, width, first, blank)


def _format_filter(value: str, *args: Any, **kwargs: Any) -> str:
    _check_percent_format(str(value))
    return do_format(value, *args, **kwargs)


@pass_eval_context
def _replace_filter(
    eval_ctx: EvalContext, s: str, old: str, new: str, count: int | None = None
) -> str:
    _check_replace(str(s), str(old), str(new), count)
    return do_replace(eval_ctx, s, old, new, count)


_LAZY_FILTERS = ("map", "select", "reject", "selectattr", "rejectattr", "unique", "batch", "slice")


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


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


class _Sandbox(SandboxedEnvironment):
    """The sandbox plus size guards on operators, str.format and str methods."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _sized(seq)
                if size is not None and isinstance(times, int):
                    _refuse_size(size * times, "repetition")
            ints = isinstance(left, int) and isinstance(right, int)
            if ints and left.bit_length() + right.bit_length() > _MAX_INT_BITS:
                raise Refused("integer product would be too large")
        elif operator == "**":
            ints = isinstance(left, int) and isinstance(right, int)
            if ints and abs(left) > 1 and right > 0 and left.bit_length() * right > _MAX_INT_BITS:
                raise Refused("integer power would be too large")
        elif operator == "+":
            left_size, right_size = _sized(left), _sized(right)
            if left_size is not None and right_size is not None:
                _refuse_size(left_size + right_size, "concatenation")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        return super().call_binop(context, operator, left, right)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        owner = template_name(obj)
        if owner is None:
            return super().unsafe_undefined(obj, attribute)
        return self.undefined(
            f"access to attribute {attribute!r} of {owner!r} is unsafe",
            name=attribute,
            obj=obj,
            exc=SecurityError,
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_brace_format(value.__self__)
        return wrapped

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | bytes):
            # ljust / center / zfill / expandtabs(10**9) and friends.
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, int) and not isinstance(arg, bool):
                    _refuse_size(arg, f"{type(owner).__name__}.{__obj.__name__}")
            if getattr(__obj, "__name__", "") == "replace" and len(args) >= 2:
                count = args[2] if len(args) > 2 else kwargs.get("count")
                _check_replace(str(owner), str(args[0]), str(args[1]), count)
        return super().call(__context, __obj, *args, **kwargs)


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=KairflowUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        cache_size=0,  # templates are cached by compile_template
    )
    env.globals.pop("lipsum", None)  # lipsum(10**6) is a cheap way to burn memory
    env.filters.update(
        {
            **DATE_FILTERS,
            "center": _center_filter,
            "indent": _indent_filter,
            "format": _format_filter,
            "replace": _replace_filter,
            **{name: _ticking(env.filters[name]) for name in _LAZY_FILTERS},
        }
    )
    return env


_ENV = _environment()


@functools.lru_cache(maxsize=1024)
def compile_template(source: str) -> Template:
    """Parse and compile once per distinct source (a DAG's templates repeat per run).
    Raises jinja2's TemplateSyntaxError."""
    return _ENV.from_string(source)
