# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run that is stopped stops its child processes and cleans up: with real processes and signals."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.tcib.images.plugins.module_utils import lifeline, procfs

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(lifeline.__file__), "..", "..", "..", "..", ".."))

# Holds a Lifeline, starts `sleep` (a build stand-in), writes its pid, and waits; cleanup writes a file.
HOLDER = textwrap.dedent("""
    import os, subprocess, sys, time
    sys.path.insert(0, %r)
    from ansible_collections.tcib.images.plugins.module_utils.lifeline import Lifeline
    out = sys.argv[1]
    def cleanup(reason):
        # Whole or not at all: the test reads it as soon as it exists.
        with open(out + ".part", "w") as handle:
            handle.write(reason)
        os.rename(out + ".part", out + ".cleaned")
    with Lifeline(cleanup, poll_interval=0.1) as line:
        child = subprocess.Popen(["sleep", "60"])
        with open(out + ".part", "w") as handle:
            handle.write(str(child.pid))
        os.rename(out + ".part", out + ".child")
        child.wait()
""" % COLLECTIONS)


def wait_for(path, seconds=30.0):
    deadline = time.time() + seconds
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.05)
    return os.path.exists(path)


def gone(pid, seconds=10.0):
    deadline = time.time() + seconds
    while not procfs.is_zombie(pid) and time.time() < deadline:
        time.sleep(0.05)
    return procfs.is_zombie(pid)


# The main thread waits on a lock and cannot take signals (as when it waits for build threads and the
# kernel hands the signal to another thread): the watcher must still see it.
BLOCKED_HOLDER = HOLDER.replace("        child.wait()", """        import signal, threading
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        threading.Event().wait()""")


@pytest.mark.parametrize("holder_code, signum", [
    (HOLDER, signal.SIGTERM),  # the main thread takes it
    (BLOCKED_HOLDER, signal.SIGINT),  # only the watcher can see it
], ids=["main thread", "main thread blocked"])
def test_a_signal_stops_the_children_cleans_up_and_exits(tmp_path, holder_code, signum):
    out = str(tmp_path / "run")
    holder = subprocess.Popen([sys.executable, "-c", holder_code, out])
    assert wait_for(out + ".child")
    child = int(open(out + ".child").read())
    holder.send_signal(signum)
    assert holder.wait(timeout=20) == 1
    assert gone(child)
    assert open(out + ".cleaned").read() == "stopped by signal %d" % signum


def test_the_end_of_the_process_that_started_the_run_stops_it(tmp_path):
    # parent (killed with SIGKILL, as `kill -9 ansible-playbook`) -> holder -> sleep
    out = str(tmp_path / "run")
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                               "subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]]); time.sleep(60)",
                               HOLDER, out])
    assert wait_for(out + ".child")
    child = int(open(out + ".child").read())
    parent.kill()
    parent.wait()
    assert wait_for(out + ".cleaned")
    assert "that started this run ended" in open(out + ".cleaned").read()
    assert gone(child)


def test_watched_ancestors_reach_up_to_the_topmost_ansible():
    parents = {50: 40, 40: 30, 30: 20, 20: 10, 10: 1}
    cmdlines = {40: "/bin/sh -c python3", 30: "ansible-playbook build.yml (worker)", 20: "ansible-playbook build.yml",
                10: "bash"}
    watched = lifeline.watched_ancestors(50, parents.get, lambda pid: cmdlines.get(pid, ""))
    assert [pid for pid, _start in watched] == [40, 30, 20]
    # Without ansible above (a test, a script), only the parent is watched.
    assert [pid for pid, _start in lifeline.watched_ancestors(50, parents.get, lambda pid: "")] == [40]


def test_descendants_are_found_at_every_depth():
    parents = {2: 1, 3: 2, 4: 3, 5: 1, 6: 99}
    assert sorted(lifeline.descendants(1, parents.get, list(parents))) == [2, 3, 4, 5]


def test_a_guarded_runner_starts_nothing_once_stopping():
    line = lifeline.Lifeline(lambda reason: None)
    calls = []
    run = line.guard(lambda argv: calls.append(argv) or (0, "", ""))
    assert run(["buildah", "bud"]) == (0, "", "")
    line.stopping.set()
    assert run(["buildah", "bud"])[0] == 1
    assert calls == [["buildah", "bud"]]
