"""Airflow's Jinja templating in a sandbox: context names and formats, errors, escapes."""

from __future__ import annotations

import builtins
import dataclasses
import importlib
import io
import os
import shutil
import socket
import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.sandbox import SandboxedEnvironment

from kairflow.api.dag import EnvVar, TaskSpec
from kairflow.core.templating import (
    MAX_RENDERED_CHARS,
    RenderedTask,
    TemplateContext,
    TemplateError,
    build_context,
    check_template_syntax,
    render,
    render_task,
)

KST = timezone(timedelta(hours=9))

BASE = TemplateContext(
    dag_name="sample-dag",
    run_id="scheduled__2021-01-01T00:00:00+00:00",
    run_type="scheduled",
    logical_date=datetime(2021, 1, 1, tzinfo=UTC),
    data_interval_start=datetime(2021, 1, 1, tzinfo=UTC),
    data_interval_end=datetime(2021, 1, 2, tzinfo=UTC),
    task_name="extract",
    params={"fruit": "apple", "size": {"w": 1, "h": 2}, "n": 3},
    conf={"fruit": "pear", "extra": True},
    try_number=2,
    xcoms={
        "first": {"rows": 10, "path": "/tmp/a"},
        "scalar": 7,
        "listy": [1, 2],
        "mapped": [10, None, 30],
    },
    mapped_tasks=frozenset({"mapped"}),
    timezone="Asia/Seoul",
)
MAPPED = dataclasses.replace(
    BASE, task_name="fan", map_index=2, expand_item={"city": "Seoul", "n": 5}
)


def rendered(template: str, ctx: TemplateContext = BASE) -> str:
    return render(template, build_context(ctx), "bash")


