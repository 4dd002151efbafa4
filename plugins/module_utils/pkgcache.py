# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A package cache that parallel builds share without a lock.

Each build gets its own directory for /var/cache/apt/archives, filled with hard
links to every .deb of the shared pool (no copies, no waiting on apt's archive lock
held by another build). After the build, the .debs it downloaded are linked back
into the pool for the next builds, and its directory is removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import tempfile

from ansible_collections.tcib.images.plugins.module_utils import leftovers


def _debs(directory):
    try:
        return [name for name in os.listdir(directory) if name.endswith(".deb")]
    except OSError:
        return []


def _link(source, target):
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            return
        if exc.errno != errno.EXDEV:
            raise
        shutil.copy2(source, target)


def checkout(pool):
    """A fresh per-build archives directory holding links to the pool's packages."""
    if not os.path.isdir(pool):
        os.makedirs(pool)
    # Named after this run's process, so that the next run can tell what a killed one left.
    build_dir = tempfile.mkdtemp(prefix="%s%s-" % (leftovers.BUILD_DIR_PREFIX, leftovers.owner_token()), dir=pool)
    os.mkdir(os.path.join(build_dir, "partial"))
    for name in _debs(pool):
        _link(os.path.join(pool, name), os.path.join(build_dir, name))
    return build_dir


def checkin(build_dir, pool):
    """Link the packages a build downloaded into the pool, then drop its directory."""
    added = 0
    for name in _debs(build_dir):
        target = os.path.join(pool, name)
        if not os.path.exists(target):
            _link(os.path.join(build_dir, name), target)
            added += 1
    shutil.rmtree(build_dir, ignore_errors=True)
    return added
