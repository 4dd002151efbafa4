# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tcib_* variable schema: type checks and sandboxed templating.

Variable files are data, not code: their Jinja expressions are rendered in a
sandbox that knows only the image's own variables and a few pure filters, so a
file cannot run commands or read files on the build host (no lookup, no pipe).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

import traceback

try:
    from jinja2 import StrictUndefined, meta
    from jinja2.exceptions import TemplateError, UndefinedError
    from jinja2.sandbox import safe_range
except ImportError:
    JINJA2_IMPORT_ERROR = traceback.format_exc()
else:
    JINJA2_IMPORT_ERROR = None

from ansible_collections.tcib.images.plugins.module_utils.sandbox import (
    BoundedSandbox, TemplateLimit, TemplateTimeout, time_limit)

STR = "str"
LIST = "list"
DICT = "dict"
STR_OR_LIST = "str or list"
DICT_OR_LIST = "dict or list"

# Every variable the containerfile role understands, in upstream's order.
SCHEMA = {
    "tcib_from": STR,
    "tcib_args": DICT,
    "tcib_labels": DICT,
    "tcib_envs": DICT,
    "tcib_onbuilds": LIST,
    "tcib_volumes": LIST,
    "tcib_workdir": STR,
    "tcib_adds": LIST,
    "tcib_exposes": LIST,
    "tcib_copies": LIST,
    "tcib_shell": STR_OR_LIST,
    "tcib_runs": LIST,
    "tcib_actions": LIST,
    "tcib_healthcheck": STR,
    "tcib_stopsignal": STR,
    "tcib_entrypoint": STR_OR_LIST,
    "tcib_cmd": STR_OR_LIST,
    "tcib_user": STR,
    "tcib_gather_files": LIST,
    # Conventions and context that the renderer does not emit directly.
    # Groups of package lists ({common: [...]}), or upstream's plain list (one group, as common).
    "tcib_packages": DICT_OR_LIST,
    "tcib_path": STR,
    "tcib_distro": STR,
    "tcib_release": STR,
    "tcib_meta": DICT,
}

# Instructions a tcib_actions item may name (upstream upper-cases the key).
ACTION_KEYS = (
    "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "healthcheck",
    "label", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
)


class VariableError(Exception):
    """A variable file holds something we refuse to build from."""

    def __init__(self, message, source=None, key=None):
        self.source = source
        self.key = key
        where = ": ".join(str(part) for part in (source, key) if part)
        super(VariableError, self).__init__("%s: %s" % (where, message) if where else message)


def _type_ok(kind, value):
    if kind == STR:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if kind == LIST:
        return isinstance(value, list)
    if kind == DICT:
        return isinstance(value, dict)
    if kind == DICT_OR_LIST:
        return isinstance(value, (dict, list))
    return isinstance(value, (str, list))


def _scalar(value):
    return isinstance(value, (str, int, float, bool))


def validate(variables, sources=None):
    """Check names and types; sources maps a key to the file that set it."""
    sources = sources or {}
    for key, value in variables.items():
        source = sources.get(key)
        if not isinstance(key, str):
            raise VariableError("variable names must be strings, got %r" % (key,), source)
        if not key.startswith("tcib_"):
            continue
        if key not in SCHEMA:
            raise VariableError(
                "unknown variable; known tcib_ variables are: %s" % ", ".join(sorted(SCHEMA)),
                source, key)
        kind = SCHEMA[key]
        if value is None:
            continue
        if not _type_ok(kind, value):
            raise VariableError(
                "must be a %s, got %s" % (kind, type(value).__name__), source, key)
        if key == "tcib_actions":
            _validate_actions(value, source)
        elif key == "tcib_packages":
            _validate_packages(value, source)
        elif key == "tcib_meta":
            _validate_meta(value, source)
        elif kind == DICT and key != "tcib_meta":
            for name, item in value.items():
                if not _scalar(item):
                    raise VariableError(
                        "value of %r must be a string or number, got %s" % (name, type(item).__name__),
                        source, key)
        elif key == "tcib_runs":
            for item in value:
                if not (_scalar(item) or isinstance(item, list)):
                    raise VariableError(
                        "items must be commands (strings) or exec-form lists, got %s" % type(item).__name__,
                        source, key)
        elif kind == LIST:
            for item in value:
                if not _scalar(item):
                    raise VariableError(
                        "items must be strings, got %s" % type(item).__name__, source, key)


# The tcib_meta keys this collection reads; others are free-form.
META_SCHEMA = {"package": STR, "config": LIST, "data": LIST, "smoke": DICT, "root_reason": STR}


def _validate_meta(meta, source):
    for name, kind in META_SCHEMA.items():
        if meta.get(name) is not None and not _type_ok(kind, meta[name]):
            raise VariableError("%s must be a %s, got %s" % (name, kind, type(meta[name]).__name__),
                                source, "tcib_meta")