def failure(template: str, ctx: TemplateContext = BASE) -> str:
    with pytest.raises(TemplateError) as info:
        rendered(template, ctx)
    return str(info.value)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("{{ ds }}", "2021-01-01", id="ds is the logical date as YYYY-MM-DD"),
        pytest.param("{{ ds_nodash }}", "20210101", id="ds_nodash drops the dashes"),
        pytest.param("{{ ts }}", "2021-01-01T00:00:00+00:00", id="ts is isoformat with offset"),
        pytest.param("{{ ts_nodash }}", "20210101T000000", id="ts_nodash has no offset"),
        pytest.param(
            "{{ ts_nodash_with_tz }}", "20210101T000000+0000", id="ts_nodash_with_tz keeps +0000"
        ),
        pytest.param(
            "{{ logical_date }}", "2021-01-01 00:00:00+00:00", id="logical_date is a datetime"
        ),
        pytest.param("{{ execution_date.year }}", "2021", id="execution_date is the same datetime"),
        pytest.param(
            "{{ data_interval_start }} {{ data_interval_end }}",
            "2021-01-01 00:00:00+00:00 2021-01-02 00:00:00+00:00",
            id="the data interval is two datetimes",
        ),
        pytest.param(
            "{{ yesterday_ds }} {{ tomorrow_ds_nodash }}",
            "2020-12-31 20210102",
            id="the deprecated yesterday and tomorrow names still work",
        ),
        pytest.param(
            "{{ run_id }}", "scheduled__2021-01-01T00:00:00+00:00", id="run_id is the run's id"
        ),
        pytest.param(
            "{{ task_instance_key_str }}",
            "sample-dag__extract__20210101",
            id="task_instance_key_str is dag__task__ds_nodash",
        ),
        pytest.param(
            "{{ dag.dag_id }} {{ dag.timezone }}",
            "sample-dag Asia/Seoul",
            id="dag has its id and time zone",
        ),
        pytest.param("{{ task.task_id }}", "extract", id="task has its id"),
        pytest.param(
            "{{ ti.task_id }} {{ ti.dag_id }} {{ ti.try_number }} {{ ti.map_index }}",
            "extract sample-dag 2 -1",
            id="ti has the try and map index -1 when unmapped like Airflow",
        ),
        pytest.param(
            "{{ task_instance.run_id }}",
            "scheduled__2021-01-01T00:00:00+00:00",
            id="task_instance is ti",
        ),
        pytest.param("{{ map_index }}", "-1", id="an unmapped instance's map_index is -1"),
        pytest.param(
            "{{ dag_run.run_id }} {{ dag_run.run_type }} {{ dag_run.external_trigger }}",
            "scheduled__2021-01-01T00:00:00+00:00 scheduled False",
            id="dag_run has its id and type",
        ),
        pytest.param(
            "{{ dag_run.conf.fruit }} {{ dag_run.conf['extra'] }}",
            "pear True",
            id="dag_run.conf is the run's conf",
        ),
        pytest.param(
            "{{ dag_run.logical_date | ds }} {{ dag_run.data_interval_end | ds }}",
            "2021-01-01 2021-01-02",
            id="dag_run has the logical date and data interval",
        ),
        pytest.param(
            "{{ params.fruit }} {{ params.n }} {{ params.extra }}",
            "pear 3 True",
            id="the run's conf overrides and extends params",
        ),
        pytest.param(
            "{{ params.size.h }} {{ dag.params.fruit }}",
            "2 apple",
            id="nested params are reachable and dag.params keeps the DAG's own",
        ),
        pytest.param(
            "{{ prev_data_interval_start_success }} {{ prev_start_date_success }}",
            "None None",
            id="with no earlier success the prev success names are None",
        ),
        pytest.param(
            "{{ data_interval_end | ds }} {{ logical_date | ds_nodash }}",
            "2021-01-02 20210101",
            id="Airflow's ds and ds_nodash filters",
        ),
        pytest.param(
            "{{ data_interval_end | ts }} {{ data_interval_end | ts_nodash }}",
            "2021-01-02T00:00:00+00:00 20210102T000000",
            id="Airflow's ts and ts_nodash filters",
        ),
        pytest.param(
            "{{ data_interval_end | ts_nodash_with_tz }} {{ None | ds }}",
            "20210102T000000+0000 None",
            id="Airflow's ts_nodash_with_tz filter and None passes through",
        ),
        pytest.param(
            "{{ macros.ds_add(ds, 5) }} {{ macros.ds_add(ds, -1) }} {{ macros.ds_add(ds, 0) }}",
            "2021-01-06 2020-12-31 2021-01-01",
            id="macros.ds_add moves a ds by days",
        ),
        pytest.param(
            "{{ macros.ds_format(ds, '%Y-%m-%d', '%m/%d/%y') }}",
            "01/01/21",
            id="macros.ds_format reformats a date",
        ),
        pytest.param(
            "{{ (logical_date - macros.timedelta(days=1)).strftime('%Y%m%d') }}",
            "20201231",
            id="macros.timedelta does date arithmetic",
        ),
        pytest.param(
            "{{ macros.datetime(2020, 2, 29).isoformat() }}",
            "2020-02-29T00:00:00",
            id="macros.datetime is the datetime class",
        ),
        pytest.param(
            "{{ (logical_date + macros.dateutil.relativedelta.relativedelta(months=-1)) | ds }}",
            "2020-12-01",
            id="macros.dateutil.relativedelta as Airflow spells it",
        ),
        pytest.param(
            "{{ macros.dateutil.parser.parse('2021-03-04T05:06:07Z') | ts }}",
            "2021-03-04T05:06:07+00:00",
            id="macros.dateutil.parser.parse",
        ),
        pytest.param(
            "{{ macros.uuid.uuid4() | string | length }}",
            "36",
            id="macros.uuid.uuid4 gives a UUID",
        ),
        pytest.param(
            "{{ 0 <= macros.random() < 1 }} {{ macros.time.time() > 0 }}",
            "True True",
            id="macros.random and macros.time.time",
        ),
        pytest.param("{{ test_mode }}", "False", id="test_mode is always False"),
        pytest.param(
            "{{ params | tojson }}",
            '{"extra": true, "fruit": "pear", "n": 3, "size": {"h": 2, "w": 1}}',
            id="params serialize to JSON",
        ),
    ],
)
def test_context_names_and_formats(template: str, expected: str) -> None:
    assert rendered(template) == expected


