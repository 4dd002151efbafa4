# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run leaves while it works, named by its owner, so that the next run can clean it after a kill.

A run of the build modules names everything temporary it makes after its owner, the module process:
``p<pid>-<start time>`` (the start time, in clock ticks since boot, tells a reused pid apart). That covers
the temporary image names (``localhost/tcib-build-in-progress/...``), the buildah working containers
(``tcib-images-<owner>-...``), the per-build package directories (``.build-<owner>-...``) and the proxy's
per-run directories (``.run-<owner>-...``). A later run removes what belongs to an owner that is no longer
running, and nothing of a run that still is, nor anything that is not this collection's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import re
import shutil
import signal
import time

from ansible_collections.tcib.images.plugins.module_utils import procfs
from ansible_collections.tcib.images.plugins.module_utils.digest import LABEL as DIGEST_LABEL
from ansible_collections.tcib.images.plugins.module_utils.procfs import start_time

# Working containers (and the temporary FROM names they are made from) of this collection start so.
PREFIX = "tcib-images-"
# Images being built, before they take their names.
TEMP_REPOSITORY = "localhost/tcib-build-in-progress"
OWNER_PATTERN = re.compile(r"(?<![a-z0-9])p(\d+)-(\d+)")
# The per-build package directories in the package cache, the proxy's cache (and in it, each run's
# directory), and each run's proxy setting for apt in the work_dir.
BUILD_DIR_PREFIX = ".build-"
MIRROR_DIR = "mirror"
RUN_DIR_PREFIX = ".run-"
PROXY_SETTINGS_PREFIX = "apt-proxy-"
# Temporary directories of versions before owners were named: removed once they are this old.
UNOWNED_GRACE_SECONDS = 6 * 3600
# Each building run marks itself here (a file named by its owner token) while it works. A mark whose owner
# ended is the sign that a run was killed outright and may have left something: only then does the next run
# search storage and the cache for leftovers, a second of podman calls that most runs are spared. Under
# /var/lib, because what a killed run leaves in container storage outlives a reboot.
RUNS_DIR = "/var/lib/tcib-images/runs"


def owner_token(pid=None):
    """This process's owner token, e.g. ``p4242-1234567``."""
    pid = os.getpid() if pid is None else pid
    return "p%d-%s" % (pid, start_time(pid) or "0")


def owner_of(name):
    """The owner token inside a name, or None for a name that carries none."""
    match = OWNER_PATTERN.search(name)
    return match.group(0) if match else None


def is_running(token, start_of=start_time):
    match = OWNER_PATTERN.fullmatch(token or "")
    return bool(match) and start_of(int(match.group(1))) == match.group(2)


def is_left_over(name, path=None, start_of=start_time, now=time.time):
    """True for what a run that is no longer running left: a name whose owner ended, or (a name without
    an owner, from an older version) a path not touched for UNOWNED_GRACE_SECONDS."""
    token = owner_of(name)
    if token is not None:
        return not is_running(token, start_of)
    try:
        return path is not None and now() - os.path.getmtime(path) > UNOWNED_GRACE_SECONDS
    except OSError:
        return False


def is_own(name, path=None):
    """True for what this process made (for the cleanup of a run that is being stopped)."""
    return owner_of(name) == owner_token()


def matching_paths(parent, prefix, select=is_left_over):
    """Paths of ``parent/<prefix>*`` that ``select(name, path)`` picks."""
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    return [os.path.join(parent, name) for name in sorted(names)
            if name.startswith(prefix) and select(name[len(prefix):], os.path.join(parent, name))]


def remove_paths(paths):
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
    return list(paths)


def ended_runs(runs_dir=RUNS_DIR):
    """Marks of runs that ended without taking theirs away, or None when marks cannot tell: no run of a
    version that marks has been here yet (leftovers of older ones may be anywhere), or the directory
    cannot be read."""
    try:
        names = os.listdir(runs_dir)
    except OSError:
        return None
    return sorted(name for name in names if owner_of(name) == name and not is_running(name))


@contextlib.contextmanager
def marked_run(runs_dir=RUNS_DIR):
    """Mark this process as a run at work until the block ends (a killed one's mark stays behind)."""
    try:
        os.makedirs(runs_dir, 0o755, exist_ok=True)
        with open(os.path.join(runs_dir, owner_token()), "w"):
            pass
    except OSError:
        pass  # unmarked, the next run finds the marks unreadable or none of ours: it searches everywhere
    try:
        yield
    finally:
        unmark(runs_dir=runs_dir)


