"""Airflow's Jinja templating, in a sandbox.

Templated fields: a task's `bash`, `python`, `command`, `args` and `env[].value`.
The context has Airflow's names and formats (`ds`, `ts`, `logical_date`,
`data_interval_start`, `params`, `dag_run.conf`, `ti.xcom_pull(...)`, `macros.ds_add`,
...; see `build_context`). Dates are in UTC, as in Airflow.

Safety. Templates are written by DAG authors and rendered inside the operator, which
serves every namespace, so:

- Jinja2's `SandboxedEnvironment` refuses `__dunder__` and other internal attributes
  (`''.__class__`, `cycler.__init__.__globals__`) and sandboxes `str.format`.
- The context holds plain data and small purpose-built objects. Airflow's `macros`
  exposes whole modules (`macros.uuid.os.system` would be reachable); here `macros`
  is a curated namespace of functions and classes that touch no file, network or
  process. `var`, `conn` and Airflow's `conf` are not available (Variables and
  Connections become ConfigMaps and Secrets through `env` / `envFrom`).
- Cheap guards bound memory: `*`, `**`, `+` and `%` on big operands, `str.format`
  / `%` widths, `center` / `indent` / `replace`, and the rendered size of a field.
  CPU is not bounded here (`range` is capped by Jinja, loops can nest): callers
  render off the event loop.
- Every failure becomes a `TemplateError` naming the field; undefined names fail
  (StrictUndefined) instead of rendering as empty strings.
"""

from __future__ import annotations

import functools
import random as _random
import re
import string
import time as _time
import uuid as _uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil import parser as _dateutil_parser  # type: ignore[import-untyped]
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_replace
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing, pass_eval_context

from kairflow.api.dag import EnvVar, TaskSpec

__all__ = [
    "MAX_RENDERED_CHARS",
    "RenderedTask",
    "TemplateContext",
    "TemplateError",
    "build_context",
    "check_template_syntax",
    "render",
    "render_task",
]

MAX_RENDERED_CHARS = 1_000_000
"""Largest rendered field (a Kubernetes object is at most ~1.5 MiB anyway)."""
_MAX_SIZE = 1_000_000  # characters or items one operation may produce
_MAX_INT_BITS = 100_000
_RETURN_VALUE = "return_value"
# %-format conversion specs: width and precision may not be huge or `*`.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")

# Names users may try that Kairflow does not provide, with what to do instead.
_UNSUPPORTED_NAMES = {
    "var": "'var' is not supported: Airflow Variables become ConfigMaps or Secrets; "
    "pass them to the task with env / envFrom and read them from the environment",
    "conn": "'conn' is not supported: Airflow Connections become Secrets; "
    "pass them to the task with env / envFrom and read them from the environment",
    "conf": "'conf' (Airflow's configuration) is not available; "
    "the run's configuration is dag_run.conf",
    "item": "'item' is only defined for mapped task instances (expand)",
}
# Deprecated in Airflow 2.2 and tied to the timetable; the data interval replaces them.
_UNSUPPORTED_NAMES.update(
    {
        name: f"{name!r} is not supported (deprecated since Airflow 2.2); "
        "use data_interval_start / data_interval_end"
        for name in (
            "next_ds",
            "next_ds_nodash",
            "next_execution_date",
            "prev_ds",
            "prev_ds_nodash",
            "prev_execution_date",
            "prev_execution_date_success",
        )
    }
)


class TemplateError(Exception):
    """A template that cannot be parsed or rendered; the message names the field,
    e.g. "bash: 'params' has no attribute 'missing'"."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail


class _Refused(SecurityError):
    """An operation the sandbox refuses (too large, or not supported in Kairflow)."""


@dataclass(frozen=True)
class TemplateContext:
    """Everything a task instance's templates may see. Datetimes must be aware."""

    dag_name: str
    run_id: str
    run_type: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    task_name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    """The DAG's params."""
    conf: Mapping[str, Any] = field(default_factory=dict)
    """The run's conf (overrides params, like Airflow's dag_run_conf_overrides_params)."""
    map_index: int | None = None
    try_number: int = 1
    xcoms: Mapping[str, Any] = field(default_factory=dict)
    """Task name -> its XCom; a mapped task's is the list of its instances' values."""
    mapped_tasks: frozenset[str] = frozenset()
    """Which `xcoms` entries belong to mapped tasks (for xcom_pull's map_indexes)."""
    prev_data_interval_start_success: datetime | None = None
    prev_data_interval_end_success: datetime | None = None
    prev_start_date_success: datetime | None = None
    prev_end_date_success: datetime | None = None
    expand_item: Any = None
    """The item of a mapped instance (only used when map_index is not None)."""
    timezone: str = "UTC"
    """The DAG's time zone name."""


