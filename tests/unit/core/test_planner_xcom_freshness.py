"""A template pulls XComs as they are at the moment its task instance starts, even when
they changed earlier in the same planner pass (the planner keeps them indexed per pass)."""

from datetime import timedelta
from typing import Any

import pytest

from tests.unit.core.planner_harness import (
    T0,
    Outcome,
    Simulation,
    fail,
    make_run,
    make_spec,
    xcom,
)


def t(name: str, bash: str = "true", **kw: Any) -> dict[str, Any]:
    return {"name": name, "bash": bash, **kw}


def weighted(name: str, weight: int, bash: str, **kw: Any) -> dict[str, Any]:
    return t(name, bash, priorityWeight=weight, weightRule="absolute", **kw)


# Three ready tasks started in this order in one pass; both of m's instances fail their
# templates, so m finishes between the two pulls.
FAILING_MAP_BETWEEN_PULLS = [
    weighted("first", 3, "echo {{ ti.xcom_pull('m') }}"),
    weighted("m", 2, "echo {{ params.missing }}", expand={"items": [1, 2]}),
    weighted("last", 1, "echo {{ ti.xcom_pull('m') }}"),
]


@pytest.mark.parametrize(
    ("tasks", "flow", "script", "key", "command", "started_at"),
    [
        pytest.param(
            [t("start"), t("w", "echo {{ ti.xcom_pull('start') }}")],
            ["start >> w"],
            {"start": [xcom('"hello"')]},
            "w",
            "echo hello",
            T0 + timedelta(seconds=1),
            id="a task starting in the pass its upstream succeeded pulls that XCom",
        ),
        pytest.param(
            [
                t("start"),
                t("m", "echo {{ item }}", expand={"fromTask": "start"}),
                t("after", "echo {{ ti.xcom_pull('m') }}"),
            ],
            ["start >> m >> after"],
            {
                "start": [xcom("[1, 2]")],
                "m[0]": [xcom('"x"')],
                "m[1]": [Outcome(xcom='"y"', seconds=3)],
            },
            "after",
            "echo ['x', 'y']",
            T0 + timedelta(seconds=4),
            id="a task pulls a mapped task's list once its last instance succeeded",
        ),
        pytest.param(
            [
                t("start"),
                t("m", "echo {{ item }}", expand={"items": [1, 2]}),
                t("after", "echo {{ ti.xcom_pull('m') }}", triggerRule="all_done"),
            ],
            ["start >> m >> after"],
            {"start": [fail()]},
            "after",
            "echo [None, None]",
            T0 + timedelta(seconds=1),
            id="a mapped task made upstream_failed earlier in the pass has its list",
        ),
        pytest.param(
            FAILING_MAP_BETWEEN_PULLS,
            [],
            {},
            "last",
            "echo [None, None]",
            T0,
            id="a start after a mapped task's instances failed their templates sees them",
        ),
        pytest.param(
            FAILING_MAP_BETWEEN_PULLS,
            [],
            {},
            "first",
            "echo None",
            T0,
            id="a start before a mapped task finished does not see its list",
        ),
    ],
)
def test_a_template_pulls_xcoms_as_they_are_when_its_task_starts(
    tasks: list[dict[str, Any]],
    flow: list[str],
    script: dict[str, list[Outcome]],
    key: str,
    command: str,
    started_at: Any,
) -> None:
    sim = Simulation(make_run(make_spec(tasks, flow)), script=script)
    sim.run_to_end()
    pod = next(p for p in sim.pods.values() if p.key == key)
    assert pod.manifest["spec"]["containers"][0]["command"][-1] == command
    assert sim.start_time(key) == started_at
