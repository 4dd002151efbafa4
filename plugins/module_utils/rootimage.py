# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Debian root image every tree is built on, kept current.

One pass per run: the configured sources' indices are read (through the package proxy,
each signature checked: a bad source fails here, before any build), and kept as the run's
package index for the build graph. A root image named ``localhost/...`` is ours: it is
built with mmdebstrap when it is absent, when its sources or packages change, or when
Debian has updates for a package it holds; each build gets its bill of materials. Any
other base image is pulled when absent and only checked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import dataclasses
import hashlib
import json
import os
import tempfile

from ansible_collections.tcib.images.plugins.module_utils import aptindex, aptsources, leftovers, reference, report, status
from ansible_collections.tcib.images.plugins.module_utils import digest as digests
from ansible_collections.tcib.images.plugins.module_utils.aptproxy import AptProxy
from ansible_collections.tcib.images.plugins.module_utils.lifeline import Lifeline
from ansible_collections.tcib.images.plugins.module_utils.requirements import require_libraries
from ansible_collections.tcib.images.plugins.module_utils.task import TaskError
from ansible_collections.tcib.images.plugins.module_utils.buildah import (
    BillOfMaterials, BuildError, Buildah, image_labels, temporary_name)

# Bump when the mmdebstrap command below changes what goes into the image.
RECIPE = 2
INDEX_NAME = "package-index.json"
# Where mmdebstrap writes the root before it is imported (in the work_dir).
ROOT_DIR_PREFIX = "tcib-root-"
# Kept by dpkg and apt settings that stay in the image, so child images stay small too.
DPKG_OPTIONS = ("path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
                "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/locale/*",
                "path-include=/usr/share/locale/locale.alias", "path-exclude=/usr/share/info/*",
                "path-exclude=/usr/share/lintian/*")
APT_OPTIONS = ('Acquire::Languages "none"', 'APT::Install-Recommends "false"', 'APT::Install-Suggests "false"',
               'Dir::Cache::pkgcache ""', 'Dir::Cache::srcpkgcache ""')


@dataclasses.dataclass
class RootSettings:
    """What the root image is made of and where its run writes."""
    ref: str
    suite: str
    sources: list
    packages: list
    work_dir: str
    package_cache: str
    distro: str = "debian"
    release: str = "13"

    def __post_init__(self):
        self.packages = list(self.packages)

    @property
    def managed(self):
        """A localhost/ root is built and kept current here; another is only pulled and checked."""
        return self.ref.startswith("localhost/")

    def inputs_digest(self):
        document = {"recipe": RECIPE, "suite": self.suite, "sources": aptsources.fingerprint(self.sources),
                    "packages": sorted(self.packages)}
        text = json.dumps(document, sort_keys=True)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def sbom_path(self):
        # debian-trixie.sbom.json for localhost/tcib/debian:trixie
        tag = reference.name_and_tag(self.ref)[1]
        name = reference.short_name(self.ref) + ("-%s" % tag if tag else "")
        return os.path.join(self.work_dir, "%s.sbom.json" % name)


def mmdebstrap_command(settings, sources_file, tarball, proxy_port=None):
    argv = ["mmdebstrap", "--quiet", "--variant=minbase", "--include=" + ",".join(settings.packages)]
    argv += ["--dpkgopt=" + option for option in DPKG_OPTIONS]
    argv += ["--aptopt=" + option for option in APT_OPTIONS]
    argv.append('--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log '
                '"$1"/var/log/apt/*')
    argv += [settings.suite, tarball, sources_file]
    if proxy_port:
        # From the environment, not --aptopt: that would stay in the image's apt.conf.d.
        argv = ["env", "http_proxy=http://127.0.0.1:%d/" % proxy_port, "https_proxy="] + argv
    return argv


