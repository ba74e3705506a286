"""Classic operators mapped with Airflow's `.partial(...).expand(...)`: one task
instance per item of a literal list or of the list an upstream task returned.

A BashOperator pushes an XCom by writing JSON to $KAIRFLOW_XCOM_FILE."""

from datetime import datetime

from kairflow.sdk import DAG, BashOperator, PythonOperator

PUSH = '> "$KAIRFLOW_XCOM_FILE"'


def add(x: int, y: int = 0) -> int:
    return x + y


def list_commands() -> list[str]:
    return [f"echo 10 {PUSH}", f"echo 20 {PUSH}"]


def list_batches() -> list[list[int]]:
    return [[1, 2], [3, 4], [5, 6]]


def total_of(sums: list[int]) -> int:
    return sum(sums)


with DAG("classic_mapping", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
    # A literal list: each instance runs its command; templates in it are rendered.
    BashOperator.partial(task_id="echo", retries=1).expand(
        bash_command=[f"echo '\"{{{{ ds }}}}\"' {PUSH}", f"echo 2 {PUSH}"]
    )
    # The list an upstream task returned: each instance runs one of its commands.
    commands = PythonOperator(task_id="list_commands", python_callable=list_commands)
    BashOperator.partial(task_id="run_command").expand(bash_command=commands.output)
    # An environment per instance.
    BashOperator.partial(task_id="greet", bash_command=f'echo "\\"$WHO\\"" {PUSH}').expand(
        env=[{"WHO": "ann"}, {"WHO": "bob"}]
    )
    # A PythonOperator over literal op_kwargs, and over op_args from an upstream task.
    PythonOperator.partial(task_id="add", python_callable=add).expand(
        op_kwargs=[{"x": 1, "y": 2}, {"x": 10}]
    )
    batches = PythonOperator(task_id="list_batches", python_callable=list_batches)
    sums = PythonOperator.partial(task_id="sum_batch", python_callable=add).expand(
        op_args=batches.output
    )
    # A mapped task's output is the list of its instances' XComs.
    PythonOperator(task_id="total", python_callable=total_of, op_args=[sums.output])
