# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long to wait before trying again: one formula for builds, pushes and the package proxy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random


def backoff_delay(attempt, base, cap=None, jitter=random.random):
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...): ``base`` doubled at each attempt, at
    most ``cap``, then spread over its upper half by ``jitter()`` (0 to 1) so that parallel retries do not
    run in step. ``jitter=lambda: 1.0`` gives the plain doubling."""
    ceiling = base * (2 ** (attempt - 1))
    if cap is not None:
        ceiling = min(cap, ceiling)
    return ceiling / 2.0 + jitter() * ceiling / 2.0


def no_jitter():
    return 1.0
