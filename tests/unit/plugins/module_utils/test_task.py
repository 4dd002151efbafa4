# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A task's logic ends its module the same way whatever it returns or raises."""

import pytest

from ansible_collections.tcib.images.plugins.module_utils.task import ModuleHost, TaskError, run_module


class Ended(Exception):
    pass


class FakeModule(object):
    check_mode = True
    _diff = False
    params = {"name": "x"}

    def __init__(self):
        self.ended = None
        self.warnings = []
        self.moves = []

    def exit_json(self, **result):
        self.ended = ("exit", result)
        raise Ended()

    def fail_json(self, **result):
        self.ended = ("fail", result)
        raise Ended()

    def warn(self, message):
        self.warnings.append(message)

    def run_command(self, argv, environ_update=None):
        return 0, "%s %s" % (argv, environ_update), ""

    def atomic_move(self, source, target):
        self.moves.append(target)
        import os
        os.replace(source, target)


def test_a_result_exits_and_a_task_error_fails_with_its_result():
    module = FakeModule()
    with pytest.raises(Ended):
        run_module(module, lambda params, host: dict(changed=host.check_mode, name=params["name"]))
    assert module.ended == ("exit", {"changed": True, "name": "x"})

    def failing(_params, host):
        host.warn("careful")
        raise TaskError("it broke", changed=False, path="/p")

    module = FakeModule()
    with pytest.raises(Ended):
        run_module(module, failing)
    assert module.ended == ("fail", {"msg": "it broke", "changed": False, "path": "/p"})
    assert module.warnings == ["careful"]


def test_the_module_host_runs_tools_in_c_and_writes_through_atomic_move(tmp_path):
    module = FakeModule()
    host = ModuleHost(module)
    assert host.run(["true"])[1] == "['true'] {'LC_ALL': 'C'}"
    target = tmp_path / "dropin.conf"
    host.write(str(target), "text\n")
    assert target.read_text() == "text\n" and module.moves == [str(target)]
    host.write(str(target), "")
    assert not target.exists()
    host.write(str(target), "")  # nothing to remove: no error
