#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tcib_build_graph
short_description: Bring every image of a plan up to date, in parallel, skipping what is unchanged
version_added: "0.1.0"
description:
  - Reads the plan written by M(tcib.images.tcib_plan) and builds its images with buildah, in parallel.
    A child starts as soon as its own parent is built; among ready images, the one heading the longest
    remaining chain goes first.
  - Each image gets an inputs digest (rendered Containerfile, gathered files, build arguments, labels,
    volumes, and the id of the image it starts from), stored as the label C(tcib.images.inputs-digest).
    An image whose digest matches is not rebuilt.
  - Builds run under a temporary name and are tagged only on success. Failures that look transient
    (network, mirror, storage locks) are retried with backoff; an image that fails has its descendants
    skipped while independent branches go on; the task fails at the end with the summary.
  - With O(push), each image is pushed as soon as it is built or found up to date, by a pool of push workers
    of its own, so that no build waits for a push; the run waits for every push before its summary. A push
    first reads the registry's manifest for the name (C(skopeo inspect --raw)); when its config digest is
    the local image id, the registry already holds the image and nothing is pushed. Failed pushes are
    retried with exponential backoff and jitter; an image whose push still fails fails the task at the end,
    naming the registry, and stays tagged locally.
  - With O(package_index), an image whose digest matches is still rebuilt, with its descendants, when a package
    it holds has a newer version in the apt sources (read from its bill of materials); the reason names the
    packages. Every built image gets a bill of materials (CycloneDX 1.6 JSON of its installed packages) at
    C(/usr/share/tcib/sbom.cdx.json), with labels C(tcib.images.sbom.format), C(tcib.images.sbom.path) and
    C(tcib.images.sbom.serial), and a copy next to its Containerfile (C(<image>.sbom.json)).
  - Each build goes FROM the exact parent image id its digest names. Runs that tag the same registry and
    namespace take turns (a lock per repository); a waiting run says whom it waits for.
  - A build whose log shows the package mirror failing is retried, and reported as C(mirror unreachable)
    when its retries run out.
  - SIGINT, SIGTERM or SIGHUP, or the end of the ansible-playbook above it, stop the run's builds and remove
    what it made for the while. Everything it makes for the while is named after its process, and the next
    run removes what a run killed outright left (returned as RV(cleaned)).
  - Writes C(summary.json) next to the plan. When run on the controller (local connection) the action
    plugin prints progress lines as images start and finish.
author:
  - tcib.images contributors (@tcib-images)
requirements:
  - buildah and podman on the host (skopeo too with O(push))
  - cyclonedx-python-lib
extends_documentation_fragment:
  - tcib.images.buildah
attributes:
  check_mode:
    support: full
    description: >-
      Nothing is built or pushed and no lock is taken; each image is reported as up to date or would be
      built, with the reason, in the preview C(check-plan.json) and C(check-plan.dot) beside O(plan) (the
      plan itself and C(summary.json) are left as they are). With O(push), the registry is read (not
      written) to report each image as C(would push) or C(pushed: up to date).
  diff_mode:
    support: none
    description: Nothing is diffed.
  idempotent:
    support: partial
    description: A second run builds and pushes nothing, unless the package indices show updates for the
      images' packages meanwhile (then those images and their descendants are rebuilt).
  platform:
    support: full
    platforms: posix
    description: Runs on the build host, which must have buildah and podman (and skopeo to push).
  action:
    support: full
    description: An action plugin runs the builds on the controller for live progress when the connection
      is local, and runs this module otherwise.
