# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a task's logic needs from the place it runs, so that one function serves both paths.

A task of this collection (plan, prepare the host, keep the base image current, build) is a function
``execute(params, host) -> result dict`` in module_utils. It runs either in its module, on the target
(``ModuleHost``), or in the action plugin on the controller when the target is the controller
(``plugin_utils.local_first.ControllerHost``): a module costs a process, Ansible's module packaging and
its imports, about half a second a task, which a no-op run pays for nothing. A failure is a TaskError;
both paths report it the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tcib.images.plugins.module_utils.files import write_or_remove

# The tools run with C messages: the collection reads some of them.
TOOL_ENVIRONMENT = {"LC_ALL": "C"}


class TaskError(Exception):
    """A task failed: ``str()`` is the message, ``result`` what the task returns with it."""

    def __init__(self, message, **result):
        super(TaskError, self).__init__(message)
        self.result = result


class ModuleHost(object):
    """The task inside its module, on the target."""

    def __init__(self, module):
        self.module = module
        self.check_mode = module.check_mode
        self.diff = module._diff  # pylint: disable=protected-access

    def run(self, argv):
        """(rc, stdout, stderr) of a tool."""
        return self.module.run_command(argv, environ_update=TOOL_ENVIRONMENT)

    def binary(self, name, required=True):
        """The path of a tool; None when missing and not required."""
        return self.module.get_bin_path(name, required=required)

    def warn(self, message):
        self.module.warn(message)

    def write(self, path, text):
        """Replace a file whole (through the module's atomic_move); empty text removes it."""
        write_or_remove(path, text, move=self.module.atomic_move)


def run_module(module, execute):
    """A module's main: run ``execute(params, host)`` and end the module with its result or failure."""
    try:
        result = execute(module.params, ModuleHost(module))
    except TaskError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)
