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

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.tcib.images.plugins.module_utils.build_graph import ARGUMENT_SPEC, Tools, execute
from ansible_collections.tcib.images.plugins.module_utils.report import progress_line
from ansible_collections.tcib.images.plugins.module_utils.task import TaskError
from ansible_collections.tcib.images.plugins.plugin_utils.local_first import ControllerHost, runs_here

display = Display()


def _show_progress(kind, name, image_result, counts):
    display.display(progress_line(kind, name, image_result or {}, counts))


class ActionModule(ActionBase):

    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        # In-process only where it makes no difference but the live progress (plugin_utils/local_first.py).
        if not runs_here(self):
            result.update(self._execute_module(module_name="tcib.images.tcib_build_graph",
                                               task_vars=task_vars))
            return result
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        check_mode = bool(self._task.check_mode)
        host = ControllerHost(check_mode, bool(self._task.diff))
        try:
            # Check mode reads the registry too, to say what would be pushed.
            tools = Tools(buildah=host.binary("buildah"), podman=host.binary("podman"),
                          skopeo=host.binary("skopeo") if params["push"] else "skopeo")
            outcome = execute(params, host.run, check_mode=check_mode, on_event=_show_progress, tools=tools)
        except (TaskError, ValueError) as exc:
            raise AnsibleActionFail(str(exc))
        if not outcome.get("failed"):
            display.display(outcome["table"])  # a failure's message carries it, as the module's does
        result.update(outcome)
        return result
