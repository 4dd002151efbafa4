# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.tcib.images`` importable from a checkout (tcib-build, and the tests).

A temporary directory holding ``ansible_collections/tcib/images`` (a link to the checkout) goes first on
sys.path; it is removed when the process ends.
"""

import atexit
import os
import shutil
import sys
import tempfile


def link(root):
    """Import the collection from ``root`` from now on; returns the temporary directory."""
    top = tempfile.mkdtemp(prefix="tcib-images-")
    atexit.register(shutil.rmtree, top, True)
    os.makedirs(os.path.join(top, "ansible_collections", "tcib"))
    os.symlink(root, os.path.join(top, "ansible_collections", "tcib", "images"))
    sys.path.insert(0, top)
    return top


def importable(root):
    """The collection importable: as it is (installed, or linked before), else from ``root``."""
    try:
        from ansible_collections.tcib.images.plugins.module_utils import defaults  # noqa: F401
        return None
    except ImportError:
        return link(root)
