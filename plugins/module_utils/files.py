# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files written whole or not at all: a temporary file of its own beside the target, renamed over it, so
that a killed run leaves no half-written file and two writers never share a temporary name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def holds(path, text):
    """Whether the file at path holds exactly text."""
    try:
        with open(path) as handle:
            return handle.read() == text
    except (IOError, OSError, UnicodeDecodeError):
        return False


def write_atomically(path, text, move=os.replace):
    """Write text to path (its directory made when missing), readable by all as the tools expect. ``move``:
    how the temporary file replaces path (a module passes its ``atomic_move``)."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        move(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_if_changed(path, text, move=os.replace):
    """Write text unless the file already holds it; True when written."""
    if holds(path, text):
        return False
    write_atomically(path, text, move)
    return True


def write_or_remove(path, text, move=os.replace):
    """Replace the file whole with text, or remove it when text is empty (absent already is fine)."""
    if text:
        write_atomically(path, text, move)
    elif os.path.exists(path):
        os.unlink(path)