@pytest.mark.parametrize(
    ("field", "value", "template", "expected"),
    [
        pytest.param(
            "logical_date",
            datetime(2021, 1, 1, 9, tzinfo=KST),
            "{{ ds }} {{ ts }}",
            "2021-01-01 2021-01-01T00:00:00+00:00",
            id="dates with another offset are shown in UTC like Airflow",
        ),
        pytest.param(
            "logical_date",
            datetime(2021, 1, 1, 8, 59, tzinfo=KST),
            "{{ ds }} {{ ts_nodash }}",
            "2020-12-31 20201231T235900",
            id="ds is the UTC date even when the local date differs",
        ),
        pytest.param(
            "logical_date",
            datetime(2021, 1, 1, 0, 0, 0, 250, tzinfo=UTC),
            "{{ ts }}",
            "2021-01-01T00:00:00.000250+00:00",
            id="ts keeps microseconds",
        ),
        pytest.param(
            "prev_data_interval_start_success",
            datetime(2020, 12, 31, 9, tzinfo=KST),
            "{{ prev_data_interval_start_success | ts }}",
            "2020-12-31T00:00:00+00:00",
            id="the previous success's interval start is a UTC datetime",
        ),
        pytest.param(
            "prev_start_date_success",
            datetime(2021, 1, 1, 0, 5, tzinfo=UTC),
            "{{ prev_start_date_success.minute }}",
            "5",
            id="the previous success's start date",
        ),
        pytest.param(
            "conf",
            {"size": {"w": 9}},
            "{{ params.size }}",
            "{'w': 9}",
            id="conf overrides a param whole (a shallow update like Airflow)",
        ),
        pytest.param(
            "run_type",
            "manual",
            "{{ dag_run.external_trigger }}",
            "True",
            id="a manual run is externally triggered",
        ),
    ],
)
def test_context_follows_the_template_context(
    field: str, value: Any, template: str, expected: str
) -> None:
    ctx = dataclasses.replace(BASE, **{field: value})
    assert rendered(template, ctx) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("{{ item.city }}-{{ item.n }}", "Seoul-5", id="item is the mapped value"),
        pytest.param(
            "{{ map_index }} {{ ti.map_index }}", "2 2", id="map_index is the instance's index"
        ),
        pytest.param("{{ item | tojson }}", '{"city": "Seoul", "n": 5}', id="item as JSON"),
    ],
)
def test_mapped_instances_see_their_item(template: str, expected: str) -> None:
    assert rendered(template, MAPPED) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(None, "None", id="a null item is still defined"),
        pytest.param("s3://b/k", "s3://b/k", id="a string item"),
        pytest.param([1, 2], "[1, 2]", id="a list item"),
    ],
)
def test_any_json_value_can_be_an_item(item: Any, expected: str) -> None:
    assert rendered("{{ item }}", dataclasses.replace(MAPPED, expand_item=item)) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param(
            "{{ ti.xcom_pull('first') }}",
            "{'rows': 10, 'path': '/tmp/a'}",
            id="xcom_pull of one task gives its value",
        ),
        pytest.param(
            "{{ ti.xcom_pull(task_ids='first').rows }}",
            "10",
            id="xcom_pull by keyword and into the value",
        ),
        pytest.param(
            "{{ ti.xcom_pull('nobody') }}", "None", id="a task with no XCom gives None like Airflow"
        ),
        pytest.param(
            "{{ ti.xcom_pull('nobody', default='x') }}", "x", id="or the default when given"
        ),
        pytest.param(
            "{{ ti.xcom_pull(['scalar', 'nobody', 'first']) }}",
            "[7, {'rows': 10, 'path': '/tmp/a'}]",
            id="a list of task ids gives the values that exist in order",
        ),
        pytest.param(
            "{{ ti.xcom_pull(['mapped', 'scalar']) }}",
            "[10, 30, 7]",
            id="a mapped task's instances are flattened in a list pull",
        ),
        pytest.param(
            "{{ ti.xcom_pull('mapped') }}",
            "[10, None, 30]",
            id="a mapped task gives its instances' values in map-index order",
        ),
        pytest.param(
            "{{ ti.xcom_pull('mapped', map_indexes=2) }}",
            "30",
            id="map_indexes picks one instance",
        ),
        pytest.param(
            "{{ ti.xcom_pull('mapped', map_indexes=[2, 0, 9]) }}",
            "[30, 10]",
            id="a list of map_indexes picks those that exist",
        ),
        pytest.param(
            "{{ ti.xcom_pull('mapped', map_indexes=1) }}",
            "None",
            id="an instance that pushed nothing gives None",
        ),
        pytest.param(
            "{{ ti.xcom_pull('listy', map_indexes=0) }}",
            "None",
            id="map_indexes on an unmapped task finds nothing like Airflow",
        ),
        pytest.param("{{ ti.xcom_pull() }}", "None", id="no task ids means this task's own XCom"),
        pytest.param(
            "{{ ti.xcom_pull('scalar', dag_id='sample-dag', key='return_value') }}",
            "7",
            id="this dag and the return_value key are accepted",
        ),
        pytest.param(
            "{% set r = ti.xcom_pull('first') %}{{ r.rows + 1 }}",
            "11",
            id="an XCom can be used in expressions",
        ),
    ],
)
def test_xcom_pull(template: str, expected: str) -> None:
    assert rendered(template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param("{{ nope }}", "bash: 'nope' is undefined", id="an undefined name fails"),
        pytest.param(
            "{{ params.missing }}",
            "bash: 'params' has no attribute 'missing'",
            id="a missing param names params",
        ),
        pytest.param(
            "{{ params.size.depth }}",
            "bash: 'params.size' has no attribute 'depth'",
            id="a missing nested param names its path",
        ),
        pytest.param(
            "{{ dag_run.conf['x'] }}",
            "bash: 'dag_run.conf' has no attribute 'x'",
            id="a missing conf key names dag_run.conf",
        ),
        pytest.param(
            "{{ ti.xcom_pull('first').nope }}",
            "bash: \"ti.xcom_pull('first')\" has no attribute 'nope'",
            id="a missing key in an XCom names the pull",
        ),
        pytest.param(
            "{{ dag_run.nope }}", "bash: 'dag_run' has no attribute 'nope'", id="dag_run attribute"
        ),
        pytest.param(
            "{% if params.nope %}x{% endif %}",
            "bash: 'params' has no attribute 'nope'",
            id="an undefined value fails in a test too",
        ),
        pytest.param(
            "{{ var.value.bucket }}",
            "bash: 'var' is not supported: Airflow Variables become ConfigMaps or Secrets; "
            "pass them to the task with env / envFrom and read them from the environment",
            id="var explains Variables are ConfigMaps and Secrets",
        ),
        pytest.param(
            "{{ conn.my_db.host }}",
            "bash: 'conn' is not supported: Airflow Connections become Secrets; "
            "pass them to the task with env / envFrom and read them from the environment",
            id="conn explains Connections are Secrets",
        ),
        pytest.param(
            "{{ conf.get('core', 'x') }}",
            "bash: 'conf' (Airflow's configuration) is not available; "
            "the run's configuration is dag_run.conf",
            id="conf points to dag_run.conf",
        ),
        pytest.param(
            "{{ item }}",
            "bash: 'item' is only defined for mapped task instances (expand)",
            id="item outside a mapped instance says why",
        ),
        pytest.param(
            "{{ next_ds }}",
            "bash: 'next_ds' is not supported (deprecated since Airflow 2.2); "
            "use data_interval_start / data_interval_end",
            id="removed deprecated names point to the data interval",
        ),
        pytest.param(
            "{{ ti.xcom_pull('first', key='rows') }}",
            "bash: xcom_pull(key='rows') is not supported: a task has one XCom, "
            "the JSON it writes to $KAIRFLOW_XCOM_FILE (key 'return_value')",
            id="xcom_pull with another key says a task has one XCom",
        ),
        pytest.param(
            "{{ ti.xcom_pull('first', dag_id='other') }}",
            "bash: xcom_pull from another DAG is not supported",
            id="xcom_pull from another dag is refused",
        ),
        pytest.param(
            "{{ ti.xcom_pull('first', include_prior_dates=True) }}",
            "bash: xcom_pull(include_prior_dates=True) is not supported",
            id="xcom_pull from earlier runs is refused",
        ),
        pytest.param(
            "{{ ti.xcom_push('k', 1) }}",
            "bash: xcom_push is not supported in templates; a task pushes its XCom by "
            "writing JSON to $KAIRFLOW_XCOM_FILE",
            id="xcom_push explains how a task pushes",
        ),
        pytest.param(
            "{{ 1 / 0 }}", "bash: ZeroDivisionError: division by zero", id="a runtime error"
        ),
        pytest.param(
            "{{ macros.ds_add('01/01/2021', 1) }}",
            "bash: ValueError: time data '01/01/2021' does not match format '%Y-%m-%d'",
            id="a macro's error is reported",
        ),
        pytest.param(
            "{{ x",
            "bash: unexpected end of template, expected 'end of print statement'",
            id="an unclosed expression",
        ),
        pytest.param("{{ } }}", "bash: unexpected '}'", id="an unexpected brace"),
        pytest.param(
            "echo a\necho {{ ds }\n",
            "bash: line 2: unexpected '}'",
            id="a multi-line template names the line",
        ),
        pytest.param("{{ ds | nosuch }}", "bash: No filter named 'nosuch'", id="an unknown filter"),
        pytest.param(
            "{% for x in %}{% endfor %}",
            "bash: Expected an expression, got 'end of statement block'",
            id="a broken statement",
        ),
    ],
)
def test_errors_name_the_field_and_say_what_is_wrong(template: str, message: str) -> None:
    assert failure(template) == message


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            "{{ ''.__class__.__mro__ }}",
            "bash: access to attribute '__class__' of 'str' object is unsafe",
            id="a string's class",
        ),
        pytest.param(
            "{{ ().__class__.__base__.__subclasses__() }}",
            "bash: access to attribute '__class__' of 'tuple' object is unsafe",
            id="object subclasses through a tuple",
        ),
        pytest.param(
            "{{ macros.datetime.__init__.__globals__ }}",
            "bash: access to attribute '__init__' of 'type' object is unsafe",
            id="a macro class's globals",
        ),
        pytest.param(
            "{{ macros.ds_add.__globals__['os'] }}",
            "bash: access to attribute '__globals__' of 'function' object is unsafe",
            id="a macro function's globals",
        ),
        pytest.param(
            "{{ cycler.__init__.__globals__.os }}",
            "bash: access to attribute '__init__' of 'type' object is unsafe",
            id="jinja's cycler globals",
        ),
        pytest.param(
            "{{ namespace.__init__.__globals__ }}",
            "bash: access to attribute '__init__' of 'type' object is unsafe",
            id="jinja's namespace globals",
        ),
        pytest.param(
            "{{ macros.datetime.mro() }}",
            "bash: access to attribute 'mro' of 'type' object is unsafe",
            id="a class's mro",
        ),
        pytest.param(
            "{{ ti.xcom_pull.__func__ }}",
            "bash: access to attribute '__func__' of 'method' object is unsafe",
            id="a bound method's function",
        ),
        pytest.param(
            "{{ ti._ctx }}",
            "bash: access to attribute '_ctx' of 'ti' is unsafe",
            id="private attributes of context objects",
        ),
        pytest.param(
            "{{ params._template_name }}",
            "bash: access to attribute '_template_name' of 'params' is unsafe",
            id="private attributes of params",
        ),
        pytest.param(
            "{{ '{0.__class__.__base__}'.format(1) }}",
            "bash: access to attribute '__class__' of 'int' object is unsafe",
            id="a format string walking to a class",
        ),
        pytest.param(
            "{{ '{f.__globals__}'.format_map({'f': macros.ds_add}) }}",
            "bash: access to attribute '__globals__' of 'function' object is unsafe",
            id="format_map walking to globals",
        ),
        pytest.param(
            "{{ (params|attr('__class__')) }}",
            "bash: access to attribute '__class__' of 'params' is unsafe",
            id="the attr filter",
        ),
        pytest.param(
            "{{ macros.uuid.os }}",
            "bash: 'macros.uuid' has no attribute 'os'",
            id="macros are not modules: no way to os",
        ),
        pytest.param(
            "{{ macros.time.sleep(600) }}",
            "bash: 'macros.time' has no attribute 'sleep'",
            id="macros cannot block the operator",
        ),
        pytest.param(
            "{{ macros.uuid.uuid1() }}",
            "bash: 'macros.uuid' has no attribute 'uuid1'",
            id="uuid1 could run ifconfig and is left out",
        ),
        pytest.param("{{ lipsum(100000) }}", "bash: 'lipsum' is undefined", id="lipsum is removed"),
        pytest.param(
            "{{ self.__init__ }}",
            "bash: access to attribute '__init__' of 'TemplateReference' object is unsafe",
            id="the template self reference",
        ),
        pytest.param(
            "{{ 'x' * 10**9 }}",
            "bash: repetition would be too large (1000000000 > 1000000)",
            id="a huge string repetition",
        ),
        pytest.param(
            "{{ [0] * 10**7 }}",
            "bash: repetition would be too large (10000000 > 1000000)",
            id="a huge list repetition",
        ),
        pytest.param(
            "{{ 10 ** 100000 }}", "bash: integer power would be too large", id="a huge power"
        ),
        pytest.param(
            "{% set n = 2 ** 50000 %}{{ n * n }}",
            "bash: integer product would be too large",
            id="a huge product",
        ),
        pytest.param(
            "{% set s = 'x' * 1000000 %}{{ s + s }}",
            "bash: concatenation would be too large (2000000 > 1000000)",
            id="a huge concatenation",
        ),
        pytest.param(
            "{{ '%999999999d' % 1 }}",
            "bash: %-format width '999999999' is not allowed",
            id="a huge percent-format width",
        ),
        pytest.param(
            "{{ '%*d' % (5, 1) }}",
            "bash: %-format width '*' is not allowed",
            id="a star percent-format width",
        ),
        pytest.param(
            "{{ '{:999999999}'.format(1) }}",
            "bash: format spec '999999999' is not allowed",
            id="a huge format width",
        ),
        pytest.param(
            "{{ '{:{}}'.format(1, 999999999) }}",
            "bash: format spec '{}' is not allowed",
            id="a nested format width",
        ),
        pytest.param(
            "{{ 'x'.ljust(10**9) }}",
            "bash: str.ljust would be too large (1000000000 > 1000000)",
            id="a huge ljust",
        ),
        pytest.param(
            "{% set s = 'x' * 2000 %}{{ s.replace('x', s) }}",
            "bash: replace would be too large (4000000 > 1000000)",
            id="a huge str replace",
        ),
        pytest.param(
            "{% set s = 'x' * 2000 %}{{ s | replace('x', s) }}",
            "bash: replace would be too large (4000000 > 1000000)",
            id="a huge replace filter",
        ),
        pytest.param(
            "{{ 'x' | center(10**9) }}",
            "bash: center would be too large (1000000000 > 1000000)",
            id="a huge center filter",
        ),
        pytest.param(
            "{{ ('x\n' * 1000) | indent(10000) }}",
            "bash: indent would be too large (10012000 > 1000000)",
            id="a huge indent filter",
        ),
        pytest.param(
            "{{ '%999999999d' | format(1) }}",
            "bash: %-format width '999999999' is not allowed",
            id="a huge format filter",
        ),
        pytest.param(
            "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
            f"bash: rendered value is too large (over {MAX_RENDERED_CHARS} characters)",
            id="a loop rendering too much",
        ),
    ],
)
def test_sandbox_escapes_and_resource_bombs_are_refused(template: str, message: str) -> None:
    assert failure(template) == message


