# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real tree keeps the rules of vars/tcib/CONVENTIONS.md that can be read from its variables."""

import os
import re

import pytest

from ansible_collections.tcib.images.plugins.module_utils.discovery import discover

TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 3, "..", "vars", "tcib"))
IMAGES = discover(TREE)
# dpkg options that remove or leave a package against what depends on it (or against dpkg's own checks).
FORCED = re.compile(r"--force-(depends|remove-[a-z]+|all|breaks)\b")


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_no_image_removes_packages_by_force(name):
    forced = [text for text in strings(IMAGES[name].variables) if FORCED.search(text)]
    assert not forced, "%s forces dpkg (keep the package out with tcib-stub instead): %s" % (name, forced)


def test_the_tree_is_the_real_one():
    assert {"base", "os", "memcached", "horizon"} <= set(IMAGES)
