# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tcib.images.image_ref`` filter: an image's reference as a plan names it (playbooks need it too)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.tcib.images.plugins.module_utils import defaults, discovery, reference


def image_ref(name, registry=defaults.REGISTRY, namespace=defaults.NAMESPACE, prefix=defaults.PREFIX,
              tag=defaults.TAG, suffix=""):
    """``{registry}/{namespace}/{prefix}-{name}:{tag}{suffix}``, checked as the plan checks every name."""
    ref = discovery.image_ref(str(name), registry, namespace, prefix, "%s%s" % (tag, suffix))
    try:
        reference.parse(ref)
    except reference.ImageRefError as exc:
        raise AnsibleFilterError("image %r cannot be named %s: %s" % (name, ref, exc))
    return ref


class FilterModule(object):

    def filters(self):
        return {"image_ref": image_ref}
