"""A CPU-time budget per render: loops too large stop with an error naming the field."""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import timedelta
from types import FrameType, SimpleNamespace
from typing import Any

import pytest

from kairflow.core.templating import (
    TemplateError,
    build_context,
    render,
    render_task,
)
from kairflow.core.templating import budget as budget_module
from tests.unit.core.templating.samples import BASE, task

BUDGET = timedelta(seconds=0.1)
OUT_OF_BUDGET = "the template used more than 0.1s of CPU time (a loop too large?)"
STOPPED_WITHIN = 1.0
"""CPU seconds a bomb may use under BUDGET: its budget and the time to notice, not
the hours the loops would take."""

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


@pytest.mark.parametrize(
    "template",
    [
        pytest.param(NESTED_LOOPS, id="nested loops that render nothing"),
        pytest.param(
            "{% set r = range(100000) | list %}"
            "{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
            id="nested loops over a list, with no function call in them",
        ),
        pytest.param(
            "{% macro spin() %}" + NESTED_LOOPS + "{% endmacro %}{{ spin() }}",
            id="nested loops inside a macro",
        ),
        pytest.param(
            "{% macro twice() %}{{ caller() }}{{ caller() }}{% endmacro %}"
            "{% call twice() %}" + NESTED_LOOPS + "{% endcall %}",
            id="nested loops inside a call block",
        ),
        pytest.param(
            "{% for i in range(100000) %}{% for j in range(100000) %}"
            "{% set _ = ('a' ~ j) | upper | trim | replace('A', '') | length %}"
            "{% endfor %}{% endfor %}",
            id="a filter chain inside nested loops",
        ),
        pytest.param(
            "{% for i in range(100000) %}{% set _ = range(100000) | map('abs') | sum %}"
            "{% endfor %}",
            id="a loop whose work is inside filters",
        ),
        pytest.param(
            "{% set ns = namespace(items=range(100000)) %}"
            "{% for i in range(300) %}{% set ns.items = ns.items | map('abs') %}{% endfor %}"
            "{{ ns.items | sum }}",
            id="a chain of lazy filters consumed in one call",
        ),
        pytest.param(
            "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}"
            "{% endmacro %}{{ twice(60) }}",
            id="a macro calling itself twice",
        ),
        pytest.param(
            "{% for n in [60] recursive %}{% if n %}{{ loop([n - 1, n - 1]) }}{% endif %}"
            "{% endfor %}",
            id="a recursive loop",
        ),
    ],
)
def test_a_render_that_runs_out_of_its_budget_stops_with_an_error(template: str) -> None:
    started = time.thread_time()
    with pytest.raises(TemplateError) as info:
        render(template, build_context(BASE), "bash", budget=BUDGET)
    assert str(info.value) == f"bash: {OUT_OF_BUDGET}"
    assert time.thread_time() - started < STOPPED_WITHIN


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param({"bash": NESTED_LOOPS}, f"bash: {OUT_OF_BUDGET}", id="in bash"),
        pytest.param({"python": NESTED_LOOPS}, f"python: {OUT_OF_BUDGET}", id="in python"),
        pytest.param(
            {"image": "a", "command": ["sh"], "args": ["-c", NESTED_LOOPS]},
            f"args[1]: {OUT_OF_BUDGET}",
            id="in an args item",
        ),
        pytest.param(
            {"bash": "env", "env": [{"name": "SPIN", "value": NESTED_LOOPS}]},
            f"env[SPIN]: {OUT_OF_BUDGET}",
            id="in an env value",
        ),
    ],
)
def test_a_task_whose_template_runs_out_of_budget_names_the_field(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateError) as info:
        render_task(task(**spec), build_context(BASE), budget=BUDGET)
    assert str(info.value) == message


class FakeClock(SimpleNamespace):
    """CPU and wall time that pass only when a template calls burn(seconds)."""

    def __init__(self) -> None:
        super().__init__(now=100.0, cpu_reads=0)

    def thread_time(self) -> float:
        self.cpu_reads += 1
        return float(self.now)

    def perf_counter(self) -> float:
        return float(self.now)

    def burn(self, seconds: float) -> str:
        self.now += seconds
        return ""


