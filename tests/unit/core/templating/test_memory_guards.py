"""Memory bombs made of single C calls (a join, a `%`, `str()` of a shared list) and
slow filters on a huge input: refused before they run, whatever the CPU budget.

Each bomb asks for only a small multiple of the size limit, so that without its
guard it renders (or fails otherwise) in well under a second instead of using
gigabytes."""

from __future__ import annotations

import time

import pytest

from tests.unit.core.templating.samples import failure, rendered

REFUSED_WITHIN = 0.5
"""CPU seconds a refusal may take: the guards measure, they do not build."""

TOO_LARGE = "would be too large (over 1000000 characters)"


def _doubling(step: str, start: str = "'x'", times: int = 21) -> str:
    """`ns.s` doubled `times` times by `step`, only its length printed."""
    return (
        f"{{% set ns = namespace(s={start}) %}}"
        f"{{% for i in range({times}) %}}{{% set ns.s = {step} %}}{{% endfor %}}"
        "{{ ns.s | length }}"
    )


NESTED = _doubling("[ns.s, ns.s]", start="[]", times=18)
"""A list nested in itself by sharing: 18 levels are ~6 bytes in memory each, but
some 1.5 million characters as text."""


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            _doubling("ns.s ~ ns.s"),
            f"bash: concatenation {TOO_LARGE}",
            id="a string doubled with ~",
        ),
        pytest.param(
            _doubling("[ns.s, ns.s] | join"), f"bash: join {TOO_LARGE}", id="doubled with join"
        ),
        pytest.param(
            _doubling("''.join([ns.s, ns.s])"),
            f"bash: str.join {TOO_LARGE}",
            id="doubled with str.join",
        ),
        pytest.param(
            _doubling("'%s%s' % (ns.s, ns.s)"), f"bash: %-format {TOO_LARGE}", id="doubled with %"
        ),
        pytest.param(
            _doubling("'%(a)s%(a)s' % {'a': ns.s}"),
            f"bash: %-format {TOO_LARGE}",
            id="doubled with % of a mapping",
        ),
        pytest.param(
            _doubling("'%s%s' | format(ns.s, ns.s)"),
            f"bash: format {TOO_LARGE}",
            id="doubled with the format filter",
        ),
        pytest.param(
            _doubling("'{}{}'.format(ns.s, ns.s)"),
            f"bash: str.format {TOO_LARGE}",
            id="doubled with str.format",
        ),
        pytest.param(
            _doubling("'{0}{0}'.format(ns.s)"),
            f"bash: str.format {TOO_LARGE}",
            id="doubled with one str.format argument used twice",
        ),
        pytest.param(
            _doubling("'{a}{a}'.format_map({'a': ns.s})"),
            f"bash: str.format {TOO_LARGE}",
            id="doubled with format_map",
        ),
        pytest.param(
            "{% set ns = namespace(s='x') %}{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}"
            "{% for i in range(21) %}{% set ns.s = twice(ns.s) %}{% endfor %}{{ ns.s | length }}",
            f"bash: the text of a block {TOO_LARGE}",
            id="doubled by a macro printing it twice",
        ),
        pytest.param(
            "{% set ns = namespace(s='x') %}{% for i in range(21) %}"
            "{% set s %}{{ ns.s }}{{ ns.s }}{% endset %}{% set ns.s = s %}{% endfor %}"
            "{{ ns.s | length }}",
            f"bash: the text of a block {TOO_LARGE}",
            id="doubled by a set block",
        ),
        pytest.param(
            "{% set l = [0] %}{% for i in range(21) %}{% set _ = l.extend(l) %}{% endfor %}"
            "{{ l | length }}",
            "bash: list.extend would be too large (1048576 > 1000000)",
            id="a list extended by itself",
        ),
        pytest.param(
            "{% set d = {'a': 1} %}{% set _ = d.update([(1, 2)] * 1000000) %}",
            "bash: dict.update would be too large (1000001 > 1000000)",
            id="a dict updated with too many items",
        ),
        pytest.param(
            _doubling("[ns.s, ns.s] | sum(start=[])", start="[0]"),
            "bash: sum would be too large (1048576 > 1000000)",
            id="a list doubled with sum",
        ),
        pytest.param(
            "{{ ('\t' * 200000).expandtabs(8) | length }}",
            "bash: str.expandtabs would be too large (1800000 > 1000000)",
            id="tabs expanded too far",
        ),
        pytest.param(
            "{{ ('x' * 100000).translate({120: 'y' * 20}) | length }}",
            "bash: str.translate would be too large (2000000 > 1000000)",
            id="each character translated to a long string",
        ),
        pytest.param(
            NESTED.replace("{{ ns.s | length }}", "{{ ns.s }}"),
            f"bash: the printed value {TOO_LARGE}",
            id="a list nested by sharing, printed",
        ),
        pytest.param(
            NESTED.replace("ns.s | length", "ns.s | string | length"),
            f"bash: string {TOO_LARGE}",
            id="a list nested by sharing, through the string filter",
        ),
        pytest.param(
            NESTED.replace("ns.s | length", "ns.s | tojson | length"),
            f"bash: tojson {TOO_LARGE}",
            id="a list nested by sharing, as JSON",
        ),
        pytest.param(
            NESTED.replace("ns.s | length", "ns.s | upper | length"),
            f"bash: upper {TOO_LARGE}",
            id="a list nested by sharing, through a string filter",
        ),
        pytest.param(
            NESTED.replace("ns.s | length", "(ns.s ~ '') | length"),
            f"bash: concatenation {TOO_LARGE}",
            id="a list nested by sharing, joined with ~",
        ),
        pytest.param(
            NESTED.replace("ns.s | length", "('%s' % [ns.s]) | length"),
            f"bash: %-format {TOO_LARGE}",
            id="a list nested by sharing, through %",
        ),
        pytest.param(
            NESTED.replace("ns.s | length", "ns | string | length"),
            f"bash: string {TOO_LARGE}",
            id="a namespace holding a list nested by sharing",
        ),
        pytest.param(
            "{{ [[[[[[[[[[1] * 1000]]]]]]]]] | tojson(indent=100) | length }}",
            f"bash: tojson {TOO_LARGE}",
            id="JSON indented too deep",
        ),
        pytest.param(
            "{{ ('x' * 200000) | wordwrap(1) | length }}",
            "bash: wordwrap input is too large (200000 > 100000 characters)",
            id="wordwrap of a huge text",
        ),
        pytest.param(
            "{{ ('www.x.com ' * 20000) | urlize | length }}",
            "bash: urlize input is too large (200000 > 100000 characters)",
            id="urlize of a huge text",
        ),
        pytest.param(
            "{{ ('www.x.com ' * 1000) | urlize(rel='x' * 1000) | length }}",
            "bash: urlize rel is too long (over 100 characters)",
            id="urlize with a huge rel repeated in every link",
        ),
        pytest.param(
            "{{ (range(30000) | list) | pprint | length }}",
            "bash: pprint input is too large (371278 > 100000 characters)",
            id="pprint of a long list",
        ),
        pytest.param(
            "{% macro when(s) %}{{ macros.dateutil.parser.parse(s) }}{% endmacro %}"
            "{{ when('1 ' * 10000) }}",
            "bash: macros.dateutil.parser.parse input is too large (20000 > 10000 characters)",
            id="dateutil parsing a huge text",
        ),
    ],
)
def test_a_bomb_of_single_calls_is_refused_fast(template: str, message: str) -> None:
    started = time.thread_time()
    assert failure(template) == message
    assert time.thread_time() - started < REFUSED_WITHIN


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("{{ 'a' ~ 1 ~ [2] ~ none }}", "a1[2]None", id="~ joins values as text"),
        pytest.param("{{ [1, 'b'] | join('-') }}", "1-b", id="join joins items as text"),
        pytest.param(
            "{{ [{'n': 1}, {'n': 2}] | join(',', attribute='n') }}",
            "1,2",
            id="join by attribute",
        ),
        pytest.param("{{ ','.join(range(3) | map('string')) }}", "0,1,2", id="str.join a map"),
        pytest.param("{{ '%s=%r' % ('a', 'b') }}", "a='b'", id="% of a tuple"),
        pytest.param("{{ '%(x)s' % {'x': 1} }}", "1", id="% of a mapping"),
        pytest.param("{{ '%d%%' % 5 }}", "5%", id="% of one value"),
        pytest.param("{{ '{0}-{x}-{0}'.format(1, x=[2]) }}", "1-[2]-1", id="str.format"),
        pytest.param("{{ '{a[0]}'.format_map({'a': 'xy'}) }}", "x", id="format_map"),
        pytest.param("{{ '%s/%s' | format('a', 'b') }}", "a/b", id="the format filter"),
        pytest.param("{{ [[1], [2]] | sum(start=[]) }}", "[1, 2]", id="sum of lists"),
        pytest.param("{{ [(1,), (2,)] | sum(start=()) }}", "(1, 2)", id="sum of tuples"),
        pytest.param("{{ [1, 2] | sum }}", "3", id="sum of numbers"),
        pytest.param(
            "{% set l = [1] %}{% set _ = l.extend(range(2, 4)) %}{% set _ = l.append(4) %}{{ l }}",
            "[1, 2, 3, 4]",
            id="a list extended and appended to",
        ),
        pytest.param(
            "{% set d = {'a': 1} %}{% set _ = d.update(b=2) %}{{ d }}",
            "{'a': 1, 'b': 2}",
            id="a dict updated",
        ),
        pytest.param(
            "{{ {'a': [1, '<x>']} | tojson }}",
            '{"a": [1, "\\u003cx\\u003e"]}',
            id="tojson",
        ),
        pytest.param(
            "{% set ns = namespace(a=[1]) %}{{ ns.a | string }} {{ ns.a | upper }}",
            "[1] [1]",
            id="a list through string filters",
        ),
        pytest.param(
            "{% set l = [1] %}{% set _ = l.append(l) %}{{ l }}",
            "[1, [...]]",
            id="a list holding itself prints as Python does",
        ),
        pytest.param(
            "{% macro m(s) %}<{{ s }}>{% endmacro %}{% set b %}{{ m('x') }}!{% endset %}{{ b }}",
            "<x>!",
            id="macros and set blocks",
        ),
        pytest.param("{{ 'a\tb'.expandtabs(4) }}", "a   b", id="expandtabs"),
        pytest.param("{{ 'abc' | wordwrap(2) }}", "ab\nc", id="wordwrap"),
        pytest.param(
            "{{ 'see www.x.com' | urlize }}",
            'see <a href="https://www.x.com" rel="noopener">www.x.com</a>',
            id="urlize",
        ),
        pytest.param(
            "{{ macros.dateutil.parser.parse('2021-02-03').day }}", "3", id="dateutil parse"
        ),
    ],
)
def test_ordinary_templates_pass_the_guards(template: str, expected: str) -> None:
    assert rendered(template) == expected


def test_sum_of_mixed_types_fails_as_python_does() -> None:
    assert failure("{{ [[1], 2] | sum(start=[]) }}") == (
        'bash: TypeError: can only concatenate list (not "int") to list'
    )
