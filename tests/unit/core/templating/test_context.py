"""What templates see: Airflow's context names and formats, mapped items, xcom_pull."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.core.templating import build_context
from tests.unit.core.templating.samples import BASE, KST, MAPPED, failure, rendered


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
    ],
)
def test_xcom_pull_refuses_what_a_task_cannot_have(template: str, message: str) -> None:
    assert failure(template) == message


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


def test_naive_datetimes_are_refused() -> None:
    ctx = dataclasses.replace(BASE, logical_date=datetime(2021, 1, 1))
    with pytest.raises(ValueError, match="logical_date must be timezone-aware"):
        build_context(ctx)
