"""Mapping over several arguments: `.expand(a=..., b=...)` runs one instance per
combination (Airflow's map-index order: the last argument varies fastest), and
`.expand_kwargs([...])` one instance per dict of keyword arguments."""

from datetime import datetime

from kairflow.sdk import BashOperator, dag, task


@task
def sizes() -> list[str]:
    return ["small", "large"]


@task
def label(color: str, size: str) -> str:
    return f"{size} {color}"


@task
def price(base: int, extra: int = 0) -> int:
    return base + extra


@task
def collect(values: list[object]) -> int:
    return len(values)


@dag(schedule=None, start_date=datetime(2024, 1, 1), tags=["example", "python"])
def mapping_product() -> None:
    """Label each color in each size; price each order from its own arguments."""
    labels = label.expand(color=["red", "blue"], size=sizes())
    prices = price.expand_kwargs([{"base": 10}, {"base": 20, "extra": 5}])
    collect(labels) >> collect.override(task_id="count_prices")(prices)
    # Classic operators too: two mapped arguments, and a list of dicts of them.
    BashOperator.partial(task_id="greet").expand(
        bash_command=['echo "hi $WHO"', 'echo "bye $WHO"'], env=[{"WHO": "ann"}, {"WHO": "bob"}]
    )
    BashOperator.partial(task_id="say").expand_kwargs(
        [
            {"bash_command": 'echo "one $N"', "env": {"N": "1"}},
            {"bash_command": 'echo "two $N"', "env": {"N": "2"}},
        ]
    )


mapping_product()
