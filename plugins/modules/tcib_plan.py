#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tcib_plan
short_description: Plan the images to build from a tcib variable tree and render their Containerfiles
version_added: "0.1.0"
description:
  - Discovers the images of a tcib variable tree (a directory holding C(*.yaml) files is an image named
    after the directory; its parent is the nearest ancestor image).
  - Selects images by service name, adds every ancestor and orders parents before children.
  - Templates each image's variables in a sandbox (no lookups, no filters that reach the host), validates
    them and renders a Containerfile into O(work_dir), mirroring the tree.
  - A C(tcib_from) naming an image of the tree (by name or full reference) makes that image the parent.
  - Fails with the file and key at fault on invalid YAML, an unknown C(tcib_) variable, a value of the
    wrong type or an undefined template variable; with the images and files involved on two images of one
    name, a cycle or a parent that does not exist; with the closest known names on an unknown selection.
  - Checks every image reference before anything is built (O(registry), O(namespace), O(prefix), O(tag),
    O(base_image), each image's name and each C(tcib_from) outside the tree) against docker's reference
    grammar. O(registry) must name a registry host (a dot or a port, or C(localhost)), as podman would read a
    bare word as a path on docker.io.
  - Gathers C(tcib_gather_files) only from inside the tree (and O(extra_gather_dirs)), and only regular files
    and directories; a match outside them (after following symbolic links), a dangling symbolic link, a
    link loop, a device or a pipe fails naming the file and key.
  - Reads variable files as hostile input, and fails naming the file on one that is not UTF-8 text, is larger than
    1 MiB, or whose YAML aliases expand to more than 100000 values; naming the file and key on a template that
    asks for a value of more than 1 MiB or runs longer than 10 seconds, on a C(tcib_copies) (C(tcib_adds),
    C(copy) or C(add) action) source that is not among the gathered files, on a C(tcib_packages) group that
    is not a list. Warns, naming it, about a variable file that holds no variables.
  - Writes the plan as C(plan.json) and a Graphviz C(plan.dot) in O(work_dir), holding the work_dir's lock;
    fails at once, naming the holder, while another run plans or builds in the same O(work_dir).
author:
  - tcib.images contributors (@tcib-images)
requirements:
  - PyYAML
  - Jinja2
seealso:
  - module: tcib.images.tcib_build_graph
    description: Builds the images of the plan this module writes.
  - module: tcib.images.tcib_containerfile
    description: Renders one image outside a plan, as a plan renders it.
extends_documentation_fragment:
  - tcib.images.local_first
attributes:
  check_mode:
    support: full
    description:
      - Everything a real run checks is checked, and the plan is computed and returned; no build context is
        written and no lock is taken.
      - The plan is written as a preview, C(check-plan.json) and C(check-plan.dot) in O(work_dir) (what
        M(tcib.images.tcib_build_graph) in check mode reads and completes with each image's status);
        C(plan.json), C(plan.dot) and the build contexts of a real run are left as they are.
      - Reports changed when a real run would write a Containerfile or merged variables file.
  diff_mode:
    support: none
    description: Nothing is diffed.
  idempotent:
    support: full
    description: A Containerfile or merged variables file is written only when its text would change, and only
      that is reported as a change. C(plan.json) and C(plan.dot) are written on every run (each plan has an id
      of its own) and gathered files are copied again; neither counts as a change.
  platform:
    support: full
    platforms: posix
    description: Runs on the build host, which must have buildah and podman.
options:
  tree:
    description: Directory holding the tcib variable tree (the one containing C(base/)).
    type: path
    required: true
  work_dir:
    description: Directory where rendered Containerfiles, merged variables and build logs are written.
    type: path
    required: true
  base_image:
    description: Image the root of the tree is built from.
    type: str
    required: true
  services:
    description: Service names; selects images named so or prefixed C(name-). Empty selects everything.
    type: list
    elements: str
    default: []
  include:
    description: Image names to select in addition to O(services).
    type: list
    elements: str
    default: []
  exclude:
    description: Image names to leave out (ancestors of selected images are kept).
    type: list
    elements: str
    default: []
  config_file:
    description:
      - A tripleo_containers.yaml-style file whose C(container_images) entries (C(imagename)) select images
        in addition to O(services) and O(include). Names are normalised as upstream does
        (C(quay.io/ns/openstack-nova-api:tag) selects C(nova-api)).
      - Images it names that O(unavailable_file) lists are left out, with one warning naming them and their
        reasons; a name neither in the tree nor in that list fails with the closest known names.
    type: path
  unavailable_file:
    description:
      - A YAML file whose C(unavailable_images) mapping names images that upstream tcib has and this tree
        cannot build (no Debian package), each with its reason. O(config_file) entries naming one are left out
        with a warning; a service or include naming one fails with its reason; excluding one changes nothing.
      - Without it, C(unavailable.yaml) beside O(tree) (for the default tree, C(vars/unavailable.yaml)), when
        there is one.
    type: path
  registry:
    description:
      - Registry part of image names, a host with a dot or a port (C(registry.example.com),
        C(registry:5000)), optionally followed by a path, or C(localhost) for local images. A bare word
        such as C(bad) is refused, as podman would read C(bad/ns/image) as a path on docker.io.
    type: str
    default: localhost
  namespace:
    description: Namespace part of image names.
    type: str
    default: tcib
  prefix:
    description: Prefix joined to each image name with a dash; empty for none.
    type: str
    default: openstack
  tag:
    description: Tag of every built image (at most 128 letters, digits, C(_), C(.) and C(-), not starting with
      C(.) or C(-)).
    type: str
    default: latest
  extra_gather_dirs:
    description:
      - Directories besides O(tree) that C(tcib_gather_files) may gather from. Without them, only files inside
        the tree are gathered (after following symbolic links), so a variable file cannot copy a host file
        into an image.
    type: list
    elements: path
    default: []
  distro:
    description: Distribution name, available to templates as C(tcib_distro).
    type: str
    default: debian
  release:
    description: Distribution release, available to templates as C(tcib_release).
    type: str
    default: "13"
  merge_runs:
    description:
      - Join consecutive shell-form C(run) actions of an image into one RUN (with C(&&)), so that they make one
        layer even for builders that commit a layer per instruction. Off keeps upstream's rendering.
    type: bool
    default: false
  extra_config:
    description:
      - A YAML file of variables applied on top of every image's own (as upstream's C(--extra-config)). Its
        C(image_overrides) mapping changes single images, see O(image_overrides).
    type: path
  image_overrides:
    description:
      - Per-image changes, by image name, without editing the tree (merged over those of O(extra_config)).
      - C(packages_append) and C(packages_remove) edit the image's C(tcib_packages) lists (appending to
        C(common)); C(actions_append) and C(actions_remove) edit its C(tcib_actions); C(vars) replaces variables.
    type: dict
    default: {}
  extra_vars:
    description: Variables applied on top of every image's own (as upstream's C(--extra-config)).
    type: dict
    default: {}
  tcib_extras:
    description:
      - Variables for every image's templates, as upstream's C(--tcib-extras) (for conditionals in variable
        files, e.g. C({% if tcib_site == 'lab' %})). One that is a known C(tcib_) variable is set on every image.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan the keystone images
  tcib.images.tcib_plan:
    tree: "{{ playbook_dir }}/../vars/tcib"
    work_dir: /var/tmp/tcib
    base_image: localhost/tcib/debian:trixie
    services: [keystone]
  register: plan

