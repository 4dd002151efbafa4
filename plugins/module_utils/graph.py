# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image graph: parents (directory or tcib_from), cycles, selection, order, priorities.

Everything here works on a plain ``parents`` mapping ``{name: parent name or None}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.tcib.images.plugins.module_utils import defaults, reference
from ansible_collections.tcib.images.plugins.module_utils.discovery import TreeError


def closest(name, known):
    return difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.5)


def unknown(name, known, what):
    hint = closest(name, known)
    return TreeError("unknown %s %r%s" % (what, name, "; closest known: %s" % ", ".join(hint) if hint else ""))


def resolve_from(tcib_from, names, ref_of):
    """The tree image a ``tcib_from`` names, or None for an image outside the tree.

    A bare word (no registry, no tag) must be an image of the tree; a full reference is
    the tree image whose reference it is, or an outside image.
    """
    if not tcib_from:
        return None
    if tcib_from in names:
        return tcib_from
    for name in names:
        if ref_of(name) == tcib_from:
            return name
    if "/" not in tcib_from and ":" not in tcib_from:
        raise unknown(tcib_from, names, "parent image (tcib_from)")
    return None


def check_cycles(parents, where=None):
    """Raise TreeError naming the images (and their files, via ``where``) of any cycle."""
    where = where or (lambda name: name)
    done = set()
    for start in sorted(parents):
        path, seen = [], set()
        node = start
        while node is not None and node not in done:
            if node in seen:
                cycle = path[path.index(node):] + [node]
                raise TreeError("images depend on each other in a cycle: %s"
                                % " -> ".join(where(name) for name in cycle))
            seen.add(node)
            path.append(node)
            node = parents.get(node)
        done.update(path)


def ancestors(parents, name):
    chain = []
    parent = parents[name]
    while parent is not None:
        chain.append(parent)
        parent = parents[parent]
    return chain


def children(parents):
    kids = dict((name, []) for name in parents)
    for name, parent in parents.items():
        if parent is not None:
            kids[parent].append(name)
    for names in kids.values():
        names.sort()
    return kids


def descendants(parents, name):
    kids = children(parents)
    found, todo = [], list(kids[name])
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(kids[node])
    return sorted(found)


def not_available(name, unavailable, what="image"):
    """The error for a name the tree knows it cannot build (upstream has the image, Debian lacks its package)."""
    return TreeError("%s %r is not available from this tree: %s" % (what, name, unavailable[name]))


def split_unavailable(names, unavailable):
    """Names of the tree to select, and the unavailable ones among ``names`` as ``[(name, reason)]``
    (each once, in the order given)."""
    unavailable = unavailable or {}
    kept, skipped = [], []
    for name in names:
        if name not in unavailable:
            kept.append(name)
        elif name not in [skip[0] for skip in skipped]:
            skipped.append((name, unavailable[name]))
    return kept, skipped


def unavailable_warning(skipped, source="config file"):
    """One warning naming every unavailable image a config file lists, with its reason."""
    return ("%s lists %d image%s that this tree cannot build; planning the others without %s: %s"
            % (source, len(skipped), "" if len(skipped) == 1 else "s", "it" if len(skipped) == 1 else "them",
               "; ".join("%s: %s" % (name, reason) for name, reason in skipped)))


def select(parents, services=None, include=None, exclude=None, unavailable=None):
    """Names to build: matching services (name or name-*) and includes, plus ancestors, in order.

    With neither services nor includes, everything is selected. Excluded names are
    dropped unless a selected image needs them as an ancestor. ``unavailable`` maps names the tree
    cannot build to why: a service or include naming one fails with its reason; excluding one
    changes nothing.
    """
    unavailable = unavailable or {}
    services = [s for s in (services or []) if s]
    include = [i for i in (include or []) if i]
    exclude = set(name for name in exclude or [] if name not in unavailable or name in parents)
    for name in include:
        if name not in parents and name in unavailable:
            raise not_available(name, unavailable)
    for name in list(include) + sorted(exclude):
        if name not in parents:
            raise unknown(name, parents, "image")
    if not services and not include:
        chosen = set(parents)
    else:
        chosen = set(include)
        for service in services:
            matches = [n for n in parents if n == service or n.startswith(service + "-")]
            if not matches and service in unavailable:
                raise not_available(service, unavailable, "service")
            if not matches:
                raise unknown(service, parents, "service")
            chosen.update(matches)
    chosen -= exclude
    needed = set(chosen)
    for name in chosen:
        needed.update(ancestors(parents, name))
    return order(parents, needed)


def order(parents, names):
    """Names sorted so that every parent comes before its children (then by name)."""
    depth = dict((name, len(ancestors(parents, name))) for name in names)
    return sorted(names, key=lambda name: (depth[name], name))


def normalise_image_name(imagename, prefix=defaults.PREFIX):
    """The tree name of an entry of a tripleo_containers.yaml-style list, as upstream does.

    ``quay.io/ns/openstack-nova-api:tag`` -> ``nova-api``.
    """
    name = reference.short_name(imagename)
    if prefix and name.startswith(prefix + "-"):
        name = name[len(prefix) + 1:]
    return name


def names_from_config(data, prefix=defaults.PREFIX, source="config file"):
    """Image names listed by a config file's ``container_images`` (or a bare list); errors name ``source``
    (the file) and the entry."""
    entries = data.get("container_images", []) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise TreeError("%s: container_images must be a list of {imagename: ...}" % source)
    names = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("imagename"):
            raise TreeError("%s: container_images[%d] has no imagename (each entry needs one, such as "
                            "imagename: quay.io/ns/openstack-nova-api:tag)" % (source, index))
        names.append(normalise_image_name(str(entry["imagename"]), prefix))
    return names


def chain_weights(parents, names, durations=None):
    """For each name, the longest chain of work it heads (itself plus its heaviest child chain).

    Weights are past build durations where known, else 1 per image.
    """
    durations = durations or {}
    selected = set(names)
    kids = children(dict((n, parents[n] if parents[n] in selected else None) for n in names))
    weights = {}
    for name in reversed(order(parents, names)):
        own = durations.get(name) or 1.0
        weights[name] = own + max([weights[kid] for kid in kids[name]] or [0.0])
    return weights
