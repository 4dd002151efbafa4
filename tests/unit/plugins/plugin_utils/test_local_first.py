# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a task's logic runs (in the controller's process only when the target is the controller), and what
the controller gives it."""

from types import SimpleNamespace

import pytest

from ansible_collections.tcib.images.plugins.module_utils.task import TaskError
from ansible_collections.tcib.images.plugins.plugin_utils.local_first import ControllerHost, runs_here


def action(transport="local", become=False, environment=None):
    return SimpleNamespace(_connection=SimpleNamespace(transport=transport),
                           _play_context=SimpleNamespace(become=become),
                           _task=SimpleNamespace(environment=environment if environment is not None else [{}]))


@pytest.mark.parametrize("kwargs, here", [
    ({}, True),
    ({"environment": []}, True),
    ({"transport": "ssh"}, False),
    ({"transport": "paramiko_ssh"}, False),
    ({"become": True}, False),
    # Only the module's own process would get a task environment.
    ({"environment": [{}, {"HTTP_PROXY": "http://proxy:3128"}]}, False),
])
def test_only_a_plain_local_task_runs_in_the_controller(kwargs, here):
    assert runs_here(action(**kwargs)) is here


def test_the_controller_runs_tools_in_c_without_stdin():
    host = ControllerHost(check_mode=False, diff=False)
    rc, out, err = host.run(["sh", "-c", "echo $LC_ALL; cat; echo oops >&2; exit 3"])
    assert (rc, out, err) == (3, "C\n", "oops\n")


def test_a_missing_tool_is_a_task_error_only_when_required():
    host = ControllerHost(check_mode=True, diff=False)
    assert host.binary("sh").endswith("/sh")
    assert host.binary("tcib-no-such-tool", required=False) is None
    with pytest.raises(TaskError, match="tcib-no-such-tool is not installed on this host"):
        host.binary("tcib-no-such-tool")


def test_the_controller_writes_whole_files_and_collects_warnings(tmp_path):
    host = ControllerHost(check_mode=False, diff=False)
    target = tmp_path / "sub" / "dropin.conf"
    host.write(str(target), "a = 1\n")
    assert target.read_text() == "a = 1\n"
    assert [path.name for path in target.parent.iterdir()] == ["dropin.conf"]
    host.write(str(target), "")
    assert not target.exists()
    host.warn("one")
    host.warn("two")
    assert host.warnings == ["one", "two"]
