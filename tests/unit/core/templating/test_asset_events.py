"""An asset run's templates see `triggering_asset_events` in Airflow's shape: a
mapping from URI to the list of events, each with Airflow's AssetEvent attributes."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.core.templating.samples import BASE, rendered

EVENTS = {
    "s3://a": [
        {
            "id": "e1",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "sourceDagId": "producer",
            "sourceTaskId": "write",
            "sourceRunId": "manual__x",
            "sourceMapIndex": -1,
            "extra": {"rows": 3},
        },
        {"id": "e2", "timestamp": "2026-01-01T00:05:00+00:00", "extra": {"rows": 4}},
    ],
}
ASSET_RUN = dataclasses.replace(BASE, run_type="asset_triggered", triggering_asset_events=EVENTS)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param(
            "{{ triggering_asset_events['s3://a'] | length }}", "2", id="every event of the asset"
        ),
        pytest.param(
            "{{ triggering_asset_events['s3://a'][0].extra.rows }}", "3", id="an event's extra"
        ),
        pytest.param(
            "{{ triggering_asset_events['s3://a'][0].source_dag_id }}."
            "{{ triggering_asset_events['s3://a'][0].source_task_id }}",
            "producer.write",
            id="where an event comes from",
        ),
        pytest.param(
            "{{ triggering_asset_events['s3://a'][-1].timestamp.minute }}",
            "5",
            id="an event's timestamp is a datetime",
        ),
        pytest.param(
            "{% for uri, events in triggering_dataset_events.items() %}{{ uri }}:"
            "{{ events[0].uri }}{% endfor %}",
            "s3://a:s3://a",
            id="Airflow 2's triggering_dataset_events is the same mapping",
        ),
    ],
)
def test_asset_run_templates(template: str, expected: str) -> None:
    assert rendered(template, ASSET_RUN) == expected


def test_other_runs_see_no_events() -> None:
    assert rendered("{{ triggering_asset_events | length }}") == "0"
