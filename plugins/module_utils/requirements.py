# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail a module cleanly when a Python library the collection needs is missing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.tcib.images.plugins.module_utils.discovery import YAML_IMPORT_ERROR
from ansible_collections.tcib.images.plugins.module_utils.sbom import CYCLONEDX_IMPORT_ERROR
from ansible_collections.tcib.images.plugins.module_utils.variables import JINJA2_IMPORT_ERROR


def check_libraries(module, bills_of_materials=False):
    """PyYAML and Jinja2 for every module; cyclonedx-python-lib for those that write bills of materials."""
    needed = [("PyYAML", YAML_IMPORT_ERROR), ("Jinja2", JINJA2_IMPORT_ERROR)]
    if bills_of_materials:
        needed.append(("cyclonedx-python-lib", CYCLONEDX_IMPORT_ERROR))
    for library, error in needed:
        if error:
            module.fail_json(msg=missing_required_lib(library), exception=error)
