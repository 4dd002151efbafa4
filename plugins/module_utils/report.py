# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a person reads: progress lines, the summary table, and the JSON files beside the logs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.tcib.images.plugins.module_utils import files, status

VERBS = {status.BUILT: "built", status.UP_TO_DATE: "up to date", status.WOULD_BUILD: "would be built",
         status.FAILED: "FAILED", status.SKIPPED: "skipped"}
PUSH_VERBS = {status.PUSHED: "pushed", status.ALREADY_PUSHED: "already in the registry",
              status.PUSH_FAILED: "PUSH FAILED", status.WOULD_PUSH: "would be pushed"}


def human_size(size):
    if not size:
        return "-"
    return "%.1f MB" % (size / 1000000.0)


def progress_line(kind, name, result, counts):
    """``[12/58] nova-api built in 41 s``, or ``... building (reason)`` when a build starts;
    ``[push 3/58] nova-api pushed in 4 s`` as pushes end."""
    finished, total = counts
    if kind == "push":
        state = result.get("push_status")
        line = "[push %d/%d] %s %s" % (finished, total, name, PUSH_VERBS.get(state, state))
        if state == status.PUSHED:
            line += " in %.0f s" % (result.get("push_duration") or 0)
        attempts = result.get("push_attempts") or 1
        if attempts > 1 and state != status.PUSH_FAILED:
            line += " (attempt %d)" % attempts
        if state == status.PUSH_FAILED:
            line += ": %s" % result.get("push_reason")
        return line
    if kind == "push retry":
        return "[push %d/%d] %s attempt %d failed, retrying in %.1f s: %s" % (
            finished, total, name, result.get("push_attempts"), result.get("delay"), result.get("reason"))
    if kind == "wait":
        return "waiting for another run that builds the same image names: %s" % name
    if kind == "build":
        return "[%d/%d] %s building (%s)" % (finished, total, name, result.get("reason"))
    state = result.get("status")
    line = "[%d/%d] %s %s" % (finished, total, name, VERBS.get(state, state))
    if state == status.BUILT:
        line += " in %.0f s" % (result.get("duration") or 0)
    if state != status.BUILT and result.get("reason"):
        line += " (%s)" % result["reason"]
    return line


def _seconds(value):
    return "%.1f s" % value if value is not None else "-"


def summary_table(results):
    """IMAGE, STATUS, DURATION, SIZE, REASON; with PUSH (status and time) when the run pushed."""
    pushing = any("push_status" in result for result in results)
    header = ["IMAGE", "STATUS", "DURATION", "SIZE"] + (["PUSH"] if pushing else []) + ["REASON"]
    rows = [header]
    for result in results:
        row = [result.get("image") or result["name"], result["status"], _seconds(result.get("duration")),
               human_size(result.get("size"))]
        if pushing:
            push_status = result.get("push_status") or "-"
            if result.get("push_duration") is not None:
                push_status += " (%s)" % _seconds(result["push_duration"])
            row.append(push_status)
        reason = result.get("reason") or ""
        if result.get("push_status") == status.PUSH_FAILED:
            reason = result.get("push_reason") or reason
        rows.append(row + [reason])
    return format_rows(rows)


def format_rows(rows):
    """Rows of cells as aligned text; the last column is not padded."""
    columns = len(rows[0]) - 1
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    lines = []
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:columns])) + "  " + row[-1])
    return "\n".join(line.rstrip() for line in lines)


def pending_updates_table(root, plan):
    """IMAGE, PACKAGE, INSTALLED, CANDIDATE for the root image (a package index's ``root``) and each image
    of a plan or summary; "" when nothing is pending."""
    rows = []
    for entry in ([root] if root else []) + list((plan or {}).get("images", [])):
        rows += [(entry["image"], item["package"], item["installed"], item["candidate"])
                 for item in entry.get("pending_updates") or []]
    return format_rows([("IMAGE", "PACKAGE", "INSTALLED", "CANDIDATE")] + rows) if rows else ""


def counts_by_status(results, key="status"):
    counts = {}
    for result in results:
        if result.get(key) is not None:
            counts[result[key]] = counts.get(result[key], 0) + 1
    return counts


def write_json(path, data, compact=False):
    """Write whole or not at all; ``compact`` for big machine-read files (no indent: a fifth of the time)."""
    if compact:
        text = json.dumps(data, separators=(",", ":"))
    else:
        text = json.dumps(data, indent=2, sort_keys=True)
    files.write_atomically(path, text + "\n")


def read_json(path, default=None):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return default
