# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""constraints.txt pins every requirement, at a version its requirement allows (`make constraints` writes it)."""

import os

from packaging.utils import canonicalize_name

import constraints


def pinned():
    with open(os.path.join(constraints.REPO_ROOT, "constraints.txt")) as handle:
        lines = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    return dict((canonicalize_name(name), version) for name, version in (line.split("==") for line in lines))


def test_every_requirement_is_pinned_at_a_version_it_allows():
    versions = pinned()
    for requirement in constraints.top_level(os.path.join(constraints.REPO_ROOT, "requirements.txt")):
        name = canonicalize_name(requirement.name)
        assert name in versions, "%s is not in constraints.txt: run `make constraints`" % name
        assert requirement.specifier.contains(versions[name], prereleases=True), (name, versions[name])