options:
  plan:
    description: >-
      The C(plan.json) written by M(tcib.images.tcib_plan). The run holds its directory's lock (see
      M(tcib.images.tcib_plan)) and fails at once while another run plans or builds there.
    type: path
    required: true
  plan_id:
    description: >-
      The C(plan_id) that M(tcib.images.tcib_plan) returned: a C(plan.json) of another id (written since by
      another run in the same directory) is refused and nothing is built.
    type: str
  max_parallel:
    description: Most builds at once; V(0) picks what the host can take (cores plus one, at most 6).
    type: int
    default: 0
  force:
    description: Rebuild every image even when its inputs digest matches.
    type: bool
    default: false
  timeout:
    description: Seconds after which one image's build is stopped and fails; V(0) for no limit.
    type: int
    default: 0
  retries:
    description: Extra attempts for builds that fail in a way that looks transient.
    type: int
    default: 2
  retry_delay:
    description: Seconds before the first retry; doubled (with jitter) for each further one.
    type: float
    default: 5.0
  package_cache:
    description:
      - Host directory shared as the package cache. Each build gets its own directory of hard links to
        its packages, mounted on C(/var/cache/apt/archives), so parallel builds never wait on one another's
        apt lock; packages a build downloads are linked back for the next builds.
    type: path
  volumes:
    description: Bind mounts available to RUN steps of every build (C(host:container[:options])).
    type: list
    elements: str
    default: []
  build_args:
    description: Build arguments for every build.
    type: dict
    default: {}
  labels:
    description: Labels set on every image.
    type: dict
    default: {}
  package_proxy:
    description:
      - Serve the Debian mirror to the builds through a caching proxy on 127.0.0.1, started for this run and
        stopped at its end, so that each file is fetched from the mirror at most once and parallel builds
        never wait on one another. Its cache lives under O(package_cache); requires O(package_cache).
    type: bool
    default: true
  proxy_hosts:
    description: Mirror host names the package proxy serves.
    type: list
    elements: str
    default: [deb.debian.org, security.debian.org]
  push:
    description: Push every image that is built or up to date to the registry its name starts with.
    type: bool
    default: false
  push_retries:
    description: Extra attempts for a push that fails (not for a registry that refuses the credentials).
    type: int
    default: 10
  push_retry_delay:
    description: Seconds before the first push retry; doubled for each further one (at most 10 s), with
      jitter.
    type: float
    default: 1.0
  push_parallel:
    description: Most pushes at once, beside the builds; V(0) for 3.
    type: int
    default: 0
  authfile:
    description:
      - Path of a containers-auth.json(5) file with the registry's credentials, passed to skopeo and
        buildah as C(--authfile). Its content is never read, logged or put on a command line.
    type: path
  tls_verify:
    description: Require HTTPS and verify the registry's certificate.
    type: bool
    default: true
  package_index:
    description:
      - The package index that M(tcib.images.tcib_base_image) wrote this run (C(package-index.json)). When
        given, images with pending updates are rebuilt and every image's pending updates are reported (in
        check mode too). Without it, updates are not checked.
    type: path
  tree:
    description:
      - The variable tree's directory. When it is in a git checkout, its commit and remote become the
        C(org.opencontainers.image.revision) and C(.source) labels (unless O(revision), O(source) say otherwise),
        read only when an image is built.
    type: path
  revision:
    description: Revision of the variable tree (a git commit), set as C(org.opencontainers.image.revision).
    type: str
  source:
    description: Where the variable tree comes from, set as C(org.opencontainers.image.source).
    type: str
notes:
  - Built images also get C(org.opencontainers.image.created) and, when the image's C(tcib_meta.package)
    names its main package, C(org.opencontainers.image.version) with that package's version as the base
    image's apt sees it. These provenance labels are not part of the inputs digest.
"""

EXAMPLES = r"""
- name: Plan
  tcib.images.tcib_plan:
    tree: vars/tcib
    work_dir: /var/tmp/tcib
    base_image: localhost/tcib/debian:trixie
    services: [nova]
  register: plan

- name: Build what changed
  tcib.images.tcib_build_graph:
    plan: "{{ plan.plan_path }}"
    package_cache: /var/cache/tcib/apt-archives
    timeout: 1800

- name: Build what changed and push it
  tcib.images.tcib_build_graph:
    plan: "{{ plan.plan_path }}"
    push: true
    authfile: /root/.config/containers/auth.json
