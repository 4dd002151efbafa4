#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tcib_base_image
short_description: Keep the Debian root image current with its apt sources, and read their package indices
version_added: "0.2.0"
description:
  - Reads the C(InRelease) file of every suite of the configured apt sources (Debian's O(suite), its
    C(-updates) and C(-security), and O(repositories)) through the collection's package proxy, checks each
    signature with gpgv (a suite without C(InRelease) is read from C(Release) and its detached signature
    C(Release.gpg), as apt does), and reads the C(Packages) indices they list. A source that cannot be
    reached, is not signed, or is signed by another key fails here, naming the source, before anything is
    built.
  - Writes the candidates (the version apt would install of each package) to C(package-index.json) in
    O(work_dir), the input of M(tcib.images.tcib_build_graph)'s update check.
  - An image O(image) under C(localhost/) is built here with mmdebstrap when it is absent, when its sources or
    packages changed, or when its installed packages have updates; it gets a bill of materials like every image.
    Any other O(image) is pulled when absent and only checked.
  - With O(check_updates=false) no index is read (for offline runs) and only presence and settings decide.
author:
  - tcib.images contributors (@tcib-images)
requirements:
  - mmdebstrap, podman, buildah and gpgv on the host
  - cyclonedx-python-lib
seealso:
  - module: tcib.images.tcib_build_graph
  - module: tcib.images.tcib_plan
extends_documentation_fragment:
  - tcib.images.local_first
attributes:
  check_mode:
    support: full
    description: The indices are read and the index file written; the image is reported as C(would build),
      never built.
  diff_mode:
    support: none
    description: Nothing is diffed.
  idempotent:
    support: partial
    description: A second run changes nothing, unless Debian published updates for the image's packages
      meanwhile.
  platform:
    support: full
    platforms: posix
    description: Runs on the build host.
options:
  image:
    description: Reference of the root image.
    type: str
    required: true
  suite:
    description: Debian suite (also gives its C(-updates) and C(-security) suites).
    type: str
    default: trixie
  mirror:
    description: Debian mirror for the suite and its C(-updates).
    type: str
    default: http://deb.debian.org/debian
  security_mirror:
    description: Debian mirror for C(-security).
    type: str
    default: http://deb.debian.org/debian-security
  repositories:
    description:
      - Extra apt repositories, written into the root image beside Debian's (each as a deb822 stanza with its
        key inline), used by every build and by the update check.
      - Each is a mapping with C(name), C(uris) (one URI), C(suites), C(components) and C(signed_by) (path of
        the signing key file, armored or binary).
    type: list
    elements: dict
    default: []
  packages:
    description: Packages added to the minimal (minbase) Debian system.
    type: list
    elements: str
    default: [ca-certificates]
  work_dir:
    description: Where the package index and the root's bill of materials are written.
    type: path
    required: true
  package_cache:
    description: The shared package cache; the proxy keeps its files under C(mirror/), parsed indices under C(indices/).
    type: path
    default: /var/cache/tcib/apt-archives
  check_updates:
    description: Read the indices and rebuild a root with pending updates.
    type: bool
    default: true
  force:
    description: Rebuild a C(localhost/) root image even when it is current.
    type: bool
    default: false
  distro:
    description: Distribution name, in the bill of materials' package URLs.
    type: str
    default: debian
  release:
    description: Distribution release, in the bill of materials' package URLs.
    type: str
    default: "13"
"""

EXAMPLES = r"""
- name: Keep the Debian root image current
  tcib.images.tcib_base_image:
    image: localhost/tcib/debian:trixie
    work_dir: /var/tmp/tcib
  register: root

- name: With Debian's OpenStack backports as an extra source
  tcib.images.tcib_base_image:
    image: localhost/tcib/debian:trixie
    work_dir: /var/tmp/tcib
    repositories:
      - name: osbpo
        uris: http://osbpo.debian.net/debian
        suites: [trixie-flamingo-backports, trixie-flamingo-backports-nochange]
        components: [main]
        signed_by: /etc/tcib/osbpo.asc
"""

RETURN = r"""
image:
  description: The root image reference.
  returned: always
  type: str
  sample: localhost/tcib/debian:trixie
status:
  description: C(built), C(up to date) or C(would build).
  returned: always
  type: str
reason:
  description: "Why it was built or not, e.g. C(updates: libssl3t64 3.5.1-1 -> 3.5.1-1+deb13u1)."
  returned: always
  type: str
image_id:
  description: Id of the root image afterwards.
  returned: when it exists
  type: str
pending_updates:
  description: Packages of the image (before a rebuild) with newer versions in the sources.
  returned: always
  type: list
  elements: dict
  sample: [{package: libssl3t64, installed: 3.5.1-1, candidate: 3.5.1-1+deb13u1}]
package_index:
  description: Path of the package index written for this run, null when updates are not checked.
  returned: always
  type: str
  sample: /var/tmp/tcib/package-index.json
proxy_hosts:
  description: Hosts of the http sources, which the package proxy of the builds may fetch from.
  returned: always
  type: list
  elements: str
releases:
  description: The suites read, with their source, date and whether they provide candidates.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.rootimage import ARGUMENT_SPEC, execute
from ansible_collections.tcib.images.plugins.module_utils.task import run_module


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), execute)


if __name__ == "__main__":
    main()
