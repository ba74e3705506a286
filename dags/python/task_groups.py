"""Task groups with the SDK: a TaskGroup with default_args, a nested group, and a
@task_group function called twice (its group ids get Airflow's __1 suffix)."""

from __future__ import annotations

from datetime import datetime

from kairflow.sdk import DAG, BashOperator, EmptyOperator, TaskGroup, task_group


@task_group(tooltip="Publish one copy")
def publish() -> None:
    BashOperator(task_id="upload", bash_command="echo uploading")


with DAG(
    "task_groups_python",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 1},
) as dag:
    extract = BashOperator(task_id="extract", bash_command='echo "extracting {{ ds }}"')
    with TaskGroup("transform", default_args={"retries": 2}) as transform:
        clean = BashOperator(task_id="clean", bash_command="echo cleaning")
        join = BashOperator(task_id="join", bash_command="echo joining")
        clean >> join
        with TaskGroup("checks", tooltip="Sanity checks", default_args={"retries": 0}):
            BashOperator(task_id="rows", bash_command="echo rows ok")
    done = EmptyOperator(task_id="done")
    extract >> transform >> publish() >> publish() >> done