"""

RETURN = r"""
images:
  description: One result per image, in dependency order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Image name.
      type: str
    image:
      description: Full reference.
      type: str
    status:
      description: One of C(built), C(up to date), C(would build), C(failed), C(skipped).
      type: str
    reason:
      description: Why it was built or not (C(inputs unchanged), C(inputs changed), C(not built yet),
        C(forced), C(skipped because X failed), the build error).
      type: str
    duration:
      description: Seconds spent on the image.
      type: float
    size:
      description: Image size in bytes.
      type: int
    image_id:
      description: Image id.
      type: str
    log_path:
      description: Build log.
      type: str
    push_status:
      description: >-
        With O(push), one of C(pushed), C(pushed: up to date) (the registry held this image),
        C(push failed), C(not pushed) (the image was not built); in check mode, C(would push) or
        C(pushed: up to date).
      type: str
    push_reason:
      description: What the push did, or why it failed (naming the registry).
      type: str
    push_duration:
      description: Seconds spent pushing, retries included.
      type: float
    push_attempts:
      description: Attempts the push took.
      type: int
    push_registry:
      description: Registry pushed to.
      type: str
    push_digest:
      description: Manifest digest of the pushed image.
      type: str
    push_log:
      description: Push log (commands and their output, credentials masked).
      type: str
    pending_updates:
      description: With O(package_index), the image's packages that have newer versions (before a rebuild).
      type: list
      elements: dict
      sample: [{package: libssl3t64, installed: 3.5.1-1, candidate: 3.5.1-1+deb13u1}]
counts:
  description: Number of images per status.
  returned: always
  type: dict
  sample: {built: 1, "up to date": 3}
table:
  description: The summary as a text table.
  returned: always
  type: str
summary_path:
  description: Path of C(summary.json) (of the preview C(check-plan.json) in check mode).
  returned: always
  type: str
wall_seconds:
  description: Seconds the whole run took.
  returned: always
  type: float
package_proxy:
  description: Bytes the package proxy fetched from the mirror, served to builds, and the unique bytes needed.
  returned: when the proxy ran
  type: dict
  sample: {fetched_bytes: 512000000, served_bytes: 890000000, unique_bytes: 512000000, unique_files: 840}
max_parallel:
  description: Most builds that ran at once.
  returned: always
  type: int
push_counts:
  description: Number of images per push status.
  returned: when O(push) is true
  type: dict
  sample: {pushed: 2, "pushed: up to date": 2}
pending_updates:
  description: With O(package_index), the packages with pending updates, by image name.
  returned: when O(package_index) is given
  type: dict
push_parallel:
  description: Most pushes at once.
  returned: when O(push) is true
  type: int
cleaned:
  description:
    - What runs of this collection that were killed had left, removed by this run before it built
      (working containers, temporary image names, unnamed images, files), by kind.
  returned: when there was something to remove
  type: dict
  sample: {containers: [tcib-images-p4242-1234567-from-openstack-os-working-container]}
waited_for:
  description: The other run that tagged the same image names, which this run waited for.
  returned: when this run had to wait
  type: str
waited_seconds:
  description: How long this run waited for that other run.
  returned: when this run had to wait
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.build_graph import ARGUMENT_SPEC, Tools, execute
from ansible_collections.tcib.images.plugins.module_utils.requirements import check_libraries


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    check_libraries(module, bills_of_materials=True)

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    # Check mode reads the registry too, to say what would be pushed.
    tools = Tools(buildah=module.get_bin_path("buildah", required=True),
                  podman=module.get_bin_path("podman", required=True),
                  skopeo=module.get_bin_path("skopeo", required=module.params["push"]) or "skopeo")
    try:
        outcome = execute(module.params, run_command, check_mode=module.check_mode, tools=tools)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if outcome.pop("failed", False):
        module.fail_json(**outcome)
    module.exit_json(**outcome)


if __name__ == "__main__":
    main()
