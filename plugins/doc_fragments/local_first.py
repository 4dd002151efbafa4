# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Where a task of the build runs (plugins/plugin_utils/local_first.py): shared by its modules."""

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    description: On a local connection without become or a task environment, an action plugin runs the same
      logic in the controller's process (sparing a module's start); otherwise this module runs.
"""
