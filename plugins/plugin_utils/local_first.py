# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugins that run their module's logic in the controller's process when the target is the controller.

On a local connection without become and without a task environment, running the module would only add a
process, Ansible's module packaging and the imports (about half a second a task) around the same function.
Anywhere else (another host, become, an environment only the module's process would get) the module runs as
usual. Both paths call the same ``execute(params, host)`` (module_utils/task.py) and report alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

from ansible.plugins.action import ActionBase

from ansible_collections.tcib.images.plugins.module_utils.files import write_or_remove
from ansible_collections.tcib.images.plugins.module_utils.task import TOOL_ENVIRONMENT, TaskError


class ControllerHost(object):
    """The task in the action plugin, on the controller (which is the target)."""

    def __init__(self, check_mode, diff):
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []

    def run(self, argv):
        """(rc, stdout, stderr) of a tool."""
        done = subprocess.run(argv, env=dict(os.environ, **TOOL_ENVIRONMENT), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        return (done.returncode, done.stdout.decode("utf-8", "replace"),
                done.stderr.decode("utf-8", "replace"))

    def binary(self, name, required=True):
        """The path of a tool; None when missing and not required."""
        path = shutil.which(name)
        if not path and required:
            raise TaskError("%s is not installed on this host" % name)
        return path

    def warn(self, message):
        self.warnings.append(message)

    def write(self, path, text):
        """Replace a file whole; empty text removes it."""
        write_or_remove(path, text)


def runs_here(action):
    """Whether ``action`` (an ActionBase) may run its module's logic in this process."""
    # A task without an environment of its own inherits [{}].
    environment = [entry for entry in (action._task.environment or []) if entry]  # pylint: disable=protected-access
    return (action._connection.transport == "local"  # pylint: disable=protected-access
            and not action._play_context.become and not environment)  # pylint: disable=protected-access


class LocalFirstAction(ActionBase):
    """Subclasses name MODULE (the module's full name) and TASK (the module_utils module holding the task's
    ARGUMENT_SPEC and ``execute(params, host)``)."""

    MODULE = None
    TASK = None

    def run(self, tmp=None, task_vars=None):
        result = super(LocalFirstAction, self).run(tmp, task_vars)
        if not runs_here(self):
            result.update(self._execute_module(module_name=self.MODULE, task_vars=task_vars))
            return result
        _validation, params = self.validate_argument_spec(argument_spec=self.TASK.ARGUMENT_SPEC)
        host = ControllerHost(bool(self._task.check_mode), bool(self._task.diff))
        try:
            outcome = self.TASK.execute(params, host)
        except TaskError as exc:
            result.update(exc.result, failed=True, msg=str(exc))
            outcome = {}
        if host.warnings:
            result["warnings"] = result.get("warnings", []) + host.warnings
        result.update(outcome)
        return result
