"""Print constraints.txt: the version installed in this virtualenv of every package requirements.txt pulls in
(its requirements, with their extras, and theirs in turn, as pip resolved them), for ``make constraints``.
``make venv`` installs with ``-c constraints.txt``, so a new checkout gets the tool chain CI tested."""

import os
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = ("# Versions `make venv` installs (pip install -r requirements.txt -c constraints.txt): what CI tested.\n"
          "# Written by `make constraints` from the virtualenv; do not edit by hand.\n")


def top_level(path):
    """The requirements of a requirements file (not its options, such as the editable checkout)."""
    found = []
    with open(path) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                found.append(Requirement(line))
    return found


def closure(requirements):
    """{canonical name: installed version} of the requirements and everything they require, extras included."""
    pinned, todo = {}, [(requirement, set(requirement.extras)) for requirement in requirements]
    seen = set()
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(extras)) in seen:
            continue
        seen.add((name, frozenset(extras)))
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement whose marker left it out of this environment
        pinned[name] = distribution.version
        for text in distribution.requires or []:
            needed = Requirement(text)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if needed.marker is None or any(needed.marker.evaluate(env) for env in environments):
                todo.append((needed, set(needed.extras)))
    return pinned


def main():
    pinned = closure(top_level(os.path.join(REPO_ROOT, "requirements.txt")))
    lines = ["%s==%s" % (name, version) for name, version in sorted(pinned.items())]
    sys.stdout.write(HEADER + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
