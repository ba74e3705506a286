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