@pytest.mark.parametrize(
    ("budget", "error"),
    [
        pytest.param(timedelta(seconds=2), None, id="two fields within the budget together"),
        pytest.param(
            timedelta(seconds=1),
            "args[1]: the template used more than 1s of CPU time (a loop too large?)",
            id="the second field runs out of the budget the first one used half of",
        ),
    ],
)
def test_the_budget_is_for_all_of_a_tasks_fields_together(
    monkeypatch: pytest.MonkeyPatch, budget: timedelta, error: str | None
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(budget_module, "time", clock)
    spec = task(image="a", command=["run"], args=["{{ burn(0.6) }}a", "{{ burn(0.6) }}b"])
    context = {**build_context(BASE), "burn": clock.burn}
    if error is None:
        assert render_task(spec, context, budget=budget).args == ["a", "b"]
    else:
        with pytest.raises(TemplateError) as info:
            render_task(spec, context, budget=budget)
        assert str(info.value) == error


@pytest.mark.parametrize(
    ("fields", "reads"),
    [
        pytest.param(
            {"bash": "echo plain"}, False, id="a task with no markup never reads the CPU clock"
        ),
        pytest.param(
            {"image": "a", "command": ["plain"], "args": ["{{ ds }}", "{{ ds }}"]},
            True,
            id="a task with markup reads it once its first templated field renders",
        ),
    ],
)
def test_the_cpu_clock_is_read_only_for_a_task_with_templates(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, Any], reads: bool
) -> None:
    # Reading it is a system call; a fan-out of 5,000 plain tasks read it 5,000 times.
    clock = FakeClock()
    monkeypatch.setattr(budget_module, "time", clock)
    render_task(task(**fields), build_context(BASE), budget=BUDGET)
    assert (clock.cpu_reads > 0) == reads


class SlowRows:
    """A Python iterator from the context whose end comes after the budget ran out."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def __iter__(self) -> SlowRows:
        return self

    def __next__(self) -> None:
        self.clock.burn(10)
        raise StopIteration


def test_a_budget_that_runs_out_as_a_loop_ends_still_stops_the_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CPython drops an exception a trace function raises on the StopIteration that
    # ends a loop, and turns tracing off: the render must not be checked there.
    clock = FakeClock()
    monkeypatch.setattr(budget_module, "time", clock)
    context = {**build_context(BASE), "rows": SlowRows(clock)}
    with pytest.raises(TemplateError) as info:
        render("{% for row in rows %}{% endfor %}after the loop", context, "bash", budget=BUDGET)
    assert str(info.value) == f"bash: {OUT_OF_BUDGET}"


TYPICAL = [
    "set -e\necho {{ ds }} {{ ts_nodash }} {{ params.fruit }}\n",
    "psql -c \"select * from t where day = '{{ macros.ds_add(ds, -1) }}'\"",
    "{% for f in ['a', 'b'] %}{{ f }}{{ loop.index }} {% endfor %}{{ ti.xcom_pull('first') }}",
    "{% macro q(x) %}'{{ x }}'{% endmacro %}{{ q(dag_run.conf.fruit) }} {{ 'x' | center(9) }}",
    "{{ params | tojson }} {{ data_interval_end | ts }} {{ run_id | replace(':', '') }}",
]


@pytest.mark.parametrize("template", TYPICAL)
def test_a_budget_does_not_change_what_a_template_renders(template: str) -> None:
    context = build_context(BASE)
    assert render(template, context, "bash", budget=timedelta(seconds=2)) == render(
        template, context, "bash"
    )


def debugger(frame: FrameType, event: str, arg: Any) -> None:
    """A trace function such as a debugger's or coverage's."""


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("echo {{ ds }}", id="after a render"),
        pytest.param(NESTED_LOOPS, id="after a render out of budget"),
        pytest.param("{{ nope }}", id="after a render that failed otherwise"),
        pytest.param("echo hi", id="after a field without markup"),
    ],
)
def test_an_earlier_trace_function_is_put_back(template: str) -> None:
    before = sys.gettrace()
    sys.settrace(debugger)
    try:
        with contextlib.suppress(TemplateError):
            render(template, build_context(BASE), "bash", budget=BUDGET)
        assert sys.gettrace() is debugger
    finally:
        sys.settrace(before)
