"""The sandbox: no escape to Python internals, files, network or processes, and no
resource bombs."""

from __future__ import annotations

import builtins
import importlib
import io
import os
import shutil
import socket
import subprocess
import sys
import types
from typing import Any

import pytest
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.sandbox import SandboxedEnvironment

from kairflow.core.templating import MAX_RENDERED_CHARS, build_context
from tests.unit.core.templating.samples import MAPPED, failure


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            "{{ ''.__class__.__mro__ }}",
            "bash: access to attribute '__class__' of 'str' object is unsafe",
            id="a string's class",
        ),
        pytest.param(
            "{{ ().__class__.__base__.__subclasses__() }}",
            "bash: access to attribute '__class__' of 'tuple' object is unsafe",
            id="object subclasses through a tuple",
        ),
        pytest.param(
            "{{ macros.datetime.__init__.__globals__ }}",
            "bash: access to attribute '__init__' of 'type' object is unsafe",
            id="a macro class's globals",
        ),
        pytest.param(
            "{{ macros.ds_add.__globals__['os'] }}",
            "bash: access to attribute '__globals__' of 'function' object is unsafe",
            id="a macro function's globals",
        ),
        pytest.param(
            "{{ cycler.__init__.__globals__.os }}",
            "bash: access to attribute '__init__' of 'type' object is unsafe",
            id="jinja's cycler globals",
        ),
        pytest.param(
            "{{ namespace.__init__.__globals__ }}",
            "bash: access to attribute '__init__' of 'type' object is unsafe",
            id="jinja's namespace globals",
        ),
        pytest.param(
            "{{ macros.datetime.mro() }}",
            "bash: access to attribute 'mro' of 'type' object is unsafe",
            id="a class's mro",
        ),
        pytest.param(
            "{{ ti.xcom_pull.__func__ }}",
            "bash: access to attribute '__func__' of 'method' object is unsafe",
            id="a bound method's function",
        ),
        pytest.param(
            "{{ ti._ctx }}",
            "bash: access to attribute '_ctx' of 'ti' is unsafe",
            id="private attributes of context objects",
        ),
        pytest.param(
            "{{ params._template_name }}",
            "bash: access to attribute '_template_name' of 'params' is unsafe",
            id="private attributes of params",
        ),
        pytest.param(
            "{{ '{0.__class__.__base__}'.format(1) }}",
            "bash: access to attribute '__class__' of 'int' object is unsafe",
            id="a format string walking to a class",
        ),
        pytest.param(
            "{{ '{f.__globals__}'.format_map({'f': macros.ds_add}) }}",
            "bash: access to attribute '__globals__' of 'function' object is unsafe",
            id="format_map walking to globals",
        ),
        pytest.param(
            "{{ (params|attr('__class__')) }}",
            "bash: access to attribute '__class__' of 'params' is unsafe",
            id="the attr filter",
        ),
        pytest.param(
            "{{ macros.uuid.os }}",
            "bash: 'macros.uuid' has no attribute 'os'",
            id="macros are not modules: no way to os",
        ),
        pytest.param(
            "{{ macros.time.sleep(600) }}",
            "bash: 'macros.time' has no attribute 'sleep'",
            id="macros cannot block the operator",
        ),
        pytest.param(
            "{{ macros.uuid.uuid1() }}",
            "bash: 'macros.uuid' has no attribute 'uuid1'",
            id="uuid1 could run ifconfig and is left out",
        ),
        pytest.param("{{ lipsum(100000) }}", "bash: 'lipsum' is undefined", id="lipsum is removed"),
        pytest.param(
            "{{ self.__init__ }}",
            "bash: access to attribute '__init__' of 'TemplateReference' object is unsafe",
            id="the template self reference",
        ),
        pytest.param(
            "{{ 'x' * 10**9 }}",
            "bash: repetition would be too large (1000000000 > 1000000)",
            id="a huge string repetition",
        ),
        pytest.param(
            "{{ [0] * 10**7 }}",
            "bash: repetition would be too large (10000000 > 1000000)",
            id="a huge list repetition",
        ),
        pytest.param(
            "{{ 10 ** 100000 }}", "bash: integer power would be too large", id="a huge power"
        ),
        pytest.param(
            "{% set n = 2 ** 50000 %}{{ n * n }}",
            "bash: integer product would be too large",
            id="a huge product",
        ),
        pytest.param(
            "{% set s = 'x' * 1000000 %}{{ s + s }}",
            "bash: concatenation would be too large (2000000 > 1000000)",
            id="a huge concatenation",
        ),
        pytest.param(
            "{{ '%999999999d' % 1 }}",
            "bash: %-format width '999999999' is not allowed",
            id="a huge percent-format width",
        ),
        pytest.param(
            "{{ '%*d' % (5, 1) }}",
            "bash: %-format width '*' is not allowed",
            id="a star percent-format width",
        ),
        pytest.param(
            "{{ '{:999999999}'.format(1) }}",
            "bash: format spec '999999999' is not allowed",
            id="a huge format width",
        ),
        pytest.param(
            "{{ '{:{}}'.format(1, 999999999) }}",
            "bash: format spec '{}' is not allowed",
            id="a nested format width",
        ),
        pytest.param(
            "{{ 'x'.ljust(10**9) }}",
            "bash: str.ljust would be too large (1000000000 > 1000000)",
            id="a huge ljust",
        ),
        pytest.param(
            "{% set s = 'x' * 2000 %}{{ s.replace('x', s) }}",
            "bash: replace would be too large (4000000 > 1000000)",
            id="a huge str replace",
        ),
        pytest.param(
            "{% set s = 'x' * 2000 %}{{ s | replace('x', s) }}",
            "bash: replace would be too large (4000000 > 1000000)",
            id="a huge replace filter",
        ),
        pytest.param(
            "{{ 'x' | center(10**9) }}",
            "bash: center would be too large (1000000000 > 1000000)",
            id="a huge center filter",
        ),
        pytest.param(
            "{{ ('x\n' * 1000) | indent(10000) }}",
            "bash: indent would be too large (10012000 > 1000000)",
            id="a huge indent filter",
        ),
        pytest.param(
            "{{ '%999999999d' | format(1) }}",
            "bash: %-format width '999999999' is not allowed",
            id="a huge format filter",
        ),
        pytest.param(
            "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
            f"bash: rendered value is too large (over {MAX_RENDERED_CHARS} characters)",
            id="a loop rendering too much",
        ),
    ],
)
def test_sandbox_escapes_and_resource_bombs_are_refused(template: str, message: str) -> None:
    assert failure(template) == message


