"""Which callbacks are due, and how they went: pure decisions over one planner pass.

The pass notes what callbacks fire on as it happens (`RunPass.transitions`: a try
starts, a try fails with a retry to come, a task instance or the run succeeds or
fails). Here each noted transition becomes one record per callback in the run's
status (`status.callbacks`) and one pod; later passes fold the pods' phases into the
records. Recording and the task states that caused it are written in one status
write, so a callback is decided exactly once.

Exactly once, across operator restarts: a callback's pod name is deterministic (run,
task instance, kind, try or occurrence, index: `naming.callback_pod_name`), and pods
are created before the status that records them is written. An operator killed
in between finds, on the next pass, the same transition again (the task states were
not written either) and the pod already there: it adopts it instead of creating a
second one. A callback never changes a task instance's or the run's state.

What fires (Airflow's semantics, where it has them):

- onExecute: each try of a task instance that starts a pod;
- onRetry: a try failed and the task will be retried;
- onFailure: the task instance failed for good (its last try, a template error, a
  sensor's timeout); not upstream_failed, not skipped;
- onSuccess: the task instance succeeded (an empty task too);
- the DAG's onSuccess / onFailure: the run ended so (a timeout or a deadlock too);
  again after a clear when it ends again (the record's `tryNumber` counts).

States set by hand (mark success / failed) fire nothing, as in Airflow for a task
instance that is not running.
"""

from __future__ import annotations

from collections.abc import Sequence

from kairflow.api.callbacks import CallbackKind, CallbackSpec, CallbackState, CallbackStatus
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.callback_pods import CallbackPodError, Identity, callback_pod
from kairflow.core.naming import callback_pod_name
from kairflow.core.pod_outcomes import NEVER_STARTS, OBSERVE_GRACE
from kairflow.core.run_model import ObservedPod, PodPhase, Transition
from kairflow.core.run_state import RunPass
from kairflow.core.times import iso, parse_time

CB = CallbackState


def specs_for(state: RunPass, change: Transition) -> Sequence[tuple[int, CallbackSpec]]:
    """The callbacks declared for what happened, with their index (a task's after its
    defaults; a missed deadline's own, indexed by the deadline)."""
    if change.deadline is not None:
        return [(change.deadline, state.run.spec.deadlines[change.deadline].callback)]
    return list(enumerate(_declared(state, change)))


def _declared(state: RunPass, change: Transition) -> Sequence[CallbackSpec]:
    if change.key is None:
        spec = state.run.spec
        if change.kind == CallbackKind.ON_SUCCESS:
            return spec.on_success
        return spec.on_failure if change.kind == CallbackKind.ON_FAILURE else []
    task = state.tasks[state.task_of(change.key)]
    declared = {
        CallbackKind.ON_EXECUTE: task.on_execute,
        CallbackKind.ON_SUCCESS: task.on_success,
        CallbackKind.ON_FAILURE: task.on_failure,
        CallbackKind.ON_RETRY: task.on_retry,
    }[change.kind]
    return declared or []


def _occurrence(status: DagRunStatus, change: Transition) -> int:
    """A task's callbacks are about a try; the DAG's count the times the run ended so."""
    if change.key is not None or change.kind == CallbackKind.DEADLINE:
        return change.try_number  # a deadline fires once per run: always 1
    earlier = [c.try_number for c in status.callbacks if c.task is None and c.kind == change.kind]
    return max(earlier, default=0) + 1


def due(state: RunPass) -> list[tuple[CallbackStatus, Identity]]:
    """The callbacks this pass' transitions make due, not yet recorded."""
    found: list[tuple[CallbackStatus, Identity]] = []
    for change in state.transitions:
        specs = specs_for(state, change)
        if not specs:
            continue
        occurrence = _occurrence(state.status, change)
        for index, spec in specs:
            record = CallbackStatus(
                task=change.key,
                kind=change.kind,
                try_number=occurrence,
                index=index,
                name=(
                    spec.label
                    if change.deadline is None
                    else state.run.spec.deadlines[change.deadline].label
                ),
                pod=callback_pod_name(state.run.name, change.key, change.kind, occurrence, index),
            )
            known = [*state.status.callbacks, *(r for r, _ in found)]
            if not any(record.same_as(other) for other in known):
                assert record.pod is not None
                found.append((record, Identity(record.pod, change, spec, occurrence)))
    return found