def _validate_packages(packages, source, where="tcib_packages"):
    """Package lists: a list of names, or a mapping of groups to lists (or to mappings of groups).

    A string where a list belongs is refused: templates would join its letters.
    """
    if isinstance(packages, list):
        for item in packages:
            if not (_scalar(item) or isinstance(item, dict)) or isinstance(item, bool):
                raise VariableError("items must be package names, got %s %r" % (type(item).__name__, item),
                                    source, where)
        return
    for group, names in packages.items():
        if names is None:
            continue
        if isinstance(names, (list, dict)):
            _validate_packages(names, source, "%s.%s" % (where, group))
            continue
        raise VariableError("group %r must be a list of package names, got %s %r (write [%s] for one package)"
                            % (group, type(names).__name__, names, names), source, where)


def _validate_actions(actions, source):
    for index, action in enumerate(actions):
        where = "tcib_actions[%d]" % index
        if not isinstance(action, dict) or len(action) != 1:
            raise VariableError(
                "each action must be a mapping with exactly one key, such as run: <command>",
                source, where)
        (name, value), = action.items()
        if str(name).lower() not in ACTION_KEYS:
            raise VariableError(
                "unknown action %r; known actions are: %s" % (name, ", ".join(ACTION_KEYS)),
                source, where)
        if not (_scalar(value) or isinstance(value, list)):
            raise VariableError(
                "action %r must be a string or a list, got %s" % (name, type(value).__name__),
                source, where)


def _regex_replace(value, pattern, replacement="", ignorecase=False):
    flags = re.I if ignorecase else 0
    return re.sub(pattern, replacement, str(value), flags=flags)


def _environment():
    # Jinja's immutable sandbox, with what a template makes bounded in size (see sandbox.py).
    env = BoundedSandbox(undefined=StrictUndefined, keep_trailing_newline=False)
    # Only pure helpers: nothing that touches the host.
    # Jinja's own bounded range: a file cannot ask for a billion-item list.
    env.globals = {"range": safe_range, "dict": dict}
    env.filters["to_json"] = lambda value: json.dumps(value, sort_keys=True)
    env.filters["regex_replace"] = _regex_replace
    env.filters["bool"] = lambda value: str(value).lower() in ("1", "true", "yes", "on")
    env.bound_filters()
    return env


_ENV = []


def _env():
    """The one sandboxed environment, made on first use (jinja2 may be missing at import)."""
    if not _ENV:
        _ENV.append(_environment())
    return _ENV[0]


# Compiled templates by their text: the tree's files repeat the same few (``tcib-install {{ ... }}``), and
# compiling is most of what rendering a tree costs. Bounded, so a hostile tree cannot grow it without end.
_COMPILED = {}
_COMPILED_MAX = 1024


def _compiled(text):
    """(names the template refers to, the compiled template); a syntax error raises every time."""
    found = _COMPILED.get(text)
    if found is None:
        env = _env()
        found = (meta.find_undeclared_variables(env.parse(text)), env.from_string(text))
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[text] = found
    return found


def _is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def template(variables, sources=None, context=None):
    """Render every Jinja expression in the values, in a sandbox.

    Templates see the image's own variables (plus ``context``), so actions may refer
    to ``tcib_packages`` as upstream files do. A variable is rendered when a template
    refers to it, and a template's output is never rendered again (so escaped braces
    stay braces). Undefined names and cycles are errors naming the file and key, and so is a template
    that asks for a value larger than sandbox.MAX_SIZE, or keeps the image's templates running longer than
    sandbox.MAX_SECONDS together.
    """
    sources = sources or {}
    raw = dict(context or {})
    raw.update(variables)
    done, active = {}, []

    def value_of(name):
        if name not in done:
            if name in active:
                chain = " -> ".join(active[active.index(name):] + [name])
                raise VariableError("variables refer to each other in a cycle: %s" % chain,
                                    sources.get(active[0]), active[0])
            active.append(name)
            try:
                done[name] = render(raw[name], sources.get(name), name)
            finally:
                active.pop()
        return done[name]

    def render(value, source, key):
        if isinstance(value, dict):
            return dict((k, render(v, source, key)) for k, v in value.items())
        if isinstance(value, list):
            return [render(v, source, key) for v in value]
        if not _is_template(value):
            return value
        try:
            names, compiled = _compiled(value)
            scope = dict((name, value_of(name)) for name in names if name in raw)
            return compiled.render(scope)
        except VariableError:
            raise
        except TemplateTimeout as exc:
            raise VariableError("template stopped: %s" % exc, source, key)
        except TemplateLimit as exc:
            raise VariableError("template refused: %s" % exc, source, key)
        except UndefinedError as exc:
            raise VariableError("undefined variable in template: %s" % exc, source, key)
        except TemplateError as exc:
            raise VariableError("template error: %s" % exc, source, key)
        except Exception as exc:  # 1/0, 'a' + 1, {% include %} without a loader, runaway macros...
            raise VariableError("template error: %s: %s" % (type(exc).__name__, exc), source, key)

    with time_limit():
        return dict((key, value_of(key)) for key in variables)
