"""The Gantt chart's earlier tries, read from the run's pods."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.ui.tries import tries_of

RUN = "etl-manual-1"


def pod(
    task: str,
    try_number: int,
    *,
    created: str,
    started: str | None = None,
    finished: str | None = None,
    exit_code: int | None = None,
    run: str = RUN,
    map_index: int | None = None,
    poke: int | None = None,
) -> dict[str, Any]:
    annotations = {
        "kairflow.io/dag-run": run,
        "kairflow.io/task": task,
        "kairflow.io/try-number": str(try_number),
    }
    if map_index is not None:
        annotations["kairflow.io/map-index"] = str(map_index)
    if poke is not None:
        annotations["kairflow.io/poke"] = str(poke)
    if finished:
        state = {
            "terminated": {"startedAt": started, "finishedAt": finished, "exitCode": exit_code}
        }
        phase = "Succeeded" if exit_code == 0 else "Failed"
    elif started:
        state, phase = {"running": {"startedAt": started}}, "Running"
    else:
        state, phase = {"waiting": {"reason": "ContainerCreating"}}, "Pending"
    return {
        "metadata": {
            "name": f"{run}-{task}-{try_number}",
            "creationTimestamp": created,
            "annotations": annotations,
        },
        "status": {"phase": phase, "containerStatuses": [{"name": "base", "state": state}]},
    }


# A sensor's first poke, answered "not yet" (exit code 100): the try goes on.
FIRST_POKE = pod(
    "wait",
    1,
    created="2026-12-06T10:00:00Z",
    started="2026-12-06T10:00:01Z",
    finished="2026-12-06T10:00:02Z",
    exit_code=100,
)


def one_try(key: str, number: int, queued: str, start: str | None, end: str | None, **rest: Any):
    return {
        "key": key,
        "try": number,
        "pods": rest.get("pods", 1),
        "queuedAt": queued,
        "startDate": start,
        "endDate": end,
        "exitCode": rest.get("exit_code"),
        "phase": rest["phase"],
    }


@pytest.mark.parametrize(
    ("pods", "expected"),
    [
        pytest.param(
            [
                pod(
                    "flaky",
                    2,
                    created="2026-12-06T11:34:13Z",
                    started="2026-12-06T11:34:17Z",
                    finished="2026-12-06T11:34:18Z",
                    exit_code=0,
                ),
                pod(
                    "flaky",
                    1,
                    created="2026-12-06T11:34:09Z",
                    started="2026-12-06T11:34:10Z",
                    finished="2026-12-06T11:34:11Z",
                    exit_code=1,
                ),
            ],
            [
                one_try(
                    "flaky",
                    1,
                    "2026-12-06T11:34:09+00:00",
                    "2026-12-06T11:34:10+00:00",
                    "2026-12-06T11:34:11+00:00",
                    exit_code=1,
                    phase="Failed",
                ),
                one_try(
                    "flaky",
                    2,
                    "2026-12-06T11:34:13+00:00",
                    "2026-12-06T11:34:17+00:00",
                    "2026-12-06T11:34:18+00:00",
                    exit_code=0,
                    phase="Succeeded",
                ),
            ],
            id="a task that failed once shows both tries, oldest first",
        ),
        pytest.param(
            [
                pod(
                    "process",
                    1,
                    created="2026-12-06T10:00:00Z",
                    map_index=2,
                    started="2026-12-06T10:00:02Z",
                    finished="2026-12-06T10:00:05Z",
                    exit_code=0,
                )
            ],
            [
                one_try(
                    "process[2]",
                    1,
                    "2026-12-06T10:00:00+00:00",
                    "2026-12-06T10:00:02+00:00",
                    "2026-12-06T10:00:05+00:00",
                    exit_code=0,
                    phase="Succeeded",
                )
            ],
            id="a mapped instance is keyed by its map index",
        ),
        pytest.param(
            [
                FIRST_POKE,
                pod(
                    "wait",
                    1,
                    poke=2,
                    created="2026-12-06T10:00:05Z",
                    started="2026-12-06T10:00:06Z",
                    finished="2026-12-06T10:00:07Z",
                    exit_code=0,
                ),
            ],
            [
                one_try(
                    "wait",
                    1,
                    "2026-12-06T10:00:00+00:00",
                    "2026-12-06T10:00:01+00:00",
                    "2026-12-06T10:00:07+00:00",
                    exit_code=0,
                    phase="Succeeded",
                    pods=2,
                )
            ],
            id="a rescheduled sensor's pokes are one try from the first poke to the last",
        ),
        pytest.param(
            [
                FIRST_POKE,
                pod("wait", 1, poke=2, created="2026-12-06T10:00:05Z"),
            ],
            [
                one_try(
                    "wait",
                    1,
                    "2026-12-06T10:00:00+00:00",
                    "2026-12-06T10:00:01+00:00",
                    None,
                    phase="Pending",
                    pods=2,
                )
            ],
            id="a try whose last poke has not started yet has no end",
        ),
        pytest.param(
            [pod("load", 1, created="2026-12-06T10:00:00Z", started="2026-12-06T10:00:03Z")],
            [
                one_try(
                    "load",
                    1,
                    "2026-12-06T10:00:00+00:00",
                    "2026-12-06T10:00:03+00:00",
                    None,
                    phase="Running",
                )
            ],
            id="a running try has a start and no end",
        ),
        pytest.param(
            [
                pod("load", 1, created="2026-12-06T10:00:00Z", run="etl-manual-1-other"),
                {"metadata": {"name": "not-ours", "annotations": {}}, "status": {}},
            ],
            [],
            id="pods of another run, or not made by kairflow, are left out",
        ),
    ],
)
def test_tries_of(pods: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert tries_of(pods, RUN) == expected
