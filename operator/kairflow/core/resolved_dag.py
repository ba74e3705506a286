"""What a planner pass derives from the DAG spec alone: its graph, every task's
effective settings and policy, priority weights, and which tasks hold templates.

A pass over a 5,000-task run spent about a seventh of its CPU deriving these, and a
big run is planned again after every pod it sees change. They depend on the spec
only, so the controller resolves them once per DAG version (`Resolution`, kept
beside the version's parsed spec) and passes them to every pass of its runs, for DAGs
big enough for it to matter (`KEPT_FROM`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.core.graph import DagGraph, build_graph
from kairflow.core.priority import priority_weights
from kairflow.core.task_settings import TaskPolicy, effective_task
from kairflow.core.templating import has_templates

__all__ = ["KEPT_FROM", "Resolution", "ResolvedDag"]


@dataclass(frozen=True)
class ResolvedDag:
    spec: DAGSpec
    graph: DagGraph
    tasks: Mapping[str, TaskSpec]
    """Each task with its task groups' and the DAG's defaults applied (`effective_task`)."""
    policies: Mapping[str, TaskPolicy]
    weights: Mapping[str, int]
    templated: frozenset[str]
    """The tasks whose fields hold Jinja markup: only their instances need a template
    context (building one was about a third of starting a pod)."""

    @classmethod
    def of(cls, spec: DAGSpec) -> ResolvedDag:
        """Raises InvalidDag (`build_graph`) for a spec whose graph is not valid."""
        graph = build_graph(spec)
        tasks = {name: effective_task(spec, task) for name, task in graph.tasks.items()}
        policies = {name: TaskPolicy.of(task) for name, task in tasks.items()}
        return cls(
            spec=spec,
            graph=graph,
            tasks=tasks,
            policies=policies,
            weights=priority_weights(graph, policies),
            templated=frozenset(name for name, task in tasks.items() if has_templates(task)),
        )


KEPT_FROM = 200
"""Tasks from which a spec's resolution is kept: about 1 KiB per task, held for every
version in the memo, while a small DAG resolves in a millisecond or two per pass
(1,000 active runs of 100 50-task DAGs: 5 MiB kept for nothing)."""


class Resolution:
    """A spec's ResolvedDag, made on first use and then shared (for a spec of at least
    `kept_from` tasks; a smaller one is resolved by each `get`). Passes run in worker
    threads (they render templates), so the first `get` resolves under a lock: a
    5,000-task spec is resolved once, not by every run's first pass at once."""

    def __init__(self, spec: DAGSpec, kept_from: int = KEPT_FROM) -> None:
        self.spec = spec
        self.kept = len(spec.tasks) >= kept_from
        self._lock = threading.Lock()
        self._resolved: ResolvedDag | None = None

    def get(self) -> ResolvedDag:
        if not self.kept:
            return ResolvedDag.of(self.spec)
        if self._resolved is None:
            with self._lock:
                if self._resolved is None:
                    self._resolved = ResolvedDag.of(self.spec)
        return self._resolved