@dataclass(frozen=True)
class RenderedTask:
    """A task's templated fields after rendering (None where the task has none)."""

    bash: str | None = None
    python: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None


# ----------------------------------------------------------------------------------
# Context objects. Each knows its template name, so errors read
# "'params' has no attribute 'x'" rather than "'dict object' has no attribute 'x'".
# The sandbox hides attributes starting with '_' from templates.


class _NamedDict(dict[str, Any]):
    __slots__ = ("_template_name",)

    def __init__(self, name: str, items: Iterable[tuple[str, Any]]) -> None:
        super().__init__(items)
        self._template_name = name


class _NamedList(list[Any]):
    __slots__ = ("_template_name",)

    def __init__(self, name: str, items: Iterable[Any]) -> None:
        super().__init__(items)
        self._template_name = name


class _Namespace:
    """A read-only bag of attributes for templates (dag, dag_run, task, macros...)."""

    _template_name: str

    def __init__(self, _name: str, **members: Any) -> None:
        object.__setattr__(self, "_template_name", _name)
        for key, value in members.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self._template_name} is read-only")

    def __repr__(self) -> str:
        return f"<{self._template_name}>"


def _wrap(value: Any, name: str) -> Any:
    """A deep copy of JSON-like data whose dicts and lists know their template name
    (the copy also keeps templates from mutating the caller's data)."""
    if isinstance(value, Mapping):
        return _NamedDict(
            name, ((str(k), _wrap(v, _child_name(name, str(k)))) for k, v in value.items())
        )
    if isinstance(value, list | tuple):
        return _NamedList(name, (_wrap(v, f"{name}[{i}]") for i, v in enumerate(value)))
    return value


def _child_name(parent: str, key: str) -> str:
    return f"{parent}.{key}" if key.isidentifier() else f"{parent}[{key!r}]"


def _template_name(obj: Any) -> str | None:
    if isinstance(obj, _NamedDict | _NamedList | _Namespace):
        return obj._template_name
    return None


class _TaskInstance(_Namespace):
    """`ti` / `task_instance`: attributes of the current try and `xcom_pull`."""

    _ctx: TemplateContext

    def __init__(self, ctx: TemplateContext, logical_date: datetime) -> None:
        super().__init__(
            "ti",
            task_id=ctx.task_name,
            dag_id=ctx.dag_name,
            run_id=ctx.run_id,
            try_number=ctx.try_number,
            map_index=-1 if ctx.map_index is None else ctx.map_index,
            logical_date=logical_date,
            execution_date=logical_date,
        )
        object.__setattr__(self, "_ctx", ctx)

    def xcom_pull(
        self,
        task_ids: str | Sequence[str] | None = None,
        dag_id: str | None = None,
        key: str = _RETURN_VALUE,
        include_prior_dates: bool = False,
        *,
        map_indexes: int | Sequence[int] | None = None,
        default: Any = None,
    ) -> Any:
        """Airflow's xcom_pull over this run's XComs.

        One task id: its value (a mapped task's: the list of its instances' values),
        or `default` when it has none. A list of ids: the values of those that have
        one, in the given order, mapped tasks' instances flattened (as Airflow).
        `task_ids=None` means this task (Airflow 3's reading).
        """
        ctx = self._ctx
        if key != _RETURN_VALUE:
            raise _Refused(
                f"xcom_pull(key={key!r}) is not supported: a task has one XCom, "
                "the JSON it writes to $KAIRFLOW_XCOM_FILE (key 'return_value')"
            )
        if dag_id is not None and dag_id != ctx.dag_name:
            raise _Refused("xcom_pull from another DAG is not supported")
        if include_prior_dates:
            raise _Refused("xcom_pull(include_prior_dates=True) is not supported")
        if task_ids is None or isinstance(task_ids, str):
            task_id = ctx.task_name if task_ids is None else task_ids
            return _pull_one(ctx, task_id, map_indexes, default)
        pulled: list[Any] = []
        for task_id in task_ids:
            value = _pull_one(ctx, str(task_id), map_indexes, None)
            if value is None:
                continue
            if str(task_id) in ctx.mapped_tasks and map_indexes is None:
                pulled.extend(item for item in value if item is not None)
            else:
                pulled.append(value)
        return _NamedList(f"ti.xcom_pull({list(task_ids)!r})", pulled)

    def xcom_push(self, *args: Any, **kwargs: Any) -> None:
        raise _Refused(
            "xcom_push is not supported in templates; a task pushes its XCom by writing "
            "JSON to $KAIRFLOW_XCOM_FILE"
        )


