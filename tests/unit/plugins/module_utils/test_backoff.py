# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.tcib.images.plugins.module_utils.backoff import backoff_delay, no_jitter


def test_backoff_doubles_is_capped_and_jittered():
    assert backoff_delay(1, 1.0, jitter=lambda: 0.0) == 0.5
    assert backoff_delay(1, 1.0, jitter=no_jitter) == 1.0
    assert backoff_delay(4, 1.0, jitter=no_jitter) == 8.0
    assert backoff_delay(20, 1.0, cap=60.0, jitter=no_jitter) == 60.0
    assert backoff_delay(30, 1.0, jitter=no_jitter) == 2.0 ** 29  # no cap
    # Tests make delays tiny through the base.
    assert backoff_delay(3, 0.001, jitter=no_jitter) == pytest.approx(0.004)
    delays = set(backoff_delay(2, 1.0) for _attempt in range(50))
    assert len(delays) > 1 and all(1.0 <= delay <= 2.0 for delay in delays)