def _dangerous_ids() -> set[int]:
    names = ("open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "globals")
    found = {id(getattr(builtins, name)) for name in names}
    for module in (os, subprocess, socket, shutil, sys, io, importlib):
        found.update(id(value) for value in vars(module).values() if callable(value))
    return found


def _reachable_danger(roots: dict[str, Any], depth: int = 5) -> list[str]:
    """Paths to modules or process/file/network functions a template could reach by
    attributes, keys and items, following the sandbox's own attribute rule."""
    sandbox, dangerous = SandboxedEnvironment(), _dangerous_ids()
    seen: set[int] = set()
    found: list[str] = []
    frontier = list(roots.items())
    for _ in range(depth):
        following: list[tuple[str, Any]] = []
        for path, obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, types.ModuleType) or id(obj) in dangerous:
                found.append(path)
                continue
            if isinstance(obj, str | bytes | int | float | None):
                continue
            for attr in dir(obj):
                try:
                    value = getattr(obj, attr)
                except Exception:  # a property may refuse: nothing to reach there
                    continue
                if sandbox.is_safe_attribute(obj, attr, value):
                    following.append((f"{path}.{attr}", value))
            if isinstance(obj, dict):
                following += [(f"{path}[{key!r}]", value) for key, value in obj.items()]
            if isinstance(obj, list):
                following += [(f"{path}[{i}]", value) for i, value in enumerate(obj)]
        frontier = following
    return found


