"""`kairflow dags import-airflow`: what cannot be converted is reported per task, DAG or
file with its line, and the rest still converts; --strict fails instead."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from kairflow.airflow_import import import_file
from kairflow.cli.errors import EXIT_USAGE
from kairflow.sdk.skipping import SKIP_EXIT_CODE
from tests.cli import kairflow
from tests.unit.sdk.helpers import run_python_task

PROVIDER = """
from airflow.models.dag import DAG
from airflow.operators.bash import BashOperator
from airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator
with DAG("uses_a_provider", schedule=None):
    make = S3CreateBucketOperator(task_id="make_bucket", bucket_name="b")
    make >> BashOperator(task_id="after", bash_command="echo done")
"""

HOOK = """
from airflow.decorators import dag, task
from airflow.providers.http.hooks.http import HttpHook

@task
def fetch():
    return HttpHook().run("/").text

@task
def fine():
    return 1

@dag(schedule=None)
def uses_a_hook():
    fetch() >> fine()

uses_a_hook()
"""

PRODUCER_CONSUMER = """
from airflow.datasets import Dataset
from airflow.models.dag import DAG
from airflow.operators.empty import EmptyOperator
with DAG("producer", schedule=None):
    EmptyOperator(task_id="p", outlets=[Dataset("s3://x")])
with DAG("consumer", schedule=[Dataset("s3://x")]):
    EmptyOperator(task_id="c")
"""

DATASETS = """
from datetime import datetime
from airflow.datasets import Dataset, DatasetAlias
from airflow.models.dag import DAG
from airflow.operators.empty import EmptyOperator
from airflow.timetables.datasets import DatasetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable
a, b, c = Dataset("s3://a"), Dataset("s3://b"), Dataset("s3://c")
with DAG("producer", schedule=None):
    EmptyOperator(task_id="p", outlets=[a, DatasetAlias("later")])
with DAG("on-list", schedule=[a, b]):
    EmptyOperator(task_id="c")
with DAG("on-expression", schedule=(a | b) & c):
    EmptyOperator(task_id="c")
with DAG("on-time-or-assets", start_date=datetime(2024, 1, 1), schedule=DatasetOrTimeSchedule(
    timetable=CronTriggerTimetable("0 1 * * 3", timezone="UTC"), datasets=a | b
)):
    EmptyOperator(task_id="c")
with DAG("on-alias", schedule=[DatasetAlias("later")]):
    EmptyOperator(task_id="c")
"""

SKIPS = """
from airflow.decorators import dag, task
from airflow.exceptions import AirflowSkipException

@task
def maybe():
    raise AirflowSkipException("nothing to do")

@dag(schedule=None)
def skips():
    maybe()

skips()
"""

MAPS_TWO = """
from airflow.models.dag import DAG
from airflow.operators.bash import BashOperator
with DAG("maps_two", schedule=None):
    both = BashOperator.partial(task_id="both").expand(bash_command=["a"], retries=[1])
    both >> BashOperator(task_id="after", bash_command="echo done")
"""

BROKEN = """
from airflow.models.dag import DAG
raise ValueError("broken on purpose")
"""


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


@pytest.mark.parametrize(
    ("body", "converted", "line", "reason"),
    [
        pytest.param(
            PROVIDER,
            ["make_bucket", "after"],
            5,
            "airflow.providers.amazon.aws.operators.s3.S3CreateBucketOperator has no Kairflow "
            "equivalent",
            id="a provider's operator is kept as a task that cannot run, its edges whole",
        ),
        pytest.param(
            HOOK,
            ["fetch", "fine"],
            14,
            "fetch uses 'HttpHook': airflow.providers.http.hooks.http.HttpHook is not "
            "available to a task on Kairflow",
            id="a hook used inside a callable names the task and the hook",
        ),
        pytest.param(
            MAPS_TWO,
            ["both", "after"],
            4,
            "BashOperator.partial().expand(retries=...): Kairflow maps only bash_command or "
            "env of BashOperator",
            id="a classic operator mapped over an argument it cannot read per instance is kept "
            "as a task that cannot run",
        ),
    ],
)
def test_an_unconvertible_task_is_reported_with_its_line_and_the_rest_converts(
    tmp_path: Path, body: str, converted: list[str], line: int, reason: str
) -> None:
    path = write(tmp_path, "dag_file.py", body)
    report = import_file(path)
    assert report.error is None, report.error
    (dag,) = report.converted
    tasks = dag.manifest["spec"]["tasks"]
    assert [t["name"] for t in tasks] == converted
    assert tasks[1]["dependsOn"] == [converted[0]]
    (unconverted,) = dag.unconverted
    assert unconverted.task_id == converted[0]
    assert (unconverted.where.file, unconverted.where.line) == (str(path), line)
    assert reason in unconverted.reason
    assert "cannot run" in tasks[0]["bash"]


MAPS_PRODUCTS = """
from airflow.decorators import task
from airflow.models.dag import DAG
from airflow.operators.bash import BashOperator

@task
def pair(x, y):
    return x * y

