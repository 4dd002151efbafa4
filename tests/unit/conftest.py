# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.tcib.images`` importable from a plain checkout.

A temporary directory holding ``ansible_collections/tcib/images`` (a symlink to
this repository) goes first on sys.path, so the tests import this checkout's code
whatever is installed elsewhere.
"""

import atexit
import os
import shutil
import sys
import tempfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_path():
    top = tempfile.mkdtemp(prefix="tcib-images-tests-")
    atexit.register(shutil.rmtree, top, True)
    namespace_dir = os.path.join(top, "ansible_collections", "tcib")
    os.makedirs(namespace_dir)
    os.symlink(REPO_ROOT, os.path.join(namespace_dir, "images"))
    return top


sys.path.insert(0, _collection_path())
# Forget any copy imported before us (e.g. through an installed collection path).
for _name in [name for name in sys.modules if name == "ansible_collections" or name.startswith("ansible_collections.")]:
    del sys.modules[_name]


@pytest.fixture
def write_tree(tmp_path):
    """Write {relative path: text or dict} under tmp_path/tree; returns the tree root."""
    import yaml

    root = tmp_path / "tree"

    def write(files):
        for relpath, content in files.items():
            path = root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            if not isinstance(content, str):
                content = yaml.safe_dump(content, default_flow_style=False)
            path.write_text(content)
        return root

    root.mkdir()
    return write
