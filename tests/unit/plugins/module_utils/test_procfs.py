# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""/proc read for real: this process, a child, and one that ended."""

import os
import subprocess
import sys
import time

from ansible_collections.tcib.images.plugins.module_utils import procfs


def test_this_process_and_a_child():
    assert os.getpid() in procfs.pids()
    assert procfs.parent_of(os.getpid()) == os.getppid()
    assert procfs.start_time(os.getpid()).isdigit()
    assert not procfs.is_zombie(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "a b (c)"])
    try:
        assert procfs.parent_of(child.pid) == os.getpid()
        # Until the child has exec'd, its command line is still this process's.
        deadline = time.time() + 10
        while not procfs.cmdline(child.pid).endswith("time.sleep(30) a b (c)") and time.time() < deadline:
            time.sleep(0.01)
        assert procfs.cmdline(child.pid).endswith("time.sleep(30) a b (c)")
    finally:
        child.kill()
        child.wait()


def test_a_process_that_ended():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    pid = child.pid
    while not procfs.is_zombie(pid):
        pass  # ends at once; until reaped it is a zombie
    assert procfs.start_time(pid) is not None  # still listed until reaped
    child.wait()
    assert procfs.stat_fields(pid) is None
    assert procfs.start_time(pid) is None and procfs.parent_of(pid) is None and procfs.is_zombie(pid)
    assert procfs.cmdline(pid) == ""
