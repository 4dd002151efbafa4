# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words a run reports each image with, in results, summary.json, plan.json and the command line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What became of an image.
BUILT = "built"
UP_TO_DATE = "up to date"
WOULD_BUILD = "would build"  # check mode
FAILED = "failed"
SKIPPED = "skipped"  # its parent failed

# The image is as the tree says (or, in a check, would be made so).
SUCCEEDED = (BUILT, UP_TO_DATE, WOULD_BUILD)
NOT_BUILT = (FAILED, SKIPPED)
CHANGES = (BUILT, WOULD_BUILD)
# An image that can be pushed: present and current.
PUSHABLE = (BUILT, UP_TO_DATE)

# What became of its push.
PUSHED = "pushed"
ALREADY_PUSHED = "pushed: up to date"  # the registry held it already
PUSH_FAILED = "push failed"
WOULD_PUSH = "would push"  # check mode
NOT_PUSHED = "not pushed"  # the image was not built
