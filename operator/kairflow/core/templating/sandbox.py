"""Jinja2's sandboxed environment, plus guards on the size of what one operation may
produce (a template could otherwise ask for gigabytes in a few characters): `*`,
`**`, `+`, `~` and `%` on big operands, `str.format` / `%` widths and arguments,
`str.join`, `ljust` / `expandtabs` / `translate` / `replace` and friends,
`list.extend` / `dict.update`, the text a `{{ value }}`, a `{% set %}` block or a
macro produces, and the filters (`filters`). Each guarded step is one C call, which
the CPU budget (`budget`) cannot stop; `sizes` says how its size is found. See the
package docstring for the whole safety model.

Known gaps: comparing (`==`, `in`, `|sort`, `|unique`) two lists nested in
themselves by sharing but not shared with each other walks every path, which
doubles with each level, in one C call; a few such levels hold the operator for as
long as they take. Only a render in a separate process with resource limits would
bound every case.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from jinja2 import Template, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from kairflow.core.templating.errors import Refused
from kairflow.core.templating.filters import guarded_filters
from kairflow.core.templating.macros import DATE_FILTERS
from kairflow.core.templating.names import template_name
from kairflow.core.templating.sizes import (
    MAX_SIZE,
    check_brace_format,
    check_format_args,
    check_percent_args,
    check_percent_format,
    check_replace,
    refuse_size,
    refuse_text,
    text_size,
)
from kairflow.core.templating.undefined import KairflowUndefined

__all__ = ["compile_template"]

_MAX_INT_BITS = 100_000
_JINJA_KWARGS = {"_loop_vars", "_block_vars"}  # Context.call's own, in loops and blocks


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _bounded(items: Iterable[Any]) -> Collection[Any]:
    """The items, read only as far as one past the size limit if not already sized."""
    if isinstance(items, Collection):
        return items
    return list(itertools.islice(items, MAX_SIZE + 1))


class _SizedConcat(CodeGenerator):
    """Compiles `a ~ b` as Jinja does, through `_Sandbox.sized_concat`: Jinja's
    `str_join` is no hook of the sandbox."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.sized_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _sized_output(value: Any) -> Any:
    """The environment's finalize: `{{ value }}` may not print too much text."""
    if not isinstance(value, str):
        refuse_text([text_size(value)], "the printed value")
    return value


def _sized_block(pieces: Iterable[str]) -> str:
    """The environment's concat: the text of a `{% set %}` block, a macro or a call
    block (`{{ s }}{{ s }}` in a macro doubles `s` at each call)."""
    parts = list(pieces)
    refuse_text(map(len, parts), "the text of a block")
    return "".join(parts)


class _Sandbox(SandboxedEnvironment):
    """The sandbox plus size guards on operators, str.format and str methods."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _SizedConcat
    concat = staticmethod(_sized_block)

    def sized_concat(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        refuse_text(map(text_size, parts), "concatenation")
        return join(parts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _sized(seq)
                if size is not None and isinstance(times, int):
                    refuse_size(size * times, "repetition")
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
                refuse_size(left_size + right_size, "concatenation")
        elif operator == "%" and isinstance(left, str):
            check_percent_format(left)
            check_percent_args(left, right)
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
        if wrapped is None:
            return None
        fmt: str = value.__self__
        check_brace_format(fmt)
        by_map = value.__name__ == "format_map"

        @functools.wraps(wrapped)
        def sized(*args: Any, **kwargs: Any) -> str:
            if by_map and args and isinstance(args[0], Mapping):
                check_format_args(fmt, (), args[0])
            else:
                check_format_args(fmt, args, kwargs)
            return wrapped(*args, **kwargs)

        return sized

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str | bytes):
            args = _check_str_method(owner, name, args, kwargs)
        elif isinstance(owner, list | dict | set) and name in ("extend", "update"):
            # l.extend(l) doubles a list in one C call; the CPU budget cannot stop it.
            args = tuple(_bounded(arg) for arg in args)
            named = kwargs.keys() - _JINJA_KWARGS
            added = sum(len(arg) for arg in args) + len(named)
            refuse_size(len(owner) + added, f"{type(owner).__name__}.{name}")
        return super().call(__context, __obj, *args, **kwargs)


def _check_str_method(
    owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Refuse a str method call whose result would be too large; the arguments to
    call it with (an iterable given to `join` is read once, here)."""
    # ljust / center / zfill / expandtabs(10**9) and friends.
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool):
            refuse_size(arg, f"{type(owner).__name__}.{name}")
    if name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        check_replace(str(owner), str(args[0]), str(args[1]), count)
    elif name == "join" and args:
        items = list(_bounded(args[0]))
        sizes = [len(item) if isinstance(item, str | bytes) else 0 for item in items]
        refuse_text([len(owner) * max(len(items) - 1, 0), *sizes], f"{type(owner).__name__}.join")
        args = (items, *args[1:])
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        refuse_size(
            len(owner) + _tabs(owner) * tabsize,
            f"{type(owner).__name__}.expandtabs",
        )
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str | bytes)), default=1)
        refuse_size(len(owner) * max(longest, 1), f"{type(owner).__name__}.translate")
    return args


def _tabs(text: str | bytes) -> int:
    return text.count(b"\t") if isinstance(text, bytes) else text.count("\t")


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=KairflowUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        cache_size=0,  # templates are cached by compile_template
        finalize=_sized_output,
    )
    env.globals.pop("lipsum", None)  # lipsum(10**6) is a cheap way to burn memory
    env.filters = {**guarded_filters(env.filters), **DATE_FILTERS}
    return env


_ENV = _environment()


@functools.lru_cache(maxsize=1024)
def compile_template(source: str) -> Template:
    """Parse and compile once per distinct source (a DAG's templates repeat per run).
    Raises jinja2's TemplateSyntaxError."""
    return _ENV.from_string(source)
