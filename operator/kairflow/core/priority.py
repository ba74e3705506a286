"""Effective priority weights (Airflow's weight_rule), deciding which ready task
instances start first when slots are short."""

from __future__ import annotations

from collections.abc import Mapping

from kairflow.api.dag import WeightRule
from kairflow.core.graph import DagGraph
from kairflow.core.task_settings import TaskPolicy


def priority_weights(graph: DagGraph, policies: Mapping[str, TaskPolicy]) -> dict[str, int]:
    """downstream: own + all descendants' weights (Airflow's default, so long chains
    start first); upstream: own + all ancestors'; absolute: own."""
    weights: dict[str, int] = {}
    for name in graph.order:
        policy = policies[name]
        match policy.weight_rule:
            case WeightRule.DOWNSTREAM:
                related = graph.descendants(name)
            case WeightRule.UPSTREAM:
                related = graph.ancestors(name)
            case WeightRule.ABSOLUTE:
                related = frozenset()
        weights[name] = policy.priority_weight + sum(
            policies[other].priority_weight for other in related
        )
    return weights
