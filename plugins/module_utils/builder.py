# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring one planned image up to date: skip it when its inputs digest matches, else build it.

Builds that fail for reasons that look transient (network, mirror, storage locks) are
retried with exponential backoff; deterministic errors (an unknown package) are not.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import dataclasses
import threading
import time
from typing import Any, Callable, Optional

from ansible_collections.tcib.images.plugins.module_utils import defaults
from ansible_collections.tcib.images.plugins.module_utils import digest as digests
from ansible_collections.tcib.images.plugins.module_utils import pkgcache, provenance, status
from ansible_collections.tcib.images.plugins.module_utils.aptindex import pending_updates
from ansible_collections.tcib.images.plugins.module_utils.backoff import backoff_delay
from ansible_collections.tcib.images.plugins.module_utils.buildah import (
    BillOfMaterials, BuildError, BuildRequest, image_labels)

# The package mirror (or the way to it) failed: apt then also reports packages it cannot locate, since it
# has no index to find them in, so these win over the deterministic markers below.
MIRROR_MARKERS = (
    "Temporary failure resolving", "Could not resolve", "Could not connect to", "Connection timed out",
    "Connection refused", "Connection reset", "Connection failed", "Unable to connect to",
    "500  Internal Server Error", "502  Bad Gateway", "503  Service Unavailable", "504  Gateway Time",
    "Hash Sum mismatch", "Some index files failed to download",
)
TRANSIENT_MARKERS = (
    "Failed to fetch", "Unable to fetch some archives", "error committing container", "database is locked",
    "resource temporarily unavailable", "Could not get lock", "layer not known", "TLS handshake timeout",
    "i/o timeout",
    # The temporary name of the parent went before buildah read it (it is made again for each attempt).
    "image not known",
)
DETERMINISTIC_MARKERS = (
    "Unable to locate package", "has no installation candidate", "404  Not Found",
    "Unable to correct problems, you have held broken packages", "command not found",
    "returned a non-zero code: 127",
)
MIRROR = "mirror"
TRANSIENT = "transient"
PERMANENT = "permanent"


def classify_failure(log_text):
    """MIRROR (the package mirror could not be read), TRANSIENT or PERMANENT, for a failed build's log."""
    if any(marker in log_text for marker in MIRROR_MARKERS):
        return MIRROR
    if any(marker in log_text for marker in DETERMINISTIC_MARKERS):
        return PERMANENT
    if any(marker in log_text for marker in TRANSIENT_MARKERS):
        return TRANSIENT
    return PERMANENT


def is_transient(log_text):
    """True when a failed build looks worth retrying."""
    return classify_failure(log_text) != PERMANENT


def mirror_failure(log_text):
    """The first line of a log that shows how the mirror failed (for the summary)."""
    for line in log_text.splitlines():
        if any(marker in line for marker in MIRROR_MARKERS):
            return " ".join(line.split())
    return ""


@dataclasses.dataclass
class BuildOptions:
    """How every image of a run is built (the run's settings, after the module's checks)."""
    force: bool = False
    check: bool = False
    timeout: int = 0
    retries: int = 2
    retry_delay: float = 5.0
    package_cache: Optional[str] = None
    volumes: Optional[list] = None
    build_args: Optional[dict] = None
    labels: Optional[dict] = None
    isolation: Optional[str] = None
    network: str = "host"
    image_format: str = "docker"
    sleep: Callable = time.sleep
    # Where the tree comes from (provenance.TreeOrigin), read when the first image is built.
    origin: Any = None
    # {package: version apt would install today}, or None when updates are not checked.
    candidates: Optional[dict] = None
    # Named in each package URL of the bills of materials.
    distro: str = defaults.DISTRO
    release: str = defaults.RELEASE
    # Mounts that serve a build but do not decide its content (the package proxy's apt setting).
    run_volumes: list = dataclasses.field(default_factory=list, init=False)

    def __post_init__(self):
        # Copies: the caller's lists and dicts stay its own.
        self.volumes = list(self.volumes or [])
        self.build_args = dict(self.build_args or {})
        self.labels = dict(self.labels or {})


