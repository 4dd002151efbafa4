#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tcib_build
short_description: Build one container image from a rendered Containerfile with buildah
version_added: "0.1.0"
description:
  - Runs C(buildah bud) on a build context, under a temporary name, and tags the result with O(image)
    only when the build succeeded, so a failed or interrupted build never leaves an image under its
    final name.
  - Writes the full build log to O(log_path) and returns the image id, size, duration, log path and the
    command that ran.
  - A failed build fails the task with the tail of the log and the log path.
author:
  - tcib.images contributors (@tcib-images)
extends_documentation_fragment:
  - tcib.images.buildah
attributes:
  check_mode:
    support: full
    description: In check mode nothing is built; the result says what would be built and the command.
  diff_mode:
    support: none
    description: Nothing is diffed.
  idempotent:
    support: none
    description: Every run builds the image again and moves the tag to the new image; use
      M(tcib.images.tcib_build_graph) to skip images whose inputs did not change.
  platform:
    support: full
    platforms: posix
    description: Runs on the build host, which must have buildah and podman.
options:
  image:
    description: Full reference to tag the built image with, such as C(localhost/tcib/openstack-base:latest).
    type: str
    required: true
  context_dir:
    description: Build context directory.
    type: path
    required: true
  containerfile:
    description: Containerfile to build; defaults to C(Containerfile) in O(context_dir).
    type: path
  log_path:
    description: File that receives the full build log; defaults to C(build.log) in O(context_dir).
    type: path
  build_args:
    description: Build arguments (C(--build-arg key=value)).
    type: dict
    default: {}
  labels:
    description: Labels set on the image (C(--label key=value)).
    type: dict
    default: {}
  volumes:
    description: Bind mounts available to RUN steps during the build only (C(--volume host:container[:opts])).
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds after which the build is stopped and fails; 0 for no limit.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Build memcached
  tcib.images.tcib_build:
    image: localhost/tcib/openstack-memcached:latest
    context_dir: /var/tmp/tcib/base/os/memcached
    log_path: /var/tmp/tcib/base/os/memcached/memcached-build.log
    volumes:
      - /var/cache/tcib/apt:/var/cache/apt/archives:z
  register: built

- name: Report
  ansible.builtin.debug:
    msg: "{{ built.image }} {{ built.image_id }} {{ built.size }} bytes in {{ built.duration }} s"
"""

RETURN = r"""
image:
  description: The reference the image was tagged with.
  returned: always
  type: str
  sample: localhost/tcib/openstack-memcached:latest
image_id:
  description: Id of the built image.
  returned: success, not in check mode
  type: str
  sample: 4f2a0d0c6b5e8f0e3e0b9e5b8f1e4c3d2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d
size:
  description: Size of the image in bytes.
  returned: success, not in check mode
  type: int
  sample: 101543210
duration:
  description: Seconds the build took.
  returned: success, not in check mode
  type: float
  sample: 42.5
log_path:
  description: Path of the full build log.
  returned: always
  type: str
command:
  description: The command that ran (or would run in check mode).
  returned: always
  type: list
  elements: str
labels:
  description: Labels of the built image.
  returned: success, not in check mode
  type: dict
log_tail:
  description: Last lines of the build log.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.buildah import (
    RUN_OPTIONS_SPEC, BuildError, BuildRequest, Buildah, build_command)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image=dict(type="str", required=True),
            context_dir=dict(type="path", required=True),
            containerfile=dict(type="path"),
            log_path=dict(type="path"),
            build_args=dict(type="dict", default={}),
            labels=dict(type="dict", default={}),
            volumes=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=0),
            **RUN_OPTIONS_SPEC
        ),
        supports_check_mode=True,
    )
    p = module.params
    request = BuildRequest(
        p["image"], context_dir=p["context_dir"], containerfile=p["containerfile"], log_path=p["log_path"],
        build_args=p["build_args"], labels=p["labels"], volumes=p["volumes"], isolation=p["isolation"],
        network=p["network"], image_format=p["image_format"], timeout=p["timeout"])
    buildah = module.get_bin_path("buildah", required=True)
    podman = module.get_bin_path("podman", required=True)
    if module.check_mode:
        argv = build_command(buildah, request, "<temporary name>", "<iidfile>")
        module.exit_json(changed=True, image=p["image"], log_path=request.log_path, command=argv,
                         msg="would build %s" % p["image"])

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    try:
        result = Buildah(run, buildah, podman).build(request)
    except BuildError as exc:
        failed = dict(exc.result)
        failed.pop("image", None)
        module.fail_json(msg=str(exc), image=p["image"], **failed)
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
