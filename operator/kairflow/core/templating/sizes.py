"""How large the result of one template operation would be, found before it runs.

Each guard here bounds one step that is a single C call (a join, a `%`, a `str()` of
a list): the CPU budget (`budget`) cannot stop such a step, so its size is checked
first. `text_size` walks a value as `str()` / `repr()` / `json.dumps` would, so a
list nested in itself by sharing (`[a, a]`, `[[a, a], [a, a]]`, ...) counts its
text, which doubles with each level, not its memory, which does not.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, MappingView
from datetime import date, time, timedelta
from typing import Any, cast

from jinja2.utils import Namespace as JinjaNamespace

from kairflow.core.templating.errors import Refused

__all__ = [
    "MAX_SIZE",
    "check_brace_format",
    "check_format_args",
    "check_percent_args",
    "check_percent_format",
    "check_replace",
    "refuse_size",
    "refuse_text",
    "text_size",
]

MAX_SIZE = 1_000_000  # characters or items one operation may produce
# %-format conversion specs: width and precision may not be huge or `*`.
_PERCENT_SPEC = re.compile(
    r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])?"
)
_SCALARS = (float, bool, type(None), date, time, timedelta)


def refuse_size(size: int, what: str) -> None:
    if size > MAX_SIZE:
        raise Refused(f"{what} would be too large ({size} > {MAX_SIZE})")


def refuse_text(sizes: Iterable[int], what: str) -> None:
    """Refuse once the running total of `sizes` passes MAX_SIZE (`text_size` stops
    counting just past it, so the total is a lower bound)."""
    total = 0
    for size in sizes:
        total += size
        if total > MAX_SIZE:
            raise Refused(f"{what} would be too large (over {MAX_SIZE} characters)")


def _str_size(text: str | bytes, quoted: bool) -> int:
    """At least len(str(text)); if quoted, at least its length in repr() and in
    json.dumps (HTML-safe, ASCII only: `<` becomes `\\u003c`, `é` `\\u00e9`)."""
    if isinstance(text, bytes):
        return 4 * len(text) + 3
    if not quoted:
        return len(text)
    if text.isascii() and text.isprintable():
        return len(text) + 2 + 5 * sum(text.count(c) for c in "\\'\"<>&")
    return 12 * len(text) + 2  # \U0010ffff in repr, a surrogate pair in JSON


def text_size(value: Any, quoted: bool = False, indent: int = 0) -> int:
    """An upper bound of len(str(value)) (quoted: of repr() and of json.dumps with
    `indent`), counted only until it passes MAX_SIZE, so the walk itself stays cheap.
    A str at the top is measured as str() shows it; inside containers as repr()."""
    total = 0
    active: set[int] = set()  # containers being printed: a cycle prints as [...]
    stack: list[tuple[Any, bool, int] | int] = [(value, quoted, 0)]
    while stack and total <= MAX_SIZE:
        top = stack.pop()
        if isinstance(top, int):
            active.discard(top)
            continue
        obj, q, depth = top
        children = _children(obj)
        if children is None:
            total += _scalar_size(obj, q)
            continue
        if id(obj) in active:
            total += 5
            continue
        overhead, items = children
        active.add(id(obj))
        stack.append(id(obj))
        total += overhead
        per_item = 2 + (1 + (depth + 1) * indent if indent else 0)
        for item in items:
            total += per_item
            stack.append((item, True, depth + 1))
            if total > MAX_SIZE:
                break
    return total


def _children(obj: Any) -> tuple[int, Iterable[Any]] | None:
    if isinstance(obj, str | bytes):
        return None
    if isinstance(obj, dict):
        return 2, (part for pair in obj.items() for part in pair)
    if isinstance(obj, list | tuple | set | frozenset):
        return 2, obj
    if isinstance(obj, MappingView):
        return 2 + len(type(obj).__name__), cast("Iterable[Any]", obj)
    if isinstance(obj, JinjaNamespace):
        return len("<Namespace >"), (object.__getattribute__(obj, "_Namespace__attrs"),)
    return None


def _scalar_size(obj: Any, quoted: bool) -> int:
    if isinstance(obj, str | bytes):
        return _str_size(obj, quoted)
    if isinstance(obj, int):
        return obj.bit_length() // 3 + 4  # digits, sign, JSON's quotes as a key
    if isinstance(obj, _SCALARS):
        return len(repr(obj)) + 2
    # Anything else (context objects, macros, undefined): as str() / repr() shows it.
    return len(repr(obj) if quoted else str(obj))


# -- `%` and str.format: the size of the arguments each field prints --------------


def check_percent_format(fmt: str) -> None:
    for _, width, precision, _ in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_SIZE):
                raise Refused(f"%-format width {number!r} is not allowed")


def check_percent_args(fmt: str, args: Any, what: str = "%-format") -> None:
    """`fmt % args`: the format, plus each argument as many times as it is used."""
    fields = [(key, kind) for key, _, _, kind in _PERCENT_SPEC.findall(fmt) if kind != "%"]
    quoted = any(kind in "ra" for _, kind in fields)
    if isinstance(args, tuple):
        sizes = [text_size(arg, quoted) for arg in args]
    elif isinstance(args, Mapping) and any(key for key, _ in fields):
        sizes = [text_size(args.get(key[1:-1]), quoted) for key, _ in fields if key]
    else:
        sizes = [text_size(args, quoted)] * max(len(fields), 1)
    refuse_text([len(fmt), *sizes], what)


def check_brace_format(fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error, with its own message
    for _, _, spec, _ in parsed:
        if spec and ("{" in spec or any(int(n) > MAX_SIZE for n in re.findall(r"\d+", spec))):
            raise Refused(f"format spec {spec!r} is not allowed")


def check_format_args(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """`fmt.format(*args, **kwargs)`: the format, plus for each field the whole
    argument it names (an attribute or item of it is no larger as text)."""
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error
    sizes = [len(fmt)]
    auto = 0
    for _, field, _, conversion in parsed:
        if field is None:
            continue
        name = re.split(r"[.\[]", field, maxsplit=1)[0]
        if name == "":
            name, auto = str(auto), auto + 1
        arg = args[int(name)] if name.isdigit() and int(name) < len(args) else kwargs.get(name)
        sizes.append(text_size(arg, quoted=conversion in ("r", "a")))
    refuse_text(sizes, "str.format")


def check_replace(text: str, old: str, new: str, count: int | None) -> None:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    refuse_size(len(text) + hits * max(len(new) - len(old), 0), "replace")
