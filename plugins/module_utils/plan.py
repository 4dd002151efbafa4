# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a variable tree to a build plan, and the plan model: one PlanEntry per image, made once.

tree -> selected images (parents first) -> templated, validated variables -> PlanEntry (with its paths) ->
Containerfile and gathered files under ``work_dir`` mirroring the tree. ``write_plan`` and ``read_plan``
are the one writer and reader of plan.json and plan.dot (and of a check run's preview).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import dataclasses
import fnmatch
import glob
import json
import os
import re
import shutil
import stat
import traceback

from ansible_collections.tcib.images.plugins.module_utils import (
    defaults, discovery, graph, overrides, reference, report, workdir)
from ansible_collections.tcib.images.plugins.module_utils.files import holds, write_if_changed
from ansible_collections.tcib.images.plugins.module_utils.render import render
from ansible_collections.tcib.images.plugins.module_utils.requirements import require_libraries
from ansible_collections.tcib.images.plugins.module_utils.task import TaskError
from ansible_collections.tcib.images.plugins.module_utils.variables import (
    SCHEMA, VariableError, template, validate)


def prepare_variables(variables, sources, context=None):
    """Validate, template and validate again: errors name the file and key."""
    validate(variables, sources)
    rendered = template(variables, sources, context)
    validate(rendered, sources)
    return rendered


def _gather_error(message, path, source):
    return VariableError("%s %s" % (path, message), source, "tcib_gather_files")


def _check_gathered(path, roots, source):
    """One path that would be copied into a build context: a regular file or a directory, inside roots.

    A symbolic link must resolve (not dangling, not a loop) to one of those, inside roots. Returns whether
    the path is a directory to walk (a link to a directory is copied as a link, so it is not walked).
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise _gather_error("cannot be read: %s" % exc.strerror, path, source)
    link = stat.S_ISLNK(info.st_mode)
    if link:
        try:
            info = discovery.check_link(path)
        except VariableError as exc:
            raise _gather_error(str(exc).split(": ", 1)[-1], path, source)
    if not discovery.inside(path, roots):
        raise _gather_error("%sis outside the tree: files are gathered only from %s (name another directory in "
                            "the extra_gather_dirs setting to gather from it)"
                            % ("(a symbolic link to %s) " % os.path.realpath(path) if link else "",
                               " and ".join(roots)), path, source)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise _gather_error("%sis %s: only regular files and directories are gathered"
                            % ("(a symbolic link to %s) " % os.path.realpath(path) if link else "",
                               discovery.describe_special(info.st_mode)), path, source)
    return stat.S_ISDIR(info.st_mode) and not link


def check_gathered(path, roots, source=None):
    """A gathered path and, for a directory, everything under it (VariableError naming the first at fault)."""
    top_is_dir = _check_gathered(path, roots, source) or os.path.isdir(path)
    if not top_is_dir:
        return

    def unreadable(exc):
        raise _gather_error("cannot be read: %s" % exc.strerror, exc.filename, source)

    for directory, subdirs, files in os.walk(path, onerror=unreadable):
        subdirs.sort()
        for name in sorted(subdirs + files):
            _check_gathered(os.path.join(directory, name), roots, source)


def gather_sources(patterns, image_dir, source=None, roots=None):
    """Paths matched by tcib_gather_files (globs relative to the image's directory).

    Each must be inside ``roots`` (by default the image's directory) once links are followed, and hold only
    regular files and directories: a variable file cannot gather a host file, a device or a pipe.
    """
    roots = [os.path.realpath(root) for root in (roots or [image_dir])]
    found = []
    for pattern in patterns or []:
        full = pattern if os.path.isabs(pattern) else os.path.join(image_dir, pattern)
        matches = sorted(glob.glob(full))
        if not matches:
            raise VariableError("no file matches %r" % pattern, source, "tcib_gather_files")
        # "scripts/" globs to ".../scripts/", whose basename is "": copy_into would replace
        # the whole context with the directory's contents.
        for match in matches:
            match = os.path.normpath(match)
            check_gathered(match, roots, source)
            found.append(match)
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


def context_names(paths):
    """What a build context holds from the gathered paths: each one's name, and the paths under a directory."""
    names = set()
    for path in paths:
        top = os.path.basename(path)
        names.add(top)
        if os.path.isdir(path):
            for directory, subdirs, files in os.walk(path):
                for name in subdirs + files:
                    names.add(os.path.relpath(os.path.join(directory, name), os.path.dirname(path)))
    return names


def _copy_sources(value, instruction):
    """The local sources of one COPY/ADD value (shell or exec form); None when they cannot be known here
    (another stage or image with --from, a heredoc, a variable)."""
    if isinstance(value, list):
        words = [str(item) for item in value]
    else:
        text = str(value).strip()
        words = None
        if text.startswith("["):
            try:
                words = [str(item) for item in json.loads(text)]
            except ValueError:
                words = None
        if words is None:
            words = text.split()
    flags = [word for word in words if word.startswith("--")]
    words = [word for word in words if not word.startswith("--")]
    if any(flag.startswith("--from") for flag in flags) or any("<<" in word for word in words):
        return None
    if len(words) < 2:
        raise ValueError("%s needs a source and a destination, got %r" % (instruction, value))
    sources = []
    for word in words[:-1]:
        if "$" in word or (instruction == "ADD" and ("://" in word or word.startswith("git@"))):
            continue
        sources.append(word)
    return sources


def _in_context(source, names):
    path = os.path.normpath(source.lstrip("/") or ".")
    if path == ".":
        return True
    if any(char in path for char in "*?["):
        return any(fnmatch.fnmatchcase(name, path) for name in names)
    return path in names


def check_copies(variables, gathered, sources):
    """Every local source of COPY and ADD (tcib_copies, tcib_adds, copy/add actions) must be in the build
    context, that is among the files tcib_gather_files brings: found now, not by buildah mid-build."""
    names = context_names(gathered)
    tops = sorted(os.path.basename(path) for path in gathered)
    items = [("tcib_copies", "tcib_copies", "COPY", value) for value in variables.get("tcib_copies") or []]
    items += [("tcib_adds", "tcib_adds", "ADD", value) for value in variables.get("tcib_adds") or []]
    for index, action in enumerate(variables.get("tcib_actions") or []):
        (name, value), = action.items()
        if str(name).lower() in ("copy", "add"):
            items.append(("tcib_actions", "tcib_actions[%d]" % index, str(name).upper(), value))
    for key, where, instruction, value in items:
        try:
            wanted = _copy_sources(value, instruction)
        except ValueError as exc:
            raise VariableError(str(exc), sources.get(key), where)
        for source in wanted or []:
            if not _in_context(source, names):
                raise VariableError(
                    "%s %s: %r is not in the image's build context, which holds only what tcib_gather_files "
                    "gathers (%s)" % (instruction, value, source, ", ".join(tops) or "nothing"),
                    sources.get(key), where)


# The plan a run builds, and the preview a check run writes: never the same files, so that a check never
# rewrites what a real run planned (or is building from).
PLAN_FILES = ("plan.json", "plan.dot")
CHECK_PLAN_FILES = ("check-plan.json", "check-plan.dot")
# What a check run adds to each image of its preview, from its result.
PREVIEW_KEYS = ("status", "reason", "push_status", "push_reason", "pending_updates")


def plan_files(work_dir, check=False):
    """(plan.json, plan.dot) of a work_dir, or of its check preview."""
    return tuple(os.path.join(work_dir, name) for name in (CHECK_PLAN_FILES if check else PLAN_FILES))


@dataclasses.dataclass(frozen=True)
class PlanEntry:
    """One image of a plan: what is built, from what, and where its files go. Made once, by plan_image
    (or read back from plan.json by read_plan), and not changed afterwards."""

    name: str
    image: str
    parent: "str | None"
    from_image: str
    relpath: str
    files: list
    containerfile: str
    gather_sources: list
    package: "str | None" = None
    # Paths under the work_dir (entry_paths); None in a plan made without one (a listing).
    context_dir: "str | None" = None
    containerfile_path: "str | None" = None
    vars_path: "str | None" = None
    log_path: "str | None" = None
    sbom_path: "str | None" = None
    # Known while planning only, not kept in plan.json.
    directory: "str | None" = None
    variables: dict = dataclasses.field(default_factory=dict)
    sources: dict = dataclasses.field(default_factory=dict)
    warnings: list = dataclasses.field(default_factory=list)

    # plan.json's keys, in the names it has always had ("from").
    DOCUMENT_KEYS = ("name", "image", "parent", "from", "relpath", "files", "containerfile", "gather_sources",
                     "package", "context_dir", "containerfile_path", "vars_path", "log_path", "sbom_path")

    def document(self):
        """The entry as plan.json holds it (paths only when it has them)."""
        # Field by field: dataclasses.asdict would deep-copy the variables, which plan.json does not hold.
        values = ((key, getattr(self, "from_image" if key == "from" else key)) for key in self.DOCUMENT_KEYS)
        return dict((key, value) for key, value in values if value is not None or key in ("parent", "package"))

    def result(self):
        """The entry as tcib_plan returns it: plan.json's keys, its directory and templated variables."""
        return dict(self.document(), directory=self.directory, variables=self.variables)

    @classmethod
    def from_document(cls, item):
        values = dict((key, item.get(key)) for key in cls.DOCUMENT_KEYS if key != "from")
        return cls(from_image=item["from"], **values)


@dataclasses.dataclass(frozen=True)
class Plan:
    """A plan as plan.json holds it: its images in build order, its id, the distribution templates saw."""

    entries: list
    plan_id: str
    distro: str = defaults.DISTRO
    release: str = defaults.RELEASE


def write_plan(work_dir, plan, check=False, statuses=None):
    """The one writer of plan.json and plan.dot, whole or not at all. ``check``: the preview
    check-plan.json and check-plan.dot instead; ``statuses`` ({name: result}, a check run's): each image
    with its status, reason and, when known, push status and pending updates. Returns the JSON's path."""
    json_path, dot_path = plan_files(work_dir, check)
    images = []
    for entry in plan.entries:
        item = entry.document()
        if statuses is not None:
            found = statuses.get(entry.name) or {}
            item.update((key, found.get(key)) for key in PREVIEW_KEYS if key in found or key in ("status", "reason"))
        images.append(item)
    report.write_json(json_path, {"images": images, "plan_id": plan.plan_id, "distro": plan.distro,
                                  "release": plan.release})
    write_if_changed(dot_path, plan_dot(plan.entries, statuses))
    return json_path


def read_plan(path, plan_id=None):
    """The one reader of plan.json (or a check preview): a Plan; ValueError when the file is not one, or is
    another run's plan (``plan_id``: the id our tcib_plan task returned)."""
    document = report.read_json(path)
    if not isinstance(document, dict) or not isinstance(document.get("images"), list):
        raise ValueError("%s is not a plan written by tcib_plan" % path)
    workdir.check_plan_id(document, path, plan_id)
    try:
        entries = [PlanEntry.from_document(item) for item in document["images"]]
    except (KeyError, TypeError, AttributeError):
        raise ValueError("%s is not a plan written by tcib_plan" % path)
    return Plan(entries=entries, plan_id=document.get("plan_id"), distro=document.get("distro", defaults.DISTRO),
                release=document.get("release", defaults.RELEASE))


def layer_variables(variables, sources, extras, on_top, on_top_source):
    """An image's variables and their sources with, on top, the known tcib_ variables among ``extras``
    (upstream's --tcib-extras: the others only templates see), then ``on_top`` (named ``on_top_source``)."""
    variables, sources = dict(variables), dict(sources)
    for key, value in (extras or {}).items():
        if key in SCHEMA:
            variables[key] = value
            sources[key] = "tcib extras"
    for key, value in (on_top or {}).items():
        variables[key] = value
        sources[key] = on_top_source
    return variables, sources


def template_context(extras, distro, release):
    """What templates see besides the image's own variables."""
    return dict(extras or {}, tcib_distro=distro, tcib_release=release)


class PlanSettings(object):
    """Naming and context shared by every image of one run."""

    def __init__(self, base_image, *, registry=defaults.REGISTRY, namespace=defaults.NAMESPACE,
                 prefix=defaults.PREFIX, tag=defaults.TAG, distro=defaults.DISTRO, release=defaults.RELEASE,
                 extra_vars=None, merge_runs=False,
                 image_overrides=None, extras=None, extra_gather_dirs=None):
        self.merge_runs = merge_runs
        # Directories besides the tree that tcib_gather_files may gather from (a setting, never a variable file).
        self.extra_gather_dirs = [os.path.abspath(directory) for directory in extra_gather_dirs or []]
        for directory in self.extra_gather_dirs:
            if not os.path.isdir(directory):
                raise VariableError("setting extra_gather_dirs: %s is not a directory" % directory)
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
        return template_context(self.extras, self.distro, self.release)

    def with_extra_vars(self, image):
        """The image's variables and their sources, with the run's extra variables and override on top."""
        variables, sources = layer_variables(image.variables, image.sources, self.extras, self.extra_vars,
                                             "extra config")
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
            except (discovery.TreeError, reference.ImageRefError) as exc:
                raise VariableError(str(exc), sources.get("tcib_from"), "tcib_from")
    graph.check_cycles(parents, lambda name: "%s (%s)" % (name, images[name].directory))
    return parents


def generated_labels(ref, variables):
    """Labels every image gets from its name and tcib_meta: what it is and what to mount."""
    meta = variables.get("tcib_meta") or {}
    labels = {"org.opencontainers.image.title": reference.short_name(ref)}
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


def empty_file_warnings(image, parent):
    """Warnings for variable files that hold nothing: an image of only those is a copy of its parent."""
    warnings = ["%s holds no variables (an empty file)" % path for path in image.empty_files]
    if image.empty_files and len(image.empty_files) == len(image.files):
        warnings.append("image %s has no variables at all: it would be built as a copy of %s"
                        % (image.name, "its parent %s" % parent if parent else "the base image"))
    return warnings


def plan_image(image, parent, settings, gather_roots=None, work_dir=None):
    """The plan entry for one image (nothing written).

    ``gather_roots``: the directories tcib_gather_files may gather from (by default the image's own);
    ``work_dir``: where its build context goes (without it, the entry has no paths, as for a listing).
    """
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
    gathered = gather_sources(rendered.get("tcib_gather_files"), image.directory, sources.get("tcib_gather_files"),
                              gather_roots)
    check_copies(rendered, gathered, sources)
    return PlanEntry(
        name=image.name, image=settings.ref(image.name), parent=parent, from_image=from_image,
        relpath=image.relpath, files=image.files, containerfile=containerfile, gather_sources=gathered,
        package=(rendered.get("tcib_meta") or {}).get("package"), directory=image.directory, variables=rendered,
        sources=sources, warnings=empty_file_warnings(image, parent),
        **(entry_paths(work_dir, image.relpath, image.name) if work_dir else {}))


def render_image(file_variables, file_sources, variables=None, extras=None, distro=defaults.DISTRO,
                 release=defaults.RELEASE, from_image=None, image=None, merge=False):
    """One image outside a plan (the containerfile role), its variables layered as a plan layers them.

    The image's files first, then the known tcib_ variables among ``extras`` (as upstream's
    --tcib-extras: the others only templates see), then ``variables``. With ``image`` (the image's
    name or reference) the labels a plan gives every image are added, so the Containerfile is the
    one the plan renders. Returns the templated variables and the Containerfile text.
    """
    merged, sources = layer_variables(file_variables, file_sources, extras, variables, "variables")
    rendered = prepare_variables(merged, sources, template_context(extras, distro, release))
    if not (rendered.get("tcib_from") or from_image):
        raise VariableError("set tcib_from or from_image", key="tcib_from")
    if image:
        rendered["tcib_labels"] = dict(generated_labels(image, rendered), **(rendered.get("tcib_labels") or {}))
    return rendered, render(rendered, from_image, merge)


# Upstream images the tree cannot build (no Debian package), each with why: beside the tree, not in it, as
# a *.yaml in the tree would be an image (and a file at its top the parent of base, for us and tripleoclient).
UNAVAILABLE_FILE = "unavailable.yaml"
UNAVAILABLE_KEY = "unavailable_images"
_IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def unavailable_path(tree):
    """Where the list of a tree's unavailable images is: ``unavailable.yaml`` beside the tree."""
    return os.path.join(os.path.dirname(os.path.abspath(tree)), UNAVAILABLE_FILE)


def load_unavailable(path):
    """``{name: reason}`` of the images listed as unavailable in ``path``; none when there is no such file.

    The file holds one mapping, ``unavailable_images``, of image names to their reasons (text).
    """
    if not path or not os.path.exists(path):
        return {}
    data = discovery.load_file(path)
    unknown_keys = sorted(key for key in data if key != UNAVAILABLE_KEY)
    if unknown_keys:
        raise VariableError("unknown key %r: the file holds only %s" % (unknown_keys[0], UNAVAILABLE_KEY), path)
    listed = data.get(UNAVAILABLE_KEY) or {}
    if not isinstance(listed, dict):
        raise VariableError("must map image names to the reason each is unavailable, got %s"
                            % type(listed).__name__, path, UNAVAILABLE_KEY)
    unavailable = {}
    for name, reason in listed.items():
        if not isinstance(name, str) or not _IMAGE_NAME.match(name):
            raise VariableError("%r is not an image name (lowercase letters, digits and . _ -)" % (name,), path,
                                UNAVAILABLE_KEY)
        if not isinstance(reason, str) or not reason.strip():
            raise VariableError("%s: give the reason it is unavailable (text)" % name, path, UNAVAILABLE_KEY)
        unavailable[name] = " ".join(reason.split())
    return unavailable


def config_selection(config_names, unavailable, source="config file"):
    """The names of a config file that the tree builds; the unavailable ones it lists, ``{name: reason}``;
    and one warning naming those with their reasons (None when it lists none)."""
    names, skipped = graph.split_unavailable(config_names or [], unavailable)
    return names, dict(skipped), (graph.unavailable_warning(skipped, source) if skipped else None)


def make_plan(root, settings, services=None, include=None, exclude=None, config_names=None, unavailable=None,
              unavailable_source=None, work_dir=None):
    """Selected images in build order (parents first), each rendered (PlanEntry; with its paths under
    ``work_dir`` when given).

    ``unavailable`` ({name: reason}, from ``unavailable_source``) names images the tree cannot build: a
    service or include naming one fails with its reason (config names are filtered first, see
    config_selection).
    """
    images = discovery.discover(root)
    unavailable = unavailable or {}
    for name in sorted(unavailable):
        if name in images:
            raise VariableError("lists %s as unavailable, but the tree has it (%s): take it off the list"
                                % (name, images[name].directory), unavailable_source, UNAVAILABLE_KEY)
    for name in settings.overrides:
        if name not in images:
            raise graph.unknown(name, images, "image in image_overrides")
    parents = resolve_parents(images, settings)
    include = list(include or []) + list(config_names or [])
    names = graph.select(parents, services, include, exclude, unavailable)
    # Files are gathered from the tree, and from the directories the run names besides it.
    roots = [root] + list(settings.extra_gather_dirs)
    return [plan_image(images[name], parents[name], settings, roots, work_dir) for name in names]


def plan_dot(entries, statuses=None):
    """The plan as a Graphviz digraph, parents pointing at children (with each image's status, when known)."""
    statuses = statuses or {}
    lines = ["digraph tcib {", "  rankdir=LR;", "  node [shape=box];"]
    for entry in entries:
        state = (statuses.get(entry.name) or {}).get("status")
        label = entry.name + ("\\n" + state if state else "")
        lines.append('  "%s" [label="%s"];' % (entry.name, label))
    for entry in entries:
        if entry.parent:
            lines.append('  "%s" -> "%s";' % (entry.parent, entry.name))
        else:
            lines.append('  "%s" [shape=box, style=bold, tooltip="FROM %s"];' % (entry.name, entry.from_image))
    lines.append("}")
    return "\n".join(lines) + "\n"


def entry_paths(work_dir, relpath, name):
    """Where an image's context, Containerfile, merged variables, log and bill of materials go."""
    context_dir = os.path.join(work_dir, relpath)
    return {
        "context_dir": context_dir,
        "containerfile_path": os.path.join(context_dir, "Containerfile"),
        "vars_path": os.path.join(context_dir, "%s-vars.yaml" % name),
        "log_path": os.path.join(context_dir, "%s-build.log" % name),
        "sbom_path": os.path.join(context_dir, "%s.sbom.json" % name),
    }


def _vars_text(entry):
    return discovery.dump_yaml(entry.variables)


def contexts_to_change(entries):
    """The names whose Containerfile or merged variables differ from what is on disk: what
    ``write_contexts`` would change (a check run reports them as its change)."""
    return [entry.name for entry in entries
            if not (holds(entry.containerfile_path, entry.containerfile) and holds(entry.vars_path, _vars_text(entry)))]


def with_paths(entries, work_dir):
    """Copies of entries planned without a work_dir, with their paths under ``work_dir``."""
    return [dataclasses.replace(entry, **entry_paths(work_dir, entry.relpath, entry.name)) for entry in entries]


def write_contexts(entries, work_dir=None):
    """Write each image's Containerfile, merged variables and gathered files at its paths (``work_dir``:
    for entries planned without one).

    Returns the names whose Containerfile or variables changed on disk (gathered files are copied every
    time; the inputs digest tells the build whether they changed).
    """
    if work_dir is not None:
        entries = with_paths(entries, work_dir)
    changed = []
    for entry in entries:
        os.makedirs(entry.context_dir, exist_ok=True)
        wrote = write_if_changed(entry.containerfile_path, entry.containerfile)
        wrote = write_if_changed(entry.vars_path, _vars_text(entry)) or wrote
        copy_into(entry.gather_sources, entry.context_dir)
        if wrote:
            changed.append(entry.name)
    return changed


# The tcib_plan task (module_utils/task.py): its options and its whole run.
ARGUMENT_SPEC = dict(
    tree=dict(type="path", required=True),
    work_dir=dict(type="path", required=True),
    base_image=dict(type="str", required=True),
    services=dict(type="list", elements="str", default=[]),
    include=dict(type="list", elements="str", default=[]),
    exclude=dict(type="list", elements="str", default=[]),
    config_file=dict(type="path"),
    unavailable_file=dict(type="path"),
    registry=dict(type="str", default=defaults.REGISTRY),
    namespace=dict(type="str", default=defaults.NAMESPACE),
    prefix=dict(type="str", default=defaults.PREFIX),
    tag=dict(type="str", default=defaults.TAG),
    distro=dict(type="str", default=defaults.DISTRO),
    release=dict(type="str", default=defaults.RELEASE),
    extra_vars=dict(type="dict", default={}),
    merge_runs=dict(type="bool", default=False),
    extra_config=dict(type="path"),
    image_overrides=dict(type="dict", default={}),
    tcib_extras=dict(type="dict", default={}),
    extra_gather_dirs=dict(type="list", elements="path", default=[]),
)


def execute(params, host):
    """Plan the images and write their build contexts (a check writes only its preview); the result, or
    TaskError."""
    require_libraries()
    try:
        return _plan_task(params, host)
    except (discovery.TreeError, VariableError, workdir.WorkDirBusy, reference.ImageRefError) as exc:
        raise TaskError(str(exc))
    except Exception as exc:  # pylint: disable=broad-except
        # Whatever a tree holds, the run ends with a message, not a traceback (kept for -vvv).
        raise TaskError("planning failed: %s: %s" % (type(exc).__name__, exc), exception=traceback.format_exc())


def _plan_task(params, host):
    extra_vars, image_overrides = dict(params["extra_vars"]), {}
    if params["extra_config"]:
        from_file, image_overrides = overrides.split_extra_config(
            discovery.load_file(params["extra_config"]), params["extra_config"])
        extra_vars = dict(from_file, **extra_vars)
    image_overrides.update(params["image_overrides"])
    settings = PlanSettings(params["base_image"], registry=params["registry"], namespace=params["namespace"],
                            prefix=params["prefix"], tag=params["tag"], distro=params["distro"],
                            release=params["release"], extra_vars=extra_vars, merge_runs=params["merge_runs"],
                            image_overrides=image_overrides, extras=params["tcib_extras"],
                            extra_gather_dirs=params["extra_gather_dirs"])
    unavailable_source = params["unavailable_file"] or unavailable_path(params["tree"])
    unavailable = load_unavailable(unavailable_source)
    config_names, skipped = [], {}
    if params["config_file"]:
        config_names = graph.names_from_config(discovery.load_file(params["config_file"]), params["prefix"],
                                               params["config_file"])
        config_names, skipped, warning = config_selection(config_names, unavailable, params["config_file"])
        if warning:
            host.warn(warning)
    entries = make_plan(params["tree"], settings, params["services"], params["include"], params["exclude"],
                        config_names, unavailable, unavailable_source, work_dir=params["work_dir"])
    for entry in entries:
        for warning in entry.warnings:
            host.warn(warning)
    plan = Plan(entries=entries, plan_id=workdir.new_plan_id(), distro=params["distro"], release=params["release"])
    if host.check_mode:
        # A preview beside the real plan, without the lock: a check never rewrites what a real run planned
        # or builds from. Changed: what the real run would write.
        changed = contexts_to_change(entries)
        plan_path = write_plan(params["work_dir"], plan, check=True)
    else:
        # Not while another run plans or builds here: it builds from these contexts and this plan.
        with workdir.exclusive(params["work_dir"], "planning"):
            changed = write_contexts(entries)
            plan_path = write_plan(params["work_dir"], plan)
    return dict(changed=bool(changed), images=[entry.result() for entry in entries],
                names=[entry.name for entry in entries], plan_path=plan_path, plan_id=plan.plan_id,
                unavailable=skipped)
