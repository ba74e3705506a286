"""User errors of the core: values with messages, raised once at the edge."""

from __future__ import annotations


class InvalidDag(Exception):
    """A DAG that cannot be scheduled; `problems` are human-readable sentences."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
