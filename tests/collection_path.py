"""Make ``ansible_collections.tcib.images`` importable from a plain checkout.

A temporary directory holding ``ansible_collections/tcib/images`` (a symlink to this repository) goes
first on sys.path, so tests import this checkout's code whatever is installed elsewhere.
"""

import atexit
import os
import shutil
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def install():
    top = tempfile.mkdtemp(prefix="tcib-images-tests-")
    atexit.register(shutil.rmtree, top, True)
    namespace_dir = os.path.join(top, "ansible_collections", "tcib")
    os.makedirs(namespace_dir)
    os.symlink(REPO_ROOT, os.path.join(namespace_dir, "images"))
    sys.path.insert(0, top)
    # Forget any copy imported before (e.g. through an installed collection path).
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
        del sys.modules[name]
