"""Every trigger rule against every upstream outcome, as Airflow 2 decides it."""

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dag import TriggerRule as TR
from kairflow.core.trigger_rules import UpstreamCounts, Verdict, evaluate

RUN, WAIT, SKIP, UF = Verdict.RUN, Verdict.WAIT, Verdict.SKIP, Verdict.UPSTREAM_FAILED

OUTCOMES = {
    "both succeeded": [TI.SUCCESS, TI.SUCCESS],
    "both failed": [TI.FAILED, TI.FAILED],
    "both skipped": [TI.SKIPPED, TI.SKIPPED],
    "both upstream_failed": [TI.UPSTREAM_FAILED, TI.UPSTREAM_FAILED],
    "one succeeded one failed": [TI.SUCCESS, TI.FAILED],
    "one succeeded one skipped": [TI.SUCCESS, TI.SKIPPED],
    "one failed one skipped": [TI.FAILED, TI.SKIPPED],
    "one succeeded one running": [TI.SUCCESS, TI.RUNNING],
    "one failed one running": [TI.FAILED, TI.RUNNING],
    "one skipped one running": [TI.SKIPPED, TI.RUNNING],
    "one up_for_retry one succeeded": [TI.UP_FOR_RETRY, TI.SUCCESS],
}
# Columns follow OUTCOMES' order.
EXPECTED = {
    TR.ALL_SUCCESS: [RUN, UF, SKIP, UF, UF, SKIP, UF, WAIT, UF, SKIP, WAIT],
    TR.ALL_FAILED: [SKIP, RUN, SKIP, RUN, SKIP, SKIP, SKIP, SKIP, WAIT, SKIP, SKIP],
    TR.ALL_DONE: [RUN, RUN, RUN, RUN, RUN, RUN, RUN, WAIT, WAIT, WAIT, WAIT],
    TR.ALL_SKIPPED: [SKIP, SKIP, RUN, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, WAIT, SKIP],
    TR.ONE_SUCCESS: [RUN, UF, SKIP, UF, RUN, RUN, UF, RUN, WAIT, WAIT, RUN],
    TR.ONE_FAILED: [SKIP, RUN, SKIP, RUN, RUN, SKIP, RUN, WAIT, RUN, WAIT, WAIT],
    TR.ONE_DONE: [RUN, RUN, SKIP, SKIP, RUN, RUN, RUN, RUN, RUN, WAIT, RUN],
    TR.NONE_FAILED: [RUN, UF, RUN, UF, UF, RUN, UF, WAIT, UF, WAIT, WAIT],
    TR.NONE_FAILED_MIN_ONE_SUCCESS: [RUN, UF, SKIP, UF, UF, RUN, UF, WAIT, UF, WAIT, WAIT],
    TR.NONE_SKIPPED: [RUN, RUN, SKIP, RUN, RUN, SKIP, SKIP, WAIT, WAIT, SKIP, WAIT],
    TR.ALWAYS: [RUN] * len(OUTCOMES),
    # Without setup tasks upstream, a teardown's rule is all_done.
    TR.ALL_DONE_SETUP_SUCCESS: [RUN, RUN, RUN, RUN, RUN, RUN, RUN, WAIT, WAIT, WAIT, WAIT],
}

CASES = [
    pytest.param(rule, states, verdicts[i], id=f"{rule.value} when {outcome}")
    for rule, verdicts in EXPECTED.items()
    for i, (outcome, states) in enumerate(OUTCOMES.items())
]


def test_the_table_covers_every_rule() -> None:
    assert set(EXPECTED) == set(TR)
    assert all(len(v) == len(OUTCOMES) for v in EXPECTED.values())


@pytest.mark.parametrize(("rule", "states", "verdict"), CASES)
def test_trigger_rule(rule: TR, states: list[TI], verdict: Verdict) -> None:
    assert evaluate(rule, UpstreamCounts.of(states)) == verdict


