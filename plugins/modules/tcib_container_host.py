#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tcib_container_host
short_description: Configure podman and buildah so that this host can run builds and containers
version_added: "0.1.0"
description:
  - Detects hosts where the packages' defaults cannot run containers, and writes a containers.conf drop-in
    file of its own (never the packages' files) with what the host needs.
  - Cgroups in hybrid mode (crun fails with "cgroups in hybrid mode") select the runc runtime with the
    cgroupfs manager. Hard RLIMIT_NOFILE or RLIMIT_NPROC below what podman requests by default set
    C(default_ulimits) to the host's hard limits.
  - Then proves the result with a real container (C(podman run)) and a real build step (C(buildah run)),
    and fails with their errors when either cannot run.
  - With O(packages), first checks that those Debian packages are installed; when some are not, it only
    returns them as RV(missing_packages) (for M(ansible.builtin.apt) to install) and configures nothing. One
    module run on a prepared host, instead of a package check, a configuration and a directory task.
author:
  - tcib.images contributors (@tcib-images)
requirements:
  - podman 4.3 or later and buildah 1.28 or later on the host (the role tcib.images.build_host installs them)
  - dpkg-query, for O(packages)
seealso:
  - module: tcib.images.tcib_build_graph
  - name: containers.conf(5)
    description: The podman and buildah settings a drop-in file may hold.
    link: https://github.com/containers/common/blob/main/docs/containers.conf.5.md
extends_documentation_fragment:
  - tcib.images.local_first
attributes:
  check_mode:
    support: full
    description: In check mode the drop-in is not written, and the probe runs only when nothing would change.
  diff_mode:
    support: full
    description: Shows the file before and after.
  idempotent:
    support: full
    description: The settings file is written only when its content would change.
  platform:
    support: full
    platforms: posix
    description: Runs on the build host, which must have buildah and podman.
options:
  path:
    description: Drop-in file to manage.
    type: path
    default: /etc/containers/containers.conf.d/50-tcib-images.conf
  probe:
    description: Run a real container and a real build step after configuring.
    type: bool
    default: true
  stamp:
    description:
      - File recording a probe that passed, for the drop-in's content, the podman and buildah binaries and the
        boot. While it matches, the probe is not repeated. Under C(/run), so a reboot forgets it.
    type: path
    default: /run/tcib-images-host-probe
  packages:
    description: Debian packages the host needs; see RV(missing_packages).
    type: list
    elements: str
    default: []
  package_cache:
    description: Directory shared by builds as their package cache, created (owned by root, mode 0755) when absent.
    type: path
"""

EXAMPLES = r"""
- name: Make podman and buildah work on this host
  tcib.images.tcib_container_host:
  register: container_host
"""

RETURN = r"""
facts:
  description: What was detected.
  returned: always
  type: dict
  sample: {cgroup_mode: hybrid, init: systemd, hard_nofile: 20000, hard_nproc: 96365}
settings:
  description: The containers.conf settings the host needs (empty when none).
  returned: always
  type: dict
  sample: {runtime: runc, cgroup_manager: cgroupfs, default_ulimits: ["nofile=20000:20000"]}
reasons:
  description: Why each setting is needed.
  returned: always
  type: list
  elements: str
path:
  description: The drop-in file.
  returned: always
  type: str
missing_packages:
  description: Those of O(packages) that are not installed; when not empty, nothing else was done.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.host import ARGUMENT_SPEC, execute
from ansible_collections.tcib.images.plugins.module_utils.task import run_module


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), execute)


if __name__ == "__main__":
    main()
