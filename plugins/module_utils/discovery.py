# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find the images in a tcib variable tree, merge their files, link directory parents.

Rules (as upstream tcib): a directory holding ``*.yaml``/``*.yml`` is an image
named after the directory; its files are merged in name order (shallow update);
its parent is the nearest ancestor directory that is an image; the root image's
parent is the distribution base image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import traceback

try:
    import yaml
except ImportError:
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

YAML_SUFFIXES = (".yaml", ".yml")


class TreeError(Exception):
    """The tree itself is wrong: duplicate names, unknown selections, bad parents."""


class Image(object):
    """One image of the tree: its name, files, merged variables and parent name."""

    def __init__(self, name, directory, relpath, files, variables, sources, parent):
        self.name = name
        self.directory = directory
        self.relpath = relpath
        self.files = files
        self.variables = variables
        self.sources = sources
        self.parent = parent

    def __repr__(self):
        return "Image(%r, parent=%r)" % (self.name, self.parent)


def yaml_files(directory):
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return []
    return [os.path.join(directory, entry) for entry in entries
            if entry.endswith(YAML_SUFFIXES) and os.path.isfile(os.path.join(directory, entry))]


def load_file(path):
    """One variable file as a dict (empty files are allowed)."""
    try:
        with open(path) as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise VariableError("not valid YAML: %s" % exc, path)
    except (IOError, OSError) as exc:
        raise VariableError("cannot read: %s" % exc, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VariableError("must be a mapping of variables, got %s" % type(data).__name__, path)
    return data


def merge_files(files):
    """Shallow-merge files in order; also return which file set each key last."""
    merged, sources = {}, {}
    for path in files:
        data = load_file(path)
        merged.update(data)
        sources.update(dict.fromkeys(data, path))
    return merged, sources


def discover(root):
    """Every image under root, keyed by name, parents before children (walk order)."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise TreeError("variable tree %s does not exist or is not a directory" % root)
    images = {}
    # Map directory -> image name, to find the nearest ancestor image.
    dir_images = {}
    for directory, subdirs, _files in os.walk(root):
        subdirs.sort()
        files = yaml_files(directory)
        if not files:
            continue
        name = os.path.basename(directory)
        if name in images:
            raise TreeError("two images are named %r: %s and %s"
                            % (name, images[name].directory, directory))
        parent = None
        ancestor = os.path.dirname(directory)
        while len(ancestor) >= len(root):
            if ancestor in dir_images:
                parent = dir_images[ancestor]
                break
            if ancestor == root:
                break
            ancestor = os.path.dirname(ancestor)
        variables, sources = merge_files(files)
        images[name] = Image(name, directory, os.path.relpath(directory, root), files,
                             variables, sources, parent)
        dir_images[directory] = name
    if not images:
        raise TreeError("no image variable files (*.yaml) found under %s" % root)
    return images


def find_image_dir(root, name):
    """The directory of the image called ``name`` under root: the one directory of that name holding
    variable files (as upstream's client finds an image to render by name alone)."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise TreeError("variable tree %s does not exist or is not a directory" % root)
    found = []
    for directory, subdirs, _files in os.walk(root):
        subdirs.sort()
        if os.path.basename(directory) == name and yaml_files(directory):
            found.append(directory)
    if not found:
        raise TreeError("no image named %r (a directory of that name holding *.yaml) under %s" % (name, root))
    if len(found) > 1:
        raise TreeError("two images are named %r: %s" % (name, " and ".join(found)))
    return found[0]


def image_ref(name, registry="localhost", namespace="tcib", prefix="openstack", tag="latest"):
    """``{registry}/{namespace}/{prefix}-{name}:{tag}``; empty parts are left out."""
    repo = "%s-%s" % (prefix, name) if prefix else name
    path = "/".join(part.strip("/") for part in (registry, namespace, repo) if part)
    return "%s:%s" % (path, tag) if tag else path