@pytest.mark.parametrize(
    ("roots", "expected"),
    [
        pytest.param(
            {**DEFAULT_NAMESPACE, **build_context(MAPPED)},
            [],
            id="nothing in the context or jinja globals reaches a module or os function",
        ),
        pytest.param(
            {"planted": {"x": [os.path]}, "fn": os.system},
            ["fn", "planted['x'][0]"],
            id="the walk does find a planted module and os function",
        ),
    ],
)
def test_no_file_network_or_process_access_is_reachable(
    roots: dict[str, Any], expected: list[str]
) -> None:
    assert sorted(_reachable_danger(roots)) == expected


def test_templates_cannot_change_the_callers_data() -> None:
    params = {"fruit": "apple", "tags": ["a"]}
    xcoms = {"first": {"rows": 1}}
    ctx = dataclasses.replace(BASE, params=params, conf={}, xcoms=xcoms)
    out = rendered(
        "{% set _ = params.update({'fruit': 'x'}) %}{% set _ = params.tags.append('b') %}"
        "{% set _ = ti.xcom_pull('first').update({'rows': 2}) %}{{ params.fruit }}",
        ctx,
    )
    assert out == "x"
    assert params == {"fruit": "apple", "tags": ["a"]}
    assert xcoms == {"first": {"rows": 1}}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("echo {not a template}", "echo {not a template}", id="braces are not Jinja"),
        pytest.param("echo hi\n", "echo hi\n", id="a plain trailing newline is kept"),
        pytest.param("echo {{ ds }}\n", "echo 2021-01-01\n", id="a rendered trailing newline too"),
        pytest.param("<b>{{ '&' }}</b>", "<b>&</b>", id="nothing is HTML-escaped"),
        pytest.param("{# note #}x", "x", id="comments disappear"),
        pytest.param(
            "{% for f in ['a', 'b'] %}{{ f }}{{ loop.index }} {% endfor %}",
            "a1 b2 ",
            id="loops work",
        ),
        pytest.param(
            "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}"
            "{% endfor %}{{ ns.n }}",
            "3",
            id="namespace assignments work",
        ),
        pytest.param("{{ 'x' * 10 }}", "xxxxxxxxxx", id="small repetitions work"),
        pytest.param("{{ '%05d' % 42 }}", "00042", id="small format widths work"),
        pytest.param("{{ '{:>6}'.format('ab') }}", "    ab", id="small format specs work"),
        pytest.param("{{ 2 ** 10 }}", "1024", id="small powers work"),
    ],
)
def test_render_behaves_like_airflow_for_ordinary_templates(template: str, expected: str) -> None:
    assert rendered(template) == expected


