# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Labels that record where an image came from, set when it is built.

The version of an image's main package is read from the distribution's own index,
through the base image's apt (its sources and keyring), once per run and only when
something is built. These labels describe a build, not its inputs: they are left
out of the inputs digest, so a new commit of this repository alone rebuilds nothing.
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


def parse_versions(apt_cache_show):
    """{package: version} from the text of ``apt-cache show``."""
    versions, package = {}, None
    for line in apt_cache_show.splitlines():
        if line.startswith("Package: "):
            package = line.split(":", 1)[1].strip()
        elif line.startswith("Version: ") and package and package not in versions:
            versions[package] = line.split(":", 1)[1].strip()
    return versions


class PackageVersions(object):
    """Versions of packages as the base image's apt sees them, looked up once, on first use."""

    def __init__(self, run, podman, image, packages, lists_dir=None, volumes=()):
        self.volumes = list(volumes)
        self.run = run
        self.podman = podman
        self.image = image
        self.packages = sorted(set(p for p in packages if p))
        self.lists_dir = lists_dir
        self.lock = threading.Lock()
        self.versions = None
        self.error = None

    def _lookup(self):
        argv = [self.podman, "run", "--rm", "--network", "host", "--entrypoint", "/bin/sh"]
        if self.lists_dir:
            argv += ["--volume", "%s:/var/lib/apt/lists" % self.lists_dir]
        for volume in self.volumes:
            argv += ["--volume", volume]
        # Lists fetched in the last half hour are fresh enough for a label: skip the update then.
        script = ("[ -n \"$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -30 2>/dev/null)\" ]"
                  " || apt-get update -qq >/dev/null; apt-cache show --no-all-versions \"$@\"")
        rc, out, err = self.run(argv + [self.image, "-c", script, "sh"] + self.packages)
        if rc != 0 and not out:
            self.error = (err or out).strip()[-500:]
            return {}
        return parse_versions(out)

    def version(self, package):
        if not package or not self.packages:
            return None
        with self.lock:
            if self.versions is None:
                self.versions = self._lookup()
        return self.versions.get(package)


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


def build_labels(versions, package, revision=None, source=None, now=None):
    """The provenance labels of one build."""
    labels = {CREATED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
    version = versions.version(package) if versions is not None else None
    if version:
        labels[VERSION] = version
    if revision:
        labels[REVISION] = revision
    if source:
        labels[SOURCE] = source
    return labels
