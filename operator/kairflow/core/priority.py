"""Effective priority weights (Airflow's weight_rule), deciding which ready task
instances start first when slots are short."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kairflow.api.dag import WeightRule
from kairflow.core.graph import DagGraph
from kairflow.core.task_settings import TaskPolicy


def priority_weights(graph: DagGraph, policies: Mapping[str, TaskPolicy]) -> dict[str, int]:
    """downstream: own + all descendants' weights (Airflow's default, so long chains
    start first); upstream: own + all ancestors'; absolute: own."""
    order = graph.order
    own = {name: policies[name].priority_weight for name in order}
    rules = {policies[name].weight_rule for name in order}
    below: dict[str, int] = {}
    if WeightRule.DOWNSTREAM in rules:
        below = _relatives_weight(order[::-1], graph.downstream, own)
    above: dict[str, int] = {}
    if WeightRule.UPSTREAM in rules:
        above = _relatives_weight(order, graph.upstream, own)
    weights: dict[str, int] = {}
    for name in order:
        match policies[name].weight_rule:
            case WeightRule.DOWNSTREAM:
                weights[name] = own[name] + below[name]
            case WeightRule.UPSTREAM:
                weights[name] = own[name] + above[name]
            case WeightRule.ABSOLUTE:
                weights[name] = own[name]
    return weights


def _relatives_weight(
    sweep: Sequence[str], links: Mapping[str, frozenset[str]], own: Mapping[str, int]
) -> dict[str, int]:
    """Each task's total weight of its transitive `links` (descendants or ancestors).

    One sweep that visits linked tasks first, keeping each task's relatives as a bit
    set (bit i: sweep[i]); walking every task's relatives instead is quadratic for
    fan-out / join / fan-out DAGs. A set holds only tasks visited before its own, so
    sets stay small where the links end soon (a fan-out's leaves).
    """
    index = {name: i for i, name in enumerate(sweep)}
    sums = _WeightSums([own[name] for name in sweep])
    reach: dict[str, int] = {}
    for name in sweep:
        tasks = 0
        for other in links[name]:
            tasks |= (1 << index[other]) | reach[other]
        reach[name] = tasks
    return {name: sums.of(tasks) for name, tasks in reach.items()}


class _WeightSums:
    """Total weight of a bit set of tasks (bit i: weights[i]) in a few popcounts: one
    per bit of (weight - lowest weight); usually all weights are alike, and it is one."""

    def __init__(self, weights: list[int]) -> None:
        self._low = min(weights, default=0)
        spread = [w - self._low for w in weights]
        self._planes = [
            (1 << j, int("".join(str(w >> j & 1) for w in reversed(spread)), 2))
            for j in range(max(spread, default=0).bit_length())
        ]

    def of(self, tasks: int) -> int:
        total = self._low * tasks.bit_count()
        for value, mask in self._planes:
            total += value * (tasks & mask).bit_count()
        return total