def test_naive_datetimes_are_refused() -> None:
    ctx = dataclasses.replace(BASE, logical_date=datetime(2021, 1, 1))
    with pytest.raises(ValueError, match="logical_date must be timezone-aware"):
        build_context(ctx)


def task(**fields: Any) -> TaskSpec:
    return TaskSpec.model_validate({"name": "extract", **fields})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"bash": "echo {{ ds }} {{ params.fruit }}"},
            RenderedTask(bash="echo 2021-01-01 pear"),
            id="a bash task renders its script",
        ),
        pytest.param(
            {"python": "print('{{ ts }}')\n"},
            RenderedTask(python="print('2021-01-01T00:00:00+00:00')\n"),
            id="a python task renders its code",
        ),
        pytest.param(
            {"image": "alpine", "command": ["sh", "-c"], "args": ["echo {{ ds_nodash }}", "x"]},
            RenderedTask(command=["sh", "-c"], args=["echo 20210101", "x"]),
            id="a container task renders command and args item by item",
        ),
        pytest.param(
            {
                "bash": "env",
                "env": [
                    {"name": "DAY", "value": "{{ ds }}"},
                    {"name": "PLAIN", "value": "x"},
                    {"name": "EMPTY", "value": ""},
                    {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                ],
            },
            RenderedTask(
                bash="env",
                env=[
                    EnvVar(name="DAY", value="2021-01-01"),
                    EnvVar(name="PLAIN", value="x"),
                    EnvVar(name="EMPTY", value=""),
                    EnvVar(name="SECRET", value_from={"secretKeyRef": {"name": "s", "key": "k"}}),
                ],
            ),
            id="env values render and valueFrom is untouched",
        ),
        pytest.param({}, RenderedTask(), id="an empty task renders nothing"),
    ],
)
def test_render_task(spec: dict[str, Any], expected: RenderedTask) -> None:
    assert render_task(task(**spec), build_context(BASE)) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            {"bash": "echo {{ params.missing }}"},
            "bash: 'params' has no attribute 'missing'",
            id="bash errors name bash",
        ),
        pytest.param(
            {"python": "{{ nope }}"}, "python: 'nope' is undefined", id="python errors name python"
        ),
        pytest.param(
            {"image": "a", "command": ["{{ x }"]},
            "command[0]: unexpected '}'",
            id="command errors name the item",
        ),
        pytest.param(
            {"image": "a", "command": ["run"], "args": ["ok", "{{ x }"]},
            "args[1]: unexpected '}'",
            id="args errors name the item",
        ),
        pytest.param(
            {"bash": "env", "env": [{"name": "DAY", "value": "{{ var.value.day }}"}]},
            "env[DAY]: 'var' is not supported: Airflow Variables become ConfigMaps or "
            "Secrets; pass them to the task with env / envFrom and read them from the "
            "environment",
            id="env errors name the variable",
        ),
    ],
)
def test_render_task_errors_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render_task(task(**spec), build_context(BASE))
    assert str(info.value) == message
    assert info.value.where == message.split(":", 1)[0]


