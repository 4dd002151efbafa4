# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs digest: one hash over everything that decides an image's content.

The rendered Containerfile, every file of the build context it can copy (names,
contents and executable bits, not timestamps), the build arguments, labels and
volumes given to the build, and the id of the image it starts from. Mappings are
hashed in sorted order, so the order of keys in a file does not matter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

LABEL = "tcib.images.inputs-digest"
# Version of the digest recipe: bump it when what goes in changes.
RECIPE = 1


def _file_digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def context_files(paths):
    """(relative name, executable, sha256) for each file under the given paths, sorted."""
    found = []
    for path in paths:
        base = os.path.dirname(path)
        if os.path.isdir(path):
            for directory, subdirs, files in os.walk(path):
                subdirs.sort()
                for name in sorted(files):
                    full = os.path.join(directory, name)
                    found.append((os.path.relpath(full, base), os.access(full, os.X_OK),
                                  _file_digest(full)))
        else:
            found.append((os.path.basename(path), os.access(path, os.X_OK), _file_digest(path)))
    return sorted(found)


def inputs_digest(containerfile, files=(), build_args=None, labels=None, volumes=(), from_id=None):
    """``sha256:<hex>`` over the build's inputs; ``files`` are paths copied into the context."""
    document = {
        "recipe": RECIPE,
        "containerfile": containerfile,
        "files": [list(item) for item in context_files(files)],
        "build_args": dict((str(k), str(v)) for k, v in (build_args or {}).items()),
        "labels": dict((str(k), str(v)) for k, v in (labels or {}).items() if k != LABEL),
        "volumes": sorted(volumes),
        "from_id": from_id,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def rebuild_reason(recorded, wanted, built=True, force=False, has_bill=True, pending=(),
                   changed="inputs changed"):
    """Why an image must be built, or None when it is up to date: the one set of rules, in one order, for
    the tree's images and the root image. ``recorded`` is the digest its label holds, ``wanted`` the one its
    inputs give; ``changed`` says what an inputs digest covers, for the reason."""
    if force:
        return "forced"
    if not built:
        return "not built yet"
    if recorded != wanted:
        return changed if recorded else "no inputs digest"
    if not has_bill:
        return "no bill of materials"
    if pending:
        # Imported here: aptindex imports this module (through aptproxy and leftovers).
        from ansible_collections.tcib.images.plugins.module_utils.aptindex import describe_pending
        return "updates: " + describe_pending(pending)
    return None
