# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How RUN steps of a buildah build run: shared by the modules that build."""

    DOCUMENTATION = r"""
options:
  isolation:
    description: Buildah isolation for RUN steps; unset uses buildah's configured default.
    type: str
    choices: [oci, chroot, rootless]
  network:
    description: Network mode for RUN steps.
    type: str
    default: host
  image_format:
    description: Image format; C(docker) keeps HEALTHCHECK, which the OCI format drops.
    type: str
    default: docker
    choices: [docker, oci]
"""
