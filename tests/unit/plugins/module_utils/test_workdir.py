# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import os
import threading

import pytest

from ansible_collections.tcib.images.plugins.module_utils import workdir


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    with workdir.exclusive(str(tmp_path), "building", clock=lambda: 0):
        with pytest.raises(workdir.WorkDirBusy) as raised:
            with workdir.exclusive(str(tmp_path), "planning"):
                pytest.fail("two holders at once")
    message = str(raised.value)
    assert "work_dir %s is in use by another run (pid %d, building since" % (tmp_path, os.getpid()) in message
    assert "give this run a work_dir of its own" in message


def test_the_lock_is_released_after_the_block_even_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with workdir.exclusive(str(tmp_path), "building"):
            raise RuntimeError("build broke")
    with workdir.exclusive(str(tmp_path), "planning"):
        pass


def test_the_work_dir_is_created(tmp_path):
    target = tmp_path / "new" / "dir"
    with workdir.exclusive(str(target), "planning"):
        assert (target / workdir.LOCK_NAME).is_file()


def test_plan_ids_differ():
    assert workdir.new_plan_id() != workdir.new_plan_id()


def test_a_replaced_plan_is_refused():
    workdir.check_plan_id({"plan_id": "ours"}, "/w/plan.json", "ours")
    workdir.check_plan_id({"plan_id": "anything"}, "/w/plan.json", None)
    with pytest.raises(ValueError, match="/w/plan.json was replaced by another run's plan"):
        workdir.check_plan_id({"plan_id": "theirs"}, "/w/plan.json", "ours")
    with pytest.raises(ValueError, match="replaced"):
        workdir.check_plan_id({}, "/w/plan.json", "ours")


def test_runs_that_tag_the_same_names_take_turns(tmp_path):
    refs = ["localhost/tcib/openstack-base:latest", "localhost/tcib/openstack-os:latest"]
    order, told = [], []
    with workdir.image_names(refs, "building", lock_dir=str(tmp_path)) as waited:
        assert waited == {}

        def second():
            with workdir.image_names(refs[1:], "building", lock_dir=str(tmp_path), on_wait=told.append) as info:
                order.append(("second", info))

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the first
        order.append(("first", None))
    thread.join(5)
    assert [who for who, _info in order] == ["first", "second"]
    assert order[1][1]["waited_for"].endswith("(localhost/tcib)") and order[1][1]["waited_seconds"] >= 0.4
    assert "building images" in told[0]


def test_other_names_do_not_wait(tmp_path):
    with workdir.image_names(["localhost/a/x:1"], "building", lock_dir=str(tmp_path)):
        with workdir.image_names(["localhost/b/x:1"], "building", lock_dir=str(tmp_path)) as waited:
            assert waited == {}
    repositories = workdir.repositories(["localhost/b/x:1", "registry:5000/a/b/c:2", "bare"])
    assert repositories == ["localhost/b", "registry:5000/a/b"]
