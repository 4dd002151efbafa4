# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build one image with buildah, atomically: build under a temporary name, tag on success.

The command runner is injected (``run(argv) -> (rc, stdout, stderr)``) so that the
Ansible module can pass ``module.run_command`` and tests can drive a real binary.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading
import time
import uuid

from ansible_collections.tcib.images.plugins.module_utils import defaults, leftovers, reference
from ansible_collections.tcib.images.plugins.module_utils import sbom as boms
from ansible_collections.tcib.images.plugins.module_utils.files import write_atomically
from ansible_collections.tcib.images.plugins.module_utils.leftovers import TEMP_REPOSITORY

LOG_TAIL_LINES = 40
VERSION_LABEL = "org.opencontainers.image.version"


def image_labels(info):
    """The labels of ``podman image inspect`` output (either layout), {} for no image."""
    info = info or {}
    return (info.get("Config") or {}).get("Labels") or info.get("Labels") or {}


# How many images a prefetch must name before listing the store and reading a cache beats inspecting them.
LISTING_PAYS_FROM = 40


def _read_inspect_cache(path):
    """{image id: inspect output} kept by an earlier run, {} when there is none or it cannot be read."""
    try:
        with open(path) as handle:
            cached = json.load(handle)
    except (IOError, OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def _write_inspect_cache(path, infos, previous):
    """Keep the inspect output of these images, by id (only these: images gone meanwhile drop out); not
    written again when it would hold the ids ``previous`` (what was read) holds: a no-op run writes nothing."""
    cached = dict((info["Id"], info) for info in infos if info.get("Id"))
    if set(cached) == set(previous):
        return
    try:
        write_atomically(path, json.dumps(cached, sort_keys=True))
    except (IOError, OSError):
        pass  # only a cache: the next run inspects again


# How RUN steps run, as the modules that build take it (documented once, in doc_fragments/buildah.py).
RUN_OPTIONS_SPEC = dict(
    isolation=dict(type="str", choices=["oci", "chroot", "rootless"]),
    network=dict(type="str", default="host"),
    image_format=dict(type="str", default="docker", choices=["docker", "oci"]),
)


class BuildError(Exception):
    """A build failed; carries the structured result for the caller to report."""

    def __init__(self, message, result):
        super(BuildError, self).__init__(message)
        self.result = result


class BuildRequest(object):
    """Everything one build needs. Lists of ``key=value`` pairs stay in the order given."""

    def __init__(self, image, *, context_dir, containerfile=None, log_path=None, build_args=None,
                 labels=None, volumes=None, isolation=None, network="host", image_format="docker",
                 timeout=None, extra_args=None, bill=None, from_image=None, from_name=None):
        # A BillOfMaterials to write into the image after its build (None: none).
        self.bill = bill
        # The id of the exact image to build FROM (None: the Containerfile's FROM, as it resolves).
        self.from_image = from_image
        # The reference it was found by (it names the temporary name, and so the working container).
        self.from_name = from_name or from_image
        self.image = image
        self.context_dir = context_dir
        self.containerfile = containerfile or os.path.join(context_dir, "Containerfile")
        self.log_path = log_path or os.path.join(context_dir, "build.log")
        self.build_args = build_args or {}
        self.labels = labels or {}
        self.volumes = volumes or []
        self.isolation = isolation
        self.network = network
        self.image_format = image_format
        self.timeout = timeout
        self.extra_args = extra_args or []


class BillOfMaterials(object):
    """Where an image's bill of materials goes outside the image, and what it names."""

    def __init__(self, keep_path=None, package=None, distro=defaults.DISTRO, release=defaults.RELEASE):
        self.keep_path = keep_path
        # The image's main package: its installed version becomes org.opencontainers.image.version.
        self.package = package
        self.distro = distro
        self.release = release


def _pairs(flag, mapping):
    args = []
    for key in sorted(mapping):
        args += [flag, "%s=%s" % (key, mapping[key])]
    return args


def build_command(buildah, request, temp_ref, iidfile, from_ref=None):
    """The argv of ``buildah bud`` for a request (nothing is run)."""
    argv = [buildah, "bud", "--format", request.image_format,
            "--file", request.containerfile, "--tag", temp_ref, "--iidfile", iidfile,
            "--logfile", request.log_path]
    if from_ref:
        # The parent is local, by a temporary name: never looked for in a registry.
        argv += ["--from", from_ref, "--pull-never"]
    if request.network:
        argv += ["--network", request.network]
    if request.isolation:
        argv += ["--isolation", request.isolation]
    argv += _pairs("--build-arg", request.build_args)
    argv += _pairs("--label", request.labels)
    for volume in request.volumes:
        argv += ["--volume", volume]
    argv += list(request.extra_args)
    argv.append(request.context_dir)
    if request.timeout:
        # coreutils timeout: TERM first so buildah can clean up, KILL if it does not.
        argv = ["timeout", "--kill-after=30", str(int(request.timeout))] + argv
    return argv


def temporary_name(image, prefix=""):
    """A name under TEMP_REPOSITORY for ``image`` that this process owns."""
    base = reference.short_name(image)
    return "%s/%s%s:%s-%s" % (TEMP_REPOSITORY, prefix + "-" if prefix else "", base[:40],
                              leftovers.owner_token(), uuid.uuid4().hex[:8])


def log_tail(path, lines=LOG_TAIL_LINES):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except (IOError, OSError):
        return ""


class Buildah(object):
    """Runs buildah/podman through an injected runner."""

    def __init__(self, run, buildah="buildah", podman="podman"):
        self.run = run
        self.buildah = buildah
        self.podman = podman
        # {reference: inspect output or None}, read by prefetch() and each answered once.
        self.prefetched = {}
        # {parent image id: its temporary name}, see pin().
        self.pins = {}
        self.lock = threading.Lock()

    def prefetch(self, refs, cache_path=None, update_cache=True):
        """Inspect many images with one podman call (each call costs podman's start): the next inspect()
        of each of these references is answered from it.

        With ``cache_path`` and many images, only the images the cache there does not know are inspected:
        podman's inspect costs about 8 ms an image (it works out each one's parent), listing the store with
        buildah costs the same for any number. An image id is the digest of the image's configuration
        (labels, layers, history), so what the cache holds for an id is what inspecting it would say, but
        its names, which come from the listing. A check reads the cache without writing it."""
        refs = sorted(set(refs))
        if not refs:
            return
        listed = self._listed_ids() if cache_path and len(refs) >= LISTING_PAYS_FROM else None
        if listed is None:
            named = self._inspect_many(refs)
        else:
            cached = _read_inspect_cache(cache_path)
            named = dict((ref, cached[listed[ref]]) for ref in refs if listed.get(ref) in cached)
            named.update(self._inspect_many([ref for ref in refs if ref in listed and ref not in named]))
            if update_cache:
                _write_inspect_cache(cache_path, named.values(), cached)
        with self.lock:
            for ref in refs:
                # Missing images are left out: absent, or named otherwise (each is then inspected on its own).
                self.prefetched[ref] = named.get(ref)

    def _inspect_many(self, refs):
        """{reference: inspect output} of those that exist, in one podman call."""
        if not refs:
            return {}
        _rc, out, _err = self.run([self.podman, "image", "inspect"] + refs)
        try:
            infos = json.loads(out) if out.strip() else []
        except ValueError:
            return {}  # each is inspected on its own
        named = {}
        for info in infos:
            for name in info.get("RepoTags") or []:
                named[name] = info
        return named

    def _listed_ids(self):
        """{name: image id} of every named image in the store, or None when buildah cannot list them."""
        rc, out, _err = self.run([self.buildah, "images", "--no-trunc", "--format", "{{.ID}} {{.Name}}:{{.Tag}}"])
        if rc != 0:
            return None
        listed = {}
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 2 and not fields[1].startswith("<none>"):
                listed[fields[1]] = fields[0].split(":")[-1]
        return listed

    def pin(self, image_id, name, image):
        """A temporary name of this run's for ``image_id``, to build ``image`` FROM: the very parent the inputs
        digest names, whoever retags the parent meanwhile. Made once per parent and run, and removed by
        unpin_all(): buildah rewrites an image's whole list of names, so siblings tagging and untagging
        one parent at once would lose each other's names. The working container is named after it
        (tcib-images-<owner>-from-<parent>-working-container)."""
        with self.lock:
            if image_id not in self.pins:
                ref = temporary_name(name, "%s%s-from" % (leftovers.PREFIX, leftovers.owner_token()))
                self._must(["tag", image_id, ref], {"image": image})
                self.pins[image_id] = ref
            return self.pins[image_id]

    def unpin_all(self):
        """Remove the temporary names pin() made (the images stay)."""
        with self.lock:
            pins, self.pins = list(self.pins.values()), {}
        for ref in pins:
            self._forget(ref)

    def inspect(self, ref):
        """``podman image inspect`` as a dict, or None when the image does not exist."""
        with self.lock:
            if self.prefetched.get(ref) is not None:
                return self.prefetched.pop(ref)
            self.prefetched.pop(ref, None)
        rc, out, _err = self.run([self.podman, "image", "inspect", ref])
        if rc != 0:
            return None
        data = json.loads(out)
        return data[0] if data else None

    def build(self, request):
        """Build and tag; returns a result dict, raises BuildError with the same dict on failure."""
        temp_ref = temporary_name(request.image)
        log_dir = os.path.dirname(request.log_path)
        if log_dir and not os.path.isdir(log_dir):
            os.makedirs(log_dir)
        iidfile = request.log_path + ".iid"
        from_ref = self.pin(request.from_image, request.from_name, request.image) if request.from_image else None
        argv = build_command(self.buildah, request, temp_ref, iidfile, from_ref)
        started = time.time()
        rc, out, err = self.run(argv)
        duration = round(time.time() - started, 1)
        result = {"image": request.image, "command": argv, "log_path": request.log_path,
                  "duration": duration, "rc": rc}
        with open(request.log_path, "a") as log:
            log.write("\n# command: %s\n# exit code: %s, %.1f s\n" % (" ".join(argv), rc, duration))
            if err:
                log.write(err)
        if rc != 0:
            self._forget(temp_ref)
            if from_ref and "image not known" in (err or "") + log_tail(request.log_path):
                # Its temporary name went (another run rewrote the parent's names): the next attempt makes one.
                with self.lock:
                    self.pins.pop(request.from_image, None)
            result["timed_out"] = bool(request.timeout) and rc in (124, 137)
            reason = "timed out after %s s" % request.timeout if result["timed_out"] \
                else "failed with exit code %s" % rc
            result["log_tail"] = log_tail(request.log_path)
            message = "build of %s %s; log: %s\n%s" % (request.image, reason, request.log_path,
                                                       result["log_tail"])
            raise BuildError(message, result)
        with open(iidfile) as handle:
            image_id = handle.read().strip().split(":")[-1]
        os.unlink(iidfile)
        if request.bill is not None:
            try:
                image_id = self.add_bill_of_materials(image_id, request.image, request.bill, result, temp_ref)
            except BuildError:
                self._forget(temp_ref)
                raise
        self._must(["tag", image_id, request.image], result)
        self._forget(temp_ref)
        info = self.inspect(image_id) or {}
        result.update({"image_id": image_id, "size": info.get("Size"),
                       "labels": image_labels(info)})
        return result

    def add_bill_of_materials(self, image_id, name, bill, result, temp_ref):
        """Commit a layer holding the image's bill of materials (read from its dpkg database), with
        labels naming it, on top of ``image_id``, as ``temp_ref``; returns the new image's id. Also kept
        at bill.keep_path."""
        container = "%s%s-%s" % (leftovers.PREFIX, leftovers.owner_token(), uuid.uuid4().hex[:12])
        self._must(["from", "--pull-never", "--name", container, image_id], result)
        try:
            mount = self._must(["mount", container], result).strip()
            try:
                with open(os.path.join(mount, "var/lib/dpkg/status"), errors="replace") as handle:
                    packages = boms.parse_status(handle.read())
            except (IOError, OSError):
                packages = []
            serial = uuid.uuid4()
            text = boms.document(name, packages, bill.distro, bill.release, serial)
            target = os.path.join(mount, boms.PATH.lstrip("/"))
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target))
            with open(target, "w") as handle:
                handle.write(text)
            os.chmod(target, 0o644)
            if bill.keep_path:
                write_atomically(bill.keep_path, text)
            labels = {boms.LABEL_FORMAT: boms.FORMAT, boms.LABEL_PATH: boms.PATH, boms.LABEL_SERIAL: "urn:uuid:%s" % serial}
            version = dict((p["name"], p["version"]) for p in packages).get(bill.package)
            if version:
                labels[VERSION_LABEL] = version
            self._must(["config"] + _pairs("--label", labels) + [container], result)
            # Committed under the temporary name: an image without one could pass for a killed run's.
            committed = self._must(["commit", "--quiet", "--format", "docker", container, temp_ref], result)
        finally:
            self.run([self.buildah, "rm", container])
        result["bill_of_materials"] = bill.keep_path
        result["packages"] = len(packages)
        # The image without the bill keeps only the temporary name, and goes with it.
        return committed.strip().splitlines()[-1].split(":")[-1]

    def installed_packages(self, info, keep_path=None):
        """{package: version} from an image's bill of materials (its copy at keep_path when that is the
        image's own, else read from the image and kept there); None when the image has none."""
        serial = image_labels(info).get(boms.LABEL_SERIAL)
        if not serial:
            return None
        try:
            with open(keep_path) as handle:
                text = handle.read()
            kept_serial, packages = boms.read(text)
            if kept_serial == serial:
                return packages
        except (IOError, OSError, TypeError, ValueError):
            pass
        rc, out, _err = self.run([self.podman, "image", "mount", info["Id"]])
        if rc != 0:
            return None
        try:
            with open(os.path.join(out.strip(), boms.PATH.lstrip("/"))) as handle:
                text = handle.read()
        except (IOError, OSError):
            return None
        finally:
            self.run([self.podman, "image", "unmount", info["Id"]])
        if keep_path:
            write_atomically(keep_path, text)
        return boms.installed(text)

    def pull(self, ref):
        rc, out, err = self.run([self.podman, "pull", "--quiet", ref])
        return rc == 0

    def forget_if_untagged(self, image_id):
        """Remove an image a rebuild left without any name (kept if a child or container uses it)."""
        info = self.inspect(image_id)
        if info is not None and not info.get("RepoTags"):
            self.run([self.buildah, "rmi", image_id])

    def _must(self, args, result):
        rc, out, err = self.run([self.buildah] + args)
        if rc != 0:
            raise BuildError("buildah %s failed: %s" % (" ".join(args), (err or out).strip()), result)
        return out

    def _forget(self, temp_ref):
        # Removes only the temporary name (the image stays when the final tag holds it).
        self.run([self.buildah, "rmi", temp_ref])