def unmark(tokens=None, runs_dir=RUNS_DIR):
    """Take away the marks of these owners (default: this process's own)."""
    for token in tokens if tokens is not None else [owner_token()]:
        try:
            os.unlink(os.path.join(runs_dir, token))
        except OSError:
            pass


def clean_after_ended_runs(clean, ended, unmark=unmark):
    """``clean()`` when ``ended`` (from ended_runs) says a run may have left something; then its marks go.
    Returns what was removed ({} when nothing was searched)."""
    if ended == []:
        return {}
    removed = clean()
    unmark(ended or [])
    return removed


def orphaned_builds(start_of=start_time, processes=procfs.pids, cmdline=procfs.cmdline):
    """Pids of buildah processes still building for a run that is gone (their argv names the owner)."""
    found = []
    for pid in processes():
        argv = cmdline(pid)
        words = argv.split()
        if "bud" in words and any(os.path.basename(word) == "buildah" for word in words[:words.index("bud")]):
            names = argv.split(TEMP_REPOSITORY + "/", 1)
            if len(names) == 2 and owner_of(names[1]) and is_left_over(names[1], start_of=start_of):
                found.append(pid)
    return found


def clean_storage(run, buildah="buildah", podman="podman", select=is_left_over):
    """Remove the working containers and temporary names that ``select`` picks (by default: what stopped
    runs of this collection left), and images our builds left without a name; returns what went."""
    removed = {"containers": [], "images": [], "processes": []}
    for pid in orphaned_builds() if select is is_left_over else []:
        try:
            os.kill(pid, signal.SIGTERM)
            removed["processes"].append(pid)
        except OSError:
            pass
    if removed["processes"]:
        time.sleep(2)  # buildah removes its own container on SIGTERM; what remains goes below
    rc, out, _err = run([buildah, "containers", "--json"])
    for container in (json.loads(out or "[]") or []) if rc == 0 else []:
        name = container.get("containername") or ""
        if name.startswith(PREFIX) and owner_of(name) and select(name):
            if run([buildah, "rm", container["id"]])[0] == 0:
                removed["containers"].append(name)
    out = run([podman, "images", "--format", "{{.Repository}}:{{.Tag}}",
               "--filter", "reference=%s/*" % TEMP_REPOSITORY])[1]
    # Listed even when podman also complains (an image another process removes meanwhile fails the list).
    for ref in out.split():
        if ref.startswith(TEMP_REPOSITORY + "/") and select(ref.split("/", 2)[2]) and \
                run([buildah, "rmi", ref])[0] == 0:
            removed["images"].append(ref)
    # Images a killed rebuild left without a name: only those our builds made (they carry its label). The
    # list only says whether there are any (it is three times quicker than a prune that finds none); then
    # one prune decides and removes at once. Removing the listed ids one by one, seconds later on a busy
    # host, could take an image another run had named meanwhile (a build cache hit makes no new image).
    if run([podman, "images", "--quiet", "--filter", "dangling=true", "--filter", "label=%s" % DIGEST_LABEL])[1].strip():
        out = run([podman, "image", "prune", "--force", "--filter", "label=%s" % DIGEST_LABEL])[1]
        removed["images"] += [line.strip() for line in out.splitlines()
                              if re.match(r"^[0-9a-f]{64}$", line.strip())]
    return removed


def clean(run, buildah="buildah", podman="podman", package_cache=None, work_dir=None, select=is_left_over):
    """Everything of clean_storage, and the run's files: per-build package directories and the package
    proxy's per-run directories in the shared cache, and the proxy settings file in the work_dir."""
    removed = clean_storage(run, buildah, podman, select)
    paths = []
    if package_cache:
        paths += matching_paths(package_cache, BUILD_DIR_PREFIX, select)
        paths += matching_paths(os.path.join(package_cache, MIRROR_DIR), RUN_DIR_PREFIX, select)
    if work_dir:
        paths += matching_paths(work_dir, PROXY_SETTINGS_PREFIX, select)
    removed["files"] = remove_paths(paths)
    return dict((key, value) for key, value in removed.items() if value)


def clean_own(run, buildah="buildah", podman="podman", package_cache=None, work_dir=None, runs_dir=RUNS_DIR):
    """What a run being stopped does last: remove what it made, then its mark (it ends having left nothing)."""
    removed = clean(run, buildah, podman, package_cache, work_dir, is_own)
    unmark(runs_dir=runs_dir)
    return removed
