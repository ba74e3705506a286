"""Folding what happened to pods into task instance states.

Every failure a kubelet can produce ends somewhere: a non-zero exit, an execution
timeout (DeadlineExceeded), an eviction, a pod deleted by someone else, a pod that
never starts (image errors, startup timeout). Failed tries are retried per policy;
an exit code of `skipOnExitCode` is no failure: the task skipped itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kairflow.api.callbacks import CallbackKind
from kairflow.api.common import TaskInstanceState
from kairflow.api.dag import SensorMode
from kairflow.api.types import format_duration
from kairflow.core.naming import pod_name
from kairflow.core.retries import may_retry, retry_delay
from kairflow.core.run_model import DeletePod, ObservedPod, PodPhase
from kairflow.core.run_state import RunPass
from kairflow.core.sensors import NOT_YET, next_poke_interval, timed_out
from kairflow.core.times import iso, parse_time
from kairflow.core.xcom import Spilled, XComError, parse_xcom

TI = TaskInstanceState
# Waiting reasons that mean the container will never start as asked: the try fails
# at once. Image pull errors are not among them: the kubelet keeps retrying a pull
# (a registry hiccup, a pull secret created a moment later), so the task waits,
# showing why, until the startup timeout; the same for a missing ConfigMap or Secret.
NEVER_STARTS = frozenset({"InvalidImageName", "ErrImageNeverPull", "CreateContainerError"})
# The container never ran its command: its termination message is the runtime's error
# (a missing executable, a bad working directory), not the task's XCom.
CANNOT_RUN = frozenset({"StartError", "ContainerCannotRun"})
# How long a pod we asked for may be missing from the observed set before we
# believe it was deleted (the watch cache can lag the create a little).
OBSERVE_GRACE = timedelta(seconds=10)
STORE_AGAIN = timedelta(seconds=1)
"""How soon to look again at a pod whose big XCom the controller has not stored yet."""


def _next_pod_name(state: RunPass, key: str) -> str | None:
    ti = state.status.task_instances[key]
    name = state.task_of(key)
    poke_wait = ti.state == TI.UP_FOR_RESCHEDULE or (
        ti.state == TI.RUNNING and ti.next_try_at is not None
    )
    if poke_wait:
        return pod_name(state.run.name, name, ti.try_number, ti.map_index, (ti.pokes or 1) + 1)
    if ti.state in (TI.NONE, TI.SCHEDULED, TI.UP_FOR_RETRY):
        return pod_name(state.run.name, name, ti.try_number + 1, ti.map_index)
    return None


def adopt_existing_pods(state: RunPass) -> None:
    """A pod we would create next already exists: we created it and then lost the
    status write (operator killed in between). Take it over instead of duplicating."""
    for key, ti in state.status.task_instances.items():
        expected = _next_pod_name(state, key)
        pod = state.pods.get(expected) if expected else None
        if pod is None:
            continue
        if ti.state in (TI.UP_FOR_RESCHEDULE, TI.RUNNING):
            ti.pokes = (ti.pokes or 1) + 1
        else:
            ti.try_number += 1
            state.note(CallbackKind.ON_EXECUTE, key, ti.try_number, TI.QUEUED.value)
            if state.tasks[state.task_of(key)].sensor is not None:
                ti.pokes = 1
                ti.first_poke_at = iso(pod.created_at or state.now)
        if ti.state != TI.RUNNING:
            ti.state = TI.QUEUED
        ti.next_try_at = None
        ti.pod = pod.name
        ti.queued_at = iso(pod.created_at or state.now)


def observe(state: RunPass) -> None:
    for key, ti in state.status.task_instances.items():
        if ti.state not in (TI.QUEUED, TI.RUNNING) or ti.next_try_at is not None or not ti.pod:
            continue
        pod = state.pods.get(ti.pod)
        if ti.pod in state.rejected:
            # Never created: an invalid field, a forbidden service account. A try
            # like any other: retried per the task's policy (the pod may be fine with
            # a later try's template, or once someone fixes RBAC).
            fail_try(state, key, None, f"pod rejected by the API: {state.rejected[ti.pod]}")
        elif pod is None:
            _missing(state, key)
        elif pod.phase == PodPhase.PENDING:
            _pending(state, key, pod)
        elif pod.phase == PodPhase.RUNNING:
            if ti.state == TI.QUEUED:
                ti.state = TI.RUNNING
                ti.start_date = iso(pod.started_at or state.now)
                ti.message = None  # what it waited for, if anything, is over
        elif pod.phase == PodPhase.SUCCEEDED:
            _succeeded(state, key, pod)
        elif pod.phase == PodPhase.FAILED:
            _failed(state, key, pod)


def _missing(state: RunPass, key: str) -> None:
    ti = state.status.task_instances[key]
    queued = parse_time(ti.queued_at) or state.now
    if ti.state == TI.QUEUED and state.now < queued + OBSERVE_GRACE:
        state.wake(queued + OBSERVE_GRACE)
        return
    where = "before it started" if ti.state == TI.QUEUED else "while running"
    fail_try(state, key, None, f"pod {ti.pod} was deleted or evicted {where}")


def _pending(state: RunPass, key: str, pod: ObservedPod) -> None:
    ti = state.status.task_instances[key]
    why = f"{pod.reason}: {pod.message}" if pod.message else pod.reason
    if pod.reason in NEVER_STARTS:
        state.delete_pod(pod.name, pod.reason)
        fail_try(state, key, None, f"{pod.reason}: {pod.message or 'container cannot start'}")
        return
    since = pod.created_at or parse_time(ti.queued_at) or state.now
    deadline = since + state.settings.startup_timeout
    if state.now >= deadline:
        state.delete_pod(pod.name, "startup timeout")
        limit = format_duration(state.settings.startup_timeout)
        fail_try(
            state, key, None, f"pod did not start within {limit}" + (f" ({why})" if why else "")
        )
    else:
        # Say why it waits (ImagePullBackOff, Unschedulable...) while it waits.
        ti.message = f"waiting for the pod to start: {why}" if why else None
        state.wake(deadline)


def ended_at(pod: ObservedPod, now: datetime) -> datetime:
    """The earliest moment surely after the container ended, where a retry delay
    starts. Kubernetes keeps whole seconds (finishedAt), so the true end lies in
    [finishedAt, finishedAt + 1 s), and it is no later than the first sight of it
    (`now`): the earlier of the two is never before the true end, so a retry never
    comes before its delay, and is at most 1 s late. (end_date shows finishedAt as
    Kubernetes does, like start_date shows startedAt.)"""
    finished = pod.finished_at
    if finished is None:
        return now
    if finished.microsecond:
        return finished
    return max(finished, min(now, finished + timedelta(seconds=1)))


def _succeeded(state: RunPass, key: str, pod: ObservedPod) -> None:
    ti = state.status.task_instances[key]
    ti.exit_code = 0
    ti.start_date = ti.start_date or iso(pod.started_at or state.now)
    ti.end_date = iso(pod.finished_at or state.now)
    # doXcomPush: false records no XCom, whatever the task wrote (Airflow's do_xcom_push).
    pushes = state.tasks[state.task_of(key)].do_xcom_push is not False
    try:
        value = parse_xcom(pod.termination_message) if pushes else None
        if isinstance(value, Spilled):
            # A big XCom: in the pod's log until the controller stores it; the try
            # succeeds once it is stored (the pod stays until this status is written).
            if pod.stored_xcom is None:
                # Seen before the controller knew the pod was this try's (adopted in
                # this pass): it stores the value in the next pass, due shortly.
                state.wake(state.now + STORE_AGAIN)
                return
            if isinstance(pod.stored_xcom, str):
                raise XComError(pod.stored_xcom)
            ti.xcom, ti.xcom_ref = None, pod.stored_xcom
        else:
            ti.xcom, ti.xcom_ref = value, None
    except XComError as exc:
        fail_try(state, key, 0, str(exc), pod.finished_at, ended_at(pod, state.now))
        return
    state.set_state(key, TI.SUCCESS)


def _failed(state: RunPass, key: str, pod: ObservedPod) -> None:
    task = state.tasks[state.task_of(key)]
    if task.sensor is not None and pod.exit_code == NOT_YET:
        _not_yet(state, key, pod)
        return
    ran = pod.reason not in CANNOT_RUN and pod.reason != "DeadlineExceeded"
    if ran and state.policies[task.name].skips_on(pod.exit_code):
        _skipped_itself(state, key, pod)
        return
    if pod.reason == "DeadlineExceeded":
        timeout = state.policies[task.name].execution_timeout
        limit = f" of {format_duration(timeout)}" if timeout else ""
        message = f"execution timeout{limit} exceeded (DeadlineExceeded)"
    elif pod.exit_code is not None:
        message = f"exit code {pod.exit_code}"
        if pod.reason in CANNOT_RUN and pod.termination_message:
            # The runtime's own words: "exec: \"python\": executable file not found".
            message += f" ({pod.reason}: {pod.termination_message.strip()})"
        elif pod.reason and pod.reason not in ("Error", "Completed"):
            message += f" ({pod.reason})"
    else:
        message = f"{pod.reason or 'pod failed'}: {pod.message or 'no details'}"
    fail_try(state, key, pod.exit_code, message, pod.finished_at, ended_at(pod, state.now))


def _skipped_itself(state: RunPass, key: str, pod: ObservedPod) -> None:
    """Airflow's AirflowSkipException: skipped at once (never retried), and, as in
    Airflow, with the try's end date and duration (it ran)."""
    ti = state.status.task_instances[key]
    ti.exit_code = pod.exit_code
    ti.start_date = ti.start_date or iso(pod.started_at or state.now)
    state.set_state(key, TI.SKIPPED, f"skipped: exit code {pod.exit_code} (skipOnExitCode)")
    ended = pod.finished_at or state.now
    ti.end_date = iso(ended)  # set_state's "now" is when we saw it, not when it ended
    started = parse_time(ti.start_date)
    if started is not None:
        ti.duration = format_duration(ended - started)


