# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Linux's /proc says of processes: which there are, their parent, start time, state and command line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def pids():
    """Every process's pid."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (state first), or None when the process is gone.
    The command name may hold spaces and parentheses: fields are counted from the last ')'."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None


def start_time(pid):
    """A process's start time in clock ticks since boot (field 22), None if gone: with the pid, it tells a
    process apart from a later one that reuses its pid."""
    fields = stat_fields(pid)
    return fields[19] if fields else None


def parent_of(pid):
    fields = stat_fields(pid)
    return int(fields[1]) if fields else None


def is_zombie(pid):
    """True for a process that ended (gone, or not yet reaped)."""
    fields = stat_fields(pid)
    return fields is None or fields[0] == "Z"


def cmdline(pid):
    """A process's arguments joined by spaces ("" when gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except (IOError, OSError):
        return ""
