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

from ansible_collections.tcib.images.plugins.module_utils import discovery, graph, overrides, reference
from ansible_collections.tcib.images.plugins.module_utils.render import render
from ansible_collections.tcib.images.plugins.module_utils.variables import (
    SCHEMA, VariableError, template, validate)


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


def gather_sources(patterns, image_dir, source=None):
    """Paths matched by tcib_gather_files (globs relative to the image's directory)."""
    found = []
    for pattern in patterns or []:
        full = pattern if os.path.isabs(pattern) else os.path.join(image_dir, pattern)
        matches = sorted(glob.glob(full))
        if not matches:
            raise VariableError("no file matches %r" % pattern, source, "tcib_gather_files")
        # "scripts/" globs to ".../scripts/", whose basename is "": copy_into would replace
        # the whole context with the directory's contents.
        found.extend(os.path.normpath(match) for match in matches)
    return found


def copy_into(paths, context_dir):
    """Copy files and directories into the build context; returns the copies."""
    copied = []
    for path in paths:
        target = os.path.join(context_dir, os.path.basename(path))
        if os.path.isdir(path):
            if os.path.exists(target):
                shutil.rmtree(target)
            shutil.copytree(path, target, symlinks=True)
        else:
            shutil.copy2(path, target)
        copied.append(target)
    return copied


def gather_files(patterns, image_dir, context_dir, source=None):
    """Copy tcib_gather_files into the context."""
    return copy_into(gather_sources(patterns, image_dir, source), context_dir)


class PlanSettings(object):
    """Naming and context shared by every image of one run."""

    def __init__(self, base_image, registry="localhost", namespace="tcib", prefix="openstack",
                 tag="latest", distro="debian", release="13", extra_vars=None, merge_runs=False,
                 image_overrides=None, extras=None):
        self.merge_runs = merge_runs
        # upstream's --tcib-extras: seen by every image's templates; a known tcib_ variable among them is set.
        self.extras = dict(extras or {})
        self.overrides = image_overrides or {}
        overrides.check_overrides(self.overrides)
        # Every name this run gives an image is checked before anything is planned (ImageRefError).
        reference.check_settings(registry, namespace, prefix, tag)
        try:
            reference.parse(base_image)
        except reference.ImageRefError as exc:
            raise reference.ImageRefError("setting base_image=%s: %s" % (base_image, exc))
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

    def context(self):
        context = dict(self.extras)
        context.update({"tcib_distro": self.distro, "tcib_release": self.release})
        return context

    def with_extra_vars(self, image):
        """The image's variables and their sources, with the run's extra variables and override on top."""
        variables, sources = dict(image.variables), dict(image.sources)
        for key, value in self.extras.items():
            if key in SCHEMA:
                variables[key] = value
                sources[key] = "tcib extras"
        for key, value in self.extra_vars.items():
            variables[key] = value
            sources[key] = "extra config"
        if image.name in self.overrides:
            variables, sources = overrides.apply_override(variables, sources, self.overrides[image.name],
                                                          "image_overrides.%s" % image.name)
        return variables, sources


def resolve_parents(images, settings):
    """Each image's parent: its directory parent, unless its tcib_from names another."""
    parents = {}
    for name, image in images.items():
        variables, sources = settings.with_extra_vars(image)
        parents[name] = image.parent
        if variables.get("tcib_from"):
            # Type first, so a list is "must be a str", not an unknown image named "['x']".
            validate({"tcib_from": variables["tcib_from"]}, sources)
            rendered = template({"tcib_from": variables["tcib_from"]}, sources,
                                dict(settings.context(), **variables))["tcib_from"]
            if not rendered:
                # Renders empty: no tcib_from (as render() treats it), the directory parent stays.
                continue
            try:
                parents[name] = graph.resolve_from(str(rendered), images, settings.ref)
                if parents[name] is None:
                    reference.parse(str(rendered))
            except (graph.GraphError, reference.ImageRefError) as exc:
                raise VariableError(str(exc), sources.get("tcib_from"), "tcib_from")
    graph.check_cycles(parents, lambda name: "%s (%s)" % (name, images[name].directory))
    return parents


def generated_labels(ref, variables):
    """Labels every image gets from its name and tcib_meta: what it is and what to mount."""
    meta = variables.get("tcib_meta") or {}
    labels = {"org.opencontainers.image.title": ref.rsplit("/", 1)[-1].split(":")[0]}
    if meta.get("config"):
        labels["tcib.images.config"] = ",".join(meta["config"])
    if meta.get("data"):
        labels["tcib.images.data"] = ",".join(meta["data"])
    return labels


