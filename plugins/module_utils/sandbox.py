# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Jinja sandbox that bounds what a template may cost: the size of what it makes, and its time.

Jinja's sandbox keeps a variable file from reaching the host, but not from asking for
``{{ 'x' * 300000000 }}`` or from looping for hours. Here every value a template makes is measured
(``weight``: characters of strings, digits of numbers, items of collections, counted through nested
ones) and refused past ``MAX_SIZE``:

- before the operation, where Python would build it in one step that cannot be interrupted: the
  operators ``*``, ``**``, ``+``, ``%`` (intercepted) and ``~`` (compiled to a call here), calls of
  methods (``'x'.ljust(n)``, ``'{:>999999999}'.format(1)``) and filters (``center``, ``indent``,
  ``replace``, ``join``, ...) from their arguments;
- after it for everything else a call or a filter returns, and for the text a template writes, as it is
  written.

Time is bounded with a timer signal (``time_limit``) where the caller runs in the main thread: a loop
that makes nothing (``{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}``)
is stopped after ``MAX_SECONDS``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import functools
import math
import re
import signal
import threading
import time
import traceback
import types

try:
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    JINJA2_IMPORT_ERROR = traceback.format_exc()
    CodeGenerator = ImmutableSandboxedEnvironment = object
else:
    JINJA2_IMPORT_ERROR = None

# Characters (or digits, or items) one value made by a template may hold: a rendered Containerfile of
# the tree is a few KB.
MAX_SIZE = 1 << 20
# Seconds the templates of one image may take together (all of the tree's take well under one).
MAX_SECONDS = 10.0

# Filters whose result can be much larger than their input, by how much their arguments say.
GROWING_FILTERS = frozenset(["center", "indent", "replace", "regex_replace", "join", "wordwrap", "batch",
                             "slice", "format", "sum", "xmlattr", "pprint", "tojson", "to_json", "urlize"])
_DIGITS = re.compile(r"\d+")


class TemplateLimit(Exception):
    """A template asked for a value larger than MAX_SIZE."""


class TemplateTimeout(BaseException):
    """A template ran longer than its time limit.

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception`` on the way swallows it.
    """


def weight(value, limit=MAX_SIZE):
    """The size of a value: characters of strings, digits of integers, items of collections (counted
    through nested ones, a shared item once per reference). Counting stops just past ``limit``."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 1
        elif isinstance(item, int):
            total += int(item.bit_length() * 0.30103) + 1
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, range):
            total += len(item)
        else:
            total += 1
    return total


def _too_large(size, what="a value"):
    return TemplateLimit("the template asks for %s of about %d characters or items, more than the limit "
                         "of %d" % (what, size, MAX_SIZE))


def check_size(size, what="a value"):
    if size > MAX_SIZE:
        raise _too_large(size, what)


def check_format(text):
    """A format string (``%`` or ``str.format``) must not ask for a field wider than MAX_SIZE."""
    for digits in _DIGITS.findall(text):
        if len(digits) > 7 and int(digits) > MAX_SIZE:
            raise TemplateLimit("the template's format string asks for a field %s characters wide, more than "
                                "the limit of %d" % (digits, MAX_SIZE))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def binop_size(operator, left, right):
    """An upper bound of the size of ``left <operator> right``, before it is computed."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and not isinstance(times, bool) and not _is_number(seq):
                return weight(seq) * max(times, 0)
        return weight(left) + weight(right)
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            return int(right * math.log10(abs(left))) + 1
        return 24
    if operator == "%" and isinstance(left, str):
        check_format(left)
        return len(left) + weight(right) * 2
    return weight(left) + weight(right)


def _check_numbers(args, kwargs):
    """No number given to a call that may grow by it may exceed MAX_SIZE (widths, counts, repetitions)."""
    for arg in list(args) + list(kwargs.values()):
        if _is_number(arg) and abs(arg) > MAX_SIZE:
            raise TemplateLimit("the template passes %s, more than the limit of %d, to a call" % (arg, MAX_SIZE))


