# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Templates of variable files are bounded in what they make and in time, and still do their job."""

import time

import pytest

from ansible_collections.tcib.images.plugins.module_utils import sandbox
from ansible_collections.tcib.images.plugins.module_utils.sandbox import MAX_SIZE, weight
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError, template

SOURCE = "/tree/base/os/hostile/hostile.yaml"


def render(expression, **variables):
    variables = dict(variables, tcib_workdir=expression)
    return template(variables, dict.fromkeys(variables, SOURCE))["tcib_workdir"]


def refused(expression, **variables):
    started = time.time()
    with pytest.raises(VariableError) as info:
        render(expression, **variables)
    # Refused before the work is done: none of these may take long.
    assert time.time() - started < 3, expression
    message = str(info.value)
    assert message.startswith("%s: tcib_workdir: template refused: " % SOURCE), message
    return message


def test_weight_counts_characters_items_and_digits():
    assert weight("abc") == 3
    assert weight(["ab", "cd"]) == 2 + 4
    assert weight({"k": ["v"]}) == 1 + 1 + 1 + 1
    assert weight(10 ** 100) == 101
    shared = "x" * 1000
    assert weight([shared] * 10) == 10 + 10000  # a shared item counts once per reference
    assert weight(["x" * (MAX_SIZE * 4)] * 1000) <= MAX_SIZE + MAX_SIZE * 4  # stops counting past the limit


@pytest.mark.parametrize("expression", [
    "{{ 'x' * 300000000 }}",
    "{{ 300000000 * 'x' }}",
    "{{ ['x'] * 300000000 }}",
    "{{ ('x' * 1000) * 2000 }}",
    "{{ 10 ** (10 ** 8) }}",
    "{% set s = 'x' * 1000000 %}{{ s ~ s }}",
    "{% set s = 'x' * 1000000 %}{{ s + s }}",
    "{% set s = 'x' * 1000 %}{{ ([s] * 1000) * 2 }}",
])
def test_operators_are_refused_before_they_run(expression):
    assert "the template asks for a" in refused(expression)


@pytest.mark.parametrize("expression", [
    "{% set s = 'x' * 100000 %}{% for i in range(100) %}{{ s }}{% endfor %}",
    "{% set s = 'x' * 100000 %}{% set t %}{% for i in range(100) %}{{ s }}{% endfor %}{% endset %}{{ t | length }}",
    "{% macro m() %}{% for i in range(100) %}{{ 'x' * 100000 }}{% endfor %}{% endmacro %}{{ m() | length }}",
])
def test_written_text_is_bounded_as_it_is_written(expression):
    assert "the template writes more than %d characters" % MAX_SIZE in refused(expression)


@pytest.mark.parametrize("expression,words", [
    ("{{ 'x'.ljust(1000000000) }}", "passes 1000000000"),
    ("{{ (5).to_bytes(1000000000, 'big') }}", "passes 1000000000"),
    ("{{ 'x' | center(1000000000) }}", "passes 1000000000"),
    ("{{ '{:>999999999}'.format(1) }}", "asks for a field 999999999 characters wide"),
    ("{{ '%999999999d' % 1 }}", "asks for a field 999999999 characters wide"),
    ("{{ '%999999999d' | format(1) }}", "asks for a field 999999999 characters wide"),
    ("{% set s = 'x' * 100000 %}{{ s | replace('x', s) }}", "result of filter replace"),
    ("{% set s = 'x' * 100000 %}{{ s.replace('x', s) }}", "the template asks for a value"),
    ("{% set s = 'x\n' * 100000 %}{{ s | indent(100) }}", "result of filter indent"),
    ("{% set s = 'x' * 100000 %}{{ (s | list) | join(s) }}", "result of filter join"),
])
def test_calls_and_filters_are_bounded_by_their_arguments(expression, words):
    assert words in refused(expression)


def test_a_template_that_runs_too_long_is_stopped(monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.3)
    started = time.time()
    with pytest.raises(VariableError) as info:
        render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    assert time.time() - started < 3
    assert "%s: tcib_workdir: template stopped: the templates took longer than 0.3 seconds" % SOURCE \
        in str(info.value)


def test_the_time_limit_is_lifted_afterwards(monkeypatch):
    import signal

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    assert render("{{ 'ok' }}") == "ok"
    time.sleep(0.4)  # no alarm left armed to fire here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_outer_timer_is_put_back():
    import signal

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *args: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        render("{{ 'ok' }}")
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 25 < remaining <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("expression,expected", [
    ("tcib-install {{ tcib_packages['common'] | join(' ') }}", "tcib-install a b"),
    ("{{ tcib_packages | to_json }}", '{"common": ["a", "b"]}'),
    ("{{ 'a b' | replace(' ', '-') | upper }}", "A-B"),
    ("{{ 1700000000 | string }} {{ 2 ** 10 }} {{ 7 % 3 }} {{ '%-5s|' % 'x' }}", "1700000000 1024 1 x    |"),
    ("{{ 'x' * 3 ~ 'y' }} {{ [1] + [2] }} {{ 'v{}'.format(2) }}", "xxxy [1, 2] v2"),
    ("{% for p in tcib_packages.common %}{{ p }}{{ ',' if not loop.last }}{% endfor %}", "a,b"),
    ("{{ range(3) | map('string') | join('') | center(7) }}", "  012  "),
    ("{{ ('x' * 1000) | length }}", "1000"),
])
def test_ordinary_templates_render_as_before(expression, expected):
    assert render(expression, tcib_packages={"common": ["a", "b"]}) == expected
