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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tcib.images.plugins.module_utils.host import (
    DROPIN_HEADER, dropin_text, probe_stamp, read_stamp, write_stamp, find_ulimits, host_facts, podman_probe, probe, probe_rootfs,
    runtime_settings, ulimit_candidates)


def missing_packages(run, packages):
    """Those of the packages dpkg does not have installed (dpkg-query answers in milliseconds)."""
    if not packages:
        return []
    _rc, out, _err = run(["dpkg-query", "--show", "--showformat=${db:Status-Abbrev}${Package}\n"] + list(packages))
    installed = set(line.split()[-1] for line in out.splitlines() if line.startswith("ii "))
    return [package for package in packages if package not in installed]


def make_package_cache(path, check_mode):
    """Create the shared package cache directory; True when it was (or would be) created."""
    if not path or os.path.isdir(path):
        return False
    if not check_mode:
        os.makedirs(path, 0o755)
    return True


def decide(run, podman, facts):
    """Settings this host needs; rlimits are found by starting real containers."""
    settings, reasons = runtime_settings(facts)
    candidates = ulimit_candidates(facts)
    if candidates:
        global_args = []
        for key in ("runtime", "cgroup_manager"):
            if key in settings:
                global_args += ["--%s" % key.replace("_", "-"), settings[key]]
        root = probe_rootfs(run)
        try:
            def works(ulimits):
                run_args = [arg for limit in ulimits for arg in ("--ulimit", limit)]
                return podman_probe(run, root, podman, global_args, run_args) is None
            settings["default_ulimits"], more = find_ulimits(candidates, works)
        finally:
            run(["rm", "-rf", root])
        reasons += more
    return settings, reasons


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/containers/containers.conf.d/50-tcib-images.conf"),
            probe=dict(type="bool", default=True),
            stamp=dict(type="path", default="/run/tcib-images-host-probe"),
            packages=dict(type="list", elements="str", default=[]),
            package_cache=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    missing = missing_packages(run, module.params["packages"])
    if missing:
        module.exit_json(changed=False, missing_packages=missing, path=path, facts={}, settings={}, reasons=[])
    podman = module.get_bin_path("podman", required=True)
    buildah = module.get_bin_path("buildah", required=True)
    made_cache = make_package_cache(module.params["package_cache"], module.check_mode)

    facts = host_facts()
    before = ""
    if os.path.exists(path):
        with open(path) as handle:
            before = handle.read()
    result = dict(changed=made_cache, facts=facts, path=path, settings={}, reasons=[], missing_packages=[])
    # A drop-in of ours that already lets containers run is kept as it is. A probe that passed since
    # boot, with these settings and these binaries, is not repeated.
    stamp = probe_stamp(before, [podman, buildah])
    if before.startswith(DROPIN_HEADER) and (read_stamp(module.params["stamp"]) == stamp
                                             or not probe(run, podman, buildah)):
        result["reasons"] = [line[4:] for line in before.splitlines() if line.startswith("# - ")]
        if not module.check_mode:
            write_stamp(module.params["stamp"], stamp)
        module.exit_json(**result)
    try:
        settings, reasons = decide(run, podman, facts)
    except RuntimeError as exc:
        module.fail_json(msg="this host cannot run containers: %s" % exc, **result)
    wanted = dropin_text(settings, reasons)
    result.update(changed=made_cache or before != wanted, settings=settings, reasons=reasons)
    if before != wanted and not module.check_mode:
        if wanted:
            if not os.path.isdir(os.path.dirname(path)):
                os.makedirs(os.path.dirname(path), 0o755)
            with open(path, "w") as handle:
                handle.write(wanted)
            os.chmod(path, 0o644)
        else:
            os.unlink(path)
    if module._diff:
        result["diff"] = dict(before=before, after=wanted, before_header=path, after_header=path)
    # In check mode a pending change means the probe would test stale settings.
    if module.params["probe"] and not (module.check_mode and before != wanted):
        errors = probe(run, podman, buildah)
        if errors:
            module.fail_json(msg="this host still cannot run containers: %s" % "; ".join(errors), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