def _not_yet(state: RunPass, key: str, pod: ObservedPod) -> None:
    ti = state.status.task_instances[key]
    name = state.task_of(key)
    sensor = state.tasks[name].sensor
    assert sensor is not None
    ti.exit_code = NOT_YET
    first = parse_time(ti.first_poke_at) or state.now
    if timed_out(sensor, first, state.now):
        limit = format_duration(sensor.timeout)
        if sensor.soft_fail:
            state.set_state(key, TI.SKIPPED, f"sensor timed out after {limit} (softFail)")
        else:
            # Like AirflowSensorTimeout: a timeout is final, not retried.
            state.set_state(key, TI.FAILED, f"sensor timed out after {limit}")
            state.event("Warning", "TaskFailed", f"{key}: sensor timed out after {limit}")
        return
    interval = next_poke_interval(
        sensor,
        dag_name=state.run.dag_name,
        task_name=name,
        first_poke_at=first,
        poke_number=ti.pokes or 1,
        now=state.now,
    )
    due = state.now + interval
    ti.next_try_at = iso(due)
    ti.message = f"not yet (poke {ti.pokes or 1}); next poke at {iso(due)}"
    if sensor.mode == SensorMode.RESCHEDULE:
        ti.state = TI.UP_FOR_RESCHEDULE  # frees the slot until the next poke
    else:
        ti.state = TI.RUNNING  # poke mode keeps the slot between pokes
        ti.start_date = ti.start_date or iso(pod.started_at or state.now)
    state.wake(due)