def _pull_one(
    ctx: TemplateContext, task_id: str, map_indexes: int | Sequence[int] | None, default: Any
) -> Any:
    value = ctx.xcoms.get(task_id)
    if value is None:
        return default
    name = f"ti.xcom_pull({task_id!r})"
    if map_indexes is None:
        return _wrap(value, name)
    mapped = task_id in ctx.mapped_tasks and isinstance(value, list)
    if isinstance(map_indexes, int):
        if mapped and 0 <= map_indexes < len(value) and value[map_indexes] is not None:
            return _wrap(value[map_indexes], f"{name}[{map_indexes}]")
        return default
    if not mapped:
        return default
    return _NamedList(
        name,
        (_wrap(value[i], f"{name}[{i}]") for i in map_indexes if 0 <= i < len(value)),
    )


# ----------------------------------------------------------------------------------
# Macros and filters.


def ds_add(ds: str, days: int) -> str:
    """Add (or subtract) days to a YYYY-MM-DD date: ds_add('2015-01-01', 5) ->
    '2015-01-06'."""
    if not days:
        return str(ds)
    moved = datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)
    return moved.strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Reformat a date string: ds_format('2015-01-01', '%Y-%m-%d', '%m-%d-%y') ->
    '01-01-15'."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def _macros() -> _Namespace:
    # Functions and classes only: no module objects (a module's attributes reach
    # os, sys, subprocess...). uuid1 is left out: finding the node id may run
    # `ifconfig`. No sleep: it would hold the operator.
    return _Namespace(
        "macros",
        ds_add=ds_add,
        ds_format=ds_format,
        datetime=datetime,
        timedelta=timedelta,
        dateutil=_Namespace(
            "macros.dateutil",
            relativedelta=_Namespace("macros.dateutil.relativedelta", relativedelta=relativedelta),
            parser=_Namespace(
                "macros.dateutil.parser",
                parse=_dateutil_parser.parse,
                isoparse=_dateutil_parser.isoparse,
            ),
        ),
        time=_Namespace(
            "macros.time",
            time=_time.time,
            gmtime=_time.gmtime,
            strftime=_time.strftime,
        ),
        uuid=_Namespace("macros.uuid", uuid4=_uuid.uuid4, UUID=_uuid.UUID),
        random=_random.random,
    )


_MACROS = _macros()  # read-only, so one instance serves every render