def _dangerous_ids() -> set[int]:
    names = ("open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "globals")
    found = {id(getattr(builtins, name)) for name in names}
    for module in (os, subprocess, socket, shutil, sys, io, importlib):
        found.update(id(value) for value in vars(module).values() if callable(value))
    return found


def _reachable_danger(roots: dict[str, Any], depth: int = 5) -> list[str]:
    """Paths to modules or process/file/network functions a template could reach by
    attributes, keys and items, following the sandbox's own attribute rule."""
    sandbox, dangerous = SandboxedEnvironment(), _dangerous_ids()
    seen: set[int] = set()
    found: list[str] = []
    frontier = list(roots.items())
    for _ in range(depth):
        following: list[tuple[str, Any]] = []
        for path, obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, types.ModuleType) or id(obj) in dangerous:
                found.append(path)
                continue
            if isinstance(obj, str | bytes | int | float | None):
                continue
            for attr in dir(obj):
                try:
                    value = getattr(obj, attr)
                except Exception:  # a property may refuse: nothing to reach there
                    continue
                if sandbox.is_safe_attribute(obj, attr, value):
                    following.append((f"{path}.{attr}", value))
            if isinstance(obj, dict):
                following += [(f"{path}[{key!r}]", value) for key, value in obj.items()]
            if isinstance(obj, list):
                following += [(f"{path}[{i}]", value) for i, value in enumerate(obj)]
        frontier = following
    return found


@pytest.mark.parametrize(
    ("roots", "expected"),
    [
        pytest.param(
            {**DEFAULT_NAMESPACE, **build_context(MAPPED)},
            [],
            id="nothing in the context or jinja globals reaches a module or os function",
        ),
        pytest.param(
            {"planted": {"x": [os.path]}, "fn": os.system},
            ["fn", "planted['x'][0]"],
            id="the walk does find a planted module and os function",
        ),
    ],
)
def test_no_file_network_or_process_access_is_reachable(
    roots: dict[str, Any], expected: list[str]
) -> None:
    assert sorted(_reachable_danger(roots)) == expected
