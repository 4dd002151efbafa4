"""Stand-in for the get-pip bootstrap script that ansible-test downloads from ci-files.testing.ansible.com.

That host is not reachable from our build machines; PyPI is. This runs pip from the wheel bundled
with the interpreter's ensurepip, with the arguments ansible-test passes (less get-pip's own), which installs the pip
version ansible-test asks for from the package index.
"""

import glob
import os
import sys

import ensurepip

WHEELS = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
sys.path.insert(0, WHEELS[0])

from pip._internal.cli.main import main  # noqa: E402  (importable only after the wheel is on the path)

# get-pip's own options (which packages to leave out) mean nothing to pip install.
ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + ARGS))
