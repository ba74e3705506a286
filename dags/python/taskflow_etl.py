"""A TaskFlow pipeline: XComs passed between @task functions, one task mapped over
the list another returned, and a branch."""

from datetime import datetime

from kairflow.sdk import dag, task

UNIT_PRICE = 3


@task
def extract() -> list[int]:
    return [1, 2, 3]


@task
def price(quantity: int) -> int:
    return quantity * UNIT_PRICE


@task
def total(prices: list[int]) -> int:
    return sum(prices)


@task.branch
def size(amount: int) -> str:
    return "big_order" if amount > 10 else "small_order"


@task
def big_order(amount: int) -> str:
    return f"big order: {amount}"


@task
def small_order(amount: int) -> str:
    return f"small order: {amount}"


@dag(schedule=None, start_date=datetime(2024, 1, 1), tags=["example", "python"])
def taskflow_etl() -> None:
    """Extract, price each item in parallel, total, then branch on the amount."""
    amount = total(price.expand(quantity=extract()))
    size(amount) >> [big_order(amount), small_order(amount)]


taskflow_etl()
