"""Airflow's classic tutorial, written with operators and `>>`: render it with
`kairflow dags render dags/python/tutorial_classic.py | kubectl apply -f -`."""

from datetime import datetime, timedelta

from kairflow.sdk import DAG, BashOperator, EmptyOperator, PythonOperator, TaskGroup


def greet(name: str, ds: str) -> str:
    """Runs in the task's pod: its source is shipped in the manifest."""
    message = f"hello {name}, today is {ds}"
    print(message)
    return message


with DAG(
    "tutorial_classic",
    description="Classic operators, a task group and >>",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "airflow", "retries": 1, "retry_delay": timedelta(minutes=5)},
    params={"who": "kairflow"},
    tags=["example", "python"],
) as dag:
    print_date = BashOperator(task_id="print_date", bash_command="date")
    hello = PythonOperator(
        task_id="hello", python_callable=greet, op_kwargs={"name": "{{ params.who }}"}
    )
    with TaskGroup("checks") as checks:
        disk = BashOperator(task_id="disk", bash_command="df -h . | tail -1")
        echo = BashOperator(
            task_id="echo", bash_command="echo \"{{ ti.xcom_pull('hello') }}\"", retries=3
        )
    done = EmptyOperator(task_id="done", trigger_rule="all_done")

    print_date >> hello >> checks >> done
