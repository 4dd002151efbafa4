# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail a task cleanly when a Python library the collection needs is missing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.tcib.images.plugins.module_utils.discovery import YAML_IMPORT_ERROR
from ansible_collections.tcib.images.plugins.module_utils.sbom import CYCLONEDX_IMPORT_ERROR
from ansible_collections.tcib.images.plugins.module_utils.task import TaskError
from ansible_collections.tcib.images.plugins.module_utils.variables import JINJA2_IMPORT_ERROR


def missing_library(bills_of_materials=False):
    """(message, import error) for the first library missing, or None. PyYAML and Jinja2 for every task;
    cyclonedx-python-lib for those that write bills of materials."""
    needed = [("PyYAML", YAML_IMPORT_ERROR), ("Jinja2", JINJA2_IMPORT_ERROR)]
    if bills_of_materials:
        needed.append(("cyclonedx-python-lib", CYCLONEDX_IMPORT_ERROR))
    for library, error in needed:
        if error:
            return missing_required_lib(library), error
    return None


def require_libraries(bills_of_materials=False):
    """Raise TaskError when a library the task needs is missing."""
    missing = missing_library(bills_of_materials)
    if missing:
        raise TaskError(missing[0], exception=missing[1])


def check_libraries(module, bills_of_materials=False):
    """The same, for a module that does not go through module_utils/task.py."""
    missing = missing_library(bills_of_materials)
    if missing:
        module.fail_json(msg=missing[0], exception=missing[1])