def _ds_filter(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d")


def _ds_nodash_filter(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%d")


def _ts_filter(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _ts_nodash_filter(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%dT%H%M%S")


def _ts_nodash_with_tz_filter(value: date | None) -> str | None:
    return None if value is None else value.isoformat().replace("-", "").replace(":", "")


# ----------------------------------------------------------------------------------
# Size guards (see the module docstring).


def _refuse_size(size: int, what: str) -> None:
    if size > _MAX_SIZE:
        raise _Refused(f"{what} would be too large ({size} > {_MAX_SIZE})")


def _check_percent_format(fmt: str) -> None:
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > _MAX_SIZE):
                raise _Refused(f"%-format width {number!r} is not allowed")


def _check_brace_format(fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error, with its own message
    for _, _, spec, _ in parsed:
        if spec and ("{" in spec or any(int(n) > _MAX_SIZE for n in re.findall(r"\d+", spec))):
            raise _Refused(f"format spec {spec!r} is not allowed")


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
                raise _Refused("integer product would be too large")
        elif operator == "**":
            ints = isinstance(left, int) and isinstance(right, int)
            if ints and abs(left) > 1 and right > 0 and left.bit_length() * right > _MAX_INT_BITS:
                raise _Refused("integer power would be too large")
        elif operator == "+":
            left_size, right_size = _sized(left), _sized(right)
            if left_size is not None and right_size is not None:
                _refuse_size(left_size + right_size, "concatenation")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        return super().call_binop(context, operator, left, right)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        owner = _template_name(obj)
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


class _StrictUndefined(StrictUndefined):
    """StrictUndefined whose messages use template names and explain what Kairflow
    does not support."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        if self._undefined_obj is missing:
            if isinstance(name, str) and name in _UNSUPPORTED_NAMES:
                return _UNSUPPORTED_NAMES[name]
            return f"{name!r} is undefined"
        owner = _template_name(self._undefined_obj)
        if owner is None:
            return str(super()._undefined_message)
        if not isinstance(name, str):
            return f"{owner!r} has no element {name!r}"
        return f"{owner!r} has no attribute {name!r}"


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=_StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        cache_size=0,  # templates are cached by _compile
    )
    env.globals.pop("lipsum", None)  # lipsum(10**6) is a cheap way to burn memory
    env.filters.update(
        {
            "ds": _ds_filter,
            "ds_nodash": _ds_nodash_filter,
            "ts": _ts_filter,
            "ts_nodash": _ts_nodash_filter,
            "ts_nodash_with_tz": _ts_nodash_with_tz_filter,
            "center": _center_filter,
            "indent": _indent_filter,
            "format": _format_filter,
            "replace": _replace_filter,
        }
    )
    return env


_ENV = _environment()


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> Template:
    """Parse and compile once per distinct source (a DAG's templates repeat per run)."""
    return _ENV.from_string(source)


# ----------------------------------------------------------------------------------
# Public API.


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else _utc(value, what)


def build_context(ctx: TemplateContext) -> dict[str, Any]:
    """The template context of one task instance, with Airflow's names and formats.

    Dates are UTC `datetime`s (Airflow's are UTC pendulum DateTimes); `ds`, `ts` and
    friends are derived from the logical date in UTC. `params` is the DAG's params
    updated with the run's conf (Airflow's `dag_run_conf_overrides_params`, a shallow
    update). `map_index` and `ti.map_index` are -1 for an unmapped instance, as in
    Airflow; `item` exists only for mapped instances.
    """
    logical = _utc(ctx.logical_date, "logical_date")
    interval_start = _utc(ctx.data_interval_start, "data_interval_start")
    interval_end = _utc(ctx.data_interval_end, "data_interval_end")
    ds = logical.strftime("%Y-%m-%d")
    ds_nodash = ds.replace("-", "")
    ts = logical.isoformat()
    yesterday = (logical - timedelta(days=1)).strftime("%Y-%m-%d")
    tomorrow = (logical + timedelta(days=1)).strftime("%Y-%m-%d")
    map_index = -1 if ctx.map_index is None else ctx.map_index

    params = _wrap({**ctx.params, **ctx.conf}, "params")
    dag_run = _Namespace(
        "dag_run",
        dag_id=ctx.dag_name,
        run_id=ctx.run_id,
        run_type=ctx.run_type,
        conf=_wrap(ctx.conf, "dag_run.conf"),
        logical_date=logical,
        execution_date=logical,
        data_interval_start=interval_start,
        data_interval_end=interval_end,
        external_trigger=ctx.run_type == "manual",
    )
    dag = _Namespace(
        "dag", dag_id=ctx.dag_name, timezone=ctx.timezone, params=_wrap(ctx.params, "dag.params")
    )
    task = _Namespace("task", task_id=ctx.task_name, dag_id=ctx.dag_name)
    ti = _TaskInstance(ctx, logical)
    context: dict[str, Any] = {
        "dag": dag,
        "dag_run": dag_run,
        "run_id": ctx.run_id,
        "task": task,
        "task_instance": ti,
        "ti": ti,
        "task_instance_key_str": f"{ctx.dag_name}__{ctx.task_name}__{ds_nodash}",
        "params": params,
        "macros": _MACROS,
        "logical_date": logical,
        "execution_date": logical,
        "data_interval_start": interval_start,
        "data_interval_end": interval_end,
        "ds": ds,
        "ds_nodash": ds_nodash,
        "ts": ts,
        "ts_nodash": logical.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
        "yesterday_ds": yesterday,
        "yesterday_ds_nodash": yesterday.replace("-", ""),
        "tomorrow_ds": tomorrow,
        "tomorrow_ds_nodash": tomorrow.replace("-", ""),
        "prev_data_interval_start_success": _utc_or_none(
            ctx.prev_data_interval_start_success, "prev_data_interval_start_success"
        ),
        "prev_data_interval_end_success": _utc_or_none(
            ctx.prev_data_interval_end_success, "prev_data_interval_end_success"
        ),
        "prev_start_date_success": _utc_or_none(
            ctx.prev_start_date_success, "prev_start_date_success"
        ),
        "prev_end_date_success": _utc_or_none(ctx.prev_end_date_success, "prev_end_date_success"),
        "map_index": map_index,
        "test_mode": False,
    }
    if ctx.map_index is not None:
        context["item"] = _wrap(ctx.expand_item, "item")
    return context


def _has_markup(source: str) -> bool:
    return "{{" in source or "{%" in source or "{#" in source


def _syntax_detail(source: str, exc: TemplateSyntaxError) -> str:
    detail = (exc.message or str(exc)).rstrip(".")
    if "\n" in source.rstrip("\n") and exc.lineno:
        return f"line {exc.lineno}: {detail}"
    return detail


def render(template: str, context: Mapping[str, Any], where: str) -> str:
    """Render one templated field; every failure is a TemplateError naming `where`."""
    if not _has_markup(template):
        return template
    try:
        compiled = _compile(template)
        chunks: list[str] = []
        size = 0
        for chunk in compiled.generate(context):
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise TemplateError(
                    where, f"rendered value is too large (over {MAX_RENDERED_CHARS} characters)"
                )
            chunks.append(chunk)
        return "".join(chunks)
    except TemplateError:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateError(where, _syntax_detail(template, exc)) from exc
    except (SecurityError, UndefinedError) as exc:  # unsafe access, refused, undefined
        raise TemplateError(where, str(exc).rstrip(".")) from exc
    except Exception as exc:  # a template must never crash the operator
        raise TemplateError(where, f"{type(exc).__name__}: {exc}") from exc


def _templated_fields(task: TaskSpec) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    if task.bash is not None:
        fields.append(("bash", task.bash))
    if task.python is not None:
        fields.append(("python", task.python))
    fields.extend((f"command[{i}]", part) for i, part in enumerate(task.command or []))
    fields.extend((f"args[{i}]", part) for i, part in enumerate(task.args or []))
    fields.extend(
        (f"env[{var.name}]", var.value) for var in task.env or [] if var.value is not None
    )
    return fields


def render_task(task: TaskSpec, context: Mapping[str, Any]) -> RenderedTask:
    """Render a task's templated fields (bash, python, command, args, env values).

    Raises the TemplateError of the first field that fails.
    """

    def one(where: str, source: str | None) -> str | None:
        return None if source is None else render(source, context, where)

    def many(where: str, sources: list[str] | None) -> list[str] | None:
        if sources is None:
            return None
        return [render(part, context, f"{where}[{i}]") for i, part in enumerate(sources)]

    env = None
    if task.env is not None:
        env = [
            var
            if var.value is None
            else var.model_copy(update={"value": render(var.value, context, f"env[{var.name}]")})
            for var in task.env
        ]
    return RenderedTask(
        bash=one("bash", task.bash),
        python=one("python", task.python),
        command=many("command", task.command),
        args=many("args", task.args),
        env=env,
    )


def check_template_syntax(task: TaskSpec) -> list[str]:
    """Syntax errors in a task's templates, found by parsing and compiling without
    rendering (unknown filters are found too), e.g.
    "task 'x': bash: unexpected end of template, expected 'end of print statement'"."""
    problems: list[str] = []
    for where, source in _templated_fields(task):
        if not _has_markup(source):
            continue
        try:
            _compile(source)
        except TemplateSyntaxError as exc:
            problems.append(f"task {task.name!r}: {where}: {_syntax_detail(source, exc)}")
    return problems