def check_image_ref(image, settings):
    """The reference the image is tagged with, valid before anything is built (the directory names it)."""
    ref = settings.ref(image.name)
    try:
        reference.parse(ref)
    except reference.ImageRefError as exc:
        raise VariableError("image %r cannot be named %s: %s" % (image.name, ref, exc), image.directory)
    return ref


def plan_image(image, parent, settings):
    """The plain-data plan entry for one image (nothing written)."""
    check_image_ref(image, settings)
    variables, sources = settings.with_extra_vars(image)
    rendered = prepare_variables(variables, sources, settings.context())
    if parent:
        from_image = settings.ref(parent)
    else:
        from_image = rendered.get("tcib_from") or settings.base_image
    rendered["tcib_labels"] = dict(generated_labels(settings.ref(image.name), rendered),
                                   **(rendered.get("tcib_labels") or {}))
    try:
        containerfile = render(dict(rendered, tcib_from=from_image), from_image, settings.merge_runs)
    except VariableError as exc:
        raise VariableError(str(exc), exc.source or image.directory, exc.key)
    return {
        "name": image.name,
        "image": settings.ref(image.name),
        "parent": parent,
        "from": from_image,
        "relpath": image.relpath,
        "directory": image.directory,
        "files": image.files,
        "variables": rendered,
        "containerfile": containerfile,
        "package": (rendered.get("tcib_meta") or {}).get("package"),
        "gather_sources": gather_sources(rendered.get("tcib_gather_files"), image.directory,
                                         sources.get("tcib_gather_files")),
        "sources": sources,
    }


def render_image(file_variables, file_sources, variables=None, extras=None, distro="debian", release="13",
                 from_image=None, image=None, merge=False):
    """One image outside a plan (the containerfile role), its variables layered as a plan layers them.

    The image's files first, then the known tcib_ variables among ``extras`` (as upstream's
    --tcib-extras: the others only templates see), then ``variables``. With ``image`` (the image's
    name or reference) the labels a plan gives every image are added, so the Containerfile is the
    one the plan renders. Returns the templated variables and the Containerfile text.
    """
    merged, sources = dict(file_variables), dict(file_sources)
    extras = dict(extras or {})
    for key, value in extras.items():
        if key in SCHEMA:
            merged[key] = value
            sources[key] = "tcib extras"
    for key, value in (variables or {}).items():
        merged[key] = value
        sources[key] = "variables"
    context = dict(extras)
    context.update({"tcib_distro": distro, "tcib_release": release})
    rendered = prepare_variables(merged, sources, context)
    if not (rendered.get("tcib_from") or from_image):
        raise VariableError("set tcib_from or from_image", key="tcib_from")
    if image:
        rendered["tcib_labels"] = dict(generated_labels(image, rendered), **(rendered.get("tcib_labels") or {}))
    return rendered, render(rendered, from_image, merge)


def make_plan(root, settings, services=None, include=None, exclude=None, config_names=None):
    """Selected images in build order (parents first), each rendered."""
    images = discovery.discover(root)
    for name in settings.overrides:
        if name not in images:
            raise graph.unknown(name, images, "image in image_overrides")
    parents = resolve_parents(images, settings)
    include = list(include or []) + list(config_names or [])
    names = graph.select(parents, services, include, exclude)
    return [plan_image(images[name], parents[name], settings) for name in names]


def plan_document(entries):
    """The plan as plain data for plan.json: what would be built, from what, in which order."""
    keep = ("name", "image", "parent", "from", "relpath", "files", "containerfile", "gather_sources", "package",
            "context_dir", "containerfile_path", "vars_path", "log_path", "status", "reason")
    return {"images": [dict((key, entry[key]) for key in keep if key in entry) for entry in entries]}


def plan_dot(entries):
    """The plan as a Graphviz digraph, parents pointing at children."""
    lines = ["digraph tcib {", "  rankdir=LR;", "  node [shape=box];"]
    for entry in entries:
        label = entry["name"] + ("\\n" + entry["status"] if entry.get("status") else "")
        lines.append('  "%s" [label="%s"];' % (entry["name"], label))
    for entry in entries:
        if entry.get("parent"):
            lines.append('  "%s" -> "%s";' % (entry["parent"], entry["name"]))
        else:
            lines.append('  "%s" [shape=box, style=bold, tooltip="FROM %s"];' % (entry["name"], entry["from"]))
    lines.append("}")
    return "\n".join(lines) + "\n"


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
        entry["gathered"] = copy_into(entry["gather_sources"], entry["context_dir"])
        if wrote:
            changed.append(entry["name"])
    return changed