@pytest.mark.parametrize("rule", list(TR), ids=lambda r: f"{r.value} with no upstream runs")
def test_a_root_task_always_runs(rule: TR) -> None:
    assert evaluate(rule, UpstreamCounts.of([])) == RUN


def test_counts() -> None:
    counts = UpstreamCounts.of([TI.SUCCESS, TI.SKIPPED, TI.FAILED, TI.RUNNING])
    assert (counts.total, counts.success, counts.skipped, counts.failed) == (4, 1, 1, 1)
    assert counts.done == 3 and not counts.all_done


# A teardown's upstream: (work states, setup states); the setups are direct upstream.
TEARDOWN_CASES = [
    pytest.param([TI.SUCCESS], [TI.SUCCESS], RUN, id="a teardown runs after its work and setup"),
    pytest.param(
        [TI.FAILED],
        [TI.SUCCESS],
        RUN,
        id="a teardown runs when its work failed but its setup succeeded",
    ),
    pytest.param(
        [TI.UPSTREAM_FAILED],
        [TI.SUCCESS, TI.FAILED],
        RUN,
        id="a teardown runs when one of its two setups succeeded",
    ),
    pytest.param(
        [TI.UPSTREAM_FAILED],
        [TI.FAILED],
        UF,
        id="a teardown is upstream_failed when its only setup failed",
    ),
    pytest.param(
        [TI.SKIPPED], [TI.SKIPPED], SKIP, id="a teardown is skipped when its setups were skipped"
    ),
    pytest.param(
        [TI.SKIPPED],
        [TI.SKIPPED, TI.FAILED],
        UF,
        id="a teardown is upstream_failed when no setup succeeded and not all skipped",
    ),
    pytest.param([TI.RUNNING], [TI.SUCCESS], WAIT, id="a teardown waits while its work still runs"),
    pytest.param(
        [TI.SUCCESS], [TI.RUNNING], WAIT, id="a teardown waits while its setup still runs"
    ),
    pytest.param([TI.FAILED], [], RUN, id="a teardown without setups runs like all_done"),
]


@pytest.mark.parametrize(("work", "setups", "verdict"), TEARDOWN_CASES)
def test_all_done_setup_success(work: list[TI], setups: list[TI], verdict: Verdict) -> None:
    counts = UpstreamCounts.of([*work, *setups], setups)
    assert evaluate(TR.ALL_DONE_SETUP_SUCCESS, counts) == verdict


# A work task whose direct upstream succeeded, under its indirect setups' states.
SETUP_CONSTRAINT_CASES = [
    pytest.param(
        TR.ALL_SUCCESS, [TI.SUCCESS], RUN, id="work runs once its indirect setup succeeded"
    ),
    pytest.param(
        TR.ALL_DONE, [TI.FAILED], UF, id="an all_done task is upstream_failed when a setup failed"
    ),
    pytest.param(
        TR.ALL_DONE,
        [TI.UPSTREAM_FAILED],
        UF,
        id="an all_done task is upstream_failed when a setup was upstream_failed",
    ),
    pytest.param(TR.ONE_SUCCESS, [TI.SKIPPED], SKIP, id="work is skipped when a setup was skipped"),
    pytest.param(
        TR.ALL_SUCCESS, [TI.RUNNING], WAIT, id="work waits for an indirect setup still running"
    ),
    pytest.param(
        TR.ALL_SUCCESS, [None], WAIT, id="work waits for a cleared indirect setup to run again"
    ),
    pytest.param(TR.ALWAYS, [TI.FAILED], RUN, id="an always task ignores its setups"),
]


@pytest.mark.parametrize(("rule", "setups", "verdict"), SETUP_CONSTRAINT_CASES)
def test_indirect_setups_must_succeed(rule: TR, setups: list[TI | None], verdict: Verdict) -> None:
    states = [TI.NONE if s is None else s for s in setups]
    indirect = UpstreamCounts.of(states)
    assert evaluate(rule, UpstreamCounts.of([TI.SUCCESS]), indirect) == verdict
