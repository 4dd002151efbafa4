"""Make ``ansible_collections.tcib.images`` importable from a plain checkout.

The tcib-build command's way (a link to this repository in a temporary directory, first on sys.path, removed
at exit), so tests import this checkout's code whatever is installed elsewhere.
"""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "cli"))
from tcib_images_cli import collection  # noqa: E402  (found through the line above)


def install():
    collection.link(REPO_ROOT)
    # Forget any copy imported before (e.g. through an installed collection path).
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
        del sys.modules[name]
