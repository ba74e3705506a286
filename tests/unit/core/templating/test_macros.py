"""Airflow's macros namespace and its ds / ts filters."""

from __future__ import annotations

import pytest

from tests.unit.core.templating.samples import rendered


@pytest.mark.parametrize(
    ("template", "expected"),
    [
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
    ],
)
def test_macros_and_date_filters(template: str, expected: str) -> None:
    assert rendered(template) == expected
