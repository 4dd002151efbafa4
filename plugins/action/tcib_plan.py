# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcib_plan in the controller's process when the host is the controller (plugin_utils/local_first.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tcib.images.plugins.module_utils import plan
from ansible_collections.tcib.images.plugins.plugin_utils.local_first import LocalFirstAction


class ActionModule(LocalFirstAction):

    MODULE = "tcib.images.tcib_plan"
    TASK = plan
    _VALID_ARGS = frozenset(plan.ARGUMENT_SPEC)
