# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Labels that record where an image came from, set when it is built.

The version of an image's main package is the one its dpkg database holds (set with its
bill of materials, see buildah.Buildah.add_bill_of_materials). These labels describe a
build, not its inputs: they are left out of the inputs digest, so a new commit of this
repository alone rebuilds nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

VERSION = "org.opencontainers.image.version"
CREATED = "org.opencontainers.image.created"
REVISION = "org.opencontainers.image.revision"
SOURCE = "org.opencontainers.image.source"
BUILD_LABELS = (VERSION, CREATED, REVISION, SOURCE)


class TreeOrigin(object):
    """The git revision and remote of the variable tree, read once, when the first image is built."""

    def __init__(self, run, directory, revision=None, source=None):
        self.run = run
        self.directory = directory
        self.lock = threading.Lock()
        self.values = None if directory else (revision, source)
        self.given = (revision, source)

    def _git(self, *args):
        rc, out, _err = self.run(["git", "-C", self.directory] + list(args))
        return out.strip() if rc == 0 and out.strip() else None

    def get(self):
        with self.lock:
            if self.values is None:
                revision, source = self.given
                self.values = (revision or self._git("rev-parse", "HEAD"),
                               source or self._git("config", "--get", "remote.origin.url"))
        return self.values


def build_labels(revision=None, source=None, now=None):
    """The provenance labels of one build (the version label comes with its bill of materials)."""
    labels = {CREATED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
    if revision:
        labels[REVISION] = revision
    if source:
        labels[SOURCE] = source
    return labels
