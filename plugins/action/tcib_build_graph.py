# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run tcib_build_graph on the controller when the host is the controller, for live progress.

A module's output reaches the user only when it ends; builds take minutes, so on a
local connection the same code runs here and prints a line as each image starts and
finishes. On any other connection, or with become or a task environment, the module runs on the host as
usual. Both paths run ``build_graph.execute`` and return what it returns; this one only streams the progress.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.tcib.images.plugins.module_utils.build_graph import ARGUMENT_SPEC, Tools, execute
from ansible_collections.tcib.images.plugins.module_utils.report import progress_line

display = Display()


def _run_command(argv):
    env = dict(os.environ, LC_ALL="C")
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


def _binary(name):
    path = shutil.which(name)
    if not path:
        raise AnsibleActionFail("%s is not installed on this host" % name)
    return path


def _show_progress(kind, name, image_result, counts):
    display.display(progress_line(kind, name, image_result or {}, counts))


class ActionModule(ActionBase):

    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        # In-process only where it makes no difference but the live progress: a local connection, no become,
        # no task environment (which only the module's process would get).
        # (A task without an environment of its own inherits [{}].)
        environment = [entry for entry in (self._task.environment or []) if entry]
        if self._connection.transport != "local" or self._play_context.become or environment:
            result.update(self._execute_module(module_name="tcib.images.tcib_build_graph",
                                               task_vars=task_vars))
            return result
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        check_mode = bool(self._task.check_mode)

        # Check mode reads the registry too, to say what would be pushed.
        tools = Tools(buildah=_binary("buildah"), podman=_binary("podman"),
                      skopeo=_binary("skopeo") if params["push"] else "skopeo")
        try:
            outcome = execute(params, _run_command, check_mode=check_mode, on_event=_show_progress, tools=tools)
        except ValueError as exc:
            raise AnsibleActionFail(str(exc))
        if not outcome.get("failed"):
            display.display(outcome["table"])  # a failure's message carries it, as the module's does
        result.update(outcome)
        return result