def fail_try(
    state: RunPass,
    key: str,
    exit_code: int | None,
    message: str,
    ended_at: datetime | None = None,
    retry_from: datetime | None = None,
) -> None:
    """A try failed: up_for_retry when tries remain (at Airflow's retry time: the retry
    delay after `retry_from`, by default the end), else failed."""
    ti = state.status.task_instances[key]
    name = state.task_of(key)
    policy = state.policies[name]
    ended = ended_at or state.now
    ti.exit_code = exit_code
    ti.end_date = iso(ended)
    if may_retry(policy, ti.try_number, ti.max_tries or 1, exit_code):
        delay = retry_delay(
            policy,
            dag_name=state.run.dag_name,
            task_name=name,
            logical_date=state.run.logical_date,
            failed_try=ti.try_number,
        )
        due = (retry_from or ended) + delay
        ti.state = TI.UP_FOR_RETRY
        ti.next_try_at = iso(due)
        ti.first_poke_at = None
        ti.pokes = None
        ti.message = f"{message}; try {ti.try_number + 1} of {ti.max_tries} at {iso(due)}"
        state.note(CallbackKind.ON_RETRY, key, ti.try_number, ti.state.value, message)
        state.event("Warning", "TaskRetrying", f"{key} try {ti.try_number} failed: {ti.message}")
        state.wake(due)
    else:
        state.set_state(key, TI.FAILED, message)
        state.event("Warning", "TaskFailed", f"{key} try {ti.try_number} failed: {message}")


def delete_strays(state: RunPass) -> None:
    """Delete the run's pods that no task instance waits on but that still run, or
    wait to: a try that ended without its pod ending (an image error, a startup
    timeout), a cleared or marked task instance, a finished run. Level-triggered, so
    a delete cut short (the operator killed after its status write) is asked again;
    the controller deletes only once the status that explains it is written."""
    tis = state.status.task_instances.values()
    wanted = {ti.pod for ti in tis if ti.state in (TI.QUEUED, TI.RUNNING) and ti.pod}
    wanted |= {cb.pod for cb in state.status.callbacks if cb.pod and not cb.state.finished}
    asked = {a.name for a in state.actions if isinstance(a, DeletePod)}
    for pod in state.pods.values():
        ended = pod.phase in (PodPhase.SUCCEEDED, PodPhase.FAILED)
        if not (pod.deleting or ended or pod.name in wanted or pod.name in asked):
            state.delete_pod(pod.name, "no task instance waits on it")