def start_due(state: RunPass) -> None:
    """Record each due callback and ask for its pod (unless it exists: adopted)."""
    for record, who in due(state):
        record.queued_at = iso(state.now)
        try:
            manifest = callback_pod(state, who)
        except CallbackPodError as exc:
            record.pod = None
            _end(state, record, CB.FAILED, str(exc))
        else:
            if who.pod not in state.pods:
                state.create_pod(f"callback:{who.pod}", manifest)
        state.status.callbacks.append(record)


def pending(status: DagRunStatus) -> bool:
    """Some callback has not finished yet."""
    return any(not c.state.finished for c in status.callbacks)


def describe(record: CallbackStatus) -> str:
    what = f"{record.kind.value} callback {record.name or record.index}"
    return f"{record.task}: {what}" if record.task else f"DAG {what}"


def _end(state: RunPass, record: CallbackStatus, final: CallbackState, message: str) -> None:
    record.state = final
    record.message = message or None
    record.end_date = record.end_date or iso(state.now)
    if final == CB.FAILED:
        where = f" (pod {record.pod})" if record.pod else ""
        state.event("Warning", "CallbackFailed", f"{describe(record)} failed{where}: {message}")


def observe(state: RunPass) -> None:
    """Fold the callback pods' phases into their records (as `pod_outcomes` does for
    tries, without retries: a callback runs once)."""
    for record in state.status.callbacks:
        if record.state.finished or record.pod is None:
            continue
        pod = state.pods.get(record.pod)
        if record.pod in state.rejected:
            _end(state, record, CB.FAILED, f"pod rejected by the API: {state.rejected[record.pod]}")
        elif pod is None:
            queued = parse_time(record.queued_at) or state.now
            if record.state == CB.QUEUED and state.now < queued + OBSERVE_GRACE:
                state.wake(queued + OBSERVE_GRACE)
            else:
                _end(state, record, CB.FAILED, f"pod {record.pod} was deleted")
        elif pod.phase == PodPhase.PENDING:
            _pending(state, record, pod)
        elif pod.phase == PodPhase.RUNNING:
            record.state = CB.RUNNING
            record.start_date = record.start_date or iso(pod.started_at or state.now)
        elif pod.phase in (PodPhase.SUCCEEDED, PodPhase.FAILED):
            record.start_date = record.start_date or iso(pod.started_at or state.now)
            record.end_date = iso(pod.finished_at or state.now)
            record.exit_code = pod.exit_code
            if pod.phase == PodPhase.SUCCEEDED:
                _end(state, record, CB.SUCCESS, "")
            else:
                _end(state, record, CB.FAILED, _failure(pod))


def _failure(pod: ObservedPod) -> str:
    if pod.reason == "DeadlineExceeded":
        return "execution timeout exceeded (DeadlineExceeded)"
    if pod.exit_code is not None:
        extra = f" ({pod.reason})" if pod.reason and pod.reason not in ("Error",) else ""
        return f"exit code {pod.exit_code}{extra}"
    return f"{pod.reason or 'pod failed'}: {pod.message or 'no details'}"


def _pending(state: RunPass, record: CallbackStatus, pod: ObservedPod) -> None:
    why = f"{pod.reason}: {pod.message}" if pod.message else pod.reason
    if pod.reason in NEVER_STARTS:
        state.delete_pod(pod.name, pod.reason)
        _end(state, record, CB.FAILED, why or "container cannot start")
        return
    since = pod.created_at or parse_time(record.queued_at) or state.now
    deadline = since + state.settings.startup_timeout
    if state.now >= deadline:
        state.delete_pod(pod.name, "startup timeout")
        _end(state, record, CB.FAILED, "pod did not start" + (f" ({why})" if why else ""))
    else:
        record.message = f"waiting for the pod to start: {why}" if why else None
        state.wake(deadline)
