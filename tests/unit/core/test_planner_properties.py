"""Properties of the planner over random DAGs and random task outcomes."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dag import TriggerRule as TR
from kairflow.core.run_model import CreatePod
from tests.hypothesis_profiles import examples
from tests.unit.core.planner_harness import Outcome, Simulation, make_run, make_spec

FINISHED = {TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED}
FAILED = {TI.FAILED, TI.UPSTREAM_FAILED}


def allowed(rule: TR, states: list[TI]) -> bool:
    """An independent, plain reading of when each rule lets a task run."""
    done = all(s in FINISHED for s in states)
    ok = states.count(TI.SUCCESS)
    bad = sum(s in FAILED for s in states)
    skipped = states.count(TI.SKIPPED)
    return {
        TR.ALL_SUCCESS: ok == len(states),
        TR.ALL_FAILED: bad == len(states),
        TR.ALL_DONE: done,
        TR.ALL_SKIPPED: skipped == len(states),
        TR.ONE_SUCCESS: ok >= 1,
        TR.ONE_FAILED: bad >= 1,
        TR.ONE_DONE: ok + states.count(TI.FAILED) >= 1,
        TR.NONE_FAILED: done and bad == 0,
        TR.NONE_FAILED_MIN_ONE_SUCCESS: done and bad == 0 and ok >= 1,
        TR.NONE_SKIPPED: done and skipped == 0,
        TR.ALWAYS: True,
        # The generated DAGs have no setup tasks: then it is all_done.
        TR.ALL_DONE_SETUP_SUCCESS: done,
    }[rule] or not states


@st.composite
def random_dags(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str], dict[str, list[bool]]]:
    count = draw(st.integers(1, 7))
    names = [f"t{i}" for i in range(count)]
    tasks: list[dict[str, Any]] = []
    flow: list[str] = []
    script: dict[str, list[bool]] = {}
    for i, name in enumerate(names):
        ups = draw(st.lists(st.sampled_from(names[:i]), unique=True, max_size=3)) if i else []
        flow.extend(f"{up} >> {name}" for up in ups)
        task: dict[str, Any] = {
            "name": name,
            "bash": "true",
            "triggerRule": draw(st.sampled_from(list(TR))).value,
            "retries": draw(st.integers(0, 2)),
            "retryDelay": "10s",
        }
        if draw(st.booleans()) and draw(st.booleans()):
            del task["bash"]  # an empty task
        tasks.append(task)
        script[name] = draw(st.lists(st.booleans(), min_size=1, max_size=4))
    return tasks, flow, script


@settings(max_examples=examples(150), deadline=None)
@given(random_dags(), st.integers(1, 3))
def test_every_run_terminates_and_respects_trigger_rules(
    dag: tuple[list[dict[str, Any]], list[str], dict[str, list[bool]]], slots: int
) -> None:
    tasks, flow, script = dag
    spec = make_spec(tasks, flow, maxActiveTasks=slots)
    outcomes = {k: [Outcome(exit_code=0 if ok else 1) for ok in v] for k, v in script.items()}
    sim = Simulation(make_run(spec), script=outcomes)
    upstream = {t["name"]: set() for t in tasks}
    for edge in flow:
        up, down = (s.strip() for s in edge.split(">>"))
        upstream[down].add(up)
    rules = {t["name"]: TR(t["triggerRule"]) for t in tasks}

    for _ in range(300):
        before = sim.status.model_copy(deep=True)
        result = sim.step()
        for action in result.actions:
            if isinstance(action, CreatePod):
                name = action.key
                # Upstream states as the planner saw them when deciding.
                states = [result.status.task_instances[u].state for u in upstream[name]]
                assert allowed(rules[name], states), (name, rules[name], states)
                assert before.task_instances.get(name) is None or (
                    before.task_instances[name].state not in FINISHED
                )
        if result.status.state in ("success", "failed"):
            break
        nxt = sim.next_change(result.wake_at)
        assert nxt is not None, "a running run with nothing to wait for"
        sim.now = max(nxt, sim.now)
    else:
        raise AssertionError("run did not terminate")
    assert all(ti.state in FINISHED for ti in sim.status.task_instances.values())
    leaves = [n for n in upstream if not any(n in ups for ups in upstream.values())]
    leaf_ok = all(sim.status.task_instances[n].state in (TI.SUCCESS, TI.SKIPPED) for n in leaves)
    assert sim.status.state == ("success" if leaf_ok else "failed")
    for name, ti in sim.status.task_instances.items():
        assert ti.try_number <= (ti.max_tries or 1)
        if ti.state in (TI.SKIPPED, TI.UPSTREAM_FAILED):
            assert ti.try_number == 0, name
