# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Customise images without editing the tree: variables for every image, and per-image overrides.

An extra config file (as upstream's ``--extra-config``) holds variables applied on top of every
image's own. Its ``image_overrides`` mapping (as Kolla's ``<image>_packages_append``) changes one
image: ``packages_append``/``packages_remove`` edit its ``tcib_packages`` lists,
``actions_append``/``actions_remove`` its ``tcib_actions``, and ``vars`` replaces variables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

OVERRIDE_KEYS = ("packages_append", "packages_remove", "actions_append", "actions_remove", "vars")
OVERRIDES_KEY = "image_overrides"


def split_extra_config(data, source="extra config"):
    """(variables for every image, per-image overrides) from an extra config mapping."""
    if not isinstance(data, dict):
        raise VariableError("must be a mapping", source)
    variables = dict((k, v) for k, v in data.items() if k != OVERRIDES_KEY)
    overrides = data.get(OVERRIDES_KEY) or {}
    check_overrides(overrides, source)
    return variables, overrides


def check_overrides(overrides, source="image overrides"):
    if not isinstance(overrides, dict):
        raise VariableError("must map image names to overrides", source, OVERRIDES_KEY)
    for name, override in overrides.items():
        where = "%s.%s" % (OVERRIDES_KEY, name)
        if not isinstance(override, dict):
            raise VariableError("must be a mapping of %s" % ", ".join(OVERRIDE_KEYS), source, where)
        for key, value in override.items():
            if key not in OVERRIDE_KEYS:
                raise VariableError("unknown override %r; known: %s" % (key, ", ".join(OVERRIDE_KEYS)),
                                    source, where)
            if not isinstance(value, dict if key == "vars" else list):
                raise VariableError("%s must be a %s" % (key, "mapping" if key == "vars" else "list"),
                                    source, where)


def _edit_packages(packages, append, removed):
    """Append to the common group (a plain list is that group), then remove from every group."""
    if isinstance(packages, list):
        common = list(packages) + [name for name in append if name not in packages]
        return [name for name in common if name not in removed]
    packages = dict(packages)
    if append:
        common = list(packages.get("common") or [])
        packages["common"] = common + [name for name in append if name not in common]
    if removed:
        packages = dict((group, [name for name in names if name not in removed] if isinstance(names, list) else names)
                        for group, names in packages.items())
    return packages


def apply_override(variables, sources, override, source="image overrides"):
    """A copy of the image's variables with one override applied; sources say who set what."""
    variables = copy.deepcopy(variables)
    packages = variables.get("tcib_packages") or {}
    # Upstream's plain list is one group: the common one. Anything else is left as it is, for validation to
    # refuse naming the file that set it.
    editable = isinstance(packages, list) or (isinstance(packages, dict) and all(
        names is None or isinstance(names, (list, dict)) for names in packages.values()))
    if editable and ("packages_append" in override or "packages_remove" in override):
        variables["tcib_packages"] = _edit_packages(packages, override.get("packages_append") or [],
                                                    set(override.get("packages_remove") or []))
        sources["tcib_packages"] = source
    actions = list(variables.get("tcib_actions") or [])
    if override.get("actions_remove"):
        actions = [action for action in actions if action not in override["actions_remove"]]
    actions += override.get("actions_append") or []
    if "actions_append" in override or "actions_remove" in override:
        variables["tcib_actions"] = actions
        sources["tcib_actions"] = source
    for key, value in (override.get("vars") or {}).items():
        variables[key] = value
        sources[key] = source
    return variables, sources
