# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a person reads: progress lines, the summary table, and the JSON files beside the logs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

VERBS = {"built": "built", "up to date": "up to date", "would build": "would be built",
         "failed": "FAILED", "skipped": "skipped"}


def human_size(size):
    if not size:
        return "-"
    return "%.1f MB" % (size / 1000000.0)


def progress_line(kind, name, result, counts):
    """``[12/58] nova-api built in 41 s``, or ``... building (reason)`` when a build starts."""
    finished, total = counts
    if kind == "build":
        return "[%d/%d] %s building (%s)" % (finished, total, name, result.get("reason"))
    status = result.get("status")
    line = "[%d/%d] %s %s" % (finished, total, name, VERBS.get(status, status))
    if status == "built":
        line += " in %.0f s" % (result.get("duration") or 0)
    if status != "built" and result.get("reason"):
        line += " (%s)" % result["reason"]
    return line


def summary_table(results):
    rows = [("IMAGE", "STATUS", "DURATION", "SIZE", "REASON")]
    for result in results:
        duration = result.get("duration")
        rows.append((result.get("image") or result["name"], result["status"],
                     "%.1f s" % duration if duration is not None else "-",
                     human_size(result.get("size")), result.get("reason") or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return "\n".join(line.rstrip() for line in lines)


def counts_by_status(results):
    counts = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def write_json(path, data):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.rename(temporary, path)


def read_json(path, default=None):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return default
