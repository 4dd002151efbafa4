# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian version comparison, by the rules of Debian Policy 5.6.12 (as dpkg compares).

A version is ``[epoch:]upstream[-revision]``. Epochs compare as numbers; upstream and
revision compare in alternating runs of non-digits (letters sort before non-letters,
``~`` before everything, even the end of the string) and digits (as numbers).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_VALID = re.compile(r"^(?:(\d+):)?([0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$")


class VersionError(ValueError):
    pass


def split(version):
    """(epoch, upstream, revision) of a version string; raises VersionError when it is not one."""
    text = str(version).strip()
    match = _VALID.match(text)
    if not match:
        raise VersionError("%r is not a Debian version" % version)
    epoch, upstream, revision = match.groups()
    if text.endswith("-") or (":" in upstream and not epoch):
        raise VersionError("%r is not a Debian version" % version)
    return int(epoch or 0), upstream, revision or "0"


def _order(char):
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left, right):
    i = j = 0
    while i < len(left) or j < len(right):
        # Non-digit run, character by character; the end of a string sorts after "~" only.
        while (i < len(left) and not left[i].isdigit()) or (j < len(right) and not right[j].isdigit()):
            a = _order(left[i]) if i < len(left) and not left[i].isdigit() else 0
            b = _order(right[j]) if j < len(right) and not right[j].isdigit() else 0
            if a != b:
                return -1 if a < b else 1
            i += 1
            j += 1
        start_i, start_j = i, j
        while i < len(left) and left[i].isdigit():
            i += 1
        while j < len(right) and right[j].isdigit():
            j += 1
        a = int(left[start_i:i] or 0)
        b = int(right[start_j:j] or 0)
        if a != b:
            return -1 if a < b else 1
    return 0


def compare(left, right):
    """-1, 0 or 1 as version ``left`` sorts before, equal to or after ``right``."""
    if left == right:
        return 0  # the common case (an image holding the candidate), without parsing either
    a, b = split(left), split(right)
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    return _compare_part(a[1], b[1]) or _compare_part(a[2], b[2])


def newest(versions):
    """The highest of some version strings (None when there are none)."""
    best = None
    for version in versions:
        if best is None or compare(version, best) > 0:
            best = version
    return best
