"""Airflow's trigger rules: given the direct upstream task instances' states, may a
task run now, must it wait, or does it resolve to skipped / upstream_failed without
running? Mirrors Airflow 2's TriggerRuleDep with flag_upstream_failed (the
scheduler's view), so skips propagate only through trigger rules, including its
setup constraint: a task's indirect setups (see core.setup_teardown) must all
succeed, whatever its rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dag import TriggerRule as TR


class Verdict(StrEnum):
    WAIT = "wait"
    RUN = "run"
    SKIP = "skipped"
    UPSTREAM_FAILED = "upstream_failed"


@dataclass(frozen=True)
class UpstreamCounts:
    total: int = 0
    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    setup_total: int = 0
    """Of `total`, the instances of setup tasks (a teardown's setups)."""
    setup_success: int = 0
    setup_skipped: int = 0

    @property
    def done(self) -> int:
        return self.success + self.skipped + self.failed + self.upstream_failed + self.removed

    @property
    def all_done(self) -> bool:
        return self.done >= self.total

    @classmethod
    def of(
        cls, states: Iterable[TI | tuple[TI, int]], setup_states: Iterable[TI] = ()
    ) -> UpstreamCounts:
        """Counts of the upstream states (a state, or a state and how many instances
        are in it); `setup_states` are those of the setup tasks among them (also in
        `states`)."""
        items: Counter[TI] = Counter()
        for item in states:
            state, weight = item if isinstance(item, tuple) else (item, 1)
            items[state] += weight
        setups = list(setup_states)
        return cls(
            total=sum(items.values()),
            success=items[TI.SUCCESS],
            skipped=items[TI.SKIPPED],
            failed=items[TI.FAILED],
            upstream_failed=items[TI.UPSTREAM_FAILED],
            removed=items[TI.REMOVED],
            setup_total=len(setups),
            setup_success=setups.count(TI.SUCCESS),
            setup_skipped=setups.count(TI.SKIPPED),
        )


def evaluate(
    rule: TR, up: UpstreamCounts, indirect_setups: UpstreamCounts | None = None
) -> Verdict:
    """What the rule says now. A task without upstream tasks may always run.

    `indirect_setups`: the states of the task's relevant setups that are not direct
    upstream tasks. As in Airflow, a failed one resolves the task to upstream_failed
    and a skipped one to skipped before the rule is looked at, and the task runs only
    once they all succeeded."""
    if up.total == 0 or rule == TR.ALWAYS:
        return Verdict.RUN
    setups = indirect_setups or UpstreamCounts()
    if setups.failed or setups.upstream_failed:
        return Verdict.UPSTREAM_FAILED
    if setups.skipped:
        return Verdict.SKIP
    resolved = _resolution(rule, up)
    if resolved is not None:
        return resolved
    if not _passes(rule, up) or setups.success + setups.removed < setups.total:
        return Verdict.WAIT
    return Verdict.RUN


def _resolution(rule: TR, up: UpstreamCounts) -> Verdict | None:
    """States a rule sets without running the task (Airflow's flag_upstream_failed)."""
    any_failed = up.failed or up.upstream_failed
    match rule:
        case TR.ALL_SUCCESS:
            if any_failed:
                return Verdict.UPSTREAM_FAILED
            if up.skipped:
                return Verdict.SKIP
        case TR.ALL_FAILED:
            if up.success or up.skipped:
                return Verdict.SKIP
        case TR.ONE_SUCCESS:
            if up.all_done and up.done == up.skipped:
                return Verdict.SKIP
            if up.all_done and up.success <= 0:
                return Verdict.UPSTREAM_FAILED
        case TR.ONE_FAILED:
            if up.all_done and not any_failed:
                return Verdict.SKIP
        case TR.ONE_DONE:
            if up.all_done and not (up.failed or up.success):
                return Verdict.SKIP
        case TR.NONE_FAILED:
            if any_failed:
                return Verdict.UPSTREAM_FAILED
        case TR.NONE_FAILED_MIN_ONE_SUCCESS:
            if any_failed:
                return Verdict.UPSTREAM_FAILED
            if up.skipped == up.total:
                return Verdict.SKIP
        case TR.NONE_SKIPPED:
            if up.skipped:
                return Verdict.SKIP
        case TR.ALL_SKIPPED:
            if up.success or any_failed:
                return Verdict.SKIP
        case TR.ALL_DONE_SETUP_SUCCESS:
            if up.all_done and up.setup_total and up.setup_skipped >= up.setup_total:
                return Verdict.SKIP
            if up.all_done and up.setup_total and not up.setup_success:
                return Verdict.UPSTREAM_FAILED
        case TR.ALL_DONE | TR.ALWAYS:
            pass
    return None


def _passes(rule: TR, up: UpstreamCounts) -> bool:
    match rule:
        case TR.ALL_SUCCESS:
            return up.success + up.removed >= up.total
        case TR.ALL_FAILED:
            return up.failed + up.upstream_failed + up.removed >= up.total
        case TR.ALL_DONE:
            return up.all_done
        case TR.ALL_SKIPPED:
            return up.skipped + up.removed >= up.total
        case TR.ONE_SUCCESS:
            return up.success > 0
        case TR.ONE_FAILED:
            return bool(up.failed or up.upstream_failed)
        case TR.ONE_DONE:
            return up.success + up.failed > 0
        case TR.NONE_FAILED:
            return up.success + up.skipped + up.removed >= up.total
        case TR.NONE_FAILED_MIN_ONE_SUCCESS:
            return up.success + up.skipped + up.removed >= up.total and up.success > 0
        case TR.NONE_SKIPPED:
            return up.all_done and not up.skipped
        case TR.ALL_DONE_SETUP_SUCCESS:
            return up.all_done and (not up.setup_total or up.setup_success > 0)
        case TR.ALWAYS:
            return True


def describe_wait(rule: TR, up: UpstreamCounts) -> str:
    """Why a task waits, in words (shown as the task instance's message)."""
    return f"waiting for upstream ({up.done}/{up.total} done, trigger rule {rule.value})"
