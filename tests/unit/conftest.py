# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.tcib.images`` importable from a plain checkout.

A temporary directory holding ``ansible_collections/tcib/images`` (a symlink to
this repository) goes first on sys.path, so the tests import this checkout's code
whatever is installed elsewhere.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import collection_path  # noqa: E402  (found through the line above)

collection_path.install()
REPO_ROOT = collection_path.REPO_ROOT
# The tcib-build command's package, importable whether or not `make venv` installed it.
sys.path.insert(0, os.path.join(REPO_ROOT, "cli"))


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


class Sleeps(list):
    """A stand-in for time.sleep that records the delays asked for instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()