with DAG("maps_products", schedule=None):
    BashOperator.partial(task_id="both").expand(bash_command=["a", "b"], env=[{"A": "1"}])
    BashOperator.partial(task_id="each").expand_kwargs([{"bash_command": "a", "env": {"A": "1"}}])
    pair.expand(x=[1, 2], y=[3])
    pair.expand_kwargs([{"x": 1, "y": 2}])
"""


def test_mapping_over_several_arguments_and_lists_of_dicts_converts(tmp_path: Path) -> None:
    report = import_file(write(tmp_path, "dag_file.py", MAPS_PRODUCTS))
    assert report.error is None, report.error
    (dag,) = report.converted
    assert dag.unconverted == []
    expands = {t["name"]: t["expand"] for t in dag.manifest["spec"]["tasks"]}
    assert expands == {
        "both": {
            "product": [
                {"name": "bash_command", "items": ["a", "b"]},
                {"name": "env", "items": [{"A": "1"}]},
            ]
        },
        "each": {"items": [{"bash_command": "a", "env": {"A": "1"}}]},
        "pair": {"product": [{"name": "x", "items": [1, 2]}, {"name": "y", "items": [3]}]},
        "pair__1": {"items": [{"x": 1, "y": 2}]},
    }


def test_dags_on_datasets_convert_to_asset_schedules(tmp_path: Path) -> None:
    report = import_file(write(tmp_path, "datasets.py", DATASETS))
    specs = {d.dag_id: d.manifest["spec"] for d in report.converted}
    assert specs["producer"]["tasks"][0]["outlets"] == ["s3://a"]
    assert specs["on-list"]["assets"] == {"all": ["s3://a", "s3://b"]}
    assert specs["on-expression"]["assets"] == {"expression": "(s3://a | s3://b) & s3://c"}
    assert specs["on-time-or-assets"]["assets"] == {"expression": "s3://a | s3://b"}
    assert (specs["on-time-or-assets"]["schedule"], specs["on-time-or-assets"]["timetable"]) == (
        "0 1 * * 3",
        "trigger",
    )
    (refused,) = report.refused
    assert (refused.dag_id, refused.where.line) == ("on-alias", 18)
    assert "DatasetAlias" in refused.reason
    assert any("outlet DatasetAlias('later') is not an asset" in w.message for w in report.warnings)


def test_raising_airflow_skip_exception_skips_the_task(tmp_path: Path) -> None:
    report = import_file(write(tmp_path, "skips.py", SKIPS))
    assert report.complete
    assert report.warnings == []
    (task,) = report.converted[0].manifest["spec"]["tasks"]
    assert task["skipOnExitCode"] == [SKIP_EXIT_CODE]
    assert "class AirflowSkipException(Exception):" in task["python"]
    assert "import airflow" not in task["python"] and "from airflow" not in task["python"]
    ran = run_python_task(task, tmp_path)
    assert ran.exit_code == SKIP_EXIT_CODE, ran.stderr
    assert "AirflowSkipException: nothing to do; the task skips itself" in ran.stdout


def test_a_folder_converts_every_file_and_reports_the_broken_one(tmp_path: Path) -> None:
    write(tmp_path, "a_provider.py", PROVIDER)
    write(tmp_path, "broken.py", BROKEN)
    write(tmp_path, "helpers.py", "VALUE = 1\n")
    result = kairflow("dags", "import-airflow", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    names = [m["metadata"]["name"] for m in yaml.safe_load_all(result.stdout)]
    assert names == ["uses-a-provider"]
    report = result.stderr
    assert f"{tmp_path}/broken.py: not converted: {tmp_path}/broken.py:2: ValueError: broken" in (
        report
    )
    assert f"cannot convert: {tmp_path}/a_provider.py:5: uses_a_provider.make_bucket:" in report
    assert "helpers.py" not in report
    assert report.splitlines()[-1] == (
        "1 DAG(s) converted from 2 file(s); 1 task(s) cannot run on Kairflow (they fail when "
        "the run reaches them); 1 file(s) could not be read"
    )


def test_strict_fails_with_one_error_line_after_the_report(tmp_path: Path) -> None:
    write(tmp_path, "a_provider.py", PROVIDER)
    result = kairflow("dags", "import-airflow", "--strict", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("error: --strict: 1 DAG(s) converted from 1 file(s); 1 task(s)")
    assert "cannot convert:" in lines[1]


def test_strict_passes_when_everything_converts_and_output_dir_gets_one_file_per_dag(
    tmp_path: Path,
) -> None:
    source = write(tmp_path, "two.py", PRODUCER_CONSUMER)
    out = tmp_path / "out"
    result = kairflow("dags", "import-airflow", "--strict", str(source), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["consumer.yaml", "producer.yaml"]
    assert yaml.safe_load((out / "consumer.yaml").read_text())["metadata"]["name"] == "consumer"


def test_nothing_converted_is_an_error(tmp_path: Path) -> None:
    result = kairflow("dags", "import-airflow", str(write(tmp_path, "broken.py", BROKEN)))
    assert result.exit_code == EXIT_USAGE
    assert (
        result.stderr.splitlines()[-1] == f"error: {tmp_path}/broken.py: no DAG could be converted"
    )
