# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time in a work_dir.

A work_dir holds one plan (``plan.json``), the build contexts it points at, and the summary. Two runs
sharing it would plan over each other: the second run's plan rewrites Containerfiles that the first is
building, and the first would build from the second's plan. So planning and building hold an exclusive
lock on the work_dir (``flock``, released when the process ends, even killed), and each plan carries an
id that the build checks: a plan replaced between the two tasks is refused, not built.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
import time

from ansible_collections.tcib.images.plugins.module_utils import reference
import uuid

LOCK_NAME = ".tcib-images.lock"


class WorkDirBusy(ValueError):
    """Another run holds the work_dir."""


def new_plan_id():
    return uuid.uuid4().hex


@contextlib.contextmanager
def exclusive(work_dir, doing, clock=time.time):
    """Hold the work_dir's lock while the block runs; raise WorkDirBusy at once if another run holds it.

    ``doing`` (e.g. "building") is written into the lock file to tell the other run who holds it.
    """
    if not os.path.isdir(work_dir):
        os.makedirs(work_dir)
    path = os.path.join(work_dir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        holder = _lock_at_once(fd)
        if holder is not None:
            raise WorkDirBusy("work_dir %s is in use by another run (%s): wait for it to end, or give this "
                              "run a work_dir of its own" % (work_dir, holder or "another process"))
        _sign(fd, doing, clock)
        yield
    finally:
        os.close(fd)


def _lock_at_once(fd):
    """Take the lock on fd if it is free: None, or else what its holder wrote in it (maybe "")."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return None
    except (IOError, OSError) as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise
        return os.read(fd, 300).decode("utf-8", "replace").strip()


def _sign(fd, doing, clock):
    """Write who holds the lock now, for a run that finds it taken."""
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, ("pid %d, %s since %s\n" % (
        os.getpid(), doing, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(clock())))).encode())


def check_plan_id(plan, plan_path, expected):
    """Refuse a plan that another run wrote after ours (``expected``: the id our plan task returned)."""
    if expected and plan.get("plan_id") != expected:
        raise ValueError("%s was replaced by another run's plan after this run planned; nothing was built: "
                         "run again, and give concurrent runs a work_dir each" % plan_path)


def lock_directory():
    """Where runs on this host meet to take turns (the container storage is per host)."""
    if os.access("/run/lock", os.W_OK):
        return "/run/lock/tcib-images"
    return os.path.join(tempfile.gettempdir(), "tcib-images-locks")


def repositories(image_refs):
    """The repositories (registry/namespace) that image references are named in, sorted."""
    return sorted(set(reference.repository_of(ref) for ref in image_refs if "/" in ref))


@contextlib.contextmanager
def image_names(image_refs, doing, lock_dir=None, on_wait=None, clock=time.time):
    """Hold, while the block runs, a lock for each repository the images are named in: runs with other
    work_dirs that tag the same names take turns instead of tagging over each other. Waits for a holder
    (``on_wait(holder)`` is told once); yields {"waited_seconds": s, "waited_for": holder} or {}."""
    lock_dir = lock_dir or lock_directory()
    os.makedirs(lock_dir, exist_ok=True)
    waited = {}
    fds = []
    try:
        # Always in the same order: two runs sharing two repositories cannot each hold one.
        for repository in repositories(image_refs):
            name = hashlib.sha256(repository.encode("utf-8")).hexdigest()[:16] + ".lock"
            fd = os.open(os.path.join(lock_dir, name), os.O_RDWR | os.O_CREAT, 0o644)
            fds.append(fd)
            holder = _lock_at_once(fd)
            if holder is not None:
                holder = "%s (%s)" % (holder or "another run", repository)
                if on_wait:
                    on_wait(holder)
                started = clock()
                fcntl.flock(fd, fcntl.LOCK_EX)
                waited = {"waited_seconds": round(clock() - started, 1), "waited_for": holder}
            _sign(fd, doing + " images", clock)
        yield waited
    finally:
        for fd in fds:
            os.close(fd)