class ImageBuilder(object):
    """Callable per image name, for the scheduler. Remembers the image ids it produced."""

    def __init__(self, builder, entries, options, on_build=None):
        self.builder = builder
        # Told (name, reason) when a real build starts: up-to-date images are not news.
        self.on_build = on_build or (lambda name, reason: None)
        self.entries = dict((entry.name, entry) for entry in entries)
        self.options = options
        self.ids = {}
        # The parent image id each build's inputs digest names, and the build is made FROM.
        self.from_ids = {}
        self.would_build = set()
        # Images that rebuilds left without a name, removed once their children are replaced too.
        self.replaced = []
        self.lock = threading.Lock()

    def _from_id(self, entry):
        parent = entry.parent
        if parent in self.entries:
            return self.ids.get(parent)
        info = self.builder.inspect(entry.from_image)
        if info is None and self.options.check:
            return None  # a real run pulls it (or fails); the check reports it as to be built
        if info is None and not entry.from_image.startswith("localhost/"):
            self.builder.pull(entry.from_image)
            info = self.builder.inspect(entry.from_image)
        if info is None:
            raise LookupError("image %s to build %s from is not present and cannot be pulled"
                              % (entry.from_image, entry.name))
        return info["Id"]

    def inputs_digest(self, entry, from_id):
        return digests.inputs_digest(entry.containerfile, entry.gather_sources or [],
                                     self.options.build_args, self.options.labels, self.options.volumes,
                                     from_id)

    def pending(self, entry, existing):
        """Packages of an existing image with newer candidates ([] when unchecked); None without a bill."""
        if self.options.candidates is None or existing is None:
            return []
        installed = self.builder.installed_packages(existing, entry.sbom_path)
        if installed is None:
            return None
        return pending_updates(installed, self.options.candidates)

    def decide(self, entry):
        """(needed, reason, digest, existing image info, pending updates) for one image; the id of the
        image it is built FROM is kept in ``self.from_ids``."""
        parent = entry.parent
        existing = self.builder.inspect(entry.image)
        pending = self.pending(entry, existing)
        if parent in self.would_build:
            return True, "parent %s would be rebuilt" % parent, None, existing, pending
        from_id = self._from_id(entry)
        if from_id is None:
            return True, "FROM image %s is not present" % entry.from_image, None, existing, pending
        with self.lock:
            self.from_ids[entry.name] = from_id
        wanted = self.inputs_digest(entry, from_id)
        reason = digests.rebuild_reason(image_labels(existing).get(digests.LABEL), wanted, built=existing is not None,
                                        force=self.options.force, has_bill=pending is not None, pending=pending)
        return reason is not None, reason or "inputs unchanged", wanted, existing, pending

    def __call__(self, name):
        entry = self.entries[name]
        started = time.time()
        result = {"name": name, "image": entry.image, "log_path": entry.log_path}
        try:
            needed, reason, wanted, existing, pending = self.decide(entry)
        except LookupError as exc:
            result.update(status=status.FAILED, reason=str(exc), duration=round(time.time() - started, 1))
            return result
        result.update(reason=reason, digest=wanted)
        if pending:
            result["pending_updates"] = pending
        if not needed:
            self.ids[name] = existing["Id"]
            result.update(status=status.UP_TO_DATE, image_id=existing["Id"], size=existing.get("Size"),
                          duration=round(time.time() - started, 1))
            return result
        if self.options.check:
            with self.lock:
                self.would_build.add(name)
            result.update(status=status.WOULD_BUILD, duration=0.0)
            return result
        self.on_build(name, reason)
        try:
            built = self._build_with_retries(entry, wanted, result)
        except BuildError as exc:
            failure = str(exc).splitlines()[0]
            if exc.result.get("mirror_unreachable"):
                failure = "mirror unreachable after %d attempts (%s); %s" % (
                    exc.result["attempts"], exc.result["mirror_unreachable"], failure)
            result.update(status=status.FAILED, reason=failure,
                          log_tail=exc.result.get("log_tail", ""), command=exc.result.get("command"),
                          duration=round(time.time() - started, 1))
            return result
        self.ids[name] = built["image_id"]
        if existing and existing["Id"] != built["image_id"]:
            with self.lock:
                self.replaced.append(existing["Id"])
        result.update(status=status.BUILT, image_id=built["image_id"], size=built.get("size"),
                      duration=round(time.time() - started, 1), build_seconds=built["duration"],
                      command=built["command"])
        return result

    def forget_replaced(self):
        """Remove replaced images, children first (a parent is kept while an old child uses it)."""
        for image_id in reversed(self.replaced):
            self.builder.forget_if_untagged(image_id)
        self.replaced = []

    def _build_with_retries(self, entry, wanted, result):
        labels = dict(self.options.labels)
        revision, source = self.options.origin.get() if self.options.origin else (None, None)
        labels.update(provenance.build_labels(revision, source))
        bill = BillOfMaterials(entry.sbom_path, entry.package, self.options.distro, self.options.release)
        labels[digests.LABEL] = wanted
        attempt = 0
        while True:
            attempt += 1
            result["attempts"] = attempt
            cache_dir = pkgcache.checkout(self.options.package_cache) if self.options.package_cache else None
            volumes = list(self.options.volumes) + list(self.options.run_volumes)
            if cache_dir:
                volumes.append("%s:/var/cache/apt/archives" % cache_dir)
            request = BuildRequest(entry.image, context_dir=entry.context_dir,
                                   containerfile=entry.containerfile_path, log_path=entry.log_path,
                                   build_args=self.options.build_args, labels=labels, volumes=volumes,
                                   isolation=self.options.isolation, network=self.options.network,
                                   image_format=self.options.image_format, timeout=self.options.timeout, bill=bill,
                                   from_image=self.from_ids.get(entry.name), from_name=entry.from_image)
            try:
                return self.builder.build(request)
            except BuildError as exc:
                tail = exc.result.get("log_tail", "")
                timed_out = exc.result.get("timed_out")
                kind = classify_failure(tail)
                if attempt > self.options.retries or timed_out or kind == PERMANENT:
                    exc.result["attempts"] = attempt
                    if kind == MIRROR and not timed_out:
                        # An outage must not read as a missing package.
                        exc.result["mirror_unreachable"] = mirror_failure(tail)
                    raise
                # From retry_delay to twice it after the first attempt, doubling after each.
                delay = backoff_delay(attempt, 2 * self.options.retry_delay)
                self.options.sleep(delay)
            finally:
                if cache_dir:
                    pkgcache.checkin(cache_dir, self.options.package_cache)
