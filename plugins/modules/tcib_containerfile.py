#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tcib_containerfile
short_description: Render one Containerfile from tcib variables
version_added: "0.1.0"
description:
  - Validates tcib variables, renders the Jinja expressions in their values in a sandbox (only the image's
    own variables are visible; no lookups), and writes a Containerfile in upstream tcib's instruction order.
  - Variables come from O(variables), from the variable files in O(image_dir) merged in name order, or both
    (O(variables) win).
  - Files named in C(tcib_gather_files) are copied next to the Containerfile.
author:
  - tcib.images contributors (@tcib-images)
attributes:
  check_mode:
    support: full
    description: In check mode the Containerfile is rendered and returned but not written.
  diff_mode:
    support: full
    description: Shows the file before and after.
  platform:
    support: full
    platforms: posix
    description: Runs on the build host, which must have buildah and podman.
options:
  dest:
    description: Directory that receives the Containerfile (the build context).
    type: path
    required: true
  variables:
    description: The image's tcib variables (C(tcib_from), C(tcib_actions), ...).
    type: dict
    default: {}
  image_dir:
    description: Directory holding the image's variable files, read without Ansible templating.
    type: path
  from_image:
    description: Image to start from when C(tcib_from) is not set.
    type: str
  distro:
    description: Available to templates as C(tcib_distro) unless the variables set it.
    type: str
    default: debian
  release:
    description: Available to templates as C(tcib_release) unless the variables set it.
    type: str
    default: "13"
"""

EXAMPLES = r"""
- name: Render a Containerfile from variables
  tcib.images.tcib_containerfile:
    dest: /var/tmp/tcib/memcached
    variables:
      tcib_from: localhost/tcib/openstack-os:latest
      tcib_packages:
        common: [memcached]
      tcib_actions:
        - run: "tcib-install {{ '{{' }} tcib_packages.common | join(' ') {{ '}}' }}"
      tcib_user: memcache
      tcib_cmd: [memcached, -p, "11211"]

- name: Render straight from a variable directory
  tcib.images.tcib_containerfile:
    dest: /var/tmp/tcib/keystone
    image_dir: vars/tcib/base/os/keystone
    from_image: localhost/tcib/openstack-os:latest
"""

RETURN = r"""
containerfile:
  description: The rendered Containerfile text.
  returned: success
  type: str
path:
  description: Path of the Containerfile.
  returned: success
  type: str
variables:
  description: The merged, templated variables the Containerfile was rendered from.
  returned: success
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.discovery import merge_files, yaml_files
from ansible_collections.tcib.images.plugins.module_utils.plan import gather_files, prepare_variables
from ansible_collections.tcib.images.plugins.module_utils.render import render
from ansible_collections.tcib.images.plugins.module_utils.requirements import check_libraries
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            variables=dict(type="dict", default={}),
            image_dir=dict(type="path"),
            from_image=dict(type="str"),
            distro=dict(type="str", default="debian"),
            release=dict(type="str", default="13"),
        ),
        supports_check_mode=True,
    )
    check_libraries(module)
    p = module.params
    variables, sources = {}, {}
    try:
        if p["image_dir"]:
            variables, sources = merge_files(yaml_files(p["image_dir"]))
        variables.update(p["variables"])
        sources.update(dict.fromkeys(p["variables"], "variables"))
        context = {"tcib_distro": p["distro"], "tcib_release": p["release"]}
        rendered = prepare_variables(variables, sources, context)
        if not (rendered.get("tcib_from") or p["from_image"]):
            raise VariableError("set tcib_from or from_image", key="tcib_from")
        text = render(rendered, p["from_image"])
    except VariableError as exc:
        module.fail_json(msg=str(exc))
    path = os.path.join(p["dest"], "Containerfile")
    before = ""
    if os.path.exists(path):
        with open(path) as handle:
            before = handle.read()
    changed = before != text
    if changed and not module.check_mode:
        if not os.path.isdir(p["dest"]):
            os.makedirs(p["dest"])
        with open(path, "w") as handle:
            handle.write(text)
    if not module.check_mode:
        try:
            gather_files(rendered.get("tcib_gather_files"), p["image_dir"] or os.getcwd(), p["dest"],
                         sources.get("tcib_gather_files"))
        except VariableError as exc:
            module.fail_json(msg=str(exc))
    result = dict(changed=changed, containerfile=text, path=path, variables=rendered)
    if module._diff:
        result["diff"] = dict(before=before, after=text, before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
