"""What passes derive from the DAG spec alone is resolved once per spec and shared by
every pass that is given it; a pass never reads another spec's resolution."""

from __future__ import annotations

import pytest

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.core import resolved_dag
from kairflow.core.planner import plan
from kairflow.core.resolved_dag import Resolution, ResolvedDag
from kairflow.core.run_model import CreatePod
from tests.unit.core.planner_harness import T0, make_run, make_spec

SPEC = {
    "defaults": {"retries": 2, "pool": "etl"},
    "tasks": [
        {"name": "extract", "bash": "echo {{ ds }}"},
        {"name": "load", "bash": "true", "priorityWeight": 5},
    ],
    "flow": ["extract >> load"],
}


def test_a_resolution_is_made_once_and_then_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[DAGSpec] = []
    resolve = ResolvedDag.of

    def counted(spec: DAGSpec) -> ResolvedDag:
        made.append(spec)
        return resolve(spec)

    monkeypatch.setattr(resolved_dag.ResolvedDag, "of", staticmethod(counted))
    resolution = Resolution(DAGSpec.model_validate(SPEC), kept_from=2)
    first = resolution.get()
    assert resolution.get() is first
    assert made == [resolution.spec]


def test_a_small_dags_resolution_is_not_kept() -> None:
    resolution = Resolution(DAGSpec.model_validate(SPEC), kept_from=3)
    first = resolution.get()
    assert resolution.get() is not first
    assert resolution.get() == first


def test_a_resolved_dag_holds_the_effective_tasks_their_policies_and_the_templated_ones() -> None:
    dag = ResolvedDag.of(DAGSpec.model_validate(SPEC))
    assert dag.graph.order == ("extract", "load")
    assert dag.tasks["load"].retries == 2  # the DAG's defaults applied
    assert dag.policies["extract"].pool == "etl"
    assert dag.weights == {"extract": 6, "load": 5}  # downstream: own + descendants'
    assert dag.templated == frozenset({"extract"})


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda spec: None, id="no resolution: the pass resolves the spec itself"),
        pytest.param(ResolvedDag.of, id="the spec's own resolution"),
        pytest.param(
            lambda spec: ResolvedDag.of(make_spec([{"name": "other", "bash": "true"}])),
            id="another spec's resolution is not read",
        ),
    ],
)
def test_a_pass_plans_the_same_whatever_resolution_it_is_given(given: object) -> None:
    spec = DAGSpec.model_validate(SPEC)
    run = make_run(spec)
    expected = plan(run, DagRunStatus(), [], T0)
    assert callable(given)
    result = plan(run, DagRunStatus(), [], T0, resolved=given(spec))
    assert result.actions == expected.actions
    assert result.status == expected.status
    started = [a.key for a in result.actions if isinstance(a, CreatePod)]
    assert started == ["extract"]  # so the plans compared are not both empty
