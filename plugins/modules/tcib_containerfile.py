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
  - Variables come from the variable files in O(image_dir) (or the image's directory in O(tree)) merged in
    name order, then the known C(tcib_) variables among O(extras), then O(variables); later ones win.
  - Files named in C(tcib_gather_files) are copied next to the Containerfile. They are gathered only from
    inside O(tree) (or O(image_dir), or the current directory without either) and O(extra_gather_dirs), and
    only regular files and directories; a symbolic link out of those, a dangling link, a link loop, a device
    or a pipe is an error naming the file.
author:
  - tcib.images contributors (@tcib-images)
attributes:
  check_mode:
    support: full
    description: In check mode the Containerfile is rendered and returned but not written; everything a real
      run checks is checked (the variables, and each C(tcib_gather_files) match), and changed is reported
      exactly when a real run would write the Containerfile.
  diff_mode:
    support: full
    description: Shows the file before and after.
  idempotent:
    support: full
    description: The Containerfile is written (whole, through a temporary file and the module's atomic_move)
      only when its text would change, and only that change is reported; gathered files are copied into
      O(dest) on every run. Every gathered path is checked before anything is written, so a bad one leaves
      O(dest) as it was.
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
  tree:
    description:
      - A tcib variable tree; the image's variable files are those of the directory named O(name) in it
        that holds C(*.yaml) files (there must be exactly one), as upstream's client finds an image.
      - Relative C(tcib_gather_files) are then found in that directory.
    type: path
  name:
    description: The image's name in O(tree); by default the last component of O(dest).
    type: str
  extras:
    description:
      - Variables from outside the image, as upstream's C(--tcib-extras) (or the host variables its client
        passes). A known C(tcib_) variable among them is set on the image; the others are only visible to
        templates.
    type: dict
    default: {}
  image:
    description:
      - The image's name or reference (C(registry/namespace/prefix-name:tag)). When set, the labels
        C(build.yml) gives every image are added ahead of the image's own, C(org.opencontainers.image.title)
        from it and C(tcib.images.config)/C(tcib.images.data) from C(tcib_meta).
    type: str
  merge_runs:
    description: Consecutive shell-form C(run) actions become one RUN (one layer), as C(build.yml) renders them.
    type: bool
    default: false
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
  extra_gather_dirs:
    description: Directories besides the tree (or the image's directory) that C(tcib_gather_files) may gather from.
    type: list
    elements: path
    default: []
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

- name: Render an image of a tree as build.yml does (labels, one RUN for consecutive actions)
  tcib.images.tcib_containerfile:
    dest: /var/tmp/tcib/base/os/memcached
    tree: vars/tcib
    from_image: localhost/tcib/openstack-os:latest
    image: localhost/tcib/openstack-memcached:latest
    merge_runs: true
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
image_dir:
  description: The directory whose variable files were read, if any.
  returned: success
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils import defaults
from ansible_collections.tcib.images.plugins.module_utils.discovery import (
    TreeError, find_image_dir, merge_files, yaml_files)
from ansible_collections.tcib.images.plugins.module_utils.files import write_if_changed
from ansible_collections.tcib.images.plugins.module_utils.plan import copy_into, gather_sources, render_image
from ansible_collections.tcib.images.plugins.module_utils.requirements import check_libraries
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            variables=dict(type="dict", default={}),
            image_dir=dict(type="path"),
            tree=dict(type="path"),
            name=dict(type="str"),
            extras=dict(type="dict", default={}),
            image=dict(type="str"),
            merge_runs=dict(type="bool", default=False),
            from_image=dict(type="str"),
            distro=dict(type="str", default=defaults.DISTRO),
            release=dict(type="str", default=defaults.RELEASE),
            extra_gather_dirs=dict(type="list", elements="path", default=[]),
        ),
        mutually_exclusive=[("image_dir", "tree")],
        supports_check_mode=True,
    )
    check_libraries(module)
    p = module.params
    image_dir = p["image_dir"]
    variables, sources = {}, {}
    try:
        if p["tree"]:
            image_dir = find_image_dir(p["tree"], p["name"] or os.path.basename(os.path.normpath(p["dest"])))
        # Where variable files and gathered files may come from.
        roots = [p["tree"] or image_dir or os.getcwd()] + p["extra_gather_dirs"]
        if image_dir:
            variables, sources = merge_files(yaml_files(image_dir, roots[0]))
        rendered, text = render_image(variables, sources, p["variables"], p["extras"], p["distro"], p["release"],
                                      p["from_image"], p["image"], p["merge_runs"])
        gathered = gather_sources(rendered.get("tcib_gather_files"), image_dir or os.getcwd(),
                                  sources.get("tcib_gather_files"), roots)
    except (VariableError, TreeError) as exc:
        module.fail_json(msg=str(exc))
    path = os.path.join(p["dest"], "Containerfile")
    before = ""
    if os.path.isfile(path):
        with open(path, errors="replace") as handle:
            before = handle.read()
    changed = before != text
    if changed and not module.check_mode:
        write_if_changed(path, text, move=module.atomic_move)
    if not module.check_mode:
        copy_into(gathered, p["dest"])
    result = dict(changed=changed, containerfile=text, path=path, variables=rendered, image_dir=image_dir)
    if module._diff:
        result["diff"] = dict(before=before, after=text, before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