- name: Show the build order
  ansible.builtin.debug:
    msg: "{{ plan.images | map(attribute='image') | list }}"
"""

RETURN = r"""
images:
  description: Selected images, parents before children.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Image name (the directory name).
      type: str
      sample: keystone
    image:
      description: Full image reference that the build tags.
      type: str
      sample: localhost/tcib/openstack-keystone:latest
    parent:
      description: Name of the parent image in the tree, null for the root.
      type: str
      sample: os
    from:
      description: Image the Containerfile starts from.
      type: str
      sample: localhost/tcib/openstack-os:latest
    relpath:
      description: Path of the image's directory relative to the tree.
      type: str
      sample: base/os/keystone
    files:
      description: The image's variable files, in merge order.
      type: list
      elements: str
    variables:
      description: The merged, templated tcib variables.
      type: dict
    containerfile:
      description: Rendered Containerfile text.
      type: str
    gather_sources:
      description: The paths C(tcib_gather_files) matched, copied into the build context.
      type: list
      elements: str
    package:
      description: The image's main package (C(tcib_meta.package)), null when it names none.
      type: str
    context_dir:
      description: Build context directory under O(work_dir).
      type: str
    containerfile_path:
      description: Path of the rendered Containerfile.
      type: str
    vars_path:
      description: Path of the image's merged, templated variables (YAML).
      type: str
    directory:
      description: The image's directory in O(tree).
      type: str
    log_path:
      description: Where the build log of this image goes.
      type: str
    sbom_path:
      description: Where the image's bill of materials (CycloneDX JSON) is kept once it is built.
      type: str
plan_path:
  description: Path of C(plan.json), the input of M(tcib.images.tcib_build_graph); in check mode, of the preview
    C(check-plan.json).
  returned: success
  type: str
  sample: /var/tmp/tcib/plan.json
plan_id:
  description: Id of this plan, also in C(plan.json); M(tcib.images.tcib_build_graph) refuses a plan of another id.
  returned: success
  type: str
  sample: 3f0c5b3f2d8a4f51a1a0f5e7a9d2c4b1
names:
  description: Selected image names in build order.
  returned: success
  type: list
  elements: str
  sample: [base, os, keystone]
unavailable:
  description: Images O(config_file) names that the tree cannot build, left out of the plan, with the reason of each.
  returned: success
  type: dict
  sample: {qdrouterd: Debian 13 does not package the Qpid Dispatch Router}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.plan import ARGUMENT_SPEC, execute
from ansible_collections.tcib.images.plugins.module_utils.task import run_module


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), execute)


if __name__ == "__main__":
    main()
