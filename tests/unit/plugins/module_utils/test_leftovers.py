# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Telling what killed runs left from what running ones use, by the owner in each name."""

import json
import os
import subprocess
import sys

from ansible_collections.tcib.images.plugins.module_utils import leftovers


def ended_process_token():
    """The owner token of a process that has ended (its pid is free, or taken by another start)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    token = leftovers.owner_token(child.pid)
    child.wait()
    return token


def test_owner_token_names_this_process_and_its_start():
    token = leftovers.owner_token()
    assert token.startswith("p%d-" % os.getpid())
    assert leftovers.is_running(token)
    assert leftovers.owner_of("tcib-images-%s-abc" % token) == token
    assert leftovers.owner_of("localhost/tcib-build-in-progress/keystone:%s-1a2b" % token) == token


def test_a_reused_pid_is_not_the_same_owner():
    pid, started = leftovers.owner_token()[1:].split("-")
    assert not leftovers.is_running("p%s-%d" % (pid, int(started) + 1))
    assert not leftovers.is_running(ended_process_token())
    assert not leftovers.is_running("not a token")


def test_names_without_an_owner_are_judged_by_age(tmp_path):
    old, new = tmp_path / ".run-abc", tmp_path / ".run-def"
    old.mkdir()
    new.mkdir()
    os.utime(str(old), (1, 1))
    assert leftovers.is_left_over("abc", str(old))
    assert not leftovers.is_left_over("def", str(new))
    # A word that only looks like a token inside another word is no owner.
    assert leftovers.owner_of("keystonep1-2") is None


def test_matching_paths_keeps_what_running_runs_use(tmp_path):
    mine = tmp_path / (".build-%s-x" % leftovers.owner_token())
    gone = tmp_path / (".build-%s-y" % ended_process_token())
    other = tmp_path / "something-else"
    for path in (mine, gone, other):
        path.mkdir()
    assert leftovers.matching_paths(str(tmp_path), ".build-") == [str(gone)]
    assert leftovers.matching_paths(str(tmp_path), ".build-", leftovers.is_own) == [str(mine)]
    assert leftovers.remove_paths([str(gone)]) == [str(gone)] and not gone.exists()


class FakeStorage(object):
    """buildah containers / podman images answers, and what was removed."""

    def __init__(self, containers, temporary, dangling):
        self.containers, self.temporary, self.dangling = containers, temporary, dangling
        self.removed = []

    def __call__(self, argv):
        if argv[1:3] == ["containers", "--json"]:
            return 0, json.dumps([{"id": "id-" + name, "containername": name} for name in self.containers]), ""
        if argv[1] == "images" and "dangling=true" in argv:
            return 0, "".join(image_id[:12] + "\n" for image_id in self.dangling), ""
        if argv[1:3] == ["image", "prune"]:
            # podman decides what is dangling and removes it in the one call; it prints the ids it removed.
            assert "--force" in argv and "label=tcib.images.inputs-digest" in argv
            self.removed.append(argv[1:3])
            return 0, "".join(image_id + "\n" for image_id in self.dangling), ""
        if argv[1] == "images":
            return 0, "\n".join(self.temporary), ""
        self.removed.append(argv[1:])
        return 0, "", ""


def test_clean_storage_removes_only_what_ended_runs_of_ours_left():
    gone, mine = ended_process_token(), leftovers.owner_token()
    storage = FakeStorage(
        containers=["tcib-images-%s-for-openstack-os-working-container" % gone,
                    "tcib-images-%s-abc" % mine, "debian-working-container", "tcib-images-no-owner"],
        temporary=["localhost/tcib-build-in-progress/openstack-os:%s-1" % gone,
                   "localhost/tcib-build-in-progress/openstack-os:%s-2" % mine,
                   "localhost/tcib/debian:trixie"],
        dangling=["f" * 64])
    removed = leftovers.clean_storage(storage)
    assert removed["containers"] == ["tcib-images-%s-for-openstack-os-working-container" % gone]
    assert removed["images"] == ["localhost/tcib-build-in-progress/openstack-os:%s-1" % gone, "f" * 64]
    assert storage.removed == [["rm", "id-tcib-images-%s-for-openstack-os-working-container" % gone],
                               ["rmi", "localhost/tcib-build-in-progress/openstack-os:%s-1" % gone],
                               ["image", "prune"]]


def test_a_stopped_run_removes_its_own():
    mine = leftovers.owner_token()
    storage = FakeStorage(["tcib-images-%s-abc" % mine], ["localhost/tcib-build-in-progress/x:%s-2" % mine], [])
    removed = leftovers.clean_storage(storage, select=leftovers.is_own)
    assert removed["containers"] == ["tcib-images-%s-abc" % mine]
    assert removed["images"] == ["localhost/tcib-build-in-progress/x:%s-2" % mine]
    assert ["image", "prune"] not in storage.removed, "no prune when no image of ours is left without a name"


def test_orphaned_builds_are_the_buildah_processes_of_ended_runs():
    gone, mine = ended_process_token(), leftovers.owner_token()
    argvs = {
        10: "/usr/bin/buildah bud --tag localhost/tcib-build-in-progress/os:%s-1 --from x ." % gone,
        11: "timeout --kill-after=30 600 buildah bud --tag localhost/tcib-build-in-progress/os:%s-1 ." % gone,
        12: "buildah bud --tag localhost/tcib-build-in-progress/os:%s-2 ." % mine,
        13: "buildah bud --tag localhost/someone/else:1 .",
        14: "vim localhost/tcib-build-in-progress/os:%s-1" % gone,
    }
    assert leftovers.orphaned_builds(processes=lambda: sorted(argvs), cmdline=argvs.get) == [10, 11]


def test_a_run_is_marked_while_it_works_and_only_a_killed_one_leaves_its_mark(tmp_path):
    runs = str(tmp_path / "runs")
    assert leftovers.ended_runs(runs) is None, "no mark was ever made here: leftovers may be anywhere"
    with leftovers.marked_run(runs):
        assert os.listdir(runs) == [leftovers.owner_token()]
        assert leftovers.ended_runs(runs) == [], "a running run's mark is not a sign of leftovers"
    assert os.listdir(runs) == [] and leftovers.ended_runs(runs) == []
    killed = ended_process_token()
    (tmp_path / "runs" / killed).write_text("")
    (tmp_path / "runs" / "not-a-token").write_text("")
    assert leftovers.ended_runs(runs) == [killed]


def test_leftovers_are_searched_only_after_a_run_ended_without_its_mark(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    searches = []

    def clean():
        searches.append(1)
        return {"containers": ["tcib-images-x-working-container"]}

    assert leftovers.clean_after_ended_runs(clean, []) == {} and searches == []
    killed = ended_process_token()
    (runs / killed).write_text("")
    removed = leftovers.clean_after_ended_runs(
        clean, leftovers.ended_runs(str(runs)), unmark=lambda tokens: leftovers.unmark(tokens, runs_dir=str(runs)))
    assert removed == {"containers": ["tcib-images-x-working-container"]} and searches == [1]
    assert os.listdir(str(runs)) == [], "the killed run's mark goes once its leftovers are gone"
    # Unreadable marks (or none ever made) tell nothing: search.
    assert leftovers.clean_after_ended_runs(clean, None) and searches == [1, 1]


def test_a_stopped_run_removes_what_it_made_and_then_its_mark(tmp_path):
    mine, other = leftovers.owner_token(), ended_process_token()
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / mine).write_text("")
    (runs / other).write_text("")
    storage = FakeStorage(["tcib-images-%s-abc" % mine, "tcib-images-%s-abc" % other], [], [])
    removed = leftovers.clean_own(storage, runs_dir=str(runs))
    assert removed["containers"] == ["tcib-images-%s-abc" % mine]
    assert os.listdir(str(runs)) == [other], "only its own mark goes; another's tells the next run to search"
