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

import errno
import os
import stat
import traceback

try:
    import yaml
except ImportError:
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

from ansible_collections.tcib.images.plugins.module_utils import defaults
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

YAML_SUFFIXES = (".yaml", ".yml")


class TreeError(Exception):
    """The tree itself is wrong: duplicate names, unknown selections, bad parents."""


class Image(object):
    """One image of the tree: its name, files, merged variables and parent name."""

    def __init__(self, name, directory, relpath, files, variables, sources, parent, empty_files=()):
        self.name = name
        # Variable files of the image that hold no variables (an image of only those is a copy of its parent).
        self.empty_files = list(empty_files)
        self.directory = directory
        self.relpath = relpath
        self.files = files
        self.variables = variables
        self.sources = sources
        self.parent = parent

    def __repr__(self):
        return "Image(%r, parent=%r)" % (self.name, self.parent)


# Variable files are small (the largest of the tree is a few KB): bound what one may cost to read.
MAX_FILE_BYTES = 1 << 20
# Values one file may hold once YAML aliases are expanded (a 1.6 KB "billion laughs" holds 10^7).
MAX_NODES = 100000


def inside(path, roots):
    """Whether path (resolved: symbolic links followed) is one of roots or under one."""
    real = os.path.realpath(path)
    for root in roots:
        root = os.path.realpath(root)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def describe_special(mode):
    """What a non-regular, non-directory file is, for error messages."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe (fifo)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_link(path):
    """The stat of what a path points to; VariableError for a dangling symlink or a symlink loop."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VariableError("is a symbolic link loop (%s)" % os.strerror(exc.errno), path)
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise VariableError("is a dangling symbolic link (to %s, which does not exist)" % os.readlink(path), path)
        raise VariableError("cannot be read: %s" % exc, path)


def yaml_files(directory, root=None):
    """The variable files of a directory, in name order.

    With ``root``, every one must be a regular file inside root (a symbolic link may point only into
    the tree): VariableError naming the file otherwise.
    """
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return []
    found = []
    for entry in entries:
        path = os.path.join(directory, entry)
        if not entry.endswith(YAML_SUFFIXES):
            continue
        if root is None:
            if os.path.isfile(path):
                found.append(path)
            continue
        info = check_link(path)
        if stat.S_ISDIR(info.st_mode):
            continue
        if not stat.S_ISREG(info.st_mode):
            raise VariableError("is %s, not a variable file" % describe_special(info.st_mode), path)
        if not inside(path, [root]):
            raise VariableError("is a symbolic link to %s, outside the tree %s: variable files are read only "
                                "from inside the tree" % (os.path.realpath(path), root), path)
        found.append(path)
    return found


def _read_text(path):
    """The file's text: at most MAX_FILE_BYTES of UTF-8, never waiting on a pipe or a device."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise VariableError("is %s, not a regular file" % describe_special(info.st_mode), path)
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (IOError, OSError) as exc:
        raise VariableError("cannot read: %s" % exc, path)
    if len(data) > MAX_FILE_BYTES:
        raise VariableError("is larger than %d bytes: not a variable file" % MAX_FILE_BYTES, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise VariableError("is not UTF-8 text: byte 0x%02x at line %d, column %d cannot be decoded"
                            % (bytearray(data[exc.start:exc.start + 1])[0], line, column), path)


def _expanded_size(node, limit):
    """Nodes in a composed YAML document with every alias expanded; stops counting past limit.

    An alias is a reference to its anchor's node, so a node is counted once per reference, and its
    own size is computed once. Raises ValueError for a node that contains itself.
    """
    sizes, active = {}, set()

    def size(item):
        key = id(item)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ValueError("an alias refers to a node that contains it (a recursive structure)")
        active.add(key)
        total = 1
        if isinstance(item, yaml.SequenceNode):
            children = item.value
        elif isinstance(item, yaml.MappingNode):
            children = [part for pair in item.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        active.discard(key)
        sizes[key] = total
        return total

    return size(node)


def parse_yaml(text, path):
    """One YAML document, refused when its aliases expand to more than MAX_NODES values."""
    # libyaml when PyYAML has it: the tree loads in a fifth of the time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            nodes = _expanded_size(node, MAX_NODES)
        except ValueError as exc:
            raise VariableError("not usable YAML: %s" % exc, path)
        if nodes > MAX_NODES:
            raise VariableError("holds more than %d values once its YAML aliases are expanded (an alias bomb?)"
                                % MAX_NODES, path)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def dump_yaml(data):
    """YAML text of plain data, keys sorted (the merged variables beside each Containerfile)."""
    # libyaml's emitter writes the same text as PyYAML's own, four times faster (a quarter second over the
    # tree). Looked up here, not at import: without PyYAML the module must still import, to say so.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, default_flow_style=False, sort_keys=True)


def load_file(path):
    """One variable file as a dict (empty files are allowed)."""
    text = _read_text(path)
    try:
        data = parse_yaml(text, path)
    except yaml.YAMLError as exc:
        raise VariableError("not valid YAML: %s" % exc, path)
    except RecursionError:
        raise VariableError("not usable YAML: nested too deeply", path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VariableError("must be a mapping of variables, got %s" % type(data).__name__, path)
    return data


def merge_files(files, empty=None):
    """Shallow-merge files in order; also return which file set each key last.

    ``empty``, a list, receives the files that hold no variables.
    """
    merged, sources = {}, {}
    for path in files:
        data = load_file(path)
        if not data and empty is not None:
            empty.append(path)
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
        files = yaml_files(directory, root)
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
        empty = []
        variables, sources = merge_files(files, empty)
        images[name] = Image(name, directory, os.path.relpath(directory, root), files,
                             variables, sources, parent, empty)
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
        if os.path.basename(directory) == name and yaml_files(directory, root):
            found.append(directory)
    if not found:
        raise TreeError("no image named %r (a directory of that name holding *.yaml) under %s" % (name, root))
    if len(found) > 1:
        raise TreeError("two images are named %r: %s" % (name, " and ".join(found)))
    return found[0]


def image_ref(name, registry=defaults.REGISTRY, namespace=defaults.NAMESPACE, prefix=defaults.PREFIX, tag=defaults.TAG):
    """``{registry}/{namespace}/{prefix}-{name}:{tag}``; empty parts are left out."""
    repo = "%s-%s" % (prefix, name) if prefix else name
    path = "/".join(part.strip("/") for part in (registry, namespace, repo) if part)
    return "%s:%s" % (path, tag) if tag else path
