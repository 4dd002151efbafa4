# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress lines and the summary table, with and without pushes."""

from ansible_collections.tcib.images.plugins.module_utils import report

BUILT = {"name": "base", "image": "r:5000/t/openstack-base:latest", "status": "built", "duration": 41.2,
         "size": 84400000, "reason": "not built yet"}


def test_table_without_pushes_has_no_push_column():
    lines = report.summary_table([BUILT]).splitlines()
    assert lines[0].split() == ["IMAGE", "STATUS", "DURATION", "SIZE", "REASON"]
    assert lines[1].split()[:2] == ["r:5000/t/openstack-base:latest", "built"]


def test_table_with_pushes_shows_status_time_and_why_a_push_failed():
    pushed = dict(BUILT, push_status="pushed", push_duration=3.4)
    failed = dict(BUILT, name="os", image="r:5000/t/openstack-os:latest", status="up to date",
                  push_status="push failed", push_duration=9.0,
                  push_reason="push to r:5000 failed after 11 attempts: connection refused")
    skipped = {"name": "kid", "status": "skipped", "reason": "skipped because os failed", "push_status": "not pushed"}
    lines = report.summary_table([pushed, failed, skipped]).splitlines()
    assert lines[0].split() == ["IMAGE", "STATUS", "DURATION", "SIZE", "PUSH", "REASON"]
    assert "pushed (3.4 s)" in lines[1]
    assert "push failed (9.0 s)" in lines[2] and lines[2].endswith("connection refused")
    assert "not pushed" in lines[3]


def test_push_progress_lines():
    assert report.progress_line("push", "base", {"push_status": "pushed", "push_duration": 3.6}, (1, 4)) \
        == "[push 1/4] base pushed in 4 s"
    assert report.progress_line("push", "os", {"push_status": "pushed: up to date", "push_duration": 0.1,
                                               "push_attempts": 2}, (2, 4)) \
        == "[push 2/4] os already in the registry (attempt 2)"
    assert report.progress_line("push", "os", {"push_status": "push failed", "push_reason": "push to r failed"},
                                (2, 4)) == "[push 2/4] os PUSH FAILED: push to r failed"
    assert report.progress_line("push retry", "os", {"push_attempts": 1, "delay": 0.75, "reason": "refused"},
                                (0, 4)) == "[push 0/4] os attempt 1 failed, retrying in 0.8 s: refused"


def test_counts_by_other_keys():
    results = [dict(BUILT, push_status="pushed"), dict(BUILT), dict(BUILT, push_status="pushed")]
    assert report.counts_by_status(results) == {"built": 3}
    assert report.counts_by_status(results, "push_status") == {"pushed": 2}
