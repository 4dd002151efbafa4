# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a variable tree to a build plan: plain data, plus the rendered build contexts.

tree -> selected images (parents first) -> templated, validated variables ->
Containerfile and gathered files under ``work_dir`` mirroring the tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil

import traceback

try:
    import yaml
except ImportError:
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

from ansible_collections.tcib.images.plugins.module_utils import discovery
from ansible_collections.tcib.images.plugins.module_utils.render import render
from ansible_collections.tcib.images.plugins.module_utils.variables import (
    VariableError, template, validate)


def prepare_variables(variables, sources, context=None):
    """Validate, template and validate again: errors name the file and key."""
    validate(variables, sources)
    rendered = template(variables, sources, context)
    validate(rendered, sources)
    return rendered


def write_if_changed(path, text):
    """Write text unless the file already holds it; True when written."""
    try:
        with open(path) as handle:
            if handle.read() == text:
                return False
    except (IOError, OSError):
        pass
    with open(path, "w") as handle:
        handle.write(text)
    return True


def gather_files(patterns, image_dir, context_dir, source=None):
    """Copy tcib_gather_files (globs relative to the image's directory) into the context."""
    copied = []
    for pattern in patterns or []:
        full = pattern if os.path.isabs(pattern) else os.path.join(image_dir, pattern)
        matches = sorted(glob.glob(full))
        if not matches:
            raise VariableError("no file matches %r" % pattern, source, "tcib_gather_files")
        for path in matches:
            target = os.path.join(context_dir, os.path.basename(path))
            if os.path.isdir(path):
                if os.path.exists(target):
                    shutil.rmtree(target)
                shutil.copytree(path, target, symlinks=True)
            else:
                shutil.copy2(path, target)
            copied.append(target)
    return copied


class PlanSettings(object):
    """Naming and context shared by every image of one run."""

    def __init__(self, base_image, registry="localhost", namespace="tcib", prefix="openstack",
                 tag="latest", distro="debian", release="13", extra_vars=None):
        self.base_image = base_image
        self.registry = registry
        self.namespace = namespace
        self.prefix = prefix
        self.tag = tag
        self.distro = distro
        self.release = release
        self.extra_vars = extra_vars or {}

    def ref(self, name):
        return discovery.image_ref(name, self.registry, self.namespace, self.prefix, self.tag)


def plan_image(image, settings):
    """The plain-data plan entry for one image (nothing written)."""
    variables = dict(image.variables)
    sources = dict(image.sources)
    for key, value in settings.extra_vars.items():
        variables[key] = value
        sources[key] = "extra config"
    context = {"tcib_distro": settings.distro, "tcib_release": settings.release}
    rendered = prepare_variables(variables, sources, context)
    parent_ref = settings.ref(image.parent) if image.parent else settings.base_image
    from_image = rendered.get("tcib_from") or parent_ref
    try:
        containerfile = render(rendered, from_image)
    except VariableError as exc:
        raise VariableError(str(exc), exc.source or image.directory, exc.key)
    return {
        "name": image.name,
        "image": settings.ref(image.name),
        "parent": image.parent,
        "from": from_image,
        "relpath": image.relpath,
        "directory": image.directory,
        "files": image.files,
        "variables": rendered,
        "containerfile": containerfile,
        "sources": sources,
    }


def make_plan(root, settings, services=None, include=None, exclude=None):
    """Selected images in build order (parents first), each rendered."""
    images = discovery.discover(root)
    names = discovery.select(images, services, include, exclude)
    return [plan_image(images[name], settings) for name in names]


def assign_paths(entries, work_dir):
    """Where each image's context, Containerfile, merged variables and log go (nothing written)."""
    for entry in entries:
        context_dir = os.path.join(work_dir, entry["relpath"])
        entry["context_dir"] = context_dir
        entry["containerfile_path"] = os.path.join(context_dir, "Containerfile")
        entry["vars_path"] = os.path.join(context_dir, "%s-vars.yaml" % entry["name"])
        entry["log_path"] = os.path.join(context_dir, "%s-build.log" % entry["name"])


def write_contexts(entries, work_dir):
    """Write each image's Containerfile, merged variables and gathered files.

    Returns the names whose Containerfile or variables changed on disk.
    """
    changed = []
    assign_paths(entries, work_dir)
    for entry in entries:
        if not os.path.isdir(entry["context_dir"]):
            os.makedirs(entry["context_dir"])
        wrote = write_if_changed(entry["containerfile_path"], entry["containerfile"])
        dumped = yaml.safe_dump(entry["variables"], default_flow_style=False, sort_keys=True)
        wrote = write_if_changed(entry["vars_path"], dumped) or wrote
        entry["gathered"] = gather_files(
            entry["variables"].get("tcib_gather_files"), entry["directory"], entry["context_dir"],
            entry["sources"].get("tcib_gather_files"))
        if wrote:
            changed.append(entry["name"])
    return changed