class RootImage(object):
    """``refresh()`` brings the root image up to date; the run's package index is written on the way."""

    def __init__(self, settings, builder, run, check_updates=True, check_mode=False, force=False):
        self.settings = settings
        self.builder = builder
        self.run = run
        self.check_updates = check_updates
        self.check_mode = check_mode
        self.force = force

    def read_index(self, proxy):
        reader = aptindex.IndexReader(self.run, self.settings.sources, aptindex.Fetcher(proxy),
                                      os.path.join(self.settings.package_cache, "indices"))
        return reader.read()

    def decide(self, info, candidates):
        """(needed, reason, pending updates) for an existing or missing root image."""
        settings = self.settings
        pending, installed = [], None
        if info is not None and candidates is not None:
            installed = self.builder.installed_packages(info, settings.sbom_path)
            pending = aptindex.pending_updates(installed or {}, candidates)
        if info is not None and not settings.managed:
            return False, "not ours to rebuild (%s)" % settings.ref, pending
        reason = digests.rebuild_reason(
            image_labels(info).get(digests.LABEL), settings.inputs_digest(), built=info is not None, force=self.force,
            has_bill=candidates is None or installed is not None, pending=pending, changed="sources or packages changed")
        return reason is not None, reason or "up to date with its sources", pending

    def refresh(self):
        settings = self.settings
        if not os.path.isdir(settings.work_dir):
            os.makedirs(settings.work_dir)
        proxy = AptProxy(os.path.join(settings.package_cache, leftovers.MIRROR_DIR), aptsources.proxy_hosts(settings.sources))
        # Its cache serves the index read; it listens only for mmdebstrap, when there is a build.
        proxy.open()
        try:
            index = self.read_index(proxy) if self.check_updates else None
            candidates = index["candidates"] if index else None
            info = self.builder.inspect(settings.ref)
            if info is None and not settings.managed:
                if self.check_mode or self.builder.pull(settings.ref):
                    info = self.builder.inspect(settings.ref)
                if info is None and not self.check_mode:
                    raise BuildError("base image %s is not present and cannot be pulled. Name a local image, one "
                                     "a reachable registry serves, or leave base_image unset to build Debian %s "
                                     "from the mirror" % (settings.ref, settings.suite), {})
            needed, reason, pending = self.decide(info, candidates)
            result = {"image": settings.ref, "reason": reason, "pending_updates": pending, "package_index": None,
                      "proxy_hosts": aptsources.proxy_hosts(settings.sources),
                      "releases": index["releases"] if index else []}
            if index:
                # With the root's own pending updates: what tcib-build --check-updates lists first.
                index["root"] = {"image": settings.ref, "pending_updates": pending}
                result["package_index"] = os.path.join(settings.work_dir, INDEX_NAME)
                report.write_json(result["package_index"], index, compact=True)
            if not needed:
                result.update(status=status.UP_TO_DATE, image_id=(info or {}).get("Id"), changed=False)
                return result
            if self.check_mode:
                result.update(status=status.WOULD_BUILD, changed=True)
                return result
            image_id = self._build(proxy.start())
            if info and info["Id"] != image_id:
                self.builder.forget_if_untagged(info["Id"])
            result.update(status=status.BUILT, image_id=image_id, changed=True, bill_of_materials=settings.sbom_path)
            return result
        finally:
            proxy.stop()

    def _build(self, proxy_port):
        settings = self.settings
        # What killed runs left here (an unpacked root can be large), then a directory of this run's.
        leftovers.remove_paths(leftovers.matching_paths(settings.work_dir, ROOT_DIR_PREFIX))
        directory = tempfile.mkdtemp(prefix="%s%s-" % (ROOT_DIR_PREFIX, leftovers.owner_token()), dir=settings.work_dir)
        result = {"image": settings.ref}
        try:
            sources_file = os.path.join(directory, "tcib.sources")
            with open(sources_file, "w") as handle:
                handle.write(aptsources.sources_text(settings.sources))
            tarball = os.path.join(directory, "rootfs.tar")
            rc, out, err = self.run(mmdebstrap_command(settings, sources_file, tarball, proxy_port))
            if rc != 0:
                raise BuildError("mmdebstrap of Debian %s failed (exit code %s): %s" % (
                    settings.suite, rc, (err or out).strip()[-2000:]), result)
            labels = {"org.opencontainers.image.title": settings.distro,
                      "org.opencontainers.image.version": settings.suite,
                      "org.opencontainers.image.source": settings.sources[0].uri,
                      digests.LABEL: settings.inputs_digest()}
            argv = [self.builder.podman, "import", "--change", 'CMD ["/bin/bash"]', "--change", "ENV LANG=C.UTF-8"]
            for key, value in sorted(labels.items()):
                # One LABEL per change: podman import takes a change's whole text after the first = as the value.
                argv += ["--change", "LABEL %s=%s" % (key, value)]
            # Under a temporary name of this run's until it is complete (see leftovers.py).
            temp_ref = temporary_name(settings.ref)
            rc, out, err = self.run(argv + [tarball, temp_ref])
            if rc != 0:
                raise BuildError("podman import of the Debian %s root failed: %s" % (settings.suite, err.strip()),
                                 result)
            imported = out.strip().splitlines()[-1].split(":")[-1]
            try:
                bill = BillOfMaterials(settings.sbom_path, None, settings.distro, settings.release)
                image_id = self.builder.add_bill_of_materials(imported, settings.ref, bill, result, temp_ref)
                rc, out, err = self.run([self.builder.buildah, "tag", image_id, settings.ref])
                if rc != 0:
                    raise BuildError("tagging %s failed: %s" % (settings.ref, err.strip()), result)
            finally:
                self.run([self.builder.buildah, "rmi", temp_ref])
                self.run([self.builder.buildah, "rmi", imported])
            return image_id
        finally:
            leftovers.remove_paths([directory])


ARGUMENT_SPEC = dict(
    image=dict(type="str", required=True),
    suite=dict(type="str", default="trixie"),
    mirror=dict(type="str", default="http://deb.debian.org/debian"),
    security_mirror=dict(type="str", default="http://deb.debian.org/debian-security"),
    repositories=dict(type="list", elements="dict", default=[]),
    packages=dict(type="list", elements="str", default=["ca-certificates"]),
    work_dir=dict(type="path", required=True),
    package_cache=dict(type="path", default="/var/cache/tcib/apt-archives"),
    check_updates=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
    distro=dict(type="str", default="debian"),
    release=dict(type="str", default="13"),
)


def execute(params, host):
    """tcib_base_image's whole task (module_utils/task.py): the result, or TaskError."""
    require_libraries(bills_of_materials=True)
    try:
        sources = (aptsources.debian_sources(params["suite"], params["mirror"], params["security_mirror"])
                   + aptsources.parse_repositories(params["repositories"]))
        settings = RootSettings(params["image"], params["suite"], sources, params["packages"], params["work_dir"],
                                params["package_cache"], params["distro"], params["release"])
        buildah, podman = host.binary("buildah"), host.binary("podman")

        def cleanup(_reason):
            # A stopped run (Ctrl-C, or ansible-playbook killed) removes what it made before it ends.
            leftovers.clean_own(host.run, buildah, podman, params["package_cache"], params["work_dir"])

        # Marked while at work: if killed outright, the next build run searches for what it left.
        with Lifeline(cleanup) as line, leftovers.marked_run():
            builder = Buildah(line.guard(host.run), buildah, podman)
            return RootImage(settings, builder, line.guard(host.run), params["check_updates"], host.check_mode,
                             params["force"]).refresh()
    except (aptsources.SourceError, BuildError) as exc:
        raise TaskError(str(exc))
