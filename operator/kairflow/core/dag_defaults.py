"""Operator-wide defaults for what a DAG does not say, as an Airflow admin sets them:
`[scheduler] catchup_by_default` and `[core] dags_are_paused_at_creation`.

catchup: a DAG without `catchup` takes the operator's default when it is scheduled
(`ObservedDag.catchup_by_default`), as Airflow reads `catchup_by_default` when it
parses a DAG file: changing the setting changes every DAG that does not say. The spec
is kept as written (a run's snapshot holds no value its author did not write).

Paused at creation: the operator sets `spec.paused: true` itself, once, on a DAG it
has never synced (its status has no `observedGeneration` yet) and that is not paused
already. Why this and not a default in the CRD or a mutating webhook:
- `paused` keeps its schema default `false`, so nothing about an apply changes, and
  `kubectl apply` of the same manifest later leaves the operator's `paused: true`
  (or the user's unpause) alone: a field the manifest does not write is not the
  apply's (client-side or server-side apply alike).
- "never seen" is read from the status the operator itself writes on every DAG's
  first sync: a DAG the operator already knew (before the setting was turned on,
  or before an operator restart) is never paused by it, and a user who unpaused a
  DAG is never overruled.
- a webhook needs a serving certificate and makes every DAG write depend on the
  operator being up; this needs neither.
A DAG whose manifest writes `paused: false` is still paused at creation (the schema
default makes an explicit false and an absent one the same); it says
`isPausedUponCreation: false` to opt out, as Airflow's `is_paused_upon_creation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kairflow.core.observations import ObservedDag


@dataclass(frozen=True)
class DagDefaults:
    catchup: bool = True
    """Airflow's catchup_by_default: catchup of a DAG that does not say."""
    paused_at_creation: bool = False
    """Airflow's dags_are_paused_at_creation."""


def pause_at_creation(dag: ObservedDag, seen: bool, defaults: DagDefaults) -> bool:
    """Whether the operator pauses the DAG now: only one it has never synced (`seen`
    is False), not paused already, when its isPausedUponCreation (else the operator's
    setting) says so."""
    if seen or dag.paused:
        return False
    asked = dag.paused_upon_creation
    return defaults.paused_at_creation if asked is None else asked