@pytest.mark.parametrize(
    ("spec", "problems"),
    [
        pytest.param({"bash": "echo {{ ds }}"}, [], id="a valid template has no problems"),
        pytest.param(
            {"bash": "echo {{ nope }}"},
            [],
            id="undefined names are not syntax errors (found when rendering)",
        ),
        pytest.param(
            {"bash": "echo {{ ds"},
            ["task 'extract': bash: unexpected end of template, expected 'end of print statement'"],
            id="an unclosed expression",
        ),
        pytest.param(
            {"python": "a = 1\nprint({{ x | nosuch }})"},
            ["task 'extract': python: line 2: No filter named 'nosuch'"],
            id="an unknown filter with its line",
        ),
        pytest.param(
            {
                "image": "a",
                "command": ["{% if %}"],
                "args": ["{{ ok }}", "{{ }"],
                "env": [{"name": "A", "value": "{% endfor %}"}, {"name": "B"}],
            },
            [
                "task 'extract': command[0]: Expected an expression, got 'end of statement block'",
                "task 'extract': args[1]: unexpected '}'",
                "task 'extract': env[A]: Encountered unknown tag 'endfor'",
            ],
            id="every broken field is reported",
        ),
    ],
)
def test_check_template_syntax(spec: dict[str, Any], problems: list[str]) -> None:
    assert check_template_syntax(task(**spec)) == problems
