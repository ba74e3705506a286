"""Undefined names fail, naming what is missing or what Kairflow offers instead."""

from __future__ import annotations

import pytest

from tests.unit.core.templating.samples import failure


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
    ],
)
def test_undefined_names_say_what_is_missing_or_what_to_use_instead(
    template: str, message: str
) -> None:
    assert failure(template) == message