def _growth_bound(args, kwargs):
    """What a call that may multiply its input by its arguments (replace, indent, join...) can make."""
    sizes = []
    for arg in list(args) + list(kwargs.values()):
        if _is_number(arg):
            sizes.append(abs(int(arg)))
        elif isinstance(arg, (str, bytes, list, tuple, dict, set, frozenset, range)):
            sizes.append(weight(arg))
    if not sizes:
        return 0
    sizes.sort(reverse=True)
    return (sizes[0] + 1) * (1 + sum(sizes[1:]))


class _BoundedCodeGenerator(CodeGenerator):
    """``a ~ b`` is compiled to a call of the environment's ``bounded_concat``, so it is measured too."""

    def visit_Concat(self, node, frame):
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def bounded_join(parts):
    """``"".join(parts)``, refused as soon as the text passes MAX_SIZE characters (Jinja's ``concat``:
    what a template, a macro or a ``{% set %}`` block writes)."""
    out, size = [], 0
    for part in parts:
        size += len(part)
        if size > MAX_SIZE:
            raise TemplateLimit("the template writes more than %d characters" % MAX_SIZE)
        out.append(part)
    return "".join(out)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with every value a template makes bounded by MAX_SIZE."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset(["*", "**", "+", "%"])
    concat = staticmethod(bounded_join)

    def __init__(self, *args, **kwargs):
        # No constant folding at compile time: every operation runs through the checks below.
        kwargs.setdefault("optimized", False)
        super(BoundedSandbox, self).__init__(*args, **kwargs)

    def bound_filters(self):
        """Wrap every filter (call after adding one): growth and result are checked."""
        for name, func in list(self.filters.items()):
            if not getattr(func, "tcib_bounded", False):
                self.filters[name] = _bounded_filter(name, func)

    def call_binop(self, context, operator, left, right):
        check_size(binop_size(operator, left, right), "a value")
        return super(BoundedSandbox, self).call_binop(context, operator, left, right)

    def bounded_concat(self, parts):
        check_size(sum(weight(part) for part in parts), "a string")
        return "".join(str(part) for part in parts)

    # Jinja's own signature: a template's keyword arguments may be named self, context or obj.
    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 pylint: disable=no-self-argument
        # The sandbox hands out str.format wrapped: the method is the wrapper's __wrapped__.
        method = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(method, "__self__", None)
        if owner is not None and not isinstance(owner, types.ModuleType):
            # A method of a value ('x'.ljust(n), s.replace(a, b), (5).to_bytes(n, 'big'), '{:>9}'.format(1)):
            # its numbers are widths or counts, and its result is bounded by the value and its arguments.
            _check_numbers(args, kwargs)
            check_size((weight(owner) + 1) * (1 + _growth_bound(args, kwargs)), "a value")
            if isinstance(owner, str) and getattr(method, "__name__", "") in ("format", "format_map"):
                check_format(owner)
        result = super(BoundedSandbox, __self).call(__context, __obj, *args, **kwargs)
        check_size(weight(result), "a value")
        return result


def _bounded_filter(name, func):
    growing = name in GROWING_FILTERS

    @functools.wraps(func)
    def bounded(*args, **kwargs):
        if growing:
            _check_numbers(args, kwargs)
            check_size(_growth_bound(args, kwargs), "the result of filter %s" % name)
            if name == "format" and args and isinstance(args[0], str):
                check_format(args[0])
        result = func(*args, **kwargs)
        check_size(weight(result), "the result of filter %s" % name)
        return result

    bounded.tcib_bounded = True
    return bounded


@contextlib.contextmanager
def time_limit(seconds=None):
    """Raise TemplateTimeout in the block once ``seconds`` (default MAX_SECONDS) have passed (main thread, POSIX
    only; elsewhere the block runs unbounded in time, still bounded in size). An outer timer is put back."""
    seconds = MAX_SECONDS if seconds is None else seconds
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum, _frame):
        raise TemplateTimeout("the templates took longer than %g seconds" % seconds)

    started = time.time()
    previous = signal.signal(signal.SIGALRM, expired)
    # Again every half second after the first: a handler interrupted once cannot keep the loop alive.
    outer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0]:
            signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.time() - started), 0.001), outer[1])
