# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn an image's (already templated and validated) tcib_* variables into a Containerfile.

The instruction order is upstream's, so an unchanged upstream variable file renders
to an equivalent Containerfile. Two upstream bugs are fixed: VOLUME is a JSON array,
and ENTRYPOINT/CMD/SHELL given as a string are split like a shell would, keeping
quoted arguments together.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import shlex

from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError


def _quote(value):
    """A double-quoted value that Containerfile parsers read back unchanged.

    Not ASCII-escaped: inside double quotes the parser only understands \\" \\$ and
    \\\\, so a JSON \\uXXXX escape would reach the image as literal text. A YAML boolean is
    ``true``/``false``, as upstream's template (``value | to_json``) wrote it, not Python's ``True``.
    """
    if isinstance(value, bool):
        value = "true" if value else "false"
    return json.dumps(str(value), ensure_ascii=False)


def exec_form(value):
    """A string or list as a JSON exec-form array."""
    if isinstance(value, list):
        return json.dumps([str(item) for item in value])
    text = str(value).strip()
    try:
        if text.startswith("["):
            # Already exec form: keep it, but make sure it is valid JSON.
            return json.dumps([str(item) for item in json.loads(text)])
        return json.dumps(shlex.split(text))
    except ValueError as exc:
        # Unbalanced quotes or a '[' that is not a JSON array: a clean error, not a traceback.
        raise VariableError("cannot read %r as exec-form arguments: %s" % (text, exc))


def _instruction(name, value):
    """One action: lists become exec form where the instruction has one."""
    name = name.upper()
    if name in ("ENTRYPOINT", "CMD", "SHELL"):
        return "%s %s" % (name, exec_form(value))
    if name == "VOLUME":
        items = value if isinstance(value, list) else [value]
        return "VOLUME %s" % json.dumps([str(item) for item in items])
    if name in ("RUN", "ADD", "COPY") and isinstance(value, list):
        return "%s %s" % (name, json.dumps([str(item) for item in value]))
    if isinstance(value, list):
        return "\n".join("%s %s" % (name, item) for item in value)
    return "%s %s" % (name, value)


def _pairs(name, mapping, quote=True):
    return ["%s %s=%s" % (name, key, _quote(value) if quote else value) for key, value in mapping.items()]


def _mergeable(value):
    # A comment would swallow what follows it once joined on one logical line.
    return not isinstance(value, list) and "#" not in str(value)


def _group(command):
    """A command safe to chain with &&: operators inside it are grouped."""
    command = str(command).strip()
    return command if not re.search(r"[;&|\n]", command) else "{ %s; }" % command


def merge_runs(actions):
    """Consecutive shell-form RUN actions joined with && into one RUN, so that they make one layer."""
    merged, chain = [], []
    for action in actions + [None]:
        name, value = next(iter(action.items())) if action else (None, None)
        if action and name.lower() == "run" and _mergeable(value):
            chain.append(value)
            continue
        if len(chain) == 1:
            merged.append({"run": chain[0]})
        elif chain:
            merged.append({"run": " \\\n    && ".join(_group(command) for command in chain)})
        chain = []
        if action:
            merged.append(action)
    return merged


def render(variables, from_image, merge=False):
    """The Containerfile text for one image; from_image is used unless tcib_from is set.

    With merge, consecutive shell-form RUN actions become one RUN (one layer).
    """
    get = variables.get
    lines = ["FROM %s" % (get("tcib_from") or from_image)]
    lines += _pairs("ARG", get("tcib_args") or {})
    lines += _pairs("LABEL", get("tcib_labels") or {})
    lines += _pairs("ENV", get("tcib_envs") or {})
    # Upstream switches to root here so a child can extend a parent that ends
    # as another user; tcib_user (last) switches back.
    lines.append("USER root")
    lines += ["ONBUILD %s" % item for item in get("tcib_onbuilds") or []]
    if get("tcib_volumes"):
        lines.append(_instruction("VOLUME", get("tcib_volumes")))
    if get("tcib_workdir"):
        lines.append("WORKDIR %s" % get("tcib_workdir"))
    lines += ["ADD %s" % item for item in get("tcib_adds") or []]
    lines += ["EXPOSE %s" % item for item in get("tcib_exposes") or []]
    lines += ["COPY %s" % item for item in get("tcib_copies") or []]
    if get("tcib_shell"):
        lines.append(_instruction("SHELL", get("tcib_shell")))
    lines += [_instruction("RUN", item) for item in get("tcib_runs") or []]
    actions = get("tcib_actions") or []
    for action in merge_runs(actions) if merge else actions:
        (name, value), = action.items()
        lines.append(_instruction(name, value))
    if get("tcib_healthcheck"):
        lines.append("HEALTHCHECK %s" % get("tcib_healthcheck"))
    if get("tcib_stopsignal"):
        lines.append("STOPSIGNAL %s" % get("tcib_stopsignal"))
    if get("tcib_entrypoint"):
        lines.append(_instruction("ENTRYPOINT", get("tcib_entrypoint")))
    if get("tcib_cmd"):
        lines.append(_instruction("CMD", get("tcib_cmd")))
    if get("tcib_user"):
        lines.append("USER %s" % get("tcib_user"))
    return "\n".join(lines) + "\n"
