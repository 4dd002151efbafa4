# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stop a module's builds when its run is stopped.

Ctrl-C reaches the module with the rest of the terminal's process group (SIGINT); ``kill`` of
ansible-playbook does not reach it at all: the module would go on building and tagging as an orphan. So
while a ``Lifeline`` is held, SIGINT, SIGTERM and SIGHUP, and the end of any process between the module
and the topmost ansible-playbook above it, stop the module: its child processes (buildah, and what
buildah runs) are sent SIGTERM, then SIGKILL, a cleanup callback removes what the run made, and the
module process exits.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import select
import signal
import threading
import time

from ansible_collections.tcib.images.plugins.module_utils import procfs
from ansible_collections.tcib.images.plugins.module_utils.procfs import parent_of, start_time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Longest a stop may take to clean up before the process ends anyway.
STOP_TIMEOUT = 300


def watched_ancestors(pid=None, parent=parent_of, cmdline=procfs.cmdline):
    """[(pid, start time)] of the processes whose end means this run was stopped: every ancestor up to
    the topmost one running ansible, or the parent alone when no ansible is above (a test, a script)."""
    chain = []
    current = parent(os.getpid() if pid is None else pid)
    while current and current > 1:
        chain.append(current)
        current = parent(current)
    ansible = [index for index, ancestor in enumerate(chain) if "ansible" in cmdline(ancestor)]
    kept = chain[:ansible[-1] + 1] if ansible else chain[:1]
    return [(ancestor, start_time(ancestor)) for ancestor in kept]


def descendants(pid, parent=parent_of, processes=None):
    """Pids of every process below pid, deepest last."""
    if processes is None:
        processes = procfs.pids()
    children = {}
    for candidate in processes:
        children.setdefault(parent(candidate), []).append(candidate)
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def stop_processes(pids, grace=10.0, sleep=time.sleep):
    """SIGTERM, then SIGKILL for what is left after ``grace`` seconds."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in pids:
            try:
                os.kill(pid, signum)
                alive.append(pid)
            except OSError:
                pass
        deadline = time.time() + (grace if signum == signal.SIGTERM else 0)
        while alive and time.time() < deadline:
            sleep(0.2)
            alive = [pid for pid in alive if not procfs.is_zombie(pid)]
        if not alive:
            return


class Lifeline(object):
    """``with Lifeline(cleanup):`` around the work; ``cleanup(reason)`` runs once if the run is stopped."""

    def __init__(self, cleanup, poll_interval=1.0, exit=os._exit):
        self.cleanup = cleanup
        self.poll_interval = poll_interval
        self.exit = exit
        self.watched = watched_ancestors()
        self.stopping = threading.Event()
        self.done = threading.Event()
        self.previous = {}
        self.wakeup = None
        self.previous_wakeup = -1
        self.watcher = None
        self.stop_lock = threading.Lock()

    def _ancestor_gone(self):
        for pid, started in self.watched:
            if start_time(pid) != started:
                return "process %d that started this run ended" % pid
        return None

    def _watch(self):
        while not self.done.is_set():
            if self.wakeup:
                readable = select.select([self.wakeup[0]], [], [], self.poll_interval)[0]
            else:  # not the main thread: no signals to hear, only ancestors to watch
                self.done.wait(self.poll_interval)
                readable = []
            if readable:
                try:
                    received = bytearray(os.read(self.wakeup[0], 64))
                except OSError:
                    received = bytearray()
                stops = [signum for signum in received if signum in STOP_SIGNALS]
                if stops:
                    self.stop("stopped by signal %d" % stops[0])
                    return
            reason = self._ancestor_gone()
            if reason and not self.done.is_set():
                self.stop(reason)
                return

    def _on_signal(self, signum, _frame):
        self.stop("stopped by signal %d" % signum)

    def stop(self, reason):
        """Stop every child process, clean up, and end the module (once, whichever thread asks)."""
        with self.stop_lock:
            if self.stopping.is_set():
                return
            self.stopping.set()
        stop_processes(descendants(os.getpid()))
        try:
            self.cleanup(reason)
        finally:
            self.exit(1)

    def guard(self, run):
        """``run`` that starts nothing once the run is being stopped (the builds would outlive it)."""
        def guarded(argv):
            if self.stopping.is_set():
                return 1, "", "this run is being stopped"
            return run(argv)
        return guarded

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            # Python runs a signal's handler in the main thread only, and only once that thread runs again:
            # one blocked waiting for the builds would never notice. The wakeup fd hands the signal's number
            # to the watching thread as well, whichever thread the kernel delivered it to.
            self.wakeup = os.pipe()
            os.set_blocking(self.wakeup[1], False)
            self.previous_wakeup = signal.set_wakeup_fd(self.wakeup[1], warn_on_full_buffer=False)
            for signum in STOP_SIGNALS:
                self.previous[signum] = signal.signal(signum, self._on_signal)
        self.watcher = threading.Thread(target=self._watch, name="tcib-lifeline", daemon=True)
        self.watcher.start()
        return self

    def __exit__(self, *exc):
        if self.stopping.is_set():
            # The work ended because its processes were stopped: the stop (in another thread) cleans up
            # and ends the process; returning now would end it first.
            time.sleep(STOP_TIMEOUT)
            self.exit(1)
        self.done.set()
        if self.wakeup:
            os.write(self.wakeup[1], b"\0")  # wakes the watcher at once (0 is no signal)
        self.watcher.join()
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if self.wakeup:
            signal.set_wakeup_fd(self.previous_wakeup)
            for fd in self.wakeup:
                os.close(fd)
            self.wakeup = None
        return False
