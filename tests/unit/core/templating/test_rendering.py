"""Rendering a task's templated fields, and errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.env import EnvVar
from kairflow.core.templating import (
    RenderedTask,
    TemplateError,
    build_context,
    check_template_syntax,
    has_templates,
    render_task,
)
from tests.unit.core.templating.samples import BASE, failure, rendered, task


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("echo {not a template}", "echo {not a template}", id="braces are not Jinja"),
        pytest.param("echo hi\n", "echo hi\n", id="a plain trailing newline is kept"),
        pytest.param("echo {{ ds }}\n", "echo 2021-01-01\n", id="a rendered trailing newline too"),
        pytest.param("<b>{{ '&' }}</b>", "<b>&</b>", id="nothing is HTML-escaped"),
        pytest.param("{# note #}x", "x", id="comments disappear"),
        pytest.param(
            "{% for f in ['a', 'b'] %}{{ f }}{{ loop.index }} {% endfor %}",
            "a1 b2 ",
            id="loops work",
        ),
        pytest.param(
            "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}"
            "{% endfor %}{{ ns.n }}",
            "3",
            id="namespace assignments work",
        ),
        pytest.param("{{ 'x' * 10 }}", "xxxxxxxxxx", id="small repetitions work"),
        pytest.param("{{ '%05d' % 42 }}", "00042", id="small format widths work"),
        pytest.param("{{ '{:>6}'.format('ab') }}", "    ab", id="small format specs work"),
        pytest.param("{{ 2 ** 10 }}", "1024", id="small powers work"),
        pytest.param(
            "{{ [3, 1, 3, 2] | unique | map('string') | reject('eq', '1') | join(',') }}"
            " {{ [1, 2, 3] | select('odd') | list }}",
            "3,2 [1, 3]",
            id="lazy filters unique map reject and select work",
        ),
        pytest.param(
            "{% set rows = [{'a': 1, 'b': 'x'}, {'a': 0, 'b': 'y'}] %}"
            "{{ rows | selectattr('a') | map(attribute='b') | list }}"
            " {{ rows | rejectattr('a') | map(attribute='b') | first }}",
            "['x'] y",
            id="lazy filters selectattr rejectattr and map by attribute work",
        ),
        pytest.param(
            "{{ range(5) | batch(2) | list }} {{ range(5) | slice(2) | list }}",
            "[[0, 1], [2, 3], [4]] [[0, 1, 2], [3, 4]]",
            id="lazy filters batch and slice work",
        ),
    ],
)
def test_render_behaves_like_airflow_for_ordinary_templates(template: str, expected: str) -> None:
    assert rendered(template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            "{{ 1 / 0 }}", "bash: ZeroDivisionError: division by zero", id="a runtime error"
        ),
        pytest.param(
            "{{ macros.ds_add('01/01/2021', 1) }}",
            "bash: ValueError: time data '01/01/2021' does not match format '%Y-%m-%d'",
            id="a macro's error is reported",
        ),
        pytest.param(
            "{{ x",
            "bash: unexpected end of template, expected 'end of print statement'",
            id="an unclosed expression",
        ),
        pytest.param("{{ } }}", "bash: unexpected '}'", id="an unexpected brace"),
        pytest.param(
            "echo a\necho {{ ds }\n",
            "bash: line 2: unexpected '}'",
            id="a multi-line template names the line",
        ),
        pytest.param("{{ ds | nosuch }}", "bash: No filter named 'nosuch'", id="an unknown filter"),
        pytest.param(
            "{% for x in %}{% endfor %}",
            "bash: Expected an expression, got 'end of statement block'",
            id="a broken statement",
        ),
    ],
)
def test_errors_name_the_field_and_say_what_is_wrong(template: str, message: str) -> None:
    assert failure(template) == message


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"bash": "echo {{ ds }} {{ params.fruit }}"},
            RenderedTask(bash="echo 2021-01-01 pear"),
            id="a bash task renders its script",
        ),
        pytest.param(
            {"python": "print('{{ ts }}')\n"},
            RenderedTask(python="print('2021-01-01T00:00:00+00:00')\n"),
            id="a python task renders its code",
        ),
        pytest.param(
            {"image": "alpine", "command": ["sh", "-c"], "args": ["echo {{ ds_nodash }}", "x"]},
            RenderedTask(command=["sh", "-c"], args=["echo 20210101", "x"]),
            id="a container task renders command and args item by item",
        ),
        pytest.param(
            {
                "bash": "env",
                "env": [
                    {"name": "DAY", "value": "{{ ds }}"},
                    {"name": "PLAIN", "value": "x"},
                    {"name": "EMPTY", "value": ""},
                    {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                ],
            },
            RenderedTask(
                bash="env",
                env=[
                    EnvVar(name="DAY", value="2021-01-01"),
                    EnvVar(name="PLAIN", value="x"),
                    EnvVar(name="EMPTY", value=""),
                    EnvVar(name="SECRET", value_from={"secretKeyRef": {"name": "s", "key": "k"}}),
                ],
            ),
            id="env values render and valueFrom is untouched",
        ),
        pytest.param({}, RenderedTask(), id="an empty task renders nothing"),
    ],
)
def test_render_task(spec: dict[str, Any], expected: RenderedTask) -> None:
    assert render_task(task(**spec), build_context(BASE)) == expected


@pytest.mark.parametrize(
    ("spec", "templated"),
    [
        pytest.param({"bash": "echo hi"}, False, id="a plain bash command has no templates"),
        pytest.param({"bash": "echo {not a template}"}, False, id="shell braces are not Jinja"),
        pytest.param({"bash": "echo {{ ds }}"}, True, id="an expression in bash is one"),
        pytest.param({"python": "print({% raw %}1{% endraw %})"}, True, id="a block in python"),
        pytest.param({"image": "a", "args": ["x", "{# c #}"]}, True, id="a comment in an arg"),
        pytest.param(
            {"image": "a", "command": ["run"], "env": [{"name": "D", "value": "{{ ds }}"}]},
            True,
            id="an env value counts",
        ),
        pytest.param(
            {
                "bash": "env",
                "env": [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
            },
            False,
            id="an env valueFrom does not",
        ),
        pytest.param(
            {"triggerDagRun": {"dag": "other", "conf": {"day": ["{{ ds }}"]}}},
            True,
            id="a value deep in a trigger's conf counts",
        ),
    ],
)
def test_has_templates(spec: dict[str, Any], templated: bool) -> None:
    assert has_templates(task(**spec)) is templated


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"bash": "echo {not a template}"}, id="bash"),
        pytest.param({"image": "a", "command": ["run"], "args": ["x"]}, id="command and args"),
        pytest.param({"bash": "env", "env": [{"name": "P", "value": "x"}]}, id="env"),
    ],
)
def test_a_task_without_templates_renders_as_written_without_a_context(
    spec: dict[str, Any],
) -> None:
    """Why the planner may skip building its context (`RunPass.templated_tasks`)."""
    assert not has_templates(task(**spec))
    assert render_task(task(**spec), {}) == render_task(task(**spec), build_context(BASE))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            {"bash": "echo {{ params.missing }}"},
            "bash: 'params' has no attribute 'missing'",
            id="bash errors name bash",
        ),
        pytest.param(
            {"python": "{{ nope }}"}, "python: 'nope' is undefined", id="python errors name python"
        ),
        pytest.param(
            {"image": "a", "command": ["{{ x }"]},
            "command[0]: unexpected '}'",
            id="command errors name the item",
        ),
        pytest.param(
            {"image": "a", "command": ["run"], "args": ["ok", "{{ x }"]},
            "args[1]: unexpected '}'",
            id="args errors name the item",
        ),
        pytest.param(
            {"bash": "env", "env": [{"name": "DAY", "value": "{{ var.value.day }}"}]},
            "env[DAY]: 'var' is not supported: Airflow Variables become ConfigMaps or "
            "Secrets; pass them to the task with env / envFrom and read them from the "
            "environment",
            id="env errors name the variable",
        ),
    ],
)
def test_render_task_errors_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render_task(task(**spec), build_context(BASE))
    assert str(info.value) == message
    assert info.value.where == message.split(":", 1)[0]


@pytest.mark.parametrize(
    ("spec", "problems"),
    [
        pytest.param({"bash": "echo {{ ds }}"}, [], id="a valid template has no problems"),
        pytest.param(
            {"bash": "echo {{ nope }}"},
            [],
            id="undefined names are not syntax errors (found when rendering)",
        ),
        pytest.param(
            {"bash": "echo {{ ds"},
            ["task 'extract': bash: unexpected end of template, expected 'end of print statement'"],
            id="an unclosed expression",
        ),
        pytest.param(
            {"python": "a = 1\nprint({{ x | nosuch }})"},
            ["task 'extract': python: line 2: No filter named 'nosuch'"],
            id="an unknown filter with its line",
        ),
        pytest.param(
            {
                "image": "a",
                "command": ["{% if %}"],
                "args": ["{{ ok }}", "{{ }"],
                "env": [{"name": "A", "value": "{% endfor %}"}, {"name": "B"}],
            },
            [
                "task 'extract': command[0]: Expected an expression, got 'end of statement block'",
                "task 'extract': args[1]: unexpected '}'",
                "task 'extract': env[A]: Encountered unknown tag 'endfor'",
            ],
            id="every broken field is reported",
        ),
    ],
)
def test_check_template_syntax(spec: dict[str, Any], problems: list[str]) -> None:
    assert check_template_syntax(task(**spec)) == problems
